"""Datasette configuration of a corpus: titles, descriptions, facets, canned queries, page SQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

__all__ = [
    "CHART_DAILY_SQL",
    "CORPUS_DESCRIPTION",
    "CORPUS_TITLE",
    "HIDDEN_TABLES",
    "WIRE_CLUSTER_SQL",
    "WIRE_ROOT_SQL",
    "database_metadata",
    "is_corpus",
    "metadata",
]

CORPUS_TITLE = "Copydesk news corpus"
CORPUS_DESCRIPTION = (
    "News articles collected by Copydesk: clean text and metadata extracted from each page, "
    "with wire copy (the same agency story republished by several outlets) grouped into "
    "clusters. Browse `articles_view` to facet by site, language, month and duplicate status, "
    "or open a wire story from the `wire_stories` query."
)

#: Tables of raw material (compressed HTML, MinHash signatures, bookkeeping) kept out of the
#: table lists; they stay reachable by URL and SQL.
HIDDEN_TABLES = ("pages", "fingerprints", "meta", "_sqlite_migrations")

_ARTICLE_COLUMNS = {
    "id": "Article id; a copy's duplicate_of points at its canonical article.",
    "url": "The URL the page was fetched from.",
    "canonical_url": "The page's canonical URL (rel=canonical or og:url), else its URL.",
    "site": "Host of the outlet, without www.",
    "source": "Source name from sources.toml (or the URL given to the crawl).",
    "title": "Headline.",
    "text": "Clean article text: paragraphs separated by blank lines.",
    "published": "Publication date or time (ISO 8601) as the page states it.",
    "published_month": "Month of publication (YYYY-MM).",
    "authors": "Authors (JSON list).",
    "language": "Language code detected or declared by the page.",
    "site_name": "The outlet's own name for itself.",
    "description": "The page's summary (meta description).",
    "tags": "Keywords and categories (JSON list).",
    "image": "Lead image URL.",
    "word_count": "Words in the clean text.",
    "text_hash": "Hash of the normalised clean text (exact duplicates share it).",
    "fetched_at": "When the crawl fetched the page (UTC).",
    "crawl_id": "The crawl that stored the article.",
    "duplicate_of": "The canonical article this one copies; empty for an original.",
    "duplicate_status": "original, or copy of another article (wire copy, syndication).",
    "relation": "How it copies: exact, near (edited copy) or contained (a cut-down copy).",
    "similarity": "Estimated Jaccard similarity of word shingles with the canonical article.",
    "containment": "Share of this article's shingles found in the canonical article.",
    "cluster_id": "Id of the canonical article of its wire-story cluster.",
    "extractor_version": "Version of the extractor that produced the text.",
    "published_us": "Publication instant in UTC microseconds, as dedup orders articles "
    "(generated from published; empty for a shape only Python reads).",
    "fetched_us": "Fetch instant in UTC microseconds (generated from fetched_at).",
}

_CRAWL_COLUMNS = {
    "spider": "Spider that ran.",
    "args": "Spider arguments (JSON).",
    "started_at": "Start (UTC).",
    "finished_at": "End (UTC); empty while running or after a hard kill.",
    "finish_reason": "Why Scrapy stopped: finished, shutdown, closespider_*.",
    "pages_fetched": "Pages downloaded.",
    "articles_stored": "New articles stored.",
    "duplicates": "Stored articles that copy another.",
    "dropped": "Pages skipped, by reason (JSON).",
    "errors": "Download and spider errors.",
    "stats": "Every Scrapy stat of the run (JSON).",
}

# Time an article appeared: its publication date, else when it was fetched.
_SEEN = "coalesce(a.published, a.fetched_at)"

WIRE_STORIES_SQL = f"""
with members as (
  select coalesce(a.duplicate_of, a.id) as cluster_id, a.id, a.site, {_SEEN} as seen
  from articles a
),
clusters as (
  select cluster_id, count(*) as copies, count(distinct site) as outlets,
    min(seen) as first_seen, max(seen) as last_seen
  from members group by cluster_id having count(distinct site) > 1
)
select c.cluster_id as wire_story, canon.title, c.outlets, c.copies,
  (select m.site from members m where m.cluster_id = c.cluster_id
   order by m.seen, m.id limit 1) as first_publisher,
  c.first_seen, c.last_seen,
  round((julianday(c.last_seen) - julianday(c.first_seen)) * 24, 1) as hours_to_last_copy
from clusters c join articles canon on canon.id = c.cluster_id
order by c.outlets desc, c.copies desc, c.first_seen desc, c.cluster_id
limit 200
""".strip()

ARTICLE_COPIES_SQL = f"""
select a.id, a.site, a.title, a.published, a.fetched_at,
  case when a.duplicate_of is null then 'canonical' else 'copy' end as status,
  a.relation, a.similarity, a.containment, a.word_count, a.url,
  coalesce(a.duplicate_of, a.id) as wire_story
from articles a
where coalesce(a.duplicate_of, a.id) =
  (select coalesce(duplicate_of, id) from articles where id = :id)
order by {_SEEN}, a.id
""".strip()

SEARCH_SQL = """
select a.id, a.published, a.site, a.title,
  snippet(articles_fts, -1, '[', ']', ' … ', 16) as snippet,
  case when a.duplicate_of is null then 'original' else 'copy' end as duplicate_status,
  a.url
from articles_fts join articles a on a.rowid = articles_fts.rowid
where articles_fts match :q
  and (:since = '' or a.published >= :since)
  and (:until = '' or substr(a.published, 1, length(:until)) <= :until)
