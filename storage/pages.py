"""Stored pages for re-extraction, extraction updates, and per-site furniture models; their SQL."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage.corpus import Corpus, utcnow

__all__ = [
    "ExtractionUpdate",
    "StoredFurniture",
    "StoredPage",
    "TextUpdate",
    "count_pages",
    "furniture_models",
    "load_furniture",
    "save_furniture",
    "site_paragraphs",
    "site_texts",
    "sites",
    "stored_pages",
    "update_extractions",
    "update_texts",
]


@dataclass(frozen=True)
class StoredPage:
    """One stored article with its raw HTML and what its row holds now."""

    article_id: int
    url: str
    site: str
    html: bytes
    encoding: str | None
    extractor_version: str | None
    #: The stored extraction fields, as :class:`ExtractionUpdate` would write them.
    current: dict[str, Any] = field(default_factory=dict, compare=False)


#: Article columns an extraction sets (besides extractor_version and text_hash).
EXTRACTION_FIELDS = (
    "title",
    "text",
    "published",
    "published_guess",
    "authors",
    "language",
    "site_name",
    "description",
    "tags",
    "image",
)


@dataclass(frozen=True)
class ExtractionUpdate:
    """New extraction results for one stored article."""

    article_id: int
    text: str
    text_hash: str
    extractor_version: str
    title: str | None = None
    published: str | None = None
    published_guess: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    fingerprint: bytes | None = None

    def fields(self) -> dict[str, Any]:
        """The extraction columns as stored (lists as JSON), for comparing with a stored row."""
        return {
            "title": self.title,
            "text": self.text,
            "published": self.published,
            "published_guess": self.published_guess,
            "authors": json.dumps(self.authors, ensure_ascii=False),
            "language": self.language,
            "site_name": self.site_name,
            "description": self.description,
            "tags": json.dumps(self.tags, ensure_ascii=False),
            "image": self.image,
        }


@dataclass(frozen=True)
class TextUpdate:
    """A new text (and its hash and fingerprint) for one stored article."""

    article_id: int
    text: str
    text_hash: str
    fingerprint: bytes | None = None


@dataclass(frozen=True)
class StoredFurniture:
    """A site's learned furniture model as stored."""

    site: str
    model: str  # JSON, see copydesk.extraction.sitefurniture.SiteFurniture.to_json
    pages: int
    learned_at: str


def _page_filter(stale_for: str | None, site: str | None) -> tuple[str, list[Any]]:
    where, params = [], []
    if stale_for is not None:
        where.append("(a.extractor_version IS NULL OR a.extractor_version != ?)")
        params.append(stale_for)
    if site is not None:
        where.append("a.site = ?")
        params.append(site)
    return (" AND ".join(where) or "1"), params


def count_pages(corpus: Corpus, *, stale_for: str | None = None, site: str | None = None) -> int:
    """How many stored pages :func:`stored_pages` would yield with the same filters."""
    where, params = _page_filter(stale_for, site)
    sql = f"SELECT COUNT(*) FROM pages p JOIN articles a ON a.id = p.article_id WHERE {where}"
    return int(corpus.db.execute(sql, params).fetchone()[0])


def stored_pages(
    corpus: Corpus,
    *,
    stale_for: str | None = None,
    site: str | None = None,
    batch: int = 100,
) -> Iterator[list[StoredPage]]:
    """Stored pages with their HTML decompressed, in article id order, in lists of ``batch``.

    ``stale_for``: only pages whose row was extracted by another extractor version than this
    one. ``site``: only this site's pages. Rows may be updated between batches (keyset paging).
    """
    where, params = _page_filter(stale_for, site)
    columns = ", ".join(f"a.{c}" for c in EXTRACTION_FIELDS)
    sql = (
        "SELECT a.id, a.url, a.site, p.html_zlib, p.encoding, a.extractor_version, "
        f"{columns} FROM pages p JOIN articles a ON a.id = p.article_id "
        f"WHERE a.id > ? AND {where} ORDER BY a.id LIMIT ?"
    )
    last = 0
    while True:
        rows = corpus.db.execute(sql, [last, *params, batch]).fetchall()
        if not rows:
            return
        yield [
            StoredPage(
                article_id=int(row[0]),
                url=row[1],
                site=row[2],
                html=zlib.decompress(row[3]) if row[3] is not None else b"",
                encoding=row[4],
                extractor_version=row[5],
                current=dict(zip(EXTRACTION_FIELDS, row[6:], strict=True)),
            )
            for row in rows
        ]
        last = int(rows[-1][0])


