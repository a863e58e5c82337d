"""Find article URLs in feeds (RSS, RDF, Atom, JSON Feed) and sitemaps, read safely."""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree, html

from copydesk.reasons import Reason

__all__ = [
    "DiscoveryError",
    "Entry",
    "Parsed",
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


@dataclass
class Parsed:
    """What a feed or sitemap announced: article entries, child sitemaps (of a sitemap index),
    and the entries skipped, counted by reason (``bad_url``, ``bad_scheme``, ``bad_entry``)."""

    entries: list[Entry] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


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
    """The lower-cased local name of a tag: ``{ns}link``, ``atom:link`` (an undeclared
    prefix, kept as is by the recovering parser) and ``link`` all give ``link``."""
    return _local_name(tag) if isinstance(tag, str) else ""


@lru_cache(maxsize=4096)
def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2].lower()


# -- encodings and the document's root ------------------------------------------------------

#: Byte order marks and the first bytes of ``<?`` without one (XML 1.0, appendix F).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UNMARKED = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>")
_DECLARED = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'


def to_utf8(body: bytes) -> bytes:
    """The document in UTF-8 with its BOM removed and its declaration saying so.

    A UTF-16 or UTF-32 feed (with a BOM or without, XML 1.0 appendix F) is transcoded; an
    8-bit one is returned as it is, its declaration left for lxml to act on, unless it
    claims to be UTF-16 or UTF-32, which its bytes show it is not.
    """
    encoding = None
    for bom, name in _BOMS:
        if body.startswith(bom):
            body, encoding = body[len(bom) :], name
            break
    else:
        for start, name in _UNMARKED:
            if body.startswith(start):
                encoding = name
                break
    if encoding is None:
        declared = _DECLARATION.match(body, 0, 200)
        found = _DECLARED.search(declared.group(0)) if declared else None
        if not (found and found.group(1).lower().startswith((b"utf-16", b"utf-32"))):
            return body
    elif encoding != "utf-8":
        body = body.decode(encoding, errors="replace").encode("utf-8")
    return _DECLARATION.sub(_UTF8_DECLARATION, body, count=1)


#: How far into a document its root element is looked for (prolog, comments, DOCTYPE).
ROOT_SCAN = 256 * 1024
_ROOT_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_ROOT_KINDS = {
    b"rss": "rss",
    b"rdf": "rdf",
    b"feed": "atom",
    b"urlset": "urlset",
    b"sitemapindex": "sitemapindex",
    b"html": "html",
}


def _root(body: bytes) -> bytes | None:
    """The lower-cased local name of the first element, after the prolog however long."""
    pos, end = 0, min(len(body), ROOT_SCAN)
    while pos < end:
        pos = body.find(b"<", pos, end)
        if pos < 0:
            return None
        if body.startswith(b"<!--", pos):
            pos = body.find(b"-->", pos + 4)
        elif body.startswith(b"<?", pos):
            pos = body.find(b"?>", pos + 2)
        elif body.startswith(b"<!", pos):  # DOCTYPE, perhaps with an internal subset
            close = body.find(b">", pos)
            bracket = body.find(b"[", pos, close if close >= 0 else end)
            if bracket >= 0:
                close = body.find(b"]", bracket)
                close = body.find(b">", close) if close >= 0 else -1
            pos = close
        else:
            match = _ROOT_NAME.match(body, pos)
            if not match:
                return None
            return match.group(1).rpartition(b":")[2].lower()
        if pos < 0:
            return None
        pos += 1
    return None


def sniff(body: bytes) -> str | None:
    """What a response body is: rss, rdf, atom, jsonfeed, urlset, sitemapindex, html, gzip
    or None."""
    head = body[:4096].lstrip()
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"{"):
        return "jsonfeed" if b"jsonfeed.org" in head else None
    if b"\x00" in body[:4] or body[:2] in (b"\xff\xfe", b"\xfe\xff", b"\xef\xbb"):
        body = to_utf8(body[: ROOT_SCAN * 4])
    kind = _ROOT_KINDS.get(_root(body) or b"")
    if kind:
        return kind
    lowered = head.lower()
    if b"<html" in lowered or b"<!doctype html" in lowered:
        return "html"
    return None


