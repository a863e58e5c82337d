"""Named, re-runnable schema migrations of the corpus (applied in order, each once)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.summaries import SUMMARY_SCHEMA, TRIGGERS, rebuild_sql, totals_rebuild_sql

__all__ = ["MIGRATIONS", "UNDATED", "instant_sql", "migrate"]

MIGRATIONS = Migrations("copydesk")


@MIGRATIONS(name="0001_initial")
def initial(db: Database) -> None:
    """Articles, their raw pages and fingerprints, crawl runs and corpus metadata."""
    db.table("articles").create(
        {
            "id": int,
            "url": str,
            "canonical_url": str,
            "site": str,
            "source": str,
            "title": str,
            "text": str,
            "published": str,
            "authors": str,  # JSON list
            "language": str,
            "site_name": str,
            "description": str,
            "tags": str,  # JSON list
            "image": str,
            "word_count": int,
            "text_hash": str,
            "fetched_at": str,
            "crawl_id": int,
            "duplicate_of": int,
            "relation": str,  # exact | near | contained, NULL for a canonical article
            "similarity": float,
            "containment": float,
            "extractor_version": str,
        },
        pk="id",
        not_null={"url", "canonical_url", "site", "text", "fetched_at"},
        foreign_keys=[("duplicate_of", "articles", "id")],
    )
    articles = db.table("articles")
    articles.create_index(["url"], unique=True)
    articles.create_index(["canonical_url"], unique=True)
    for columns in (["site", "published"], ["published"], ["duplicate_of"], ["text_hash"]):
        articles.create_index(columns)
    articles.enable_fts(["title", "text"], create_triggers=True, tokenize="porter unicode61")

    db.table("pages").create(
        {
            "article_id": int,
            "html_zlib": bytes,  # raw HTML as fetched, zlib-compressed
            "encoding": str,
            "content_type": str,
            "status": int,
        },
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("fingerprints").create(
        {"article_id": int, "fingerprint": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("crawls").create(
        {
            "id": int,
            "spider": str,
            "args": str,  # JSON object
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "pages_fetched": int,
            "articles_stored": int,
            "duplicates": int,
            "dropped": str,  # JSON object: reason -> count
            "errors": int,
            "stats": str,  # JSON object: every Scrapy stat of the run
        },
        pk="id",
    )
    db.table("meta").create({"key": str, "value": str}, pk="key")


@MIGRATIONS(name="0002_articles_view")
def articles_view(db: Database) -> None:
    """A view of articles with publication month, duplicate status and cluster id (datasette)."""
    db.create_view(
        "articles_view",
        """
        select id, title, site, published, substr(published, 1, 7) as published_month,
          language,
          case when duplicate_of is null then 'original' else 'copy' end as duplicate_status,
          coalesce(duplicate_of, id) as cluster_id, duplicate_of, relation, similarity,
          containment, word_count, url, canonical_url, source, site_name, authors, description,
          tags, image, text, text_hash, fetched_at, crawl_id, extractor_version
        from articles
        """,
        replace=True,
    )


@MIGRATIONS(name="0003_discovery")
def discovery(db: Database) -> None:
    """How each URL was found and what became of it, per-source crawl counts and health,
    HTTP validators for conditional GET, and each article's topic relevance."""
    db.table("discoveries").create(
        {
            "url": str,  # canonical URL as requested
            "article_id": int,  # set when stored
            "source": str,
            "via": str,  # feed | sitemap | section | search | list (URLs given to the crawl)
            "found_in": str,  # the feed, sitemap or page that announced the URL
            "first_seen": str,
            "last_seen": str,
            "title": str,
            "published": str,
            "lastmod": str,
            "keywords": str,  # JSON list
            "meta": str,  # JSON object: everything else the announcement said
            "crawl_id": int,
            "outcome": str,  # stored, or why not (a copydesk.reasons value: not_article_type...)
            "outcome_at": str,
        },
        pk="url",
    )
    discoveries = db.table("discoveries")
    for columns in (["article_id"], ["source", "first_seen"], ["outcome"], ["via"]):
        discoveries.create_index(columns)
    db.table("crawl_sources").create(
        {
            "crawl_id": int,
            "source": str,
            "health": str,  # ok | broken
            "problems": str,  # JSON list of {"flag": ..., "detail": ...}
            "feeds_read": int,
            "sitemaps_read": int,
            "sections_read": int,
            "unchanged": int,  # feeds and sitemaps answered 304 Not Modified
            "found": int,  # article URLs announced
            "requested": int,
            "new": int,
            "duplicates": int,
            "skipped": int,  # already stored or already rejected: not fetched
            "dropped": str,  # JSON object: reason -> count
            "errors": int,
        },
        pk=("crawl_id", "source"),
    )
    db.create_view(
        "source_health",
        """
        select cs.source, cs.health, cs.problems, cs.found, cs.new, cs.errors,
          cs.crawl_id, c.started_at
        from crawl_sources cs join crawls c on c.id = cs.crawl_id
        where cs.crawl_id = (select max(crawl_id) from crawl_sources x where x.source = cs.source)
        """,
        replace=True,
    )
    db.table("http_cache").create(
        {
            "url": str,
            "etag": str,
            "last_modified": str,
            "children": str,  # JSON list: child sitemaps of a sitemap index, replayed on 304
            "checked_at": str,
        },
        pk="url",
    )
    articles = db.table("articles")
    if "relevance" not in articles.columns_dict:
        articles.add_column("relevance", float)
        articles.add_column("query", str)


