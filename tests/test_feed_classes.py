"""Feed and sitemap reading: one fixture per class of feed that used to be lost or misread."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.discovery import clean_url, parse_date, parse_feed, parse_sitemap, sniff

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
BASE = "http://a.test/feed.xml"


def read(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_bad_entries_are_skipped_and_counted_not_the_feed() -> None:
    parsed = parse_feed(read("bad_entries.rss"), BASE)
    assert [e.url for e in parsed.entries] == [
        "http://a.test/2025/10/first.html",
        "http://a.test/2025/10/second.html",
        "http://a.test/2025/10/third.html",
    ]
    # javascript: and mailto: by scheme; "[::1", the guid "http://[bad-guid" and port 99999
    # are malformed
    assert dict(parsed.skipped) == {"bad_scheme": 2, "bad_url": 3}


def test_bad_sitemap_entries_are_skipped_and_counted() -> None:
    parsed = parse_sitemap(read("bad_entries_sitemap.xml"), "http://a.test/sitemap.xml")
    assert [e.url for e in parsed.entries] == [
        "http://a.test/2025/10/s1.html",
        "http://a.test/2025/10/s4.html?a=1&b=2",
    ]
    assert dict(parsed.skipped) == {"bad_scheme": 2, "bad_url": 1}


@pytest.mark.parametrize(
    "name",
    ["utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "utf32le-bom", "utf32be"],
)
def test_utf16_and_utf32_feeds(name: str) -> None:
    body = read(f"{name}.rss")
    assert sniff(body) == "rss"
    (entry,) = parse_feed(body, BASE).entries
    assert entry.url == f"http://a.test/2025/10/{name}.html"
    assert entry.title is not None and entry.title.startswith("Été —")
    assert entry.published == "2025-10-02T09:00:00+00:00"


def test_prefixed_root() -> None:
    body = read("prefixed_root.rss")
    assert sniff(body) == "rss"
    (entry,) = parse_feed(body, BASE).entries
    assert (entry.url, entry.published) == (
        "http://a.test/2025/10/prefixed.html",
        "2025-10-02T09:00:00+00:00",
    )


def test_long_prolog_before_the_root() -> None:
    body = read("long_prolog.atom")
    assert body.index(b"<feed") > 8192
    assert sniff(body) == "atom"
    (entry,) = parse_feed(body, BASE).entries
    assert entry.url == "http://a.test/2025/10/prolog.html"


def test_xml_base_resolves_relative_links() -> None:
    urls = [e.url for e in parse_feed(read("xml_base.atom"), BASE).entries]
    assert urls == [
        "http://b.test/news/2025/10/one.html",
        "http://b.test/news/world/two.html",
        "http://c.test/three.html",
    ]


def test_rss_dcterms_and_dc_dates_pubdate_preferred() -> None:
    dates = {e.url: e.published for e in parse_feed(read("dates.rss"), BASE).entries}
    assert dates == {
        "http://a.test/issued.html": "2025-10-02T07:00:00+00:00",
        "http://a.test/modified.html": "2025-10-05T10:00:00+00:00",
        "http://a.test/dcdate.html": "2025-10-03T00:00:00+00:00",
        "http://a.test/pubdate.html": "2025-10-04T06:00:00+00:00",
    }


def test_atom_published_wins_over_an_earlier_updated() -> None:
    old, updated = parse_feed(read("updated_first.atom"), BASE).entries
    assert old.published == "2024-01-15T08:00:00+00:00"
    assert updated.published == "2025-10-09T12:00:00+00:00"


def test_bare_ampersands_are_kept() -> None:
    entries = parse_feed(read("ampersand.rss"), BASE).entries
    assert [e.url for e in entries] == [
        "http://a.test/story?a=1&b=2&c",
        "http://a.test/story?id=7&page=2",
        "http://a.test/story?x=1&lang=en",
        "http://a.test/cdata?a=1&b=2",
    ]
    assert entries[-1].title == "Fish & chips"


def test_atom_links_given_as_text() -> None:
    urls = [e.url for e in parse_feed(read("link_text.atom"), BASE).entries]
    assert urls == ["http://a.test/2025/10/text-link.html", "http://a.test/2025/10/alternate.html"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 11 Mar 2025 08:00:00 GMT", "2025-03-11T08:00:00+00:00"),
        ("Tue, 11 Mar 2025 08:00:00 MEST", "2025-03-11T06:00:00+00:00"),
        ("Tue, 11 Mar 2025 08:00:00 PT", "2025-03-11T16:00:00+00:00"),
        ("Tue, 11 Mar 2025 08:00:00 EDT", "2025-03-11T12:00:00+00:00"),
        ("Tue, 11 Mar 2025 08:00:00 (CET)", "2025-03-11T07:00:00+00:00"),
        ("Tue, 11 Mar 2025 08:00:00 GMT+0100", "2025-03-11T07:00:00+00:00"),
        ("Tue, 11 Mar 2025 08:00:00 +01:00", "2025-03-11T07:00:00+00:00"),
        ("Tue,11 Mar 2025 08:00 +0100", "2025-03-11T07:00:00+00:00"),
        ("Tuesday, 11-Mar-25 08:00:00 EST", "2025-03-11T13:00:00+00:00"),
        ("11 March 2025 8:00:00 -0500", "2025-03-11T13:00:00+00:00"),
        ("11 Mar 2025", "2025-03-11T00:00:00+00:00"),
        ("Tue Mar 11 08:00:00 PST 2025", "2025-03-11T16:00:00+00:00"),
        ("March 11, 2025 08:00 EST", "2025-03-11T13:00:00+00:00"),
        ("2025-03-11T08:00:00Z", "2025-03-11T08:00:00+00:00"),
        ("2025-03-11t08:00:00z", "2025-03-11T08:00:00+00:00"),
        ("2025-03-11T08:00:00.250-05:00", "2025-03-11T13:00:00+00:00"),
        ("2025-03-11 08:00:00", "2025-03-11T08:00:00+00:00"),
        ("20250311T080000Z", "2025-03-11T08:00:00+00:00"),
        ("2025-03", "2025-03-01T00:00:00+00:00"),
        ("2025", "2025-01-01T00:00:00+00:00"),
        ("Mon, 31 Feb 2025 10:00:00 GMT", None),
        ("Tue, 11 Mar 2025 08:00:00 +9900", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_date_variants(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/a.html", ("http://a.test/a.html", "")),
        ("javascript:alert(1)", (None, "bad_scheme")),
        ("mailto:x@a.test", (None, "bad_scheme")),
        ("file:///etc/passwd", (None, "bad_scheme")),
        ("http://[::1/x", (None, "bad_url")),
        ("http://a.test:99999/", (None, "bad_url")),
        ("https:///no-host", (None, "bad_url")),
    ],
)
def test_clean_url(link: str, expected: tuple[str | None, str]) -> None:
    assert clean_url(link, BASE) == expected
