"""The `news` spider: discover article URLs from feeds, sitemaps and sections; fetch new ones."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree, html
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from copydesk.reasons import Reason, family_reason
from crawler.discovery import (
    DiscoveryError,
    Entry,
    Parsed,
    feed_links,
    parse_feed,
    parse_sitemap,
    sniff,
)
from crawler.health import challenge_kind
from crawler.items import PageItem
from crawler.shard import Shard, parse_shard
from crawler.signals import url_rejected
from crawler.sources import Source, SourcesError, load_sources, parse_url_arg, site_of
from crawler.urls import (
    canonicalize,
    classify,
    date_in_url,
    is_listing,
    page_number,
    trap_reason,
)
from crawler.window import in_window, parse_since
from storage.corpus import utcnow

__all__ = ["NewsSpider", "check_settings"]

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
#: Article URLs answered with these statuses are not asked for again (for a while).
GONE_STATUSES = (404, 410)
SECTION_MODES = ("auto", "always", "never")


def check_settings(settings: BaseSettings) -> None:
    """Refuse settings the spider cannot run with, saying what is allowed."""
    mode = settings.get("COPYDESK_SECTIONS")
    if mode not in SECTION_MODES:
        raise SourcesError(
            f"COPYDESK_SECTIONS must be one of {', '.join(SECTION_MODES)}, not {mode!r}"
        )
    for name in (
        "COPYDESK_MAX_PAGES_PER_SOURCE",
        "COPYDESK_SITEMAP_DEPTH",
        "COPYDESK_MAX_LINKS_PER_PAGE",
    ):
        try:
            value = settings.getint(name)
        except ValueError:
            value = -1
        if value < 0:
            raise SourcesError(f"{name} must be a whole number, 0 or more (0: no bound)")


class NewsSpider(scrapy.Spider):
    """Crawl news sites given as ``-a url=A,B`` or ``-a sources=sources.toml``.

    ``-a since=2025-09-01`` (or ``2d``, ``12h``, ``1w``) skips announced articles older than
    the window without fetching them; undated pages are fetched and filtered after extraction.
    """

    name = "news"
    # From the COPYDESK_SECTION* settings, in from_crawler.
    section_depth: int
    section_limit: int
    max_page: int
    sections_mode: str
    # Bounds (0: none), in from_crawler: article requests per source, sitemap index nesting,
    # article and section links taken from one HTML page.
    max_pages_per_source: int
    sitemap_depth: int
    max_links_per_page: int

    def __init__(
        self,
        url: str | None = None,
        sources: str | None = None,
        since: str | None = None,
        shard: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if bool(url) == bool(sources):
            raise SourcesError("give exactly one of -a url=URL[,URL...] or -a sources=sources.toml")
        self.sources: list[Source] = load_sources(sources) if sources else parse_url_arg(url or "")
        #: ``-a shard=K/N``: this process crawls only the sites that shard K of N owns.
        self.shard: Shard | None = parse_shard(shard) if shard else None
        if self.shard is not None:
            every = len(self.sources)
            self.sources = self.shard.select(self.sources)
            if not self.sources:
                logger.warning(
                    "Shard %s owns none of the %d sources: nothing to crawl", shard, every
                )
        self.since = parse_since(since)
        self.copydesk_args: dict[str, Any] = {"url": url, "sources": sources, **kwargs}
        if since:
            self.copydesk_args["since"] = since
        if shard:
            self.copydesk_args["shard"] = shard
        self._warned: set[str] = set()
        #: Canonical URLs requested in this run (feeds, sitemaps, sections and articles).
        self._requested: set[str] = set()
        #: Section pages requested per site in this run.
        self._section_pages: dict[str, int] = {}
        #: Article requests made per source in this run (for COPYDESK_MAX_PAGES_PER_SOURCE).
        self._source_requests: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        check_settings(settings)
        spider.section_depth = settings.getint("COPYDESK_SECTION_DEPTH")
        spider.section_limit = settings.getint("COPYDESK_SECTION_PAGES")
        spider.max_page = settings.getint("COPYDESK_SECTION_MAX_PAGE")
        spider.sections_mode = settings.get("COPYDESK_SECTIONS")
        spider.max_pages_per_source = settings.getint("COPYDESK_MAX_PAGES_PER_SOURCE")
        spider.sitemap_depth = settings.getint("COPYDESK_SITEMAP_DEPTH")
        spider.max_links_per_page = settings.getint("COPYDESK_MAX_LINKS_PER_PAGE")
        return spider

    # -- stats ----------------------------------------------------------------------------------

    def count(self, key: str, n: int = 1, source: Source | str | None = None) -> None:
        """Bump ``copydesk/<key>``, and ``copydesk/source/<name>/<key>`` for a source."""
        assert self.crawler.stats is not None
        if n == 0:
            return
        self.crawler.stats.inc_value(f"copydesk/{key}", n)
        if source is not None:
            name = source.name if isinstance(source, Source) else source
            self.crawler.stats.inc_value(f"copydesk/source/{name}/{key}", n)

    def drop(
        self, reason: str, url: str, detail: str = "", source: Source | str | None = None
    ) -> None:
        """Skip a page with a counted reason; log the first of each reason in full."""
        self.count(f"dropped/{reason}", source=source)
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

    def reject(
        self, reason: str, url: str, source: Source, discovery: dict[str, Any], detail: str = ""
    ) -> None:
        """Drop a fetched article URL for good: later runs will not ask for it again."""
        self.drop(reason, url, detail, source=source)
        self.crawler.signals.send_catch_log(
            url_rejected, url=url, reason=reason, source=source.name, discovery=discovery
        )

    # -- requests -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            for request in self.source_requests(source):
                yield request

    def source_requests(self, source: Source) -> Iterator[scrapy.Request]:
        for feed in source.feeds:
            yield from self._once(self.feed_request(feed, source))
        for sitemap in source.sitemaps:
            yield from self._once(self.sitemap_request(sitemap, source))
        if source.homepage and not (source.feeds or source.sitemaps):
            yield from self._once(self.homepage_request(source.homepage, source))
        elif source.homepage and self.sections_mode == "always":
            yield from self._once(self.section_request(source.homepage, source, 0))
        for url in source.urls:
            kind = classify(canonicalize(url))
            # an article is skipped once stored; a feed or sitemap is fetched conditionally
            meta = {"copydesk_article": True} if kind == "article" else None
            if kind == "article":
                self.count("found", source=source)
            elif kind == "other":
                meta = _CONDITIONAL
            yield from self._once(self._request(url, self.parse_any, source, "list", meta=meta))

    def _request(
        self,
        url: str,
        callback: Any,
        source: Source,
        kind: str,
        errback: Any = None,
        meta: dict[str, Any] | None = None,
        **cb_kwargs: Any,
    ) -> scrapy.Request:
        # dont_filter: this spider dedupes by canonical URL itself, per run, so a JOBDIR's
        # persistent fingerprints never hide next hour's feeds, nor an article lost in flight.
        return scrapy.Request(
            canonicalize(url),
            callback=callback,
            errback=errback or self.on_error,
            cb_kwargs={"source": source, **cb_kwargs},
            meta={"copydesk_kind": kind, **(meta or {})},
            dont_filter=True,
        )

    def _once(self, request: scrapy.Request) -> Iterator[scrapy.Request]:
        """The request unless one for the same URL and purpose was made in this run."""
        key = f"{request.meta['copydesk_kind']} {request.url}"
        if key not in self._requested:
            self._requested.add(key)
            yield request

    def feed_request(self, url: str, source: Source) -> scrapy.Request:
        return self._request(url, self.parse_feed, source, "feed", meta=_CONDITIONAL)

    def sitemap_request(self, url: str, source: Source, depth: int = 0) -> scrapy.Request:
        meta = _CONDITIONAL
        return self._request(url, self.parse_sitemap, source, "sitemap", meta=meta, depth=depth)

    def child_sitemaps(
        self, children: Iterable[str], source: Source, depth: int
    ) -> Iterator[scrapy.Request]:
        """Requests for the sitemaps an index lists, unless nested deeper than allowed."""
        children = list(children)
        if children and self.sitemap_depth and depth >= self.sitemap_depth:
            self.count("bounds/sitemap_depth", len(children), source=source)
            self._bound_hit("sitemap_depth", f"sitemap indexes nested deeper than {depth}")
            return
        for child in children:
            yield from self._once(self.sitemap_request(child, source, depth + 1))

    def _bound_hit(self, bound: str, detail: str) -> None:
        if f"bound {bound}" not in self._warned:
            self._warned.add(f"bound {bound}")
            logger.warning("Bound reached: %s; further hits are counted in stats", detail)

    def homepage_request(self, url: str, source: Source) -> scrapy.Request:
        return self._request(url, self.parse_homepage, source, "homepage")

    def section_request(
        self, url: str, source: Source, depth: int, via: str = "section"
    ) -> scrapy.Request:
        return self._request(url, self.parse_section, source, "section", depth=depth, via=via)

    def article_requests(
        self, entries: Iterable[Entry], source: Source, via: str, found_in: str
    ) -> Iterator[scrapy.Request]:
        """Requests for the announced articles that are new, inside the window, not listings."""
        limit = self.max_pages_per_source
        for entry in entries:
            try:
                request = self.article_request(entry, source, via, found_in)
            except ValueError as exc:  # a URL the parser let through but Scrapy refuses
                self.drop(Reason.BAD_URL, entry.url, str(exc), source=source)
                continue
            if request is None or f"article {request.url}" in self._requested:
                continue
            made = self._source_requests.get(source.name, 0)
            if limit and made >= limit:
                self.count("bounds/max_pages_per_source", source=source)
                self._bound_hit("max_pages", f"{source.name}: {limit} article requests")
                continue
            self._source_requests[source.name] = made + 1
            yield from self._once(request)

    def count_skipped(self, parsed: Parsed, found_in: str, source: Source) -> None:
        """Count the entries of a feed or sitemap that could not be read (bad URLs...)."""
        for reason, n in parsed.skipped.items():
            self.count(f"dropped/{reason}", n, source=source)
            if reason not in self._warned:
                self._warned.add(reason)
                logger.info("Skipped %d entries of %s (%s)", n, found_in, reason)

    def article_request(
        self, entry: Entry, source: Source, via: str, found_in: str
    ) -> scrapy.Request | None:
        url = canonicalize(entry.url)
        self.count("found", source=source)
        self.count(f"discovered/{via}")
        # a Google News entry is an article, unless it is the homepage
        trusted = bool(entry.meta.get("publication")) and not is_listing(url)
        if via != "section" and not trusted and classify(url) == "section":
            self.drop(Reason.LISTING, url, "a homepage, section, tag or author page", source=source)
            return None
        url_date = date_in_url(url)
        date = entry.published or entry.meta.get("lastmod") or url_date
        if not in_window(date, self.since):
            self.drop(Reason.OUTSIDE_WINDOW, url, f"dated {date}", source=source)
            return None
        discovery: dict[str, Any] = {"via": via, "from": found_in, "seen_at": utcnow()}
        if entry.title:
            discovery["title"] = entry.title
        if entry.published:
            discovery["published"] = entry.published
        if url_date:
            discovery["url_date"] = url_date
        discovery.update(entry.meta)
        return self._request(
            url,
            self.parse_article,
            source,
            "article",
            meta={"copydesk_article": True},
            discovery=discovery,
        )

    # -- callbacks ------------------------------------------------------------------------------

    def parse_any(self, response: Response, source: Source) -> Iterator[Any]:
        """A URL given on the command line: a feed, a sitemap, a homepage or an article."""
        if response.status == 304:  # a feed or sitemap that has not changed
            yield from self.parse_sitemap(response, source)
            return
        kind = sniff(response.body)
        if kind in ("rss", "rdf", "atom", "jsonfeed"):
            yield from self.parse_feed(response, source)
        elif kind in ("urlset", "sitemapindex", "gzip"):
            yield from self.parse_sitemap(response, source)
        elif _is_html(response) and (
            urlsplit(response.url).path in ("", "/") or classify(response.url) == "section"
        ):
            yield from self.parse_homepage(response, source)
        else:
            discovery = {"via": "list", "from": response.url, "seen_at": utcnow()}
            yield from self.parse_article(response, source, discovery)

    def parse_feed(
        self, response: Response, source: Source, via: str = "feed"
    ) -> Iterator[scrapy.Request]:
        if response.status == 304:
            self.count("unchanged", source=source)
            return
        try:
            parsed = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self.drop(family_reason("feed_", exc.reason), response.url, str(exc), source=source)
            return
        self.count("feeds_read", source=source)
        self.count_skipped(parsed, response.url, source)
        yield from self.article_requests(parsed.entries, source, via, response.url)

    def parse_sitemap(
        self, response: Response, source: Source, depth: int = 0
    ) -> Iterator[scrapy.Request]:
        if response.status == 304:
            self.count("unchanged", source=source)
            cached = response.meta.get("copydesk_validators")
            yield from self.child_sitemaps(getattr(cached, "children", ()), source, depth)
            return
        try:
            parsed = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self.drop(family_reason("sitemap_", exc.reason), response.url, str(exc), source=source)
            return
        self.count("sitemaps_read", source=source)
        self.count_skipped(parsed, response.url, source)
        response.meta["copydesk_children"] = parsed.children  # kept with the validators for a 304
        yield from self.child_sitemaps(parsed.children, source, depth)
        yield from self.article_requests(parsed.entries, source, "sitemap", response.url)

    def parse_homepage(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        """Follow the feeds a homepage announces and the sitemaps its robots.txt names; crawl
        its sections when it has neither (or always, with ``COPYDESK_SECTIONS=always``)."""
        if not _is_html(response):
            self.drop(Reason.HOMEPAGE_NOT_HTML, response.url, source=source)
            return
        feeds = feed_links(response.body, response.url)
        self.count("discovered/feeds_autodiscovered", len(feeds))
        for feed in feeds:
            yield from self._once(self.feed_request(feed, source))
        if self.sections_mode == "always":
            yield from self.parse_section(response, source, 0)
        yield from self._once(
            self._request(
                urljoin(response.url, "/robots.txt"),
                self.parse_robots,
                source,
                "robots",
                errback=self.on_robots_error,
                homepage=response.url,
                feeds=len(feeds),
            )
        )

    def parse_robots(
        self, response: Response, source: Source, homepage: str = "", feeds: int = 0
    ) -> Iterator[scrapy.Request]:
        sitemaps = []
        if isinstance(response, TextResponse) and response.status == 200:
            for line in response.text.splitlines():
                key, _, value = line.partition(":")
                if key.strip().lower() == "sitemap" and value.strip():
                    sitemaps.append(urljoin(response.url, value.strip()))
        for sitemap in sitemaps:
            yield from self._once(self.sitemap_request(sitemap, source))
        if not (feeds or sitemaps):
            yield from self._sections_fallback(source, homepage)

    def on_robots_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        logger.debug("No robots.txt at %s: %s", request.url, failure.getErrorMessage())
        if not request.cb_kwargs.get("feeds"):
            yield from self._sections_fallback(
                request.cb_kwargs["source"], request.cb_kwargs.get("homepage", "")
            )

    def _sections_fallback(self, source: Source, homepage: str) -> Iterator[scrapy.Request]:
        if homepage and self.sections_mode == "auto":
            logger.info("%s has no feed or sitemap: crawling its sections", source.name)
            yield from self._once(self.section_request(homepage, source, 0))

    def parse_section(
        self, response: Response, source: Source, depth: int = 0, via: str = "section"
    ) -> Iterator[scrapy.Request]:
        """A homepage, section or search results page: articles it links to, and (down to
        ``COPYDESK_SECTION_DEPTH``) the sections it links to, avoiding crawler traps."""
        if not _is_html(response):
            return
        self.count("sections_read", source=source)
        site = site_of(response.url)
        entries = []
        links = _links(response)
        if self.max_links_per_page and len(links) > self.max_links_per_page:
            self.count("bounds/links_per_page", len(links) - self.max_links_per_page, source=source)
            self._bound_hit("links", f"{response.url} has {len(links)} links")
            links = links[: self.max_links_per_page]
        for url, text in links:
            if site_of(url) != site:
                continue
            trap = trap_reason(url, self.max_page)
            if trap:
                self.count(f"traps/{trap}", source=source)
                continue
            kind = classify(url, text)
            if kind == "article":
                entries.append(Entry(url=url, title=text or None))
            elif kind == "section" and via == "section":
                # the next page of a section is as deep as the section itself
                next_depth = depth if page_number(url) else depth + 1
                if next_depth > self.section_depth:
                    continue
                if self._section_pages.get(site, 0) >= self.section_limit:
                    self.count("traps/section_limit", source=source)
                    continue
                request = self.section_request(url, source, next_depth)
                if f"section {request.url}" not in self._requested:
                    self._section_pages[site] = self._section_pages.get(site, 0) + 1
                    yield from self._once(request)
        yield from self.article_requests(entries, source, via, response.url)

    def parse_article(
        self, response: Response, source: Source, discovery: dict[str, Any]
    ) -> Iterator[PageItem]:
        if not _is_html(response):
            content_type = _content_type(response)
            self.reject(Reason.NOT_HTML, response.url, source, discovery, content_type or "none")
            return
        wall = challenge_kind(response.body)
        if wall:
            self.drop(wall, response.url, "a bot or cookie wall, not the article", source=source)
            return
        self.count("pages/fetched", source=source)
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
        source = request.cb_kwargs.get("source")
        if failure.check(HttpError):
            status = failure.value.response.status
            discovery = request.cb_kwargs.get("discovery")
            if status in GONE_STATUSES and discovery is not None and source is not None:
                self.reject(family_reason("http_", status), request.url, source, discovery)
            else:
                self.drop(family_reason("http_", status), request.url, source=source)
            return
        if failure.check(IgnoreRequest):  # robots.txt or already stored: counted where decided
            logger.debug("Ignored %s: %s", request.url, failure.getErrorMessage())
            return
        name = failure.type.__name__ if failure.type else "Error"
        self.count(f"errors/{name}", source=source)
        if f"error {name}" not in self._warned:
            self._warned.add(f"error {name}")
            logger.warning("Failed %s: %s", request.url, failure.getErrorMessage())
        else:
            logger.info("Failed %s: %s", request.url, failure.getErrorMessage())


#: Feeds and sitemaps are fetched with validators; a 304 reaches the callback.
_CONDITIONAL: dict[str, Any] = {"copydesk_conditional": True, "handle_httpstatus_list": [304]}


def _links(response: Response) -> list[tuple[str, str]]:
    """Absolute, canonical link targets of an HTML page with their link text."""
    try:
        doc = html.fromstring(response.body)
    except (etree.ParserError, ValueError):
        return []
    links: dict[str, str] = {}
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = canonicalize(urljoin(response.url, href))
        text = " ".join(anchor.text_content().split())
        if len(text) > len(links.get(url, "")):
            links[url] = text
        else:
            links.setdefault(url, text)
    return list(links.items())


def _content_type(response: Response) -> str:
    return (response.headers.get(b"Content-Type") or b"").decode("latin-1")


def _is_html(response: Response) -> bool:
    """Whether a response is an HTML page, by its Content-Type or, without one, its bytes."""
    content_type = _content_type(response).lower()
    if content_type:
        return content_type.split(";")[0].strip() in HTML_TYPES
    return sniff(response.body) == "html"
