"""Extraction pipeline: a thin adapter running :mod:`copydesk.work` in worker processes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from copydesk.dedup import DedupParams
from copydesk.extract import ExtractOptions
from copydesk.work import PagePool, PageResult, PageTask
from crawler.items import ArticleItem, PageItem
from crawler.sources import site_of

__all__ = ["ExtractionPipeline"]

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    """Turn each :class:`PageItem` into an :class:`ArticleItem`, or drop it with a reason.

    Pages are sent to worker processes in small batches so the reactor thread only fetches
    and stores while the other cores extract.
    """

    def __init__(
        self,
        options: ExtractOptions,
        params: DedupParams,
        stats: StatsCollector,
        workers: int | None = None,
        batch_size: int = 4,
    ) -> None:
        self.options = options
        self.params = params
        self.stats = stats
        self.workers = workers
        self.batch_size = max(1, batch_size)
        self.pool: PagePool | None = None
        self._pending: list[tuple[PageTask, asyncio.Future[PageResult]]] = []
        self._scheduled = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        settings = crawler.settings
        assert crawler.stats is not None
        return cls(
            ExtractOptions(min_chars=settings.getint("COPYDESK_MIN_CHARS", 400)),
            DedupParams(),
            crawler.stats,
            workers=settings.getint("COPYDESK_EXTRACT_WORKERS"),
            batch_size=settings.getint("COPYDESK_EXTRACT_BATCH", 4),
        )

    def open_spider(self) -> None:
        self.pool = PagePool(self.options, self.params, workers=self.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        result = await self._submit(PageTask(item.url, item.body, item.encoding))
        self.stats.inc_value("copydesk/extract/cpu_ms", int(result.cpu_ms))
        if result.extraction is None:
            reason = result.reason or "no_text"
            self.stats.inc_value(f"copydesk/dropped/{reason}")
            raise DropItem(f"not an article ({reason}): {item.url}", log_level="DEBUG")
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
        """Queue one page; pages queued in the same loop iteration share a worker call."""
        future: asyncio.Future[PageResult] = asyncio.get_running_loop().create_future()
        self._pending.append((task, future))
        if len(self._pending) >= self.batch_size:
            self._dispatch()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._dispatch)
        return future

    def _dispatch(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        assert self.pool is not None, "pipeline not opened"
        done = asyncio.wrap_future(self.pool.submit([task for task, _ in batch]))

        def resolve(outcome: asyncio.Future[list[PageResult]]) -> None:
            if outcome.exception() is not None:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(outcome.exception())  # type: ignore[arg-type]
                return
            for (_, future), result in zip(batch, outcome.result(), strict=True):
                if not future.done():
                    future.set_result(result)

        done.add_done_callback(resolve)


def _canonical(url: str, declared: str | None) -> str:
    """The page's own canonical URL when it declares one on the same site, else its URL."""
    same_site = declared and declared.startswith(("http://", "https://"))
    if same_site and site_of(declared or "") == site_of(url):
        return declared or url
    return url
