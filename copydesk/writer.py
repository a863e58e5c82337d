"""The writer of multi-machine crawls: reads handed-off articles, deduplicates, stores, confirms.

One writer per corpus. It reads the stream through a consumer group, gives each article its id
and cluster with the same :class:`~copydesk.dedup.Deduper` a single-process crawl uses, writes
a batch in one transaction, and only then confirms each article to its shard and acknowledges
(and deletes) the entries. Killed between the commit and the acknowledgement, it reads its
pending entries again when restarted: their URLs are stored by then, so they are confirmed
with their stored ids and not stored twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import redis

from copydesk.corpusdedup import open_deduper
from copydesk.dedup import Deduper, DedupParams, Fingerprint
from copydesk.handoff import GROUP, STREAM, WRITER, Message, confirm_stream, decode
from crawler.lock import CorpusLock
from storage.corpus import Corpus, NewArticle, Reassignment, utcnow
from storage.handoff import article_ids

__all__ = ["BatchResult", "Writer"]

logger = logging.getLogger(__name__)

#: Confirmations kept per shard (roughly) when a shard is not reading them.
CONFIRM_MAXLEN = 1_000_000


@dataclass
class BatchResult:
    """What one batch did."""

    read: int = 0
    stored: int = 0
    known: int = 0
    copies: int = 0
    entry_ids: list[str] = field(default_factory=list)


class Writer:
    """The consumer of the hand-off stream for the corpus at ``db_path``.

    Opening it takes ``<corpus>.lock`` (:class:`crawler.lock.Locked` when another writer or
    a crawl holds the corpus), as a crawl does; closing it releases the lock.
    """

    def __init__(
        self,
        client: redis.Redis,
        db_path: str | Path,
        params: DedupParams,
        consumer: str = "writer",
        batch: int = 200,
        block_ms: int = 1000,
        window: int | None = None,
    ) -> None:
        """`window`: the dedup index's publication window in microseconds (None: none), as
        COPYDESK_DEDUP_WINDOW sets it for a crawl."""
        self.client = client
        self.db_path = Path(db_path)
        self.params = params
        self.consumer = consumer
        self.batch = max(1, batch)
        self.block_ms = block_ms
        self.window = window
        self.lock: CorpusLock | None = None
        self.corpus: Corpus | None = None
        self.deduper: Deduper | None = None
        self._next_id = 1
        self.totals = BatchResult()

    def open(self) -> Writer:
        self.lock = CorpusLock(self.db_path).acquire()
        try:
            self.corpus = Corpus(self.db_path)
            self.deduper = open_deduper(self.corpus, self.params, self.window)
            self._next_id = self.corpus.max_article_id() + 1
            try:
                self.client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self.corpus is not None:
            self.corpus.close()
            self.corpus = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> Writer:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading --------------------------------------------------------------------------------

    def read(self, pending: bool = False, block: bool = True) -> list[Message]:
        """The next batch: this consumer's unacknowledged entries (``pending``, after a crash)
        or new ones (waiting up to ``block_ms`` when ``block``)."""
        answer: Any = self.client.xreadgroup(
            GROUP,
            self.consumer,
            {STREAM: "0" if pending else ">"},
            count=self.batch,
            block=None if pending or not block else self.block_ms,
        )
        messages = []
        for _, entries in answer or []:
            for entry_id, data in entries:
                if data:  # an entry deleted while pending comes back empty: nothing to do
                    messages.append(decode(entry_id.decode(), data))
                else:
                    self.client.xack(STREAM, GROUP, entry_id)
        return messages

    # -- one batch ------------------------------------------------------------------------------

    def handle(
        self, messages: list[Message], after_commit: Callable[[], None] | None = None
    ) -> BatchResult:
        """Deduplicate and store ``messages`` in one transaction, then confirm and acknowledge.

        ``after_commit`` runs between the commit and the acknowledgement (tests use it to
        stop there, as a crash would).
        """
        assert self.corpus is not None and self.deduper is not None, "writer not opened"
        result = BatchResult(read=len(messages), entry_ids=[m.entry_id for m in messages])
        keys = {u for m in messages for u in (m.article.url, m.article.canonical_url)}
        stored = article_ids(self.corpus, keys)
        articles: list[NewArticle] = []
        reassignments: list[Reassignment] = []
        confirmed: list[tuple[Message, int]] = []
        for message in messages:
            a = message.article
            known = stored.get(a.url) or stored.get(a.canonical_url)
            if known is not None:
                result.known += 1
                confirmed.append((message, known))
                continue
            article, changed = self._assign(a)
            articles.append(article)
            reassignments += changed
            stored[a.url] = stored[a.canonical_url] = article.id
            confirmed.append((message, article.id))
            result.stored += 1
            result.copies += article.duplicate_of is not None
        self.corpus.write(articles, reassignments)
        if after_commit is not None:
            after_commit()
        self._confirm(confirmed, result)
        for name in ("read", "stored", "known", "copies"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(result, name))
        return result

    def _assign(self, a: NewArticle) -> tuple[NewArticle, list[Reassignment]]:
        assert self.deduper is not None and a.fingerprint is not None
        article_id = self._next_id
        self._next_id += 1
        first, *changed = self.deduper.assign(
            article_id,
            Fingerprint.from_bytes(a.fingerprint),
            (a.published or "", a.fetched_at, article_id),
        )
        article = replace(
            a,
            id=article_id,
            duplicate_of=first.duplicate_of,
            relation=first.relation,
            similarity=first.similarity,
            containment=first.containment,
            dedup_deferred=first.deferred,
        )
        return article, [
            Reassignment(c.key, c.duplicate_of, c.relation, c.similarity, c.containment)
            for c in changed
        ]

    def _confirm(self, confirmed: list[tuple[Message, int]], result: BatchResult) -> None:
        """Confirm each article to its shard, acknowledge and delete the entries, note the
        commit: one MULTI/EXEC, so a crash leaves all of it to do again or none."""
        pipe = self.client.pipeline(transaction=True)
        for message, article_id in confirmed:
            pipe.xadd(
                confirm_stream(message.origin),
                {
                    "url": message.article.url,
                    "canonical_url": message.article.canonical_url,
                    "article_id": article_id,
                },
                maxlen=CONFIRM_MAXLEN,
                approximate=True,
            )
        if result.entry_ids:
            pipe.xack(STREAM, GROUP, *result.entry_ids)
            pipe.xdel(STREAM, *result.entry_ids)
        pipe.hset(
            WRITER,
            mapping={
                "last_commit_at": utcnow(),
                "last_batch": result.read,
                "stored_total": self.totals.stored + result.stored,
                "consumer": self.consumer,
                "corpus": str(self.db_path),
            },
        )
        pipe.execute()

    # -- the loop -------------------------------------------------------------------------------

    def run(
        self, idle_exit: float | None = None, should_stop: Callable[[], bool] = lambda: False
    ) -> BatchResult:
        """Handle what this consumer left pending, then new entries until ``should_stop()``,
        or until nothing arrived for ``idle_exit`` seconds."""
        while messages := self.read(pending=True):
            self.handle(messages)
        idle_since = time.monotonic()
        while not should_stop():
            messages = self.read()
            if messages:
                self.handle(messages)
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                break
        return self.totals
