"""The SQL of multi-machine crawls: a shard's confirmed URLs, and the writer's URL lookups."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.corpus import Corpus, in_chunks, utcnow
from storage.discovery import HANDED_OFF, STORED

__all__ = [
    "Confirmation",
    "article_ids",
    "confirmed_position",
    "origin_id",
    "record_confirmed",
    "settle_discoveries",
]

ORIGIN_KEY = "handoff_origin"
POSITION_KEY = "handoff_confirmed_to"


@dataclass(frozen=True)
class Confirmation:
    """The writer's word that an article a shard handed off is in the corpus, as ``article_id``."""

    url: str
    canonical_url: str
    article_id: int


def origin_id(corpus: Corpus) -> str:
    """This state database's identity in the hand-off (made on first use, then kept): the
    writer sends its confirmations to the stream named after it."""
    found = corpus.get_meta(ORIGIN_KEY)
    if found is None:
        found = uuid.uuid4().hex[:16]
        corpus.set_meta(ORIGIN_KEY, found)
    return found


def confirmed_position(corpus: Corpus) -> str:
    """The id of the last confirmation recorded (``0-0`` before the first)."""
    return corpus.get_meta(POSITION_KEY) or "0-0"


def record_confirmed(corpus: Corpus, confirmations: Sequence[Confirmation], position: str) -> None:
    """Record confirmed URLs (never fetched again) and move the read position, in one
    transaction: reading the same confirmations again changes nothing."""
    now = utcnow()
    with corpus.db.atomic():
        corpus.db.conn.executemany(
            "INSERT INTO handoff_stored (url, article_id, confirmed_at) VALUES (?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET article_id = excluded.article_id",
            [
                (url, c.article_id, now)
                for c in confirmations
                for url in dict.fromkeys((c.url, c.canonical_url))
            ],
        )
        corpus.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [POSITION_KEY, position],
        )


def settle_discoveries(corpus: Corpus) -> int:
    """Mark discoveries handed off and since confirmed as stored; how many changed."""
    with corpus.db.atomic():
        cursor = corpus.db.execute(
            "UPDATE discoveries SET outcome = ?, outcome_at = ?, article_id = "
            "(SELECT h.article_id FROM handoff_stored h WHERE h.url = discoveries.url) "
            "WHERE outcome = ? "
            "AND url IN (SELECT url FROM handoff_stored)",
            [STORED, utcnow(), HANDED_OFF],
        )
    return cursor.rowcount


def article_ids(corpus: Corpus, urls: Iterable[str]) -> dict[str, int]:
    """``{url: article id}`` for those of ``urls`` stored as an article's URL or canonical URL."""
    found: dict[str, int] = {}
    for chunk, marks in in_chunks(urls, 400):
        sql = (
            f"SELECT url, id FROM articles WHERE url IN ({marks}) "
            f"UNION ALL SELECT canonical_url, id FROM articles WHERE canonical_url IN ({marks})"
        )
        found.update((url, int(i)) for url, i in corpus.db.execute(sql, chunk + chunk))
    return found