@MIGRATIONS(name="0004_site_furniture")
def site_furniture(db: Database) -> None:
    """Per-site furniture models learned from the corpus (`copydesk furniture learn`)."""
    db.table("site_furniture").create(
        {
            "site": str,
            "model": str,  # JSON: copydesk.extraction.sitefurniture.SiteFurniture.to_json
            "pages": int,  # articles it was learned from
            "learned_at": str,
        },
        pk="site",
        if_not_exists=True,
    )


_DAY_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


#: What `instant_sql` gives a missing (NULL or empty) timestamp: the largest integer, so that
#: undated articles sort after dated ones.
UNDATED = 2**63 - 1


def instant_sql(column: str) -> str:
    """SQL for ``column`` (an ISO 8601 string) as UTC microseconds; `UNDATED` when it is NULL
    or empty; NULL when the reader must parse the string itself.

    Only the two shapes the corpus writes are read: a day (``2025-09-01``) and a whole-second
    instant with its offset (``2025-09-01T13:40:00+02:00``: the page's own local time), and
    only when they name a real date and time (SQLite reads 2025-02-30 as March 2: a modifier
    makes it say so, and the local part must survive that round trip).
    """
    c = column
    local = f"substr({c}, 1, 19)"
    instant = (
        f"length({c}) = 25 AND {c} GLOB "
        f"'{_DAY_GLOB}T[0-9][0-9]:[0-9][0-9]:[0-9][0-9][+-][0-1][0-9]:[0-5][0-9]' "
        f"AND strftime('%Y-%m-%dT%H:%M:%S', {local}, '+0 days') = {local}"
    )
    day = f"length({c}) = 10 AND {c} GLOB '{_DAY_GLOB}' AND date({c}, '+0 days') = {c}"
    return (
        f"CASE WHEN {c} IS NULL OR {c} = '' THEN {UNDATED} "
        f"WHEN {c} >= '0001' AND (({instant}) OR ({day})) "
        f"THEN CAST(strftime('%s', {c}) AS INTEGER) * 1000000 END"
    )


#: Generated integer instants of `articles` and the text columns they read.
_INSTANT_COLUMNS = (("published_us", "published"), ("fetched_us", "fetched_at"))


