"""Datasette configuration of a corpus: titles, descriptions, facets, canned queries, page SQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from storage.summaries import DAY_TOTALS, SITE_DAYS, SITE_TOTALS, WIRE_SUMMARIES

__all__ = [
    "ALSO_RAN_SQL",
    "ARTICLES_COUNT_SQL",
    "ARTICLES_HINT_SQL",
    "ARTICLE_SQL",
    "CHART_DAILY_SQL",
    "CHART_RANGE_SQL",
    "CHART_TOP_SITES_SQL",
    "CORPUS_DESCRIPTION",
    "CORPUS_TITLE",
    "COUNTED_TABLES",
    "FACET_LIMIT",
    "HIDDEN_TABLES",
    "SEARCH_FLOOR_SQL",
    "SEARCH_PAGE_SQL",
    "SITE_DAILY_SQL",
    "SITE_LATEST_SQL",
    "SITE_TOTALS_SQL",
    "SOURCE_HEALTH_SQL",
    "WIRE_CLUSTER_SQL",
    "WIRE_ROOT_SQL",
    "articles_hint",
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
    "published_guess": (
        "Only where the page states no date: a day printed near the headline (YYYY-MM-DD), "
        "a guess, never the publication date."
    ),
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
    "dedup_deferred": "1: stored while older than the dedup window (COPYDESK_DEDUP_WINDOW), so "
    "not yet compared with other articles; `copydesk recluster --window` places it. Empty: "
    "compared.",
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
select w.story_id as wire_story, canon.title, w.outlets, w.copies, w.first_publisher,
  w.first_seen, w.last_seen,
  round((julianday(w.last_seen) - julianday(w.first_seen)) * 24, 1) as hours_to_last_copy
from {WIRE_SUMMARIES} w join articles canon on canon.id = w.story_id
where w.outlets > 1
order by w.outlets desc, w.copies desc, w.first_seen desc, w.story_id
limit 200
""".strip()

ARTICLE_COPIES_SQL = f"""
with root as (select coalesce(duplicate_of, id) as id from articles where id = :id)
select a.id, a.site, a.title, a.published, a.fetched_at,
  case when a.duplicate_of is null then 'canonical' else 'copy' end as status,
  a.relation, a.similarity, a.containment, a.word_count, a.url,
  coalesce(a.duplicate_of, a.id) as wire_story
from articles a
where a.id = (select id from root) or a.duplicate_of = (select id from root)
order by {_SEEN}, a.id
""".strip()

# Newest stored first: FTS5 hands the matches over in rowid order, so the query stops after
# the rows it shows and snippet() runs for those only (ranking every match of a common word
# takes seconds at a million articles; the search page offers best-first).
SEARCH_SQL = """
select a.id, a.published, a.site, a.title,
  snippet(articles_fts, -1, '[', ']', ' … ', 16) as snippet,
  case when a.duplicate_of is null then 'original' else 'copy' end as duplicate_status,
  a.url
from articles_fts join articles a on a.rowid = articles_fts.rowid
where articles_fts match :q
  and (:since = '' or a.published >= :since)
  and (:until = '' or substr(a.published, 1, length(:until)) <= :until)
order by articles_fts.rowid desc
limit 100
""".strip()

SITE_VOLUME_SQL = f"""
select day, site, articles, articles - copies as originals, copies
from {SITE_DAYS}
where day <= coalesce(nullif(:until, ''), '9999')
order by day desc, articles desc, site
limit 200
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

#: The days the summaries cover.
CHART_RANGE_SQL = (
    f"select (select min(day) from {DAY_TOTALS} where day > ''), "
    f"(select max(day) from {DAY_TOTALS} where day > '')"
)

#: The busiest sites of the corpus, :top of them.
CHART_TOP_SITES_SQL = f"""
select site, articles from {SITE_TOTALS} order by articles desc, site limit :top
""".strip()

#: Articles and copies per day between :since and :until (days, inclusive) of each site in
#: :sites (a JSON list), and of all sites together (series '').
CHART_DAILY_SQL = f"""
select day, site as series, articles, copies from {SITE_DAYS}
where site in (select value from json_each(:sites)) and day between :since and :until
union all
select day, '' as series, articles, copies from {DAY_TOTALS}
where day between :since and :until
""".strip()

#: One site's articles and copies per day.
SITE_DAILY_SQL = f"""
select day, site as series, articles, copies from {SITE_DAYS}
where site = :site and day between :since and :until order by day
""".strip()

#: One site's totals and the days it covers.
SITE_TOTALS_SQL = f"""
select sum(articles) as articles, sum(copies) as copies, min(day) as first_day,
  max(day) as last_day, count(*) as days
from {SITE_DAYS} where site = :site and day != ''
""".strip()

#: One site's latest articles.
SITE_LATEST_SQL = """
select id, title, published, fetched_at, authors, language, duplicate_of, relation, source
from articles where site = :site
order by published desc limit :limit
""".strip()

#: The health of a crawl source as its latest crawl left it.
SOURCE_HEALTH_SQL = """
select source, health, problems, found, new, errors, crawl_id, started_at
from source_health where source = :source
""".strip()

#: One article, every column a reader sees.
ARTICLE_SQL = """
select id, url, site, site_name, source, title, text, published, fetched_at, authors, language,
  description, tags, image, word_count, duplicate_of, relation, similarity, containment
from articles where id = :id
""".strip()

#: The other members of an article's cluster (:root is its canonical), oldest first.
ALSO_RAN_SQL = f"""
select a.id, a.site, a.title, a.published, a.fetched_at, a.url, a.duplicate_of, a.relation,
  a.similarity, a.containment
