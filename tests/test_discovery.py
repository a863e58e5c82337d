from __future__ import annotations

import gzip

import pytest

from crawler.discovery import (
    DiscoveryError,
    feed_links,
    gunzip,
    parse_date,
    parse_feed,
    parse_sitemap,
    sniff,
)

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>One</title><link>http://a.test/one</link>
<pubDate>Mon, 18 Sep 2023 09:30:00 +0200</pubDate></item>
<item><title>Two</title><guid>http://a.test/two</guid></item>
<item><title>No link</title><guid isPermaLink="false">abc</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>A</title><link rel="alternate" type="text/html" href="/2025/a.html"/>
<link rel="enclosure" href="/a.mp3"/><published>2025-03-11T08:00:00Z</published></entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://a.test/"><title>T</title></channel>
<item rdf:about="http://a.test/r"><title>R</title><link>http://a.test/r</link>
<dc:date>2024-01-02T03:04:05+01:00</dc:date></item></rdf:RDF>"""

JSONFEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "T",
"items": [{"id": "1", "url": "http://a.test/j", "title": "J",
"date_published": "2025-01-01T10:00:00-05:00"}, {"id": "2"}]}"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://a.test/n1</loc><lastmod>2025-03-11</lastmod>
<news:news><news:publication><news:name>A</news:name><news:language>en</news:language>
</news:publication><news:publication_date>2025-03-11T07:00:00+00:00</news:publication_date>
<news:title>Port strike</news:title><news:keywords>strike, ports</news:keywords></news:news></url>
<url><loc>http://a.test/n2</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://a.test/s1.xml</loc></sitemap><sitemap><loc>/s2.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_rss() -> None:
    entries = parse_feed(RSS, "http://a.test/feed").entries
    assert [(e.url, e.title) for e in entries] == [
        ("http://a.test/one", "One"),
        ("http://a.test/two", "Two"),
    ]
    assert entries[0].published == "2023-09-18T07:30:00+00:00"


def test_atom_uses_alternate_link_resolved_against_the_feed() -> None:
    (entry,) = parse_feed(ATOM, "http://a.test/atom.xml").entries
    assert (entry.url, entry.published) == (
        "http://a.test/2025/a.html",
        "2025-03-11T08:00:00+00:00",
    )


def test_rdf_and_json_feed() -> None:
    (rdf,) = parse_feed(RDF, "http://a.test/").entries
    assert (rdf.url, rdf.published) == ("http://a.test/r", "2024-01-02T02:04:05+00:00")
    (item,) = parse_feed(JSONFEED, "http://a.test/").entries
    assert (item.url, item.title, item.published) == (
        "http://a.test/j",
        "J",
        "2025-01-01T15:00:00+00:00",
    )


def test_news_sitemap_keeps_news_children() -> None:
    parsed = parse_sitemap(NEWS_SITEMAP, "http://a.test/sitemap.xml")
    assert parsed.children == []
    first, second = parsed.entries
    assert first.title == "Port strike"
    assert first.published == "2025-03-11T07:00:00+00:00"
    assert first.meta["keywords"] == ["strike", "ports"]
    assert first.meta["lastmod"] == "2025-03-11T00:00:00+00:00"
    assert second.url == "http://a.test/n2" and second.title is None


def test_sitemap_index_and_gzip() -> None:
    parsed = parse_sitemap(gzip.compress(INDEX), "http://a.test/index.xml")
    assert parsed.entries == []
    assert parsed.children == ["http://a.test/s1.xml", "http://a.test/s2.xml.gz"]


def test_zip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<" * (2 * 1024 * 1024))
    with pytest.raises(DiscoveryError, match="too_large"):
        gunzip(bomb, max_size=1024 * 1024)


def test_external_entities_are_not_resolved(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<rss><channel><item><title>&x;</title><link>http://a.test/x</link></item>"
        "</channel></rss>"
    ).encode()
    (entry,) = parse_feed(xxe, "http://a.test/").entries
    assert "TOP-SECRET" not in (entry.title or "")


def test_billion_laughs_does_not_expand() -> None:
    lol = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + "]><rss><channel><item><title>&i;</title><link>http://a.test/x</link></item>"
        "</channel></rss>"
    ).encode()
    entries = parse_feed(lol, "http://a.test/").entries
    assert all(len(e.title or "") < 1000 for e in entries)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body>hi</body></html>", "not_a_feed"),
        (b"", "not_a_feed"),
        (b"\x00\x01binary", "not_a_feed"),
        (b'{"no": "feed"}', "not_a_feed"),
    ],
)
def test_not_a_feed(body: bytes, reason: str) -> None:
    with pytest.raises(DiscoveryError) as info:
        parse_feed(body, "http://a.test/")
    assert info.value.reason == reason


def test_truncated_feed_yields_what_it_can() -> None:
    body = RSS[: RSS.index(b"<item><title>Two")] + b"<item><ti"
    assert [e.url for e in parse_feed(body, "http://a.test/").entries] == ["http://a.test/one"]


def test_feed_autodiscovery() -> None:
    page = b"""<html><head>
    <link rel="alternate" type="application/rss+xml" href="/feed.xml">
    <link rel="alternate" type="application/atom+xml" href="http://a.test/atom.xml">
    <link rel="alternate" hreflang="de" href="/de/">
    <link rel="stylesheet" href="/s.css"></head><body></body></html>"""
    assert feed_links(page, "http://a.test/") == [
        "http://a.test/feed.xml",
        "http://a.test/atom.xml",
    ]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (RSS, "rss"),
        (ATOM, "atom"),
        (RDF, "rdf"),
        (JSONFEED, "jsonfeed"),
        (INDEX, "sitemapindex"),
        (NEWS_SITEMAP, "urlset"),
        (b"<!DOCTYPE html><html>", "html"),
        (b"%PDF-1.4", None),
    ],
)
def test_sniff(body: bytes, kind: str | None) -> None:
    assert sniff(body) == kind


def test_parse_date_formats() -> None:
    assert parse_date("2025-03-11") == "2025-03-11T00:00:00+00:00"
    assert parse_date("Tue, 11 Mar 2025 08:00:00 GMT") == "2025-03-11T08:00:00+00:00"
    assert parse_date("yesterday") is None
    assert parse_date(None) is None
