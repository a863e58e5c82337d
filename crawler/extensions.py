"""Extensions: record every crawl run as a row of the corpus's ``crawls`` table."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from storage.corpus import Corpus, default_db_path

__all__ = ["CrawlRecorder"]

logger = logging.getLogger(__name__)


class CrawlRecorder:
    """Insert a ``crawls`` row when the spider opens and complete it when it closes."""

    def __init__(self, db_path: str, stats: StatsCollector) -> None:
        self.db_path = db_path
        self.stats = stats
        self.crawl_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecorder:
        assert crawler.stats is not None
        ext = cls(str(default_db_path(crawler.settings.get("COPYDESK_DB"))), crawler.stats)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        args: dict[str, Any] = getattr(spider, "copydesk_args", {})
        with Corpus(self.db_path) as corpus:
            self.crawl_id = corpus.start_crawl(spider.name, args)
        self.stats.set_value("copydesk/crawl_id", self.crawl_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.crawl_id is None:
            return
        stats = self.stats.get_stats()
        prefix = "copydesk/dropped/"
        dropped = {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)}
        errors = sum(v for k, v in stats.items() if k.startswith("copydesk/errors/"))
        with Corpus(self.db_path) as corpus:
            corpus.finish_crawl(
                self.crawl_id,
                finish_reason=reason,
                pages_fetched=int(stats.get("copydesk/pages/fetched", 0)),
                articles_stored=int(stats.get("copydesk/articles/stored", 0)),
                duplicates=int(stats.get("copydesk/articles/duplicates", 0)),
                dropped=dropped,
                errors=int(errors),
                stats=stats,
            )