# -- dates ------------------------------------------------------------------------------------

#: Time-zone names seen in feeds, in hours from UTC (after feedparser's table, BSD licence).
ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 1, "cet": 1, "met": 1,
    "cest": 2, "mest": 2, "mesz": 2, "eet": 2, "eest": 3, "msk": 3, "ist": 5.5,
    "jst": 9, "kst": 9, "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
    "adt": -3, "ast": -4, "at": -4, "edt": -4, "est": -5, "et": -5,
    "cdt": -5, "cst": -6, "ct": -6, "mdt": -6, "mst": -7, "mt": -7,
    "pdt": -7, "pst": -8, "pt": -8, "akdt": -8, "akst": -9, "hst": -10,
}  # fmt: skip
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
_ZONE = r"\s*(?:([+-]\d{1,2}(?::?\d{2})?)|\(?([A-Za-z]{1,5})\)?)?\s*(?:([+-]\d{2}:?\d{2}))?"
#: ``[Weekday,] 11 Mar[ch] [20]25 [08:00[:00]] [zone]``, with spaces, dashes or dots
_RFC822 = re.compile(
    rf"^(?:[A-Za-z]+\.?(?:,\s*|\s+))?(\d{{1,2}})[\s.-]*([A-Za-z]{{3,}})\.?[\s.,-]*(\d{{2,4}})"
    rf"(?:[\sT,]+{_TIME})?{_ZONE}$"
)
#: ``Weekday, Mar[ch] 11[,] 2025 [08:00[:00]] [zone]`` and asctime's ``Tue Mar 11 08:00:00 2025``
_MONTH_FIRST = re.compile(
    rf"^(?:[A-Za-z]+\.?(?:,\s*|\s+))?([A-Za-z]{{3,}})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?"
    rf"(?:\s+(\d{{4}}))?(?:[\sT,]+{_TIME})?{_ZONE}(?:\s+(\d{{4}}))?$"
)
_PARTIAL_ISO = re.compile(r"^(\d{4})(?:-?(\d{2}))?$")
_COMPACT_ISO = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2}):?(\d{2})(?::?(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def _offset(numeric: str | None, name: str | None) -> timezone | None:
    """A zone from ``+0200``, ``+02:00``, ``-5`` or a name; None when unknown or absent."""
    if numeric:
        sign = -1 if numeric[0] == "-" else 1
        digits = numeric[1:].replace(":", "")
        hours, minutes = (
            (int(digits), 0) if len(digits) <= 2 else (int(digits[:-2]), int(digits[-2:]))
        )
        if hours > 14 or minutes > 59:
            raise ValueError(numeric)
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if name:
        named = ZONES.get(name.lower())
        return None if named is None else timezone(timedelta(hours=named))
    return None


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _assemble(
    year: int, month: int, day: int, time: tuple[str | None, ...], zone: timezone | None
) -> datetime:
    hour, minute, second = (int(t) if t else 0 for t in time)
    moment = datetime(year, month, day, hour, minute, min(second, 59))
    return moment.replace(tzinfo=zone or UTC)


def _parse_moment(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    if match := _PARTIAL_ISO.match(value):
        return datetime(int(match[1]), int(match[2] or 1), 1, tzinfo=UTC)
    if match := _COMPACT_ISO.match(value):
        zone = UTC if match[7] in (None, "Z") else _offset(match[7], None)
        return _assemble(
            int(match[1]), int(match[2]), int(match[3]), (match[4], match[5], match[6]), zone
        )
    if match := _RFC822.match(value):
        day, month_name, year, hh, mm, ss, numeric, name, trailing = match.groups()
        month = _MONTHS.get(month_name[:3].lower())
        if month is None:
            return None
        zone = _offset(numeric or trailing, name)
        return _assemble(_year(year), month, int(day), (hh, mm, ss), zone)
    if match := _MONTH_FIRST.match(value):
        month_name, day, year, hh, mm, ss, numeric, name, trailing, late_year = match.groups()
        month = _MONTHS.get(month_name[:3].lower())
        year = year or late_year
        if month is None or not year:
            return None
        zone = _offset(numeric or trailing, name)
        return _assemble(int(year), month, int(day), (hh, mm, ss), zone)
    return None


def parse_date(value: str | None) -> str | None:
    """A feed or sitemap date as ISO 8601 in UTC, or None.

    ISO 8601 / W3C-DTF (also partial and compact), RFC 822 and its variants (two-digit
    years, full month and day names, dashes, zones as names like MEST or PT, ``+02:00``),
    and asctime. A zone name not in :data:`ZONES` is read as UTC.
    """
    if not value:
        return None
    value = " ".join(value.split())
    try:
        parsed = _parse_moment(value)
    except (ValueError, OverflowError):
        return None
    if parsed is None:
        return None
    return parsed.astimezone(UTC).isoformat(timespec="seconds")


# -- URLs -------------------------------------------------------------------------------------


def clean_url(link: str, base: str) -> tuple[str | None, str]:
    """``link`` made absolute against ``base`` when it can be fetched, else None and why
    (``bad_scheme`` for javascript:, mailto: and the like, ``bad_url`` for a malformed one)."""
    link = link.strip()
    try:
        url = link if link.startswith(("http://", "https://")) else urljoin(base, link)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None, Reason.BAD_URL
    if parts.scheme.lower() not in ("http", "https"):
        return None, Reason.BAD_SCHEME
    if not parts.hostname or any(c in url for c in ' \t\r\n<>"{}\\^`'):
        return None, Reason.BAD_URL
    return url, ""


#: ``&`` not starting an entity or character reference (``?a=1&b=2`` in a feed's link), or a
#: CDATA section, kept as it is.
_BARE_AMPERSAND = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|&(?![A-Za-z][A-Za-z0-9._-]{0,31};|#[0-9]{1,7};|#x[0-9A-Fa-f]{1,6};)",
    re.DOTALL,
)


def _escape_ampersand(match: re.Match[bytes]) -> bytes:
    return b"&amp;" if match.group(0) == b"&" else match.group(0)


def _tree(body: bytes, base_url: str) -> etree._Element:
    body = to_utf8(body)
    if b"&" in body:
        body = _BARE_AMPERSAND.sub(_escape_ampersand, body)
    try:
        root = etree.fromstring(body, parser=_parser(), base_url=base_url)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError("bad_xml", str(exc)) from exc
    except ValueError as exc:  # lxml refuses some inputs outright (e.g. a bad base URL)
        raise DiscoveryError("bad_xml", str(exc)) from exc
    if root is None:
        raise DiscoveryError("bad_xml", "empty document")
    return root


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def _child(element: etree._Element, *names: str) -> etree._Element | None:
    """The first child named (local name) like one of ``names``, in the order of ``names``."""
    if len(names) == 1:
        for child in element:
            if _local(child.tag) == names[0]:
                return child
        return None
    found: dict[str, etree._Element] = {}
    for child in element:
        name = _local(child.tag)
        if name in names and name not in found:
            if name == names[0]:
                return child
            found[name] = child
    for name in names:
        if name in found:
            return found[name]
    return None


def _base(node: etree._Element, fallback: str) -> str:
    """The URL relative links of ``node`` resolve against (xml:base, else the feed's URL)."""
    try:
        return node.base or fallback
    except ValueError:
        return fallback


#: Dates an RSS item or RDF item may carry, preferred first.
_RSS_DATES = ("pubdate", "date", "issued", "created", "published", "modified", "updated")
#: Atom: when it was published, whatever the order of the elements (WordPress puts
#: ``updated`` first); Atom 0.3's ``issued``/``created``/``modified`` too.
_ATOM_DATES = ("published", "issued", "created", "updated", "modified")


def parse_feed(body: bytes, base_url: str) -> Parsed:
    """Entries of an RSS 0.9x/2.0, RSS 1.0 (RDF), Atom or JSON feed; an entry that cannot
    be read is skipped and counted, never losing the ones after it."""
    kind = sniff(body)
    if kind == "jsonfeed":
        return _parse_json_feed(body, base_url)
    if kind not in ("rss", "rdf", "atom"):
        raise DiscoveryError("not_a_feed", f"looks like {kind or 'unknown content'}")
    root = _tree(body, base_url)
    parsed = Parsed()
    for node in root.iter():
        name = _local(node.tag)
        if name not in ("item", "entry"):
            continue
        try:
            entry, why = _feed_entry(node, name, kind, base_url)
        except ValueError:
            entry, why = None, Reason.BAD_ENTRY
        if entry is not None:
            parsed.entries.append(entry)
        elif why:
            parsed.skipped[why] += 1
    return parsed


def _feed_entry(
    node: etree._Element, name: str, kind: str, base_url: str
) -> tuple[Entry | None, str]:
    if name == "item":
        link = _text(_child(node, "link")) or _guid_link(node)
        date = _text(_child(node, *_RSS_DATES))
    else:
        link = _atom_link(node)
        date = _text(_child(node, *_ATOM_DATES))
    if not link:
        return None, ""
    url, why = clean_url(link, _base(node, base_url))
    if url is None:
        return None, why
    return Entry(
        url=url,
        title=_text(_child(node, "title")),
        published=parse_date(date),
        meta={"feed_kind": kind},
    ), ""


def _guid_link(item: etree._Element) -> str | None:
    guid = _child(item, "guid")
    if guid is not None and (guid.get("isPermaLink") or "true").strip().lower() != "false":
        text = _text(guid)
        if text and text.lower().startswith(("http://", "https://")):
            return text
    return None


def _atom_link(entry: etree._Element) -> str | None:
    """The entry's alternate HTML link (``href``, or the element's text in broken feeds)."""
    fallback = None
    for child in entry:
        if _local(child.tag) != "link":
            continue
        href = child.get("href") or _text(child)
        if not href:
            continue
        rel = (child.get("rel") or "alternate").strip().lower()
        if rel == "alternate" and (child.get("type") or "text/html") in ("text/html", ""):
            return href
        fallback = fallback or (href if rel == "alternate" else None)
    return fallback


def _parse_json_feed(body: bytes, base_url: str) -> Parsed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DiscoveryError("bad_json", str(exc)) from exc
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DiscoveryError("not_a_feed", "JSON Feed without items")
    parsed = Parsed()
    for item in items:
        if not isinstance(item, dict):
            parsed.skipped[Reason.BAD_ENTRY] += 1
            continue
        link = item.get("url") or item.get("external_url")
        if not (isinstance(link, str) and link):
            continue
        url, why = clean_url(link, base_url)
        if url is None:
            parsed.skipped[why] += 1
            continue
        date = item.get("date_published")
        parsed.entries.append(
            Entry(
                url=url,
                title=item.get("title") if isinstance(item.get("title"), str) else None,
                published=parse_date(date) if isinstance(date, str) else None,
                meta={"feed_kind": "jsonfeed"},
            )
        )
    return parsed


def parse_sitemap(body: bytes, base_url: str) -> Parsed:
    """Article entries of a urlset (with news: and lastmod data) and child sitemaps of an
    index; an entry that cannot be read is skipped and counted."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body)
    kind = sniff(body)
    if kind not in ("urlset", "sitemapindex"):
        raise DiscoveryError("not_a_sitemap", f"looks like {kind or 'unknown content'}")
    root = _tree(body, base_url)
    parsed = Parsed()
    for node in root:
        name = _local(node.tag)
        if name not in ("sitemap", "url"):
            continue
        loc = _text(_child(node, "loc"))
        if not loc:
            continue
        url, why = clean_url(loc, base_url)
        if url is None:
            parsed.skipped[why] += 1
        elif name == "sitemap":
            parsed.children.append(url)
        else:
            try:
                parsed.entries.append(_sitemap_entry(node, url))
            except ValueError:
                parsed.skipped[Reason.BAD_ENTRY] += 1
    return parsed


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
