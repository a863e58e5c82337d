"""Hand-off pipeline: a crawl shard sends its articles to the writer through Redis."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import redis
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from copydesk.handoff import Sender, connect
from copydesk.reasons import Reason
from crawler.extensions import CorpusExtension
from crawler.items import ArticleItem
from crawler.rejections import Rejected
from pipelines.storage import to_new_article
from storage.corpus import Corpus
from storage.handoff import (
    confirmed_position,
    origin_id,
    record_confirmed,
    settle_discoveries,
)

__all__ = ["HandoffPipeline"]

logger = logging.getLogger(__name__)


class HandoffPipeline:
    """Send each extracted article to the hand-off stream instead of storing it here.

    Enabled by ``COPYDESK_HANDOFF`` (a Redis URL); the dedup and storage pipelines then step
    aside and ``COPYDESK_DB`` is this shard's state database (known URLs, feed validators,
    source health; no articles), reached through the crawl's :class:`CorpusExtension`. When
    the stream holds ``COPYDESK_HANDOFF_MAXLEN`` entries the pipeline waits for the writer.
    A URL counts as stored only once the writer confirms it: confirmations are read every
    ``poll`` seconds and when the crawl ends (waiting up to ``COPYDESK_HANDOFF_CONFIRM_WAIT``
    seconds for the last ones; later ones are read by the next run). If Redis goes away the
    crawl stops with ``handoff_failed`` (exit status 1).
    """

    def __init__(
        self,
        url: str,
        corpus: CorpusExtension,
        stats: StatsCollector,
        maxlen: int,
        confirm_wait: float,
        poll: float = 0.2,
    ) -> None:
        self.url = url
        self.shared = corpus
        self.stats = stats
        self.maxlen = maxlen
        self.confirm_wait = confirm_wait
        self.poll = poll
        self.crawler: Crawler | None = None
        self.corpus: Corpus | None = None
        self.sender: Sender | None = None
        self.position = "0-0"
        #: URLs sent in this run and not confirmed yet.
        self.outstanding: set[str] = set()
        self.failed = False
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HandoffPipeline:
        settings = crawler.settings
        url = settings.get("COPYDESK_HANDOFF")
        if not url:
            # Without a message: Scrapy logs a disabled component at WARNING only when told why,
            # and an ordinary crawl (no hand-off) must stay quiet.
            raise NotConfigured
        assert crawler.stats is not None
        pipeline = cls(
            url,
            CorpusExtension.of(crawler),
            crawler.stats,
            maxlen=settings.getint("COPYDESK_HANDOFF_MAXLEN"),
            confirm_wait=settings.getfloat("COPYDESK_HANDOFF_CONFIRM_WAIT"),
        )
        pipeline.crawler = crawler
        # after the crawl recorder's own spider_closed has written this run's discoveries
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        shard = getattr(self.crawler.spider, "shard", None) if self.crawler else None
        self.corpus = self.shared.corpus
        assert self.corpus is not None, "the corpus extension is open"
        self.sender = Sender(
            connect(self.url),
            origin_id(self.corpus),
            str(shard or "1/1"),
            self.maxlen,
            db=str(Path(self.shared.db_path).resolve()),
        )
        self.position = confirmed_position(self.corpus)
        while self.read_confirmations():  # what the writer confirmed since the last run
            pass
        settle_discoveries(self.corpus)
        self._loop = task.LoopingCall(self._poll)
        self._loop.start(self.poll, now=False)

    def _poll(self) -> None:
        if not self.failed:
            self.read_confirmations()

    def read_confirmations(self) -> int:
        """Record the confirmations that arrived; how many."""
        assert self.sender is not None and self.corpus is not None
        try:
            found, last = self.sender.confirmations(self.position)
            if not found:
                return 0
            record_confirmed(self.corpus, found, last)
            self.sender.forget(last)
        except redis.RedisError as exc:
            self._fail(exc)
            return 0
        self.position = last
        for confirmation in found:
            if confirmation.url in self.outstanding:
                self.outstanding.discard(confirmation.url)
                self.stats.inc_value("copydesk/articles/stored")
            else:
                self.stats.inc_value("copydesk/handoff/confirmed_late")
        return len(found)

    def _fail(self, exc: BaseException) -> None:
        if self.failed:
            return
        self.failed = True
        logger.error(
            "Lost the hand-off Redis (%s): stopping the crawl; articles not confirmed are "
            "fetched again by the next run",
            exc,
        )
        if self.crawler is not None and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=Reason.HANDOFF_FAILED))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        assert self.sender is not None, "pipeline not opened"
        article = to_new_article(replace(item, id=0), None)
        waited = False
        while not self.failed:
            try:
                entry = self.sender.send(article, item.discovery)
            except redis.RedisError as exc:
                self._fail(exc)
                break
            if entry is not None:
                self.outstanding.add(item.url)
                self.stats.inc_value("copydesk/handoff/sent")
                return item
            if not waited:
                waited = True
                self.stats.inc_value("copydesk/handoff/waited")
            await asyncio.sleep(self.poll)
        self.stats.inc_value(f"copydesk/dropped/{Reason.HANDOFF_FAILED}")
        raise Rejected(Reason.HANDOFF_FAILED, item.url)

    async def close_spider(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.sender is not None and not self.failed:
            deadline = time.monotonic() + self.confirm_wait
            while self.outstanding and time.monotonic() < deadline and not self.failed:
                if not self.read_confirmations():
                    await asyncio.sleep(self.poll)
        if self.outstanding:
            self.stats.set_value("copydesk/handoff/unconfirmed", len(self.outstanding))
            logger.warning(
                "%d articles handed off are not confirmed yet (is the writer running?); the "
                "next run reads their confirmations",
                len(self.outstanding),
            )

    def spider_closed(self) -> None:
        if self.corpus is not None:  # the corpus extension closes it when the engine stops
            settle_discoveries(self.corpus)
            self.corpus = None
