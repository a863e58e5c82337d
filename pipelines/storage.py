"""Storage pipeline: group-commits articles to the corpus and acknowledges them once durable."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from copydesk.reasons import Reason
from crawler.extensions import CorpusExtension
from crawler.items import ArticleItem
from crawler.rejections import Rejected
from storage.corpus import Corpus, NewArticle, Reassignment, is_disk_full
from storage.discovery import STORED, Discovery, DiscoveryStore

__all__ = ["StoragePipeline", "to_discovery", "to_new_article"]

#: An article waiting for its commit: its row, cluster changes, discovery row and waiter.
Pending = tuple[NewArticle, list[Reassignment], Discovery, "asyncio.Future[None]"]

logger = logging.getLogger(__name__)


def to_new_article(item: ArticleItem, crawl_id: int | None) -> NewArticle:
    """The corpus row of an extracted, deduplicated article."""
    assert item.id is not None, "the dedup pipeline assigns ids"
    e = item.extraction
    return NewArticle(
        id=item.id,
        url=item.url,
        canonical_url=item.canonical_url,
        site=item.site,
        source=item.source,
        text=e["text"],
        title=e.get("title"),
        published=e.get("published"),
        published_guess=e.get("published_guess"),
        authors=list(e.get("authors") or []),
        language=e.get("language"),
        site_name=e.get("site_name"),
        description=e.get("description"),
        tags=list(e.get("tags") or []),
        image=e.get("image"),
        fetched_at=item.fetched_at,
        text_hash=item.text_hash,
        crawl_id=crawl_id,
        duplicate_of=item.duplicate_of,
        relation=item.relation,
        similarity=item.similarity,
        containment=item.containment,
        dedup_deferred=item.dedup_deferred,
        extractor_version=e.get("extractor_version"),
        fingerprint=item.fingerprint,
        html_zlib=item.html_zlib,
        encoding=item.encoding,
        content_type=item.content_type,
        status=item.status,
    )


def to_discovery(item: ArticleItem, crawl_id: int | None) -> Discovery:
    """The ``discoveries`` row of a stored article: how it was found, and in which crawl."""
    return Discovery.from_dict(
        item.url,
        STORED,
        item.discovery,
        source=item.source,
        article_id=item.id,
        crawl_id=crawl_id,
        relevance=item.relevance,
        query=item.query,
    )


class StoragePipeline:
    """Write articles in batched transactions; ``process_item`` returns only after the commit.

    An item the pipeline has returned is in a committed transaction, so it survives the
    crawl process being killed; batching keeps the cost of that guarantee low.
    """

    def __init__(
        self, corpus: CorpusExtension, stats: StatsCollector, batch_size: int, interval: float
    ) -> None:
        self.shared = corpus
        self.stats = stats
        self.batch_size = max(1, batch_size)
        self.interval = interval
        self.corpus: Corpus | None = None
        self.store: DiscoveryStore | None = None
        self._pending: list[Pending] = []
        self._timer: asyncio.TimerHandle | None = None
        #: Stops the crawl with a finish reason (set by from_crawler).
        self.stop: Callable[[str], object] | None = None
        self._disk_full = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        if crawler.settings.get("COPYDESK_HANDOFF"):
            raise NotConfigured("COPYDESK_HANDOFF is set: the writer deduplicates and stores")
        settings = crawler.settings
        assert crawler.stats is not None
        pipeline = cls(
            CorpusExtension.of(crawler),
            crawler.stats,
            batch_size=settings.getint("COPYDESK_COMMIT_BATCH"),
            interval=settings.getfloat("COPYDESK_COMMIT_INTERVAL"),
        )

        def stop(reason: str) -> object:
            assert crawler.engine is not None
            return deferred_from_coro(crawler.engine.close_spider_async(reason=reason))

        pipeline.stop = stop
        return pipeline

    def open_spider(self) -> None:
        self.corpus = self.shared.corpus
        self.store = self.shared.store

    def close_spider(self) -> None:
        self.flush()
        self.corpus = self.store = None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        crawl_id = self.stats.get_value("copydesk/crawl_id")
        article = to_new_article(item, crawl_id)
        reassignments = [Reassignment(*r) for r in item.reassignments]
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((article, reassignments, to_discovery(item, crawl_id), future))
        if len(self._pending) >= self.batch_size:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self.flush)
        await future
        return item

    def flush(self) -> None:
        """Commit everything pending in one transaction and acknowledge it."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        assert self.store is not None, "pipeline not opened"
        try:
            self.store.store_articles(
                [article for article, _, _, _ in batch],
                [r for _, reassignments, _, _ in batch for r in reassignments],
                [discovery for _, _, discovery, _ in batch],
            )
        except sqlite3.IntegrityError:
            # One bad row must not lose the batch: retry one by one to isolate it.
            for entry in batch:
                self._write_one(entry)
            return
        except Exception as exc:  # disk full, locked database...: fail these items loudly
            if is_disk_full(exc):
                self._stop_for_full_disk(batch)
                return
            for _, _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self._acknowledge(batch)

    def _stop_for_full_disk(self, batch: list[Pending]) -> None:
        """Say once that the disk is full and stop the crawl; drop the unstored articles."""
        self.stats.inc_value(f"copydesk/dropped/{Reason.DISK_FULL}", len(batch))
        if not self._disk_full:
            self._disk_full = True
            logger.error(
                "copydesk: the disk holding %s is full: stopping the crawl (articles stored "
                "so far are kept; free some space and crawl again)",
                self.shared.db_path,
            )
            if self.stop is not None:
                self.stop(Reason.DISK_FULL)
        for article, _, _, future in batch:
            if not future.done():
                future.set_exception(Rejected(Reason.DISK_FULL, article.url))

    def _write_one(self, entry: Pending) -> None:
        assert self.store is not None
        article, reassignments, discovery, future = entry
        try:
            self.store.store_articles([article], reassignments, [discovery])
        except sqlite3.IntegrityError as exc:
            self.stats.inc_value(f"copydesk/dropped/{Reason.INTEGRITY}")
            if not future.done():
                future.set_exception(Rejected(Reason.INTEGRITY, article.url, str(exc), "WARNING"))
            return
        self._acknowledge([entry])

    def _acknowledge(self, batch: list[Pending]) -> None:
        self.stats.inc_value("copydesk/articles/stored", len(batch))
        self.stats.inc_value("copydesk/storage/commits")
        for _, _, _, future in batch:
            if not future.done():
                future.set_result(None)
