"""Find article URLs in feeds (RSS, RDF, Atom, JSON Feed) and sitemaps, read safely."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree, html

__all__ = [
    "DiscoveryError",
    "Entry",
    "feed_links",
    "gunzip",
    "parse_date",
    "parse_feed",
    "parse_sitemap",
    "sniff",
]

MAX_UNCOMPRESSED = 50 * 1024 * 1024  # the sitemaps protocol's own limit


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be read; ``reason`` is a short stat-friendly code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    """An article URL announced by a feed or sitemap, with what the announcement said of it."""

    url: str
    title: str | None = None
    published: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _parser() -> etree.XMLParser:
    # No entity expansion, no network, no huge trees: feeds and sitemaps are untrusted input.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def gunzip(body: bytes, max_size: int = MAX_UNCOMPRESSED) -> bytes:
    """Decompress a gzip body, refusing one that expands beyond ``max_size`` (a zip bomb)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(body, max_size + 1)
    except zlib.error as exc:
        raise DiscoveryError("bad_gzip", str(exc)) from exc
    if len(out) > max_size:
        raise DiscoveryError("too_large", f"gzip expands beyond {max_size} bytes")
    return out


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def sniff(body: bytes) -> str | None:
    """What a response body is: rss, rdf, atom, jsonfeed, urlset, sitemapindex, html or None."""
    head = body[:4096].lstrip()
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"{"):
        return "jsonfeed" if b"jsonfeed.org" in head else None
    lowered = head.lower()
    for marker, kind in (
        (b"<urlset", "urlset"),
        (b"<sitemapindex", "sitemapindex"),
        (b"<rss", "rss"),
        (b"<rdf:rdf", "rdf"),
        (b"<feed", "atom"),
    ):
        if marker in lowered:
            return kind
    if b"<html" in lowered or b"<!doctype html" in lowered:
        return "html"
    return None


def parse_date(value: str | None) -> str | None:
    """A feed or sitemap date (RFC 822 or ISO 8601) as ISO 8601 in UTC, or None."""
    if not value:
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="seconds")


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def _child(element: etree._Element, *names: str) -> etree._Element | None:
    for child in element:
        if _local(child.tag) in names:
            return child
    return None


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """Entries of an RSS 0.9x/2.0, RSS 1.0 (RDF), Atom or JSON feed."""
    kind = sniff(body)
    if kind == "jsonfeed":
        return _parse_json_feed(body, base_url)
    if kind not in ("rss", "rdf", "atom"):
        raise DiscoveryError("not_a_feed", f"looks like {kind or 'unknown content'}")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError("bad_xml", str(exc)) from exc
    if root is None:
        raise DiscoveryError("bad_xml", "empty document")
    entries: list[Entry] = []
    for node in root.iter():
        name = _local(node.tag)
        if name == "item":
            link = _text(_child(node, "link")) or _guid_link(node)
            date = _text(_child(node, "pubdate", "date", "published", "updated"))
        elif name == "entry":
            link = _atom_link(node)
            date = _text(_child(node, "published", "updated", "issued", "modified"))
        else:
            continue
        if link:
            entries.append(
                Entry(
                    url=urljoin(base_url, link),
                    title=_text(_child(node, "title")),
                    published=parse_date(date),
                    meta={"feed_kind": kind},
                )
            )
    return entries


def _guid_link(item: etree._Element) -> str | None:
    guid = _child(item, "guid")
    if guid is not None and guid.get("isPermaLink", "true").lower() != "false":
        text = _text(guid)
        if text and text.startswith(("http://", "https://")):
            return text
    return None


def _atom_link(entry: etree._Element) -> str | None:
    fallback = None
    for child in entry:
        if _local(child.tag) != "link" or not child.get("href"):
            continue
        rel = child.get("rel", "alternate")
        if rel == "alternate" and child.get("type", "text/html") in ("text/html", ""):
            return child.get("href")
        fallback = fallback or (child.get("href") if rel == "alternate" else None)
    return fallback


def _parse_json_feed(body: bytes, base_url: str) -> list[Entry]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DiscoveryError("bad_json", str(exc)) from exc
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DiscoveryError("not_a_feed", "JSON Feed without items")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        if isinstance(link, str) and link:
            entries.append(
                Entry(
                    url=urljoin(base_url, link),
                    title=item.get("title") if isinstance(item.get("title"), str) else None,
                    published=parse_date(item.get("date_published")),
                    meta={"feed_kind": "jsonfeed"},
                )
            )
    return entries


def parse_sitemap(body: bytes, base_url: str) -> tuple[list[Entry], list[str]]:
    """Article entries of a urlset (with news: and lastmod data) and child sitemaps of an index."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body)
    kind = sniff(body)
    if kind not in ("urlset", "sitemapindex"):
        raise DiscoveryError("not_a_sitemap", f"looks like {kind or 'unknown content'}")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError("bad_xml", str(exc)) from exc
    if root is None:
        raise DiscoveryError("bad_xml", "empty document")
    entries: list[Entry] = []
    children: list[str] = []
    for node in root:
        name = _local(node.tag)
        loc = _text(_child(node, "loc"))
        if not loc:
            continue
        url = urljoin(base_url, loc)
        if name == "sitemap":
            children.append(url)
        elif name == "url":
            entries.append(_sitemap_entry(node, url))
    return entries, children


def _sitemap_entry(node: etree._Element, url: str) -> Entry:
    meta: dict[str, Any] = {}
    lastmod = parse_date(_text(_child(node, "lastmod")))
    if lastmod:
        meta["lastmod"] = lastmod
    title = published = None
    news = _child(node, "news")
    if news is not None:
        title = _text(_child(news, "title"))
        published = parse_date(_text(_child(news, "publication_date")))
        keywords = _text(_child(news, "keywords"))
        if keywords:
            meta["keywords"] = [k.strip() for k in keywords.split(",") if k.strip()]
        publication = _child(news, "publication")
        if publication is not None:
            meta["publication"] = _text(_child(publication, "name"))
            meta["publication_language"] = _text(_child(publication, "language"))
    return Entry(url=url, title=title, published=published, meta=meta)


_FEED_TYPES = re.compile(r"application/(rss|atom|rdf|feed)\+(xml|json)|application/json", re.I)


def feed_links(body: bytes | str, base_url: str) -> list[str]:
    """Feed URLs a page announces with ``<link rel="alternate" type="application/rss+xml">``."""
    try:
        doc = html.fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    found: list[str] = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "alternate" in rel and _FEED_TYPES.search(link.get("type") or "") and link.get("href"):
            url = urljoin(base_url, link.get("href"))
            if url not in found:
                found.append(url)
    return found
