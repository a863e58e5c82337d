"""Turn one HTML page into clean article text and metadata, or say why it is not an article."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import trafilatura
from lxml import etree

__all__ = [
    "EXTRACTOR_VERSION",
    "ExtractOptions",
    "Extraction",
    "NotAnArticle",
    "extract",
]

#: Bumped whenever a change to this module can change what is stored; recorded on every row so
#: `copydesk reextract` knows which pages are stale.
EXTRACTOR_VERSION = "1"

# Block elements of trafilatura's XML body that become paragraphs of their own.
_BLOCK_TAGS = frozenset({"p", "head", "quote", "code", "list", "table"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I)


class NotAnArticle(Exception):
    """The page is not stored; ``reason`` is a short stat-friendly code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ExtractOptions:
    """Options of the extractor, built once and passed down."""

    min_chars: int = 400
    min_paragraphs: int = 2
    include_tables: bool = False
    favor_precision: bool = False
    favor_recall: bool = False
    fast: bool = False


@dataclass
class Extraction:
    """Clean text and metadata of one article page."""

    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    site_name: str | None = None
    language: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    canonical_url: str | None = None
    extractor_version: str = EXTRACTOR_VERSION

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def extract(
    html: str | bytes, url: str | None = None, options: ExtractOptions | None = None
) -> Extraction:
    """Extract the article in ``html``; raise :class:`NotAnArticle` when there is none."""
    options = options or ExtractOptions()
    if isinstance(html, bytes):
        if not html.strip():
            raise NotAnArticle("empty")
        if b"\x00" in html[:2048]:
            raise NotAnArticle("not_html", "binary content")
    elif not html.strip():
        raise NotAnArticle("empty")
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=options.include_tables,
            deduplicate=False,
            favor_precision=options.favor_precision,
            favor_recall=options.favor_recall,
            fast=options.fast,
            output_format="python",
        )
    except (ValueError, etree.LxmlError) as exc:  # trafilatura raises on some broken trees
        raise NotAnArticle("unparsable", str(exc)) from exc
    if doc is None or doc.body is None:
        raise NotAnArticle("no_text")
    paragraphs = _paragraphs(doc.body)
    text = "\n\n".join(paragraphs)
    if len(text) < options.min_chars or len(paragraphs) < options.min_paragraphs:
        raise NotAnArticle("too_short", f"{len(text)} chars in {len(paragraphs)} paragraphs")
    return Extraction(
        text=text,
        title=_clean(doc.title),
        authors=_split_authors(doc.author),
        published=doc.date or None,
        site_name=_clean(doc.sitename),
        language=_clean(doc.language) or _html_lang(html),
        description=_clean(doc.description),
        tags=[t for t in (_clean(t) for t in (doc.tags or [])) if t],
        image=_clean(doc.image),
        canonical_url=_clean(doc.url),
    )


def _paragraphs(body: etree._Element) -> list[str]:
    """One paragraph per block element of trafilatura's body, whitespace normalised."""
    out: list[str] = []
    for element in body:
        if element.tag not in _BLOCK_TAGS:
            continue
        if element.tag == "list":
            items = [_normalise(_text_of(item)) for item in element.iter("item")]
            out.extend(item for item in items if item)
            continue
        if element.tag == "table":
            rows = [
                " | ".join(_normalise(_text_of(cell)) for cell in row.iter("cell"))
                for row in element.iter("row")
            ]
            text = "\n".join(r for r in rows if r.strip(" |"))
        else:
            text = _normalise(_text_of(element))
        if text:
            out.append(text)
    return out


def _normalise(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return " ".join(line for line in lines if line)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = _normalise(value)
    return value or None


def _split_authors(author: str | None) -> list[str]:
    if not author:
        return []
    return [a for a in (_normalise(p) for p in re.split(r";|\band\b", author)) if a]


def _text_of(element: etree._Element) -> str:
    """Text of an element with line breaks (``<lb/>``) kept as spaces."""
    parts: list[str] = []
    for node in element.iter():
        if node.tag == "lb":
            parts.append(" ")
        elif node.text:
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def _html_lang(html: str | bytes) -> str | None:
    """Primary language subtag of ``<html lang>``, lower-cased."""
    head = html[:8192]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    match = _HTML_LANG.search(head)
    return match.group(1).decode("ascii").lower() if match else None
