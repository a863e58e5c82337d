"""Extraction pipeline: a thin adapter running :mod:`copydesk.work` in worker processes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from copydesk.budget import PageBudget
from copydesk.dedup import DedupParams
from copydesk.extract import ExtractOptions
from copydesk.reasons import Reason
from copydesk.work import PagePool, PageResult, PageTask
from crawler.items import ArticleItem, PageItem
from crawler.rejections import Rejected
from crawler.sources import site_of

__all__ = ["ExtractionPipeline"]

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    """Turn each :class:`PageItem` into an :class:`ArticleItem`, or drop it with a reason.

    Pages are sent to worker processes in batches so the reactor thread only fetches and
    stores while the other cores extract. At most ``2 × workers`` batches are in the pool at
    a time (one running and one queued per worker): pages arriving meanwhile wait here and
    leave together, up to ``batch_size`` a batch, as soon as a batch comes back. Each page
    is awaited by its ``process_item``, so its response stays in Scrapy's scraper slot and
    a slow extraction makes the downloader wait (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) instead
    of queuing pages in memory; ``copydesk/extract/max_in_flight`` records the most pages
    this pipeline held at once.
    """

    def __init__(
        self,
        options: ExtractOptions,
        params: DedupParams,
        stats: StatsCollector,
        workers: int | None,
        batch_size: int,
        tune_malloc: bool,
        budget: PageBudget | None = None,
    ) -> None:
        self.options = options
        self.budget = budget or PageBudget()
        self._logged: set[str] = set()
        self.params = params
        self.stats = stats
        self.workers = workers
        self.batch_size = max(1, batch_size)
        self.tune_malloc = tune_malloc
        self.pool: PagePool | None = None
        self._pending: list[tuple[PageTask, asyncio.Future[PageResult]]] = []
        self._scheduled = False
        self._batches_out = 0
        self._max_batches_out = 2 * max(1, workers if workers is not None else 1)
        self._in_flight = 0
        self.max_in_flight = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        settings = crawler.settings
        assert crawler.stats is not None
        return cls(
            ExtractOptions(
                min_chars=settings.getint("COPYDESK_MIN_CHARS"),
                max_chars=settings.getint("COPYDESK_MAX_CHARS"),
            ),
            DedupParams(),
            crawler.stats,
            workers=settings.getint("COPYDESK_EXTRACT_WORKERS"),
            batch_size=settings.getint("COPYDESK_EXTRACT_BATCH"),
            tune_malloc=settings.getbool("COPYDESK_MALLOC_TUNING"),
            budget=PageBudget(
                max_bytes=settings.getint("COPYDESK_PAGE_MAX_BYTES"),
                max_elements=settings.getint("COPYDESK_PAGE_MAX_ELEMENTS"),
                max_seconds=settings.getfloat("COPYDESK_PAGE_TIMEOUT"),
                max_memory=settings.getint("COPYDESK_WORKER_MAX_MEMORY"),
            ),
        )

    def open_spider(self) -> None:
        self.pool = PagePool(
            self.options,
            self.params,
            workers=self.workers,
            tune_malloc=self.tune_malloc,
            budget=self.budget,
        )
        self.pool.start()
        self._max_batches_out = 2 * max(1, self.pool.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        self._in_flight += 1
        if self._in_flight > self.max_in_flight:
            self.max_in_flight = self._in_flight
            self.stats.set_value("copydesk/extract/max_in_flight", self.max_in_flight)
        try:
            result = await self._submit(PageTask(item.url, item.body, item.encoding))
        finally:
            self._in_flight -= 1
        self.stats.inc_value("copydesk/extract/cpu_us", round(result.cpu_ms * 1000))
        if self.pool is not None and self.pool.replacements:
            self.stats.set_value("copydesk/extract/workers_replaced", self.pool.replacements)
        if result.extraction is None:
            reason = result.reason or Reason.NO_TEXT
            self.stats.inc_value(f"copydesk/dropped/{reason}")
            if reason in (Reason.EXTRACT_ERROR, Reason.WORKER_DIED) and reason not in self._logged:
                # unexpected: the first in full, the rest counted
                self._logged.add(reason)
                logger.error(
                    "Extraction failed (%s) on %s; further failures are counted in "
                    "copydesk/dropped/%s\n%s",
                    reason,
                    item.url,
                    reason,
                    result.detail,
                )
            raise Rejected(reason, item.url, result.detail)
        assert result.fingerprint is not None and result.text_hash is not None
        extraction = result.extraction
        return ArticleItem(
            url=item.url,
            canonical_url=_canonical(item.url, extraction.get("canonical_url")),
            site=item.site,
            fetched_at=item.fetched_at,
            extraction=extraction,
            text_hash=result.text_hash,
            fingerprint=result.fingerprint,
            html_zlib=result.html_zlib,
            status=item.status,
            encoding=item.encoding,
            content_type=item.content_type,
            source=item.source,
            discovery=item.discovery,
        )

    def _submit(self, task: PageTask) -> asyncio.Future[PageResult]:
        """Queue one page; it leaves with the pages queued before the next dispatch."""
        future: asyncio.Future[PageResult] = asyncio.get_running_loop().create_future()
        self._pending.append((task, future))
        if not self._scheduled:
            # Dispatch at the end of this loop iteration, so pages whose downloads finished
            # together share a batch.
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._dispatch)
        return future

    def _dispatch(self) -> None:
        """Send pending pages while fewer than ``2 × workers`` batches are in the pool."""
        self._scheduled = False
        while self._pending and self._batches_out < self._max_batches_out:
            batch = self._pending[: self.batch_size]
            del self._pending[: self.batch_size]
            self._send(batch)

    def _send(self, batch: list[tuple[PageTask, asyncio.Future[PageResult]]]) -> None:
        assert self.pool is not None, "pipeline not opened"
        self.stats.inc_value("copydesk/extract/batches")
        self._batches_out += 1
        done = asyncio.wrap_future(self.pool.submit([task for task, _ in batch]))

        def resolve(outcome: asyncio.Future[list[PageResult]]) -> None:
            self._batches_out -= 1
            error = outcome.exception()
            if error is not None:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
            else:
                for (_, future), result in zip(batch, outcome.result(), strict=True):
                    if not future.done():
                        future.set_result(result)
            self._dispatch()

        done.add_done_callback(resolve)


def _canonical(url: str, declared: str | None) -> str:
    """The canonical form of the page's own canonical URL (``rel=canonical`` or ``og:url``)
    when it declares one on the same site that is not a listing, else of its URL."""
    from crawler.urls import canonicalize, is_listing

    if not declared or not declared.startswith(("http://", "https://")):
        return canonicalize(url)
    if site_of(declared) == site_of(url) and (not is_listing(declared) or is_listing(url)):
        return canonicalize(declared)
    return canonicalize(url)