from articles a
where (a.id = :root or a.duplicate_of = :root) and a.id != :id
order by {_SEEN}, a.id
""".strip()

_SEARCH_PAGE_SQL = """
select f.rowid as id, a.site, a.title, a.published, a.duplicate_of, a.relation,
  snippet(articles_fts, 1, char(2), char(3), ' … ', 24) as snippet
from articles_fts f join articles a on a.id = f.rowid
where articles_fts match :q and f.rowid >= :floor
order by {order}
limit :limit offset :offset
""".strip()

#: The rowid of the :window-th newest match of :q (NULL when there are fewer): best-first
#: search ranks the matches from there on, so its cost is bounded by :window, not by how
#: common the words are.
SEARCH_FLOOR_SQL = """
select rowid from articles_fts where articles_fts match :q
order by rowid desc limit 1 offset :window
""".strip()

#: Full-text search, best matches first (FTS5 rank, among the matches from :floor on) or
#: newest stored first (rowid); snippet highlights are marked with the characters 0x02 and
#: 0x03.
SEARCH_PAGE_SQL = {
    "best": _SEARCH_PAGE_SQL.format(order="f.rank"),
    "newest": _SEARCH_PAGE_SQL.format(order="f.rowid desc"),
}

#: Articles stored, from the per-site totals (exact, without counting article rows).
ARTICLES_COUNT_SQL = f"select coalesce(sum(articles), 0) from {SITE_TOTALS}"

#: Tables small enough (or with rows small enough) for datasette to count on every page; the
#: others (search-index shadow tables, raw pages, fingerprints, discoveries) hold millions of
#: rows or megabytes of blobs that ``count(*)`` walks however short the time limit.
COUNTED_TABLES = (
    "crawls",
    "crawl_sources",
    "meta",
    "http_cache",
    "site_furniture",
    "_sqlite_migrations",
    SITE_DAYS,
    DAY_TOTALS,
    SITE_TOTALS,
    WIRE_SUMMARIES,
)

#: Articles stored, read off the primary key (an upper bound: ids of deleted rows count).
ARTICLES_HINT_SQL = "select coalesce(max(rowid), 0) from articles"


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
                '"a phrase", OR, NOT, prefix*), the 100 newest matches. Leave since/until '
                "empty for all dates; dates as YYYY-MM-DD. The search page (-/search) has "
                "best-first order and more pages."
            ),
            "sql": SEARCH_SQL,
        },
        "site_volume": {
            "title": "Articles per site per day",
            "description": (
                "Articles, originals and copies by day of publication and site, 200 rows "
                "from the latest day back; set until (YYYY-MM-DD) to look further back."
            ),
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


#: Above this many articles the article tables open without facets: a facet counts every
#: matching row, which takes longer than a page may at a million articles. Per-site and
#: per-day counts come from the summary tables instead; ``?_facet=`` still asks for one.
FACET_LIMIT = 50_000

_FACETS_OFF = (
    f" Facets are off above {FACET_LIMIT:,} articles (they would count every row): open a "
    "site's page or `site_days` for counts, or add `?_facet=column` to ask anyway."
)


def database_metadata(articles: int = 0) -> dict[str, Any]:
    """Metadata of one corpus database of about ``articles`` articles: table settings and
    canned queries."""
    small = articles <= FACET_LIMIT
    browse = {
        "description": "Articles.",
        "columns": dict(_ARTICLE_COLUMNS),
        "sort_desc": "published",
        "facets": ["site", "language", "relation"] if small else [],
        "label_column": "title",
        "size": 30,
    }
    note = "" if small else _FACETS_OFF
    return {
        "title": CORPUS_TITLE,
        "description": CORPUS_DESCRIPTION,
        "tables": {
            "articles": {
                **browse,
                "description": (
                    "Every stored article, originals and copies. Full-text search covers "
                    "title and text. Click a title for the article page." + note
                ),
                "fts_table": "articles_fts",
                "fts_pk": "id",
                "searchmode": "raw",
            },
            "articles_view": {
                **browse,
                "description": (
                    "Articles with their publication month and duplicate status, for faceting."
                    + note
                ),
                "facets": (
                    ["site", "language", "published_month", "duplicate_status"] if small else []
                ),
                "fts_table": "articles_fts",
                "fts_pk": "id",
                "searchmode": "raw",
            },
            "crawls": {
                "description": "One row per crawl run.",
                "columns": dict(_CRAWL_COLUMNS),
                "sort_desc": "id",
                "facets": ["finish_reason"],
            },
            SITE_DAYS: {
                "description": (
                    "Articles and copies per site per UTC day of publication (else of fetch), "
                    "kept by the corpus in the same transaction as the articles."
                ),
                "sort_desc": "day",
            },
            DAY_TOTALS: {
                "description": "Articles and copies per UTC day, all sites together.",
                "sort_desc": "day",
            },
            SITE_TOTALS: {
                "description": "Articles and copies per site, all days together.",
                "sort_desc": "articles",
            },
            WIRE_SUMMARIES: {
                "description": (
                    "One row per wire story (a cluster with copies): outlets, copies, first "
                    "publisher, first and last seen; kept with the articles."
                ),
                "sort_desc": "first_seen",
            },
            **{name: {"hidden": True} for name in HIDDEN_TABLES},
        },
        "queries": _queries(),
    }


def metadata(databases: dict[str, int]) -> dict[str, Any]:
    """Full datasette metadata for a server showing the given corpus databases (name ->
    about how many articles each holds)."""
    return {
        "title": CORPUS_TITLE,
        "description": CORPUS_DESCRIPTION,
        "databases": {name: database_metadata(n) for name, n in databases.items()},
    }


def articles_hint(path: str | Path) -> int:
    """About how many articles the corpus at ``path`` holds (read-only, off the primary key)."""
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return int(conn.execute(ARTICLES_HINT_SQL).fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


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
