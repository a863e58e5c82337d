"""Dedup pipeline: a thin adapter over :class:`copydesk.dedup.Deduper` and the corpus."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from copydesk.corpusdedup import open_deduper
from copydesk.dedup import Deduper, DedupParams, Fingerprint
from copydesk.dedup.order import window_us
from copydesk.reasons import Reason
from crawler.extensions import CorpusExtension
from crawler.items import ArticleItem
from crawler.rejections import Rejected
from storage.corpus import Corpus

__all__ = ["DedupPipeline"]

logger = logging.getLogger(__name__)


class DedupPipeline:
    """Give each new article its id and its cluster; drop pages already stored.

    The index is rebuilt from the fingerprints stored in the corpus when the spider opens, so
    copies are recognised across runs. Fingerprints made with other parameters are refused.
    """

    def __init__(
        self,
        corpus: CorpusExtension,
        params: DedupParams,
        stats: StatsCollector,
        window: int | None = None,
    ) -> None:
        self.shared = corpus
        self.db_path = corpus.db_path
        self.params = params
        self.stats = stats
        self.window = window
        self.deduper: Deduper | None = None
        self.corpus: Corpus | None = None
        self._next_id = 1
        self._seen_urls: set[str] = set()
        self._copies0 = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        if crawler.settings.get("COPYDESK_HANDOFF"):
            raise NotConfigured("COPYDESK_HANDOFF is set: the writer deduplicates and stores")
        assert crawler.stats is not None
        window = window_us(crawler.settings.get("COPYDESK_DEDUP_WINDOW"))
        return cls(CorpusExtension.of(crawler), DedupParams(), crawler.stats, window)

    def open_spider(self) -> None:
        self.corpus = self.shared.corpus
        assert self.corpus is not None, "the corpus extension is open"
        self.deduper = open_deduper(self.corpus, self.params, self.window)
        self._copies0 = self.deduper.copies
        self._next_id = self.corpus.max_article_id() + 1
        logger.info("Dedup index rebuilt from %d stored fingerprints", len(self.deduper))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        assert self.corpus is not None and self.deduper is not None, "pipeline not opened"
        keys = {item.url, item.canonical_url}
        # The crawl's stored-URL index answers "new" without a query; a hit, or a crawl
        # whose spider has not opened the index, is checked in SQLite.
        known = self.shared.known
        if keys & self._seen_urls or (
            (known is None or known.any(keys)) and self.corpus.known_urls(keys)
        ):
            self.stats.inc_value(f"copydesk/dropped/{Reason.ALREADY_STORED}")
            raise Rejected(Reason.ALREADY_STORED, item.canonical_url)
        self._seen_urls |= keys
        item.id = self._next_id
        self._next_id += 1
        published = item.extraction.get("published") or ""
        first, *changed = self.deduper.assign(
            item.id,
            Fingerprint.from_bytes(item.fingerprint),
            (published, item.fetched_at, item.id),
        )
        item.duplicate_of = first.duplicate_of
        item.relation = first.relation
        item.similarity = first.similarity
        item.containment = first.containment
        item.dedup_deferred = first.deferred
        if first.deferred:
            self.stats.inc_value("copydesk/dedup/deferred")
        item.reassignments = [
            (a.key, a.duplicate_of, a.relation, a.similarity, a.containment) for a in changed
        ]
        if item.duplicate_of is not None:
            self.stats.inc_value(f"copydesk/articles/duplicates/{item.relation}")
        # Net copies added by this run: an older article taking a cluster over turns the old
        # canonical into a copy, so counting only new copies would undercount.
        self.stats.set_value("copydesk/articles/duplicates", self.deduper.copies - self._copies0)
        if changed:
            self.stats.inc_value("copydesk/dedup/reassigned", len(changed))
        return item
