"""Downloader middlewares: never refetch a stored or rejected article; conditional GET."""

from __future__ import annotations

import logging
from datetime import datetime
from itertools import chain
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from crawler.items import ArticleItem, PageItem
from crawler.known import KnownUrls, close_shared, open_shared
from crawler.signals import url_rejected
from crawler.window import in_window
from storage.corpus import Corpus, default_db_path
from storage.discovery import DiscoveryStore, Validators

__all__ = ["ConditionalGetMiddleware", "SkipStoredArticlesMiddleware"]

logger = logging.getLogger(__name__)

#: Rejections that stand: a URL rejected for one of these is not asked for again for a while.
LASTING_REJECTIONS = (
    "not_html",
    "http_404",
    "http_410",
    "outside_window",
    "not_article",
    "listing",
    "empty",
    "too_short",
    "too_long",
    "link_list",
    "no_text",
    "unparsable",
    "listing_page",
)


def _source_name(request: Request) -> str | None:
    source = request.cb_kwargs.get("source")
    return getattr(source, "name", None)


class SkipStoredArticlesMiddleware:
    """Drop article requests whose URL is stored, or was rejected recently, before download.

    The URLs it may skip are hashed into a :class:`KnownUrls` index when the spider opens
    and kept current from the crawl's signals (articles stored, URLs rejected), so only a
    URL whose hash is in the index costs an exact check in SQLite. The index is shared with
    the dedup pipeline through :func:`crawler.known.shared`.
    """

    def __init__(self, db_path: str, stats: StatsCollector, retry_days: float = 7.0) -> None:
        self.db_path = db_path
        self.stats = stats
        self.retry_days = retry_days
        self.corpus: Corpus | None = None
        self.store: DiscoveryStore | None = None
        self._since: datetime | None = None
        self.known: KnownUrls | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipStoredArticlesMiddleware:
        assert crawler.stats is not None
        mw = cls(
            str(default_db_path(crawler.settings.get("COPYDESK_DB"))),
            crawler.stats,
            crawler.settings.getfloat("COPYDESK_RETRY_REJECTED_DAYS", 7.0),
        )
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(mw.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(mw.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(mw.url_rejected, signal=url_rejected)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        self.corpus = Corpus(self.db_path)
        self.store = DiscoveryStore(self.corpus)
        self._since = getattr(spider, "since", None)
        rejected = self.store.rejected_urls(LASTING_REJECTIONS, self.retry_days)
        self.known = KnownUrls(chain(self.corpus.article_urls(), rejected))
        open_shared(self.db_path, self.known)
        logger.info("%d stored or rejected URLs indexed", len(self.known))

    def spider_closed(self) -> None:
        close_shared(self.db_path)
        self.known = None
        if self.corpus is not None:
            self.corpus.close()
            self.corpus = self.store = None

    # The index learns what this crawl stores and rejects: a hit is then checked in SQLite
    # exactly as before, so a URL stored or rejected earlier in the run is skipped as well.

    def item_scraped(self, item: Any) -> None:
        if self.known is not None and isinstance(item, ArticleItem):
            self.known.add((item.url, item.canonical_url))

    def item_dropped(self, item: Any) -> None:
        if self.known is not None and isinstance(item, (PageItem, ArticleItem)):
            self.known.add((item.url,))

    def url_rejected(self, url: str) -> None:
        if self.known is not None:
            self.known.add((url,))

    def _skip(self, request: Request, why: str) -> None:
        self.stats.inc_value(f"copydesk/skipped/{why}")
        name = _source_name(request)
        if name:
            self.stats.inc_value(f"copydesk/source/{name}/skipped")
        raise IgnoreRequest(f"{why.replace('_', ' ')}: {request.url}")

    def process_request(self, request: Request) -> None:
        if not request.meta.get("copydesk_article") or self.corpus is None:
            return
        if self.known is not None and request.url not in self.known:
            return  # neither stored nor rejected: the common case, no query
        if self.corpus.known_urls([request.url]):
            self._skip(request, "already_stored")
        assert self.store is not None
        for outcome, published in self.store.rejected(
            [request.url], LASTING_REJECTIONS, self.retry_days
        ).values():
            # too old for an earlier window, maybe not for this one
            if outcome != "outside_window" or not in_window(published, self._since):
                self._skip(request, "already_rejected")


class ConditionalGetMiddleware:
    """Fetch feeds and sitemaps with If-None-Match / If-Modified-Since; a 304 costs nothing.

    Validators of a run are saved only when it finishes cleanly, so a crawl killed before it
    fetched what a feed announced reads the whole feed again next time.
    """

    def __init__(self, db_path: str, stats: StatsCollector) -> None:
        self.db_path = db_path
        self.stats = stats
        self.corpus: Corpus | None = None
        self.store: DiscoveryStore | None = None
        self._fresh: dict[str, tuple[str | None, str | None, dict[str, object]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        assert crawler.stats is not None
        mw = cls(str(default_db_path(crawler.settings.get("COPYDESK_DB"))), crawler.stats)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_opened(self) -> None:
        self.corpus = Corpus(self.db_path)
        self.store = DiscoveryStore(self.corpus)

    def spider_closed(self, reason: str) -> None:
        if self.corpus is None or self.store is None:
            return
        if reason == "finished":
            self.store.save_validators(
                Validators(url, etag, modified, tuple(meta.get("copydesk_children") or ()))  # type: ignore[arg-type]
                for url, (etag, modified, meta) in self._fresh.items()
            )
        self.corpus.close()
        self.corpus = self.store = None

    def process_request(self, request: Request) -> None:
        if not request.meta.get("copydesk_conditional") or self.store is None:
            return
        cached = self.store.validators(request.url)
        if cached is None:
            return
        request.meta["copydesk_validators"] = cached
        if cached.etag:
            request.headers.setdefault(b"If-None-Match", cached.etag.encode("latin-1"))
        if cached.last_modified:
            request.headers.setdefault(b"If-Modified-Since", cached.last_modified.encode("latin-1"))

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get("copydesk_conditional"):
            return response
        if response.status == 304:
            self.stats.inc_value("copydesk/conditional/not_modified")
            cached = request.meta.get("copydesk_validators")
            if isinstance(cached, Validators):  # keep them: the document did not change
                self._fresh[request.url] = (
                    cached.etag,
                    cached.last_modified,
                    {"copydesk_children": list(cached.children)},
                )
        elif response.status == 200:
            etag = response.headers.get(b"ETag")
            modified = response.headers.get(b"Last-Modified")
            if etag or modified:
                self._fresh[request.url] = (
                    etag.decode("latin-1") if etag else None,
                    modified.decode("latin-1") if modified else None,
                    request.meta,
                )
        return response
