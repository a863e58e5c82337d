"""Politeness beyond Scrapy's defaults: ``Retry-After`` honoured, robots.txt 5xx = disallow all."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future

__all__ = ["RetryAfterMiddleware", "RobotsTxtUnavailableMiddleware", "retry_after_seconds"]

logger = logging.getLogger(__name__)

#: Statuses whose ``Retry-After`` says when to come back (RFC 9110, section 10.2.3).
RETRY_AFTER_STATUSES = (429, 503)
#: What a robots.txt that cannot be fetched for a server error stands for (RFC 9309, 2.3.1.4).
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Before Scrapy retries a 429 or 503, wait what its ``Retry-After`` asks, up to a bound.

    The site's download slot is paused for as long (when it has a download delay), so the
    wait holds for its other requests too. A wait longer than ``COPYDESK_RETRY_AFTER_MAX``
    is not waited for: the request is not retried in this run. Counted as
    ``copydesk/retry_after/waited`` and ``copydesk/retry_after/too_long``.
    """

    def __init__(self, max_wait: float, stats: StatsCollector, crawler: Crawler | None = None):
        self.max_wait = max_wait
        self.stats = stats
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        assert crawler.stats is not None
        return cls(crawler.settings.getfloat("COPYDESK_RETRY_AFTER_MAX"), crawler.stats, crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in RETRY_AFTER_STATUSES or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response
        if wait > self.max_wait:
            self.stats.inc_value("copydesk/retry_after/too_long")
            logger.info(
                "%s asks to come back in %.0f s (over COPYDESK_RETRY_AFTER_MAX=%g): not retried",
                request.url,
                wait,
                self.max_wait,
            )
            request.meta["dont_retry"] = True
            return response
        self.stats.inc_value("copydesk/retry_after/waited")
        self._pause_slot(request, wait)
        from twisted.internet import reactor, task

        await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return response

    def _pause_slot(self, request: Request, wait: float) -> None:
        engine = getattr(self.crawler, "engine", None)
        slots = getattr(getattr(engine, "downloader", None), "slots", {})
        slot = slots.get(request.meta.get("download_slot"))
        if slot is not None:
            # the downloader waits ``delay`` after ``lastseen``: move it past the wait
            slot.lastseen = max(slot.lastseen, time.time() + wait)


class RobotsTxtUnavailableMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, reading a robots.txt answered with 5xx as disallow-all.

    RFC 9309 (2.3.1.4): a server error means the site cannot say what it allows, so nothing
    is fetched from it while that lasts (for this run; the next run asks again). Scrapy
    parses the error page's body instead, which allows everything. Counted as
    ``copydesk/robots/unavailable``.
    """

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._stats.inc_value("copydesk/robots/unavailable")
            logger.warning(
                "%s answered %d for robots.txt: nothing is fetched from it in this run",
                netloc,
                response.status,
            )
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)
