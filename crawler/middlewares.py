"""Downloader middlewares: never refetch an article the corpus already holds."""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.statscollectors import StatsCollector

from storage.corpus import Corpus, default_db_path

__all__ = ["SkipStoredArticlesMiddleware"]

logger = logging.getLogger(__name__)


class SkipStoredArticlesMiddleware:
    """Drop article requests whose URL is already stored, before anything is downloaded."""

    def __init__(self, db_path: str, stats: StatsCollector) -> None:
        self.db_path = db_path
        self.stats = stats
        self.corpus: Corpus | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipStoredArticlesMiddleware:
        assert crawler.stats is not None
        mw = cls(str(default_db_path(crawler.settings.get("COPYDESK_DB"))), crawler.stats)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_opened(self) -> None:
        self.corpus = Corpus(self.db_path)

    def spider_closed(self) -> None:
        if self.corpus is not None:
            self.corpus.close()
            self.corpus = None

    def process_request(self, request: Request) -> None:
        if not request.meta.get("copydesk_article") or self.corpus is None:
            return
        if self.corpus.known_urls([request.url]):
            self.stats.inc_value("copydesk/skipped/already_stored")
            raise IgnoreRequest(f"already in the corpus: {request.url}")
