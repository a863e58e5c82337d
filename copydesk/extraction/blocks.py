"""Turn an extractor's output tree into a flat list of text blocks (one per paragraph)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

__all__ = [
    "Block",
    "from_html_fragment",
    "from_trafilatura",
    "normalise_space",
    "with_link_shares",
]

_SPACES = re.compile(r"\s+")
# Block kinds: "p" paragraph, "head" heading, "item" list item, "quote", "code", "table".
_TRAFILATURA_KINDS = {"p": "p", "head": "head", "quote": "quote", "code": "code"}
_HTML_KINDS = {
    "p": "p",
    "h1": "head",
    "h2": "head",
    "h3": "head",
    "h4": "head",
    "h5": "head",
    "h6": "head",
    "li": "item",
    "dt": "item",
    "dd": "item",
    "blockquote": "quote",
    "pre": "code",
    "figcaption": "caption",
    "caption": "caption",
}
_HTML_BLOCK_LEVEL = frozenset(
    {
        *_HTML_KINDS,
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "ul",
        "ol",
        "dl",
        "table",
        "tr",
        "figure",
        "hr",
        "nav",
        "details",
        "summary",
        "address",
    }
)
_HTML_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "button", "form"})


@dataclass(frozen=True)
class Block:
    """One paragraph of extracted text and what kind of element it came from."""

    kind: str
    text: str


def normalise_space(text: str) -> str:
    """Collapse every run of whitespace to one space and strip."""
    return _SPACES.sub(" ", text).strip()


def _text_of(element: etree._Element) -> str:
    parts: list[str] = []
    for node in element.iter():
        if node.tag == "lb":
            parts.append(" ")
        elif node.text:
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return normalise_space("".join(parts))


def _trafilatura_blocks(
    body: etree._Element, include_tables: bool
) -> Iterator[tuple[Block, etree._Element]]:
    for element in body:
        tag = element.tag
        if tag == "list":
            for item in element.iter("item"):
                text = _text_of(item)
                if text:
                    yield Block("item", text), item
        elif tag == "table":
            if include_tables:
                rows = (
                    " | ".join(_text_of(cell) for cell in row.iter("cell"))
                    for row in element.iter("row")
                )
                text = "\n".join(r for r in rows if r.strip(" |"))
                if text:
                    yield Block("table", text), element
        elif tag in _TRAFILATURA_KINDS:
            text = _text_of(element)
            if text:
                yield Block(_TRAFILATURA_KINDS[tag], text), element


def from_trafilatura(body: etree._Element, include_tables: bool = False) -> list[Block]:
    """Blocks of trafilatura's XML body: list items and table rows become blocks of their own."""
    return [block for block, _ in _trafilatura_blocks(body, include_tables)]


def with_link_shares(
    body: etree._Element, include_tables: bool = False
) -> tuple[list[Block], list[float]]:
    """:func:`from_trafilatura` and, per block, the share of its characters inside links.

    Links are only marked (``ref`` elements) when trafilatura ran with ``include_links``.
    """
    blocks: list[Block] = []
    shares: list[float] = []
    for block, element in _trafilatura_blocks(body, include_tables):
        linked = sum(len(_text_of(ref)) for ref in element.iter("ref"))
        blocks.append(block)
        shares.append(min(1.0, linked / len(block.text)))
    return blocks, shares


def from_html_fragment(fragment: str) -> list[Block]:
    """Blocks of an HTML fragment (e.g. readability's summary), split at block-level elements."""
    if not fragment.strip():
        return []
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    out: list[Block] = []
    buffer: list[str] = []
    kinds: list[str] = ["p"]

    def flush() -> None:
        text = normalise_space("".join(buffer))
        buffer.clear()
        if text:
            out.append(Block(kinds[-1], text))

    def walk(element: etree._Element) -> None:
        for child in element:
            if not isinstance(child.tag, str) or child.tag in _HTML_SKIP:
                if child.tail:
                    buffer.append(child.tail)
                continue
            if child.tag == "br":
                buffer.append(" ")
            elif child.tag in _HTML_BLOCK_LEVEL:
                flush()
                kinds.append(_HTML_KINDS.get(child.tag, kinds[-1]))
                if child.text:
                    buffer.append(child.text)
                walk(child)
                flush()
                kinds.pop()
            else:
                if child.text:
                    buffer.append(child.text)
                walk(child)
            if child.tail:
                buffer.append(child.tail)

    if root.text:
        buffer.append(root.text)
    walk(root)
    flush()
    return out
