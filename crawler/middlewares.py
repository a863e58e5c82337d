"""Downloader middlewares: never refetch a stored or rejected article; conditional GET."""

from __future__ import annotations

import logging
from datetime import datetime

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from copydesk.reasons import LASTING, Reason
from crawler.extensions import CorpusExtension
from crawler.window import in_window
from storage.discovery import Validators

__all__ = ["ConditionalGetMiddleware", "SkipStoredArticlesMiddleware"]

logger = logging.getLogger(__name__)


def _source_name(request: Request) -> str | None:
    source = request.cb_kwargs.get("source")
    return getattr(source, "name", None)


class SkipStoredArticlesMiddleware:
    """Drop article requests whose URL is stored, or was rejected recently, before download.

    The URLs it may skip are in the :class:`KnownUrls` index of the crawl's
    :class:`~crawler.extensions.CorpusExtension`, so only a URL whose hash is in the index
    costs an exact check in SQLite.
    """

    def __init__(self, corpus: CorpusExtension, stats: StatsCollector) -> None:
        self.shared = corpus
        self.stats = stats
        self._since: datetime | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipStoredArticlesMiddleware:
        assert crawler.stats is not None
        mw = cls(CorpusExtension.of(crawler), crawler.stats)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        self._since = getattr(spider, "since", None)

    def _skip(self, request: Request, why: str) -> None:
        self.stats.inc_value(f"copydesk/skipped/{why}")
        name = _source_name(request)
        if name:
            self.stats.inc_value(f"copydesk/source/{name}/skipped")
        raise IgnoreRequest(f"{why.replace('_', ' ')}: {request.url}")

    def process_request(self, request: Request) -> None:
        corpus, store, known = self.shared.corpus, self.shared.store, self.shared.known
        if not request.meta.get("copydesk_article") or corpus is None or store is None:
            return
        if known is not None and request.url not in known:
            return  # neither stored nor rejected: the common case, no query
        if corpus.known_urls([request.url]):
            self._skip(request, "already_stored")
        for outcome, published in store.rejected(
            [request.url], LASTING, self.shared.retry_days
        ).values():
            # too old for an earlier window, maybe not for this one
            if outcome != Reason.OUTSIDE_WINDOW or not in_window(published, self._since):
                self._skip(request, "already_rejected")


class ConditionalGetMiddleware:
    """Fetch feeds and sitemaps with If-None-Match / If-Modified-Since; a 304 costs nothing.

    Validators of a run are saved only when it finishes cleanly, so a crawl killed before it
    fetched what a feed announced reads the whole feed again next time.
    """

    def __init__(self, corpus: CorpusExtension, stats: StatsCollector) -> None:
        self.shared = corpus
        self.stats = stats
        self._fresh: dict[str, tuple[str | None, str | None, dict[str, object]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        assert crawler.stats is not None
        mw = cls(CorpusExtension.of(crawler), crawler.stats)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_closed(self, reason: str) -> None:
        if self.shared.store is None:
            return
        if reason == "finished":
            self.shared.store.save_validators(
                Validators(url, etag, modified, tuple(meta.get("copydesk_children") or ()))  # type: ignore[arg-type]
                for url, (etag, modified, meta) in self._fresh.items()
            )

    def process_request(self, request: Request) -> None:
        if not request.meta.get("copydesk_conditional") or self.shared.store is None:
            return
        cached = self.shared.store.validators(request.url)
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
