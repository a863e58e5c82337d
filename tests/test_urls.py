"""URL hygiene and URL-shape classification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.urls import canonicalize, classify, date_in_url, is_listing, trap_reason


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://Example.COM:80/a/b.html#comments", "http://example.com/a/b.html"),
        ("https://example.com:443/a?utm_source=x&utm_medium=y", "https://example.com/a"),
        ("https://example.com/a?id=3&fbclid=abc&gclid=d", "https://example.com/a?id=3"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a;jsessionid=ABC123?PHPSESSID=9&x=1", "https://example.com/a?x=1"),
        ("http://127.0.0.1:8123/news/x/", "http://127.0.0.1:8123/news/x/"),
    ],
)
def test_canonicalize(url: str, canonical: str) -> None:
    assert canonicalize(url) == canonical


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://n.test/2025/03/11/port-strike-40-ships.html", "article"),
        ("https://n.test/world/2023/09/17/hard-blow/index.html", "article"),
        ("https://n.test/news/military-reports-advances-on-flanks/", "article"),
        ("https://n.test/post/48022-calder-bay/", "article"),
        ("https://n.test/news/story-49117.html", "article"),
        ("https://n.test/?p=123", "article"),
        ("https://n.test/article/123", "article"),
        ("https://n.test/story/quake", "article"),
        ("https://n.test/world/strike-ends.html", "article"),
        ("https://n.test/world/index.html", "section"),
        ("https://n.test/", "section"),
        ("https://n.test/world/", "section"),
        ("https://n.test/news/business/", "section"),
        ("https://n.test/tag/port-strike/", "section"),
        ("https://n.test/category/world/", "section"),
        ("https://n.test/author/jane-roe-smith/", "section"),
        ("https://n.test/2025/03/", "section"),
        ("https://n.test/world/page/2/", "section"),
        ("https://n.test/news/?page=3", "section"),
        ("https://n.test/files/report.pdf", "other"),
        ("https://n.test/about/", "other"),
        ("https://n.test/feed/", "other"),
        ("https://n.test/?s=bakhmut", "other"),
        ("mailto:desk@n.test", "other"),
    ],
)
def test_classify(url: str, kind: str) -> None:
    assert classify(url) == kind


def test_link_text_decides_an_unclear_url() -> None:
    url = "https://n.test/world/ukraine/"
    assert classify(url) == "section"
    assert classify(url, "Ukraine retakes village south of Bakhmut, army says") == "article"


def test_listing() -> None:
    assert is_listing("https://n.test/")
    assert is_listing("https://n.test/archive/2024/")
    assert is_listing("https://n.test/2025/03/11/")
    assert not is_listing("https://n.test/2025/03/11/slug-of-a-story")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://n.test/calendar/2025/04/", "calendar"),
        ("https://n.test/events?month=2025-04", "calendar"),
        ("https://n.test/archive?date=2025-04-01", "calendar"),
        ("https://n.test/2087/01/", "calendar"),
        ("https://n.test/world/?sort=date&filter=x", "faceted"),
        ("https://n.test/world/?a=1&b=2&c=3&d=4", "faceted"),
        ("https://n.test/world/page/11/", "pagination"),
        ("https://n.test/world/?page=40", "pagination"),
        ("https://n.test/world/?sid=abc", "session"),
        ("https://n.test/a/b/a/b/a/b/", "loop"),
        ("https://n.test/world/page/3/", None),
        ("https://n.test/2025/03/11/slug-of-a-story", None),
    ],
)
def test_trap_reason(url: str, reason: str | None) -> None:
    now = datetime(2025, 10, 1, tzinfo=UTC)
    assert trap_reason(url, max_page=10, now=now) == reason


def test_date_in_url() -> None:
    assert date_in_url("https://n.test/2025/03/11/slug-x.html") == "2025-03-11"
    assert date_in_url("https://n.test/news/2025-03-11-slug") == "2025-03-11"
    assert date_in_url("https://n.test/2025/03/") is None
    assert date_in_url("https://n.test/2025/02/31/bad-day") is None
