"""Named, re-runnable schema migrations of the corpus (applied in order, each once)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

__all__ = ["MIGRATIONS", "migrate"]

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


def migrate(db: Database) -> None:
    """Apply every pending migration."""
    MIGRATIONS.apply(db)
