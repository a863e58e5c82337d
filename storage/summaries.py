"""Summary tables kept by the corpus itself: articles per site per day (and per day, per site),
one row per wire story.

Triggers on ``articles`` keep both in the same transaction as the write that changes them, so
every writer (a crawl, a Redis hand-off, ``recluster``, ``reextract``, plain SQL) keeps them
right, and no page of the browser has to count millions of article rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

__all__ = [
    "DAY_TOTALS",
    "SITE_DAYS",
    "SITE_TOTALS",
    "SUMMARY_SCHEMA",
    "TRIGGERS",
    "WIRE_SUMMARIES",
    "BrowseTargets",
    "SummaryProblem",
    "browse_targets",
    "day_sql",
    "rebuild_sql",
    "summary_problems",
    "totals_rebuild_sql",
]

SITE_DAYS = "site_days"
DAY_TOTALS = "day_totals"
SITE_TOTALS = "site_totals"
WIRE_SUMMARIES = "wire_summaries"
#: Triggers that keep the summaries (dropped and re-created by migrations that change them).
TRIGGERS = (
    "articles_summaries_ai",
    "articles_wire_ai",
    "articles_summaries_ad",
    "articles_summaries_au",
)


def day_sql(row: str = "") -> str:
    """The UTC day (YYYY-MM-DD) an article counts on: its publication date, else the day it
    was fetched; '' when neither reads as a date."""
    return f"coalesce(date({row}published), date({row}fetched_at), '')"


def seen_sql(row: str = "") -> str:
    """When an article appeared, as the page states it: publication time, else fetch time."""
    return f"coalesce({row}published, {row}fetched_at)"


def _wire_refresh(root: str) -> str:
    """Statements that rewrite the summary row of the cluster whose canonical is ``root``."""
    members = f"FROM articles WHERE id = {root} OR duplicate_of = {root}"
    return f"""
  DELETE FROM {WIRE_SUMMARIES} WHERE story_id = {root};
  INSERT INTO {WIRE_SUMMARIES} (story_id, outlets, copies, first_publisher, first_seen,
    last_seen)
  SELECT * FROM (
    SELECT {root} AS story_id, count(DISTINCT site) AS outlets, count(*) AS copies,
      (SELECT site {members} ORDER BY {seen_sql()}, id LIMIT 1) AS first_publisher,
      min({seen_sql()}) AS first_seen, max({seen_sql()}) AS last_seen
    {members}
  ) WHERE copies > 1;"""


def _site_day_add(row: str, sign: str) -> str:
    add = "DO UPDATE SET articles = articles + excluded.articles, copies = copies + excluded.copies"
    counts = f"{sign}1, {sign}({row}.duplicate_of IS NOT NULL)"
    return f"""
  INSERT INTO {SITE_DAYS} (site, day, articles, copies)
  VALUES ({row}.site, {day_sql(row + ".")}, {counts}) ON CONFLICT (site, day) {add};
  INSERT INTO {DAY_TOTALS} (day, articles, copies)
  VALUES ({day_sql(row + ".")}, {counts}) ON CONFLICT (day) {add};
  INSERT INTO {SITE_TOTALS} (site, articles, copies)
  VALUES ({row}.site, {counts}) ON CONFLICT (site) {add};"""


_SITE_DAY_DROP_EMPTY = f"""
  DELETE FROM {SITE_DAYS} WHERE site = OLD.site AND day = {day_sql("OLD.")} AND articles <= 0;
  DELETE FROM {DAY_TOTALS} WHERE day = {day_sql("OLD.")} AND articles <= 0;
  DELETE FROM {SITE_TOTALS} WHERE site = OLD.site AND articles <= 0;"""

#: Tables, indexes and triggers of the summaries (each statement re-runnable).
SUMMARY_SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {SITE_DAYS} (
  site TEXT NOT NULL, day TEXT NOT NULL, articles INTEGER NOT NULL, copies INTEGER NOT NULL,
  PRIMARY KEY (site, day)) WITHOUT ROWID""",
    f"CREATE INDEX IF NOT EXISTS {SITE_DAYS}_day ON {SITE_DAYS} (day, site, articles, copies)",
    f"""CREATE TABLE IF NOT EXISTS {DAY_TOTALS} (
  day TEXT PRIMARY KEY, articles INTEGER NOT NULL, copies INTEGER NOT NULL) WITHOUT ROWID""",
    f"""CREATE TABLE IF NOT EXISTS {SITE_TOTALS} (
  site TEXT PRIMARY KEY, articles INTEGER NOT NULL, copies INTEGER NOT NULL) WITHOUT ROWID""",
    f"CREATE INDEX IF NOT EXISTS {SITE_TOTALS}_busiest ON {SITE_TOTALS} (articles DESC, site)",
    f"""CREATE TABLE IF NOT EXISTS {WIRE_SUMMARIES} (
  story_id INTEGER PRIMARY KEY, outlets INTEGER NOT NULL,
  copies INTEGER NOT NULL, first_publisher TEXT, first_seen TEXT, last_seen TEXT)""",
    f"CREATE INDEX IF NOT EXISTS {WIRE_SUMMARIES}_biggest "
    f"ON {WIRE_SUMMARIES} (outlets DESC, copies DESC, first_seen DESC, story_id)",
    f"CREATE INDEX IF NOT EXISTS {WIRE_SUMMARIES}_first_seen ON {WIRE_SUMMARIES} (first_seen)",
    f"""CREATE TRIGGER IF NOT EXISTS articles_summaries_ai AFTER INSERT ON articles BEGIN
{_site_day_add("NEW", "")}
END""",
    f"""CREATE TRIGGER IF NOT EXISTS articles_wire_ai AFTER INSERT ON articles
WHEN NEW.duplicate_of IS NOT NULL BEGIN
{_wire_refresh("NEW.duplicate_of")}
END""",
    f"""CREATE TRIGGER IF NOT EXISTS articles_summaries_ad AFTER DELETE ON articles BEGIN
{_site_day_add("OLD", "-")}
{_SITE_DAY_DROP_EMPTY}
{_wire_refresh("coalesce(OLD.duplicate_of, OLD.id)")}
END""",
    f"""CREATE TRIGGER IF NOT EXISTS articles_summaries_au
AFTER UPDATE OF site, published, fetched_at, duplicate_of ON articles BEGIN
{_site_day_add("OLD", "-")}
{_SITE_DAY_DROP_EMPTY}
{_site_day_add("NEW", "")}
{_wire_refresh("coalesce(OLD.duplicate_of, OLD.id)")}
{_wire_refresh("coalesce(NEW.duplicate_of, NEW.id)")}
END""",
]