def update_extractions(corpus: Corpus, updates: Sequence[ExtractionUpdate]) -> None:
    """Write new extraction fields, word counts, hashes, versions and fingerprints atomically.

    Full-text search follows through the articles_fts triggers.
    """
    if not updates:
        return
    with corpus.db.atomic():
        corpus.db.conn.executemany(
            "UPDATE articles SET title = ?, text = ?, published = ?, published_guess = ?, "
            "authors = ?, language = ?, "
            "site_name = ?, description = ?, tags = ?, image = ?, word_count = ?, text_hash = ?, "
            "extractor_version = ? WHERE id = ?",
            [
                (
                    *u.fields().values(),
                    len(u.text.split()),
                    u.text_hash,
                    u.extractor_version,
                    u.article_id,
                )
                for u in updates
            ],
        )
        _put_fingerprints(corpus, [(u.article_id, u.fingerprint) for u in updates])


def update_texts(corpus: Corpus, updates: Sequence[TextUpdate]) -> None:
    """Write new texts (with word counts, hashes and fingerprints) atomically."""
    if not updates:
        return
    with corpus.db.atomic():
        corpus.db.conn.executemany(
            "UPDATE articles SET text = ?, word_count = ?, text_hash = ? WHERE id = ?",
            [(u.text, len(u.text.split()), u.text_hash, u.article_id) for u in updates],
        )
        _put_fingerprints(corpus, [(u.article_id, u.fingerprint) for u in updates])


def _put_fingerprints(corpus: Corpus, rows: Sequence[tuple[int, bytes | None]]) -> None:
    corpus.db.conn.executemany(
        "INSERT INTO fingerprints (article_id, fingerprint) VALUES (?, ?) "
        "ON CONFLICT(article_id) DO UPDATE SET fingerprint = excluded.fingerprint",
        [(i, fp) for i, fp in rows if fp is not None],
    )


# -- sites and their furniture ----------------------------------------------------------------


def sites(corpus: Corpus) -> list[tuple[str, int]]:
    """(site, number of stored articles) for every site, by site name."""
    rows = corpus.db.execute(
        "SELECT site, COUNT(*) FROM articles GROUP BY site ORDER BY site"
    ).fetchall()
    return [(row[0], int(row[1])) for row in rows]


def site_texts(
    corpus: Corpus, site: str, batch: int = 500
) -> Iterator[list[tuple[int, str, str | None]]]:
    """(id, text, title) of one site's articles in id order, in lists of up to ``batch``."""
    last = 0
    while True:
        rows = corpus.db.execute(
            "SELECT id, text, title FROM articles WHERE site = ? AND id > ? ORDER BY id LIMIT ?",
            [site, last, batch],
        ).fetchall()
        if not rows:
            return
        yield [(int(r[0]), r[1], r[2]) for r in rows]
        last = int(rows[-1][0])


def site_paragraphs(corpus: Corpus, site: str) -> Iterator[list[str]]:
    """The paragraphs (text split on blank lines) of each stored article of ``site``."""
    for rows in site_texts(corpus, site):
        for _, text, _ in rows:
            yield [p for p in text.split("\n\n") if p.strip()]


def save_furniture(corpus: Corpus, site: str, model: str, pages: int) -> None:
    """Store (or replace) a site's furniture model, a JSON document."""
    with corpus.db.atomic():
        corpus.db.execute(
            "INSERT INTO site_furniture (site, model, pages, learned_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(site) DO UPDATE SET model = excluded.model, pages = excluded.pages, "
            "learned_at = excluded.learned_at",
            [site, model, pages, utcnow()],
        )


def load_furniture(corpus: Corpus, site: str) -> StoredFurniture | None:
    """A site's stored furniture model, or None if none was learned."""
    row = corpus.db.execute(
        "SELECT site, model, pages, learned_at FROM site_furniture WHERE site = ?", [site]
    ).fetchone()
    return StoredFurniture(row[0], row[1], int(row[2] or 0), row[3]) if row else None


def furniture_models(corpus: Corpus) -> dict[str, StoredFurniture]:
    """Every stored furniture model, by site."""
    rows = corpus.db.execute(
        "SELECT site, model, pages, learned_at FROM site_furniture ORDER BY site"
    ).fetchall()
    return {row[0]: StoredFurniture(row[0], row[1], int(row[2] or 0), row[3]) for row in rows}
