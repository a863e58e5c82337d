"""Numeric features of candidate blocks (text, position, candidate membership, DOM context)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lxml import etree

from copydesk.extraction.blocks import Block, normalise_space
from copydesk.extraction.cleanup import RULES, is_furniture

__all__ = ["FEATURE_NAMES", "BlockContext", "block_features", "dom_index", "text_key"]

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ]")  # a word starting with a capital letter
_PUNCT = re.compile(r"[.,;:!?]")
_SENTENCE_END = re.compile(r"[.!?…\"'”’)»]$")
_STOPWORDS = frozenset(
    _WORD.findall(
        """
the a an and or but of to in on at for with by from as is are was were be been it its this
that these those he she they we you i his her their our not have has had will would can
could said says der die das und ist von zu den mit le la les et des est un une du en el
los las y que por para il di che
"""
    )
)
_KINDS = ("p", "head", "item", "quote", "table", "code")
_RULE_NAMES = tuple(name for name, _, _ in RULES)
# Class/id fragments of an ancestor that hint at what a block is; one feature per group.
_CLASS_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("comment", ("comment", "disqus", "reply", "respond")),
    ("related", ("related", "recirc", "recommend", "more-", "read-", "teaser", "trending")),
    ("share", ("share", "social", "sharing")),
    ("newsletter", ("newsletter", "subscribe", "signup", "sign-up", "paywall", "register")),
    ("bio", ("bio", "author", "byline", "contributor")),
    ("caption", ("caption", "credit", "figure", "photo", "image", "media", "gallery")),
    ("footer", ("footer", "foot", "bottom", "copyright")),
    ("sidebar", ("sidebar", "aside", "widget", "rail")),
    ("promo", ("promo", "advert", "sponsor", "banner", "-ad", "ad-", "ads")),
    ("tags", ("tag", "categor", "topic", "keyword")),
    ("nav", ("nav", "menu", "breadcrumb", "pagination", "header")),
    ("meta", ("meta", "date", "time", "info", "dateline")),
    ("content", ("content", "article", "body", "story", "post", "entry", "main", "text")),
)
_ANCESTOR_TAGS = ("article", "main", "aside", "footer", "header", "nav", "figure", "blockquote")
_INDEXED_TAGS = (
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "figcaption",
    "caption",
    "td",
    "dd",
    "dt",
    "pre",
    "div",
    "span",
    "section",
)
_KEY_CHARS = 60

FEATURE_NAMES: tuple[str, ...] = (
    "log_words",
    "log_chars",
    "link_share",
    "punct_per_word",
    "sentence_end",
    "starts_upper",
    "digit_share",
    "capitalised_share",
    "stopword_share",
    "position",
    "index_from_start",
    "index_from_end",
    "words_before_share",
    "word_share",
    "in_default",
    "in_readability",
    "readability_ran",
    *(f"kind_{k}" for k in _KINDS),
    "title_jaccard",
    "is_title",
    *(f"rule_{r}" for r in _RULE_NAMES),
    "dom_found",
    "dom_depth",
    "dom_link_share",
    *(f"class_{g}" for g, _ in _CLASS_GROUPS),
    *(f"in_{t}" for t in _ANCESTOR_TAGS),
    "prev_in_default",
    "next_in_default",
    "prev_log_words",
    "next_log_words",
    "prev_link_share",
    "next_link_share",
    "page_log_blocks",
    "page_default_share",
    "page_readability_share",
)


def text_key(text: str) -> str:
    """Lower-cased word string of ``text``: how blocks of different candidates are matched."""
    return " ".join(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class BlockContext:
    """Where a block's text sits in the page's DOM (absent when it was not found)."""

    depth: int
    link_share: float
    classes: str
    tags: frozenset[str]


def dom_index(tree: etree._Element | None) -> dict[str, etree._Element]:
    """Innermost element whose text starts with each key (see :func:`text_key`)."""
    out: dict[str, etree._Element] = {}
    if tree is None:
        return out
    for element in tree.iter(*_INDEXED_TAGS):
        if element.tag in ("div", "span", "section") and not (element.text or "").strip():
            continue
        key = text_key(element.text_content())[:_KEY_CHARS]
        if key:
            out[key] = element  # document order: descendants overwrite their ancestors
    return out


def _context(element: etree._Element) -> BlockContext:
    text = normalise_space(element.text_content())
    linked = sum(len(normalise_space(a.text_content())) for a in element.iter("a"))
    if element.tag == "a":
        linked = len(text)
    names: list[str] = []
    tags: set[str] = set()
    depth = 0
    node: etree._Element | None = element
    while node is not None:
        if isinstance(node.tag, str):
            tags.add(node.tag)
            names.append(node.get("class") or "")
            names.append(node.get("id") or "")
        depth += 1
        node = node.getparent()
    share = min(1.0, linked / len(text)) if text else 0.0
    return BlockContext(depth, share, " ".join(names).lower(), frozenset(tags))


def block_features(
    blocks: Sequence[Block],
    link_shares: Sequence[float],
    default_keys: set[str],
    readability_keys: set[str] | None,
    title: str | None,
    index: dict[str, etree._Element],
) -> np.ndarray:
    """One row of :data:`FEATURE_NAMES` per block."""
    n = len(blocks)
    rows = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float64)
    if not n:
        return rows
    keys = [text_key(b.text) for b in blocks]
    counts = [len(k.split()) if k else 0 for k in keys]
    total = sum(counts) or 1
    title_words = set(text_key(title).split()) if title else set()
    title_key = text_key(title) if title else ""
    in_default = [float(k in default_keys) for k in keys]
    in_readability = [float(readability_keys is not None and k in readability_keys) for k in keys]
    log_words = [math.log1p(c) for c in counts]
    before = 0
    page = [
        math.log1p(n),
        sum(c for c, d in zip(counts, in_default, strict=True) if d) / total,
        sum(c for c, r in zip(counts, in_readability, strict=True) if r) / total,
    ]
    for i, block in enumerate(blocks):
        text = block.text
        lowered = _WORD.findall(text.lower())
        n_words = max(len(lowered), 1)
        word_set = set(lowered)
        context = _context(index[keys[i][:_KEY_CHARS]]) if keys[i][:_KEY_CHARS] in index else None
        rule = is_furniture(text)
        row: list[float] = [
            log_words[i],
            math.log1p(len(text)),
            link_shares[i],
            len(_PUNCT.findall(text)) / n_words,
            float(bool(_SENTENCE_END.search(text))),
            float(text[:1].isupper()),
            len(_DIGIT.findall(text)) / max(len(text), 1),
            len(_CAPITALISED.findall(text)) / n_words,
            sum(map(_STOPWORDS.__contains__, lowered)) / n_words,
            i / max(n - 1, 1),
            min(i, 10) / 10,
            min(n - 1 - i, 10) / 10,
            before / total,
            counts[i] / total,
            in_default[i],
            in_readability[i],
            float(readability_keys is not None),
            *(float(block.kind == k) for k in _KINDS),
            len(word_set & title_words) / len(word_set | title_words) if title_words else 0.0,
            float(bool(title_key) and keys[i] == title_key),
            *(float(rule == r) for r in _RULE_NAMES),
            float(context is not None),
            (context.depth / 30) if context else 0.0,
            context.link_share if context else 0.0,
            *(
                float(context is not None and any(f in context.classes for f in fragments))
                for _, fragments in _CLASS_GROUPS
            ),
            *(float(context is not None and t in context.tags) for t in _ANCESTOR_TAGS),
            in_default[i - 1] if i else 0.0,
            in_default[i + 1] if i + 1 < n else 0.0,
            log_words[i - 1] if i else 0.0,
            log_words[i + 1] if i + 1 < n else 0.0,
            link_shares[i - 1] if i else 0.0,
            link_shares[i + 1] if i + 1 < n else 0.0,
            *page,
        ]
        rows[i] = row
        before += counts[i]
    return rows
