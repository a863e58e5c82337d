"""Filter pipeline: drop articles outside the crawl's date window or off its topic query."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from copydesk.reasons import Reason
from crawler.items import ArticleItem
from crawler.rejections import Rejected
from crawler.relevance import relevance
from crawler.window import in_window

__all__ = ["TopicPipeline"]

logger = logging.getLogger(__name__)


class TopicPipeline:
    """Drop extracted articles dated before the spider's ``since`` (``outside_window``) and,
    in a topic crawl, those scoring below ``COPYDESK_TOPIC_MIN_SCORE`` (``off_topic``)."""

    def __init__(self, crawler: Crawler, min_score: float) -> None:
        self.crawler = crawler
        self.min_score = min_score
        assert crawler.stats is not None
        self.stats: StatsCollector = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TopicPipeline:
        return cls(crawler, crawler.settings.getfloat("COPYDESK_TOPIC_MIN_SCORE"))

    def _drop(self, reason: Reason, item: ArticleItem, detail: str) -> Rejected:
        self.stats.inc_value(f"copydesk/dropped/{reason}")
        return Rejected(reason, item.url, detail)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        spider = self.crawler.spider
        since: datetime | None = getattr(spider, "since", None)
        published = item.extraction.get("published") or item.discovery.get("published")
        published = published or item.discovery.get("url_date")
        if not in_window(published, since):
            item.discovery["published"] = published  # a wider window may want it later
            raise self._drop(Reason.OUTSIDE_WINDOW, item, f"published {published}")
        query: str | None = getattr(spider, "query", None)
        if query:
            score = relevance(query, item.extraction.get("title"), item.extraction["text"])
            item.relevance, item.query = score, query
            if score < self.min_score:
                raise self._drop(Reason.OFF_TOPIC, item, f"relevance {score}")
        return item
