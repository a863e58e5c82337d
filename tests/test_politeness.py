"""Retry-After honoured (bounded), and a robots.txt answered with 5xx read as disallow-all."""

from __future__ import annotations

import collections
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.politeness import retry_after_seconds
from tests.conftest import crawl, rows
from tests.fixtures.web.newsweb import Article, article_html

SLOW = "/2025/10/02/harbour-board-asks-for-patience.html"
AWAY = "/2025/10/03/ferry-office-closed-for-the-season.html"


class Site(http.server.ThreadingHTTPServer):
    """A site whose answers a test sets per path: ``(status, headers, body)`` in turn."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.answers: dict[str, list[tuple[int, dict[str, str], str]]] = {}
        self.hits: collections.Counter[str] = collections.Counter()


class Handler(http.server.BaseHTTPRequestHandler):
    server: Site

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits[self.path] += 1
        answers = self.server.answers.get(self.path) or [(404, {}, "not found")]
        status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
        data = body.encode()
        self.send_response(status)
        for key, value in {"Content-Length": str(len(data)), **headers}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def page(site: Site, path: str) -> str:
    article = Article("polite", path, "Harbour board asks for patience", "2025-10-02", "x")
    return article_html(article).replace("{{base}}", site.base)


def feed(site: Site, *paths: str) -> str:
    items = "".join(f"<item><title>t</title><link>{site.base}{p}</link></item>" for p in paths)
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'


HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/rss+xml"}


def test_retry_after_values() -> None:
    now = datetime(2025, 10, 2, 9, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Thu, 02 Oct 2025 09:00:30 GMT", now) == 30
    assert retry_after_seconds("Thu, 02 Oct 2025 08:00:00 GMT", now) == 0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


def test_retry_after_is_waited_for_up_to_its_bound(site: Site, tmp_path: Path) -> None:
    site.answers = {
        "/robots.txt": [(200, {}, "User-agent: *\nAllow: /\n")],
        "/feed.xml": [(200, XML, feed(site, SLOW, AWAY))],
        SLOW: [(503, {"Retry-After": "1"}, "busy"), (200, HTML, page(site, SLOW))],
        AWAY: [(503, {"Retry-After": "86400"}, "closed")],
    }
    db = tmp_path / "corpus.db"
    run = crawl(db, settings={"COPYDESK_EXTRACT_WORKERS": "0"}, url=f"{site.base}/feed.xml")
    assert run.returncode in (0, 3), run.log[-3000:]
    assert [r["url"] for r in rows(db, "SELECT url FROM articles")] == [site.base + SLOW]
    assert site.hits[SLOW] == 2  # asked again once, after the wait
    assert site.hits[AWAY] == 1  # a day is over the bound: not asked again in this run
    assert run.stats["copydesk/retry_after/waited"] == 1
    assert run.stats["copydesk/retry_after/too_long"] == 1


def test_a_robots_txt_server_error_means_nothing_is_fetched(site: Site, tmp_path: Path) -> None:
    site.answers = {
        "/robots.txt": [(503, {}, "down for maintenance")],
        "/feed.xml": [(200, XML, feed(site, SLOW))],
        SLOW: [(200, HTML, page(site, SLOW))],
    }
    db = tmp_path / "corpus.db"
    run = crawl(db, settings={"COPYDESK_EXTRACT_WORKERS": "0"}, url=f"{site.base}/feed.xml")
    assert run.returncode in (0, 3), run.log[-3000:]
    assert set(site.hits) == {"/robots.txt"}
    assert run.stats["copydesk/robots/unavailable"] == 1
    assert run.stats["robotstxt/forbidden"] == 1
    assert not rows(db, "SELECT url FROM articles")


def test_a_missing_robots_txt_still_allows_everything(site: Site, tmp_path: Path) -> None:
    site.answers = {
        "/feed.xml": [(200, XML, feed(site, SLOW))],
        SLOW: [(200, HTML, page(site, SLOW))],
    }
    db = tmp_path / "corpus.db"
    run = crawl(db, settings={"COPYDESK_EXTRACT_WORKERS": "0"}, url=f"{site.base}/feed.xml")
    assert run.returncode == 0, run.log[-3000:]
    assert [r["url"] for r in rows(db, "SELECT url FROM articles")] == [site.base + SLOW]
