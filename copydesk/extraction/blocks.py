"""Turn an extractor's output tree into a flat list of text blocks (one per paragraph)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

__all__ = ["Block", "from_trafilatura", "normalise_space"]

_SPACES = re.compile(r"\s+")
# Block kinds: "p" paragraph, "head" heading, "item" list item, "quote", "code", "table".
_TRAFILATURA_KINDS = {"p": "p", "head": "head", "quote": "quote", "code": "code"}


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
        elif isinstance(tag, str):
            # Other elements are containers: trafilatura's fallback extractors return the
            # page's own <div>s, with text in their children, their own text and tails.
            if element.text and element.text.strip():
                yield Block("p", normalise_space(element.text)), element
            yield from _trafilatura_blocks(element, include_tables)
        if element.tail and element.tail.strip() and body.tag not in ("body", "doc"):
            yield Block("p", normalise_space(element.tail)), element


def from_trafilatura(body: etree._Element, include_tables: bool = False) -> list[Block]:
    """Blocks of trafilatura's XML body: list items and table rows become blocks of their own."""
    return [block for block, _ in _trafilatura_blocks(body, include_tables)]