#: What the summary tables should hold, computed from the articles (a full scan: for the
#: migration, `copydesk recluster --check` and tests only).
_EXPECTED_SITE_DAYS = f"""
SELECT site, {day_sql()} AS day, count(*) AS articles, sum(duplicate_of IS NOT NULL) AS copies
FROM articles GROUP BY site, day
"""
_EXPECTED_DAY_TOTALS = f"""
SELECT {day_sql()} AS day, count(*) AS articles, sum(duplicate_of IS NOT NULL) AS copies
FROM articles GROUP BY day
"""
_EXPECTED_SITE_TOTALS = """
SELECT site, count(*) AS articles, sum(duplicate_of IS NOT NULL) AS copies
FROM articles GROUP BY site
"""
_EXPECTED_WIRE = f"""
SELECT story_id, outlets, copies, first_publisher, first_seen, last_seen FROM (
  SELECT coalesce(duplicate_of, id) AS story_id, count(DISTINCT site) AS outlets,
    count(*) AS copies, min({seen_sql()}) AS first_seen, max({seen_sql()}) AS last_seen,
    (SELECT m.site FROM articles m WHERE m.id = coalesce(a.duplicate_of, a.id)
       OR m.duplicate_of = coalesce(a.duplicate_of, a.id)
     ORDER BY {seen_sql("m.")}, m.id LIMIT 1) AS first_publisher
  FROM articles a GROUP BY story_id
) WHERE copies > 1
"""


