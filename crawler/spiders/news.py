"""The `news` spider: discover article URLs from feeds and sitemaps, then fetch the articles."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.discovery import DiscoveryError, Entry, feed_links, parse_feed, parse_sitemap, sniff
from crawler.items import PageItem
from crawler.sources import Source, SourcesError, load_sources, parse_url_arg, site_of
from storage.corpus import utcnow

__all__ = ["NewsSpider"]

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


class NewsSpider(scrapy.Spider):
    """Crawl news sites given as ``-a url=A,B`` or ``-a sources=sources.toml``."""

    name = "news"

    def __init__(
        self,
        url: str | None = None,
        sources: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if bool(url) == bool(sources):
            raise SourcesError("give exactly one of -a url=URL[,URL...] or -a sources=sources.toml")
        self.sources: list[Source] = load_sources(sources) if sources else parse_url_arg(url or "")
        self.copydesk_args: dict[str, Any] = {"url": url, "sources": sources, **kwargs}
        self._warned: set[str] = set()

    # -- stats ----------------------------------------------------------------------------------

    def count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"copydesk/{key}", n)

    def drop(self, reason: str, url: str, detail: str = "") -> None:
        """Skip a page with a counted reason; log the first of each reason in full."""
        self.count(f"dropped/{reason}")
        if reason not in self._warned:
            self._warned.add(reason)
            logger.info(
                "Skipped %s (%s%s); further skips are counted in stats",
                url,
                reason,
                f": {detail}" if detail else "",
            )
        else:
            logger.debug("Skipped %s (%s)", url, reason)

    # -- requests -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            for feed in source.feeds:
                yield self.feed_request(feed, source)
            for sitemap in source.sitemaps:
                yield self.sitemap_request(sitemap, source)
            if source.homepage and not (source.feeds or source.sitemaps):
                yield self.homepage_request(source.homepage, source)
            for url in source.urls:
                yield scrapy.Request(
                    url,
                    callback=self.parse_any,
                    errback=self.on_error,
                    cb_kwargs={"source": source},
                )

    def feed_request(self, url: str, source: Source) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_feed, errback=self.on_error, cb_kwargs={"source": source}
        )

    def sitemap_request(self, url: str, source: Source) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_sitemap, errback=self.on_error, cb_kwargs={"source": source}
        )

    def homepage_request(self, url: str, source: Source) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_homepage, errback=self.on_error, cb_kwargs={"source": source}
        )

    def article_request(
        self, entry: Entry, source: Source, via: str, found_in: str
    ) -> scrapy.Request:
        discovery = {"via": via, "from": found_in, "seen_at": utcnow()}
        if entry.title:
            discovery["title"] = entry.title
        if entry.published:
            discovery["published"] = entry.published
        discovery.update(entry.meta)
        return scrapy.Request(
            entry.url,
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"source": source, "discovery": discovery},
            meta={"copydesk_article": True},
        )

    # -- callbacks ------------------------------------------------------------------------------

    def parse_any(self, response: Response, source: Source) -> Iterator[Any]:
        """A URL given on the command line: a feed, a sitemap, a homepage or an article."""
        kind = sniff(response.body)
        if kind in ("rss", "rdf", "atom", "jsonfeed"):
            yield from self.parse_feed(response, source)
        elif kind in ("urlset", "sitemapindex", "gzip"):
            yield from self.parse_sitemap(response, source)
        elif _is_html(response) and urlsplit(response.url).path in ("", "/"):
            yield from self.parse_homepage(response, source)
        else:
            discovery = {"via": "url", "from": response.url, "seen_at": utcnow()}
            yield from self.parse_article(response, source, discovery)

    def parse_feed(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        try:
            entries = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self.drop(f"feed_{exc.reason}", response.url, str(exc))
            return
        self.count("feeds/read")
        self.count("discovered/feed", len(entries))
        for entry in entries:
            yield self.article_request(entry, source, "feed", response.url)

    def parse_sitemap(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        try:
            entries, children = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self.drop(f"sitemap_{exc.reason}", response.url, str(exc))
            return
        self.count("sitemaps/read")
        self.count("discovered/sitemap", len(entries))
        for child in children:
            yield self.sitemap_request(child, source)
        for entry in entries:
            if urlsplit(entry.url).path in ("", "/"):  # a homepage is never an article
                self.drop("homepage_in_sitemap", entry.url)
                continue
            yield self.article_request(entry, source, "sitemap", response.url)

    def parse_homepage(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        """Follow the feeds a homepage announces, and the sitemaps its robots.txt names."""
        if not _is_html(response):
            self.drop("homepage_not_html", response.url)
            return
        feeds = feed_links(response.body, response.url)
        self.count("discovered/feeds_autodiscovered", len(feeds))
        for feed in feeds:
            yield self.feed_request(feed, source)
        yield scrapy.Request(
            urljoin(response.url, "/robots.txt"),
            callback=self.parse_robots,
            errback=self.on_error,
            cb_kwargs={"source": source},
        )

    def parse_robots(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        for line in response.text.splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "sitemap" and value.strip():
                yield self.sitemap_request(urljoin(response.url, value.strip()), source)

    def parse_article(
        self, response: Response, source: Source, discovery: dict[str, Any]
    ) -> Iterator[PageItem]:
        if not _is_html(response):
            content_type = _content_type(response)
            self.drop("not_html", response.url, content_type or "no Content-Type")
            return
        self.count("pages/fetched")
        yield PageItem(
            url=response.url,
            body=response.body,
            fetched_at=utcnow(),
            site=site_of(response.url),
            status=response.status,
            encoding=response.encoding if isinstance(response, TextResponse) else None,
            content_type=_content_type(response) or None,
            source=source.name,
            discovery=discovery,
        )

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            status = failure.value.response.status
            self.drop(f"http_{status}", request.url)
            return
        if failure.check(IgnoreRequest):  # robots.txt or already stored: counted where decided
            logger.debug("Ignored %s: %s", request.url, failure.getErrorMessage())
            return
        self.count(f"errors/{failure.type.__name__}")
        logger.warning("Failed %s: %s", request.url, failure.getErrorMessage())


def _content_type(response: Response) -> str:
    return (response.headers.get(b"Content-Type") or b"").decode("latin-1")


def _is_html(response: Response) -> bool:
    """Whether a response is an HTML page, by its Content-Type or, without one, its bytes."""
    content_type = _content_type(response).lower()
    if content_type:
        return content_type.split(";")[0].strip() in HTML_TYPES
    return sniff(response.body) == "html"