def _add_instant_columns(db: Database) -> None:
    """The generated instant columns and the index dedup rebuilds its order from."""
    for name, source in _INSTANT_COLUMNS:
        db.execute(
            f"ALTER TABLE articles ADD COLUMN {name} INTEGER "
            f"GENERATED ALWAYS AS ({instant_sql(source)}) VIRTUAL"
        )
    db.execute(
        "CREATE INDEX IF NOT EXISTS articles_dedup_order "
        "ON articles (id, published_us, fetched_us, duplicate_of)"
    )


@MIGRATIONS(name="0005_dedup_order")
def dedup_order(db: Database) -> None:
    """Publication and fetch instants as integers, and an index that holds them by article id,
    so dedup rebuilds its index without reading (or parsing) a row of article text."""
    _add_instant_columns(db)


@MIGRATIONS(name="0006_browse_summaries")
def browse_summaries(db: Database) -> None:
    """Articles per site per day and one row per wire story, kept by triggers in the writer's
    transaction (`storage.summaries`), filled here from the stored articles; indexes for the
    facets the browser offers."""
    for statement in SUMMARY_SCHEMA:
        db.execute(statement)
    for statement in rebuild_sql():
        db.execute(statement)
    for name, columns in (("language", "language"), ("relation", "relation, duplicate_of")):
        db.execute(f"CREATE INDEX IF NOT EXISTS articles_{name} ON articles ({columns})")


@MIGRATIONS(name="0007_browse_totals")
def browse_totals(db: Database) -> None:
    """Articles per day and per site (the charts' totals and busiest sites), kept by the same
    triggers as `site_days` (re-created here) and filled from it."""
    for trigger in TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in SUMMARY_SCHEMA:
        db.execute(statement)
    for statement in totals_rebuild_sql():
        db.execute(statement)


@MIGRATIONS(name="0008_offset_instants")
def offset_instants(db: Database) -> None:
    """``published_us`` and ``fetched_us`` read instants at any UTC offset, now that
    ``published`` keeps the page's own offset (extractor version 7): the generated columns and
    their index are made again with the wider expression."""
    db.execute("DROP INDEX IF EXISTS articles_dedup_order")
    for name, _ in _INSTANT_COLUMNS:
        db.execute(f"ALTER TABLE articles DROP COLUMN {name}")
    _add_instant_columns(db)


@MIGRATIONS(name="0009_handoff")
def handoff(db: Database) -> None:
    """A crawl shard's record of the URLs a remote writer confirmed stored (multi-machine
    crawls: the articles themselves are in the writer's corpus, not here)."""
    db.table("handoff_stored").create(
        {
            "url": str,  # an article's URL or canonical URL
            "article_id": int,  # its id in the writer's corpus
            "confirmed_at": str,
        },
        pk="url",
        if_not_exists=True,
    )


@MIGRATIONS(name="0010_dedup_deferred")
def dedup_deferred(db: Database) -> None:
    """``dedup_deferred`` is 1 on an article stored while older than the dedup window
    (``COPYDESK_DEDUP_WINDOW``): it was not compared, and stays canonical of its own until
    ``copydesk recluster --window`` places it (NULL otherwise)."""
    articles = db.table("articles")
    if "dedup_deferred" not in articles.columns_dict:
        articles.add_column("dedup_deferred", int)
    db.execute(
        "CREATE INDEX IF NOT EXISTS articles_dedup_deferred ON articles (dedup_deferred) "
        "WHERE dedup_deferred IS NOT NULL"
    )


@MIGRATIONS(name="0011_published_guess")
def published_guess(db: Database) -> None:
    """``published_guess``: a day printed near the headline of a page that states no date in
    its markup, URL or dateline (extractor version 10), kept apart from ``published``."""
    articles = db.table("articles")
    if "published_guess" not in articles.columns_dict:
        articles.add_column("published_guess", str)


def migrate(db: Database) -> None:
    """Apply every pending migration."""
    MIGRATIONS.apply(db)