def totals_rebuild_sql() -> list[str]:
    """Statements that refill the per-day and per-site totals from `site_days`."""
    return [
        f"DELETE FROM {DAY_TOTALS}",
        f"INSERT INTO {DAY_TOTALS} (day, articles, copies) "
        f"SELECT day, sum(articles), sum(copies) FROM {SITE_DAYS} GROUP BY day",
        f"DELETE FROM {SITE_TOTALS}",
        f"INSERT INTO {SITE_TOTALS} (site, articles, copies) "
        f"SELECT site, sum(articles), sum(copies) FROM {SITE_DAYS} GROUP BY site",
    ]


def rebuild_sql() -> list[str]:
    """Statements that refill both summary tables from the articles."""
    return [
        f"DELETE FROM {SITE_DAYS}",
        f"INSERT INTO {SITE_DAYS} (site, day, articles, copies) {_EXPECTED_SITE_DAYS}",
        *totals_rebuild_sql(),
        f"DELETE FROM {WIRE_SUMMARIES}",
        f"INSERT INTO {WIRE_SUMMARIES} (story_id, outlets, copies, first_publisher, first_seen, "
        f"last_seen) {_EXPECTED_WIRE}",
    ]


@dataclass(frozen=True)
class SummaryProblem:
    """A summary row that differs from what the articles say."""

    table: str
    key: str
    stored: tuple[object, ...] | None
    expected: tuple[object, ...] | None


def summary_problems(conn: sqlite3.Connection) -> list[SummaryProblem]:
    """Differences between the summary tables and the articles (empty when they agree)."""
    problems: list[SummaryProblem] = []
    checks = (
        (SITE_DAYS, f"SELECT site, day, articles, copies FROM {SITE_DAYS}", _EXPECTED_SITE_DAYS, 2),
        (DAY_TOTALS, f"SELECT day, articles, copies FROM {DAY_TOTALS}", _EXPECTED_DAY_TOTALS, 1),
        (
            SITE_TOTALS,
            f"SELECT site, articles, copies FROM {SITE_TOTALS}",
            _EXPECTED_SITE_TOTALS,
            1,
        ),
        (
            WIRE_SUMMARIES,
            f"SELECT story_id, outlets, copies, first_publisher, first_seen, last_seen "
            f"FROM {WIRE_SUMMARIES}",
            _EXPECTED_WIRE,
            1,
        ),
    )
    for table, stored_sql, expected_sql, key_width in checks:
        stored = {row[:key_width]: row[key_width:] for row in conn.execute(stored_sql)}
        expected = {row[:key_width]: row[key_width:] for row in conn.execute(expected_sql)}
        for key in sorted(stored.keys() | expected.keys(), key=repr):
            if stored.get(key) != expected.get(key):
                problems.append(
                    SummaryProblem(
                        table, "/".join(map(str, key)), stored.get(key), expected.get(key)
                    )
                )
    return problems


@dataclass(frozen=True)
class BrowseTargets:
    """What a browse benchmark opens: the biggest wire story, one of its copies, the busiest
    site, the latest day with articles."""

    story_id: int | None
    copy_id: int | None
    site: str | None
    latest_day: str | None


def browse_targets(conn: sqlite3.Connection) -> BrowseTargets:
    """Pages worth opening in a corpus, read from the summaries and indexes only."""
    story = conn.execute(
        f"SELECT story_id FROM {WIRE_SUMMARIES} "
        "ORDER BY outlets DESC, copies DESC, first_seen DESC, story_id LIMIT 1"
    ).fetchone()
    copy = None
    if story:
        copy = conn.execute(
            "SELECT id FROM articles WHERE duplicate_of = ? ORDER BY id LIMIT 1", [story[0]]
        ).fetchone()
    site = conn.execute(
        f"SELECT site FROM {SITE_TOTALS} ORDER BY articles DESC, site LIMIT 1"
    ).fetchone()
    day = conn.execute(f"SELECT max(day) FROM {SITE_DAYS} WHERE day != ''").fetchone()
    return BrowseTargets(
        story[0] if story else None,
        copy[0] if copy else None,
        site[0] if site else None,
        day[0] if day else None,
    )