order by articles_fts.rank, a.published desc
limit 500
""".strip()

SITE_VOLUME_SQL = f"""
select date({_SEEN}) as day, a.site, count(*) as articles,
  sum(a.duplicate_of is null) as originals, sum(a.duplicate_of is not null) as copies
from articles a
group by day, a.site
order by day desc, a.site
""".strip()

# Health flags derived from the columns every crawl row has; see the report of issue 6 for
# the columns to add once crawls record source health.
LATEST_CRAWLS_SQL = """
select id, spider, started_at, finished_at, finish_reason, pages_fetched, articles_stored,
  duplicates, errors, dropped,
  round((julianday(finished_at) - julianday(started_at)) * 86400) as seconds,
  trim(
    case when finished_at is null then 'unfinished ' else '' end ||
    case when finish_reason is not null and finish_reason != 'finished'
      then 'stopped:' || finish_reason || ' ' else '' end ||
    case when coalesce(errors, 0) > 0 then 'errors ' else '' end ||
    case when finished_at is not null and coalesce(pages_fetched, 0) = 0
      then 'nothing-fetched ' else '' end ||
    case when finished_at is not null and coalesce(pages_fetched, 0) > 0
      and coalesce(articles_stored, 0) = 0 then 'no-new-articles ' else '' end
  ) as health_flags,
  (select group_concat(cs.source || ': ' || cs.health || ' ' || coalesce(cs.problems, ''), '; ')
     from crawl_sources cs where cs.crawl_id = crawls.id and cs.health != 'ok') as broken_sources
from crawls
order by id desc
limit 50
""".strip()

#: The canonical article of the cluster an article belongs to.
WIRE_ROOT_SQL = "select coalesce(duplicate_of, id) from articles where id = :id"

#: Every member of a cluster, canonical first, then copies in order of appearance.
WIRE_CLUSTER_SQL = f"""
select a.id, a.url, a.site, a.site_name, a.title, a.text, a.published, a.fetched_at,
  a.duplicate_of, a.relation, a.similarity, a.containment, a.word_count,
  {_SEEN} as seen
from articles a
where a.id = :root or a.duplicate_of = :root
order by a.duplicate_of is not null, {_SEEN}, a.id
""".strip()

#: Articles and copies per day and site, for the front-page charts.
CHART_DAILY_SQL = f"""
select date({_SEEN}) as day, a.site, count(*) as articles,
  sum(a.duplicate_of is not null) as copies
from articles a
where date({_SEEN}) is not null
group by day, a.site
order by day, a.site
""".strip()


def _queries() -> dict[str, dict[str, Any]]:
    return {
        "wire_stories": {
            "title": "Biggest wire stories",
            "description": (
                "Clusters of copies of one story, by number of outlets: who published first "
                "and how long until the last copy appeared. Click a wire_story id for the "
                "side-by-side page."
            ),
            "sql": WIRE_STORIES_SQL,
        },
        "article_copies": {
            "title": "All copies of one article",
            "description": "Every article in the same cluster as article :id, oldest first.",
            "sql": ARTICLE_COPIES_SQL,
        },
        "search": {
            "title": "Search articles in a date range",
            "description": (
                "Full-text search over title and text (SQLite FTS5 syntax: words, "
                '"a phrase", OR, NOT, prefix*). Leave since/until empty for all dates; '
                "dates as YYYY-MM-DD."
            ),
            "sql": SEARCH_SQL,
        },
        "site_volume": {
            "title": "Articles per site per day",
            "description": "Articles, originals and copies by day of publication and site.",
            "sql": SITE_VOLUME_SQL,
        },
        "latest_crawls": {
            "title": "Latest crawls",
            "description": (
                "The last 50 crawl runs with their counts and health flags: unfinished, "
                "stopped early, errors, nothing fetched, no new articles."
            ),
            "sql": LATEST_CRAWLS_SQL,
        },
    }


def database_metadata() -> dict[str, Any]:
    """Metadata of one corpus database: table settings and canned queries."""
    browse = {
        "description": "Articles.",
        "columns": _ARTICLE_COLUMNS,
        "sort_desc": "published",
        "facets": ["site", "language", "relation"],
        "label_column": "title",
    }
    return {
        "title": CORPUS_TITLE,
        "description": CORPUS_DESCRIPTION,
        "tables": {
            "articles": {
                **browse,
                "description": (
                    "Every stored article, originals and copies. Full-text search covers "
                    "title and text."
                ),
                "fts_table": "articles_fts",
                "fts_pk": "id",
                "searchmode": "raw",
            },
            "articles_view": {
                **browse,
                "description": (
                    "Articles with their publication month and duplicate status, for faceting."
                ),
                "facets": ["site", "language", "published_month", "duplicate_status"],
                "fts_table": "articles_fts",
                "fts_pk": "id",
                "searchmode": "raw",
            },
            "crawls": {
                "description": "One row per crawl run.",
                "columns": _CRAWL_COLUMNS,
                "sort_desc": "id",
                "facets": ["finish_reason"],
            },
            **{name: {"hidden": True} for name in HIDDEN_TABLES},
        },
        "queries": _queries(),
    }


def metadata(database_names: list[str]) -> dict[str, Any]:
    """Full datasette metadata for a server showing the given corpus databases."""
    return {
        "title": CORPUS_TITLE,
        "description": CORPUS_DESCRIPTION,
        "databases": {name: database_metadata() for name in database_names},
    }


def is_corpus(path: str | Path) -> bool:
    """Whether the SQLite file at ``path`` is a Copydesk corpus (read-only check)."""
    try:
        conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        names = {
            row[0]
            for row in conn.execute(
                "select name from sqlite_master where type = 'table' "
                "and name in ('articles', 'crawls', 'fingerprints')"
            )
        }
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return len(names) == 3
