"""Numeric features of every text block of a page, for the learned page-block classifier.

A block is a run of text of the page (`copydesk.extraction.segment`). Besides what its own
text looks like, a block is described by where it sits in the DOM (its element's and its
ancestors' tags and class/id words, its section's heading, the region that holds most of
trafilatura's output) and by how much of it trafilatura kept, so the classifier learns where
to trust trafilatura and where not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
from lxml import etree

from copydesk.extraction.blocks import Block
from copydesk.extraction.cleanup import RULES, is_furniture
from copydesk.extraction.segment import PageBlock

__all__ = ["PAGE_FEATURE_NAMES", "feature_rows", "page_block_features"]

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ]")
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
_KINDS = ("p", "head", "item", "quote", "code", "caption", "cell", "other")
_RULE_NAMES = tuple(name for name, _, _ in RULES)
# The rule_* column of each rule (a block that no rule matches has 0 in all of them).
_RULE_COLUMN: dict[str | None, int] = {rule: k for k, rule in enumerate(_RULE_NAMES)}
_PUNCTUATION = ".,;:!?"
# Class/id fragments that hint at what a region is; one feature per group, for the block's own
# element and for any of its ancestors.
_CLASS_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile("|".join(re.escape(f) for f in fragments)))
    for name, fragments in (
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
        ("hidden", ("hidden", "sr-only", "visually-hidden", "screen-reader", "modal", "popup")),
    )
)
_ANCESTOR_TAGS = (
    "article",
    "main",
    "aside",
    "footer",
    "header",
    "nav",
    "figure",
    "form",
    "table",
    "li",
    "blockquote",
    "p",
    "button",
)
_TAG_BIT = {tag: 1 << k for k, tag in enumerate(_ANCESTOR_TAGS)}
# What the nearest heading before a block says its section is.
_SECTION_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("comments", r"\b(comments?|repl(y|ies)|responses?|discussion|thoughts on|conversation)\b"),
        (
            "related",
            r"\b(related|recommended|you (may|might) also|more (from|stories|articles|on)|"
            r"read (next|more)|popular|trending|latest|recent posts?|further reading)\b",
        ),
        ("author", r"\b(about (the )?author|about me|author|written by|bio)\b"),
        ("newsletter", r"\b(newsletter|subscribe|sign up|stay (in touch|updated)|join)\b"),
        ("share", r"\b(share|follow us|social)\b"),
        ("tags", r"\b(tags?|topics?|categories|filed under)\b"),
        ("footer", r"\b(contact|legal|privacy|terms|copyright|company|resources|quick links)\b"),
    )
)
_COMMENT_LIKE = re.compile(
    r"\b(says|said|wrote|replied)\s*:|\b(reply|log in to reply|report)\s*$|"
    r"\b\d+\s+(minutes?|hours?|days?|weeks?|months?|years?)\s+ago\b|"
    r"\b(at|@)\s+\d{1,2}:\d{2}\s*(am|pm)?\b",
    re.I,
)
_SHINGLE = 3
_LEVELS = (1, 2, 3)
_UP_STATS = ("log_words", "link_share", "page_share", "default_share", "log_blocks")

# Columns of _text_row after the two counts, and of the container and headline groups.
_TEXT_SHAPE = (
    "punct_per_word",
    "sentence_end",
    "starts_upper",
    "digit_share",
    "capitalised_share",
    "stopword_share",
)
_CONTAINER = (
    "container_log_words",
    "container_link_share",
    "container_default_share",
    "container_blocks",
)
_FROM_TITLE = ("after_title", "blocks_from_title", "words_from_title_share")

#: The features of a block, in the order of a row; rows are built by name (:func:`feature_rows`)
#: and a model finds its features by name (:meth:`BlockModel.for_features`).
PAGE_FEATURE_NAMES: tuple[str, ...] = (
    "log_words",
    "log_chars",
    "link_share",
    *_TEXT_SHAPE,
    "position",
    "words_before_share",
    "word_share",
    *(f"kind_{k}" for k in _KINDS),
    "title_jaccard",
    "is_title",
    *(f"rule_{r}" for r in _RULE_NAMES),
    "in_default",
    "prev_in_default",
    "next_in_default",
    "gap_to_default",
    "prev_log_words",
    "next_log_words",
    "prev_link_share",
    "next_link_share",
    "depth",
    *(f"own_class_{g}" for g, _ in _CLASS_GROUPS),
    *(f"class_{g}" for g, _ in _CLASS_GROUPS),
    *(f"in_tag_{t}" for t in _ANCESTOR_TAGS),
    "attr_hidden",
    "in_default_region",
    *_CONTAINER,
    *(f"up{level}_{stat}" for level in _LEVELS for stat in _UP_STATS),
    "repeat_log",
    *_FROM_TITLE,
    *(f"section_{g}" for g, _ in _SECTION_GROUPS),
    "section_heading_in_default",
    "comment_like",
    "prev_comment_like",
    "next_comment_like",
    "page_log_blocks",
    "page_log_words",
    "page_default_share",
)


_FEATURE_SET = frozenset(PAGE_FEATURE_NAMES)
if len(_FEATURE_SET) != len(PAGE_FEATURE_NAMES):
    raise ValueError("PAGE_FEATURE_NAMES repeats a name")


def _shingles(words: list[str]) -> Iterator[tuple[str, ...]]:
    """The runs of `_SHINGLE` consecutive words, in order."""
    return zip(*(words[k:] for k in range(_SHINGLE)), strict=False)


class _Kept:
    """trafilatura's output as a shingle set and a padded word string, for membership."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        words = _WORD.findall(" ".join(b.text for b in blocks).lower())
        self.shingles = set(_shingles(words))
        self.padded = f" {' '.join(words)} "

    def share(self, words: list[str]) -> float:
        """Share of a block's shingles (a short block: its whole text) found in the output."""
        if not words:
            return 0.0
        if len(words) < _SHINGLE:
            return float(f" {' '.join(words)} " in self.padded)
        found = sum(map(self.shingles.__contains__, _shingles(words)))
        return found / (len(words) - _SHINGLE + 1)


def _tag(node: etree._Element) -> str:
    tag = node.tag
    return _name(tag) if isinstance(tag, str) else ""


@lru_cache(maxsize=1024)
def _name(tag: str) -> str:
    """A tag lower-cased, without its namespace (memoised: pages repeat them)."""
    return tag.lower().rpartition("}")[2]


# any fragment of any of _CLASS_GROUPS (most class and id values hold none)
_ANY_CLASS_GROUP = re.compile("|".join(rx.pattern for _, rx in _CLASS_GROUPS))


@lru_cache(maxsize=8192)
def _names_mask(names: str) -> int:
    """Class-group bits of a class or id attribute (memoised: templates repeat them)."""
    names = names.lower()
    if not _ANY_CLASS_GROUP.search(names):
        return 0
    return sum(1 << k for k, (_, rx) in enumerate(_CLASS_GROUPS) if rx.search(names))


def _class_mask(node: etree._Element) -> int:
    mask = 0
    for attribute in ("class", "id"):
        value = node.get(attribute)
        if value and len(value) > 2:
            mask |= _names_mask(value)
    return mask


def _is_hidden(node: etree._Element) -> bool:
    if node.get("hidden") is not None or node.get("aria-hidden") == "true":
        return True
    style = node.get("style")
    if not style:
        return False
    style = style.replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


class _Tree:
    """The elements above the page's blocks, numbered, with what each says about itself and
    inherits from its ancestors (memoised: blocks share most of their ancestors)."""

    def __init__(self) -> None:
        self.index: dict[etree._Element, int] = {}
        self.parent: list[int] = []
        self.depth: list[int] = []
        self.own: list[int] = []  # class-group bits of the element
        self.any: list[int] = []  # class-group bits of the element or an ancestor
        self.tags: list[int] = []  # _ANCESTOR_TAGS bits of the element or an ancestor
        self.hidden: list[bool] = []

    def add(self, node: etree._Element) -> int:
        """The number of ``node``, numbering it and its unnumbered ancestors."""
        chain: list[etree._Element] = []
        current: etree._Element | None = node
        while current is not None and current not in self.index:
            chain.append(current)
            current = current.getparent()
        up = self.index[current] if current is not None else -1
        for element in reversed(chain):
            k = len(self.parent)
            own = _class_mask(element)
            tag = _TAG_BIT.get(_tag(element), 0)
            hidden = _is_hidden(element)
            if up < 0:
                self.depth.append(1)
                self.any.append(own)
                self.tags.append(tag)
                self.hidden.append(hidden)
            else:
                self.depth.append(self.depth[up] + 1)
                self.any.append(self.any[up] | own)
                self.tags.append(self.tags[up] | tag)
                self.hidden.append(self.hidden[up] or hidden)
            self.parent.append(up)
            self.own.append(own)
            self.index[element] = k
            up = k
        return self.index[node]


def _up(elements: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """The parent of each of ``elements``, the element itself for the top one."""
    above = parent[elements]
    return np.where(above >= 0, above, elements)


def _ancestor_pairs(owner: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(block, element) pairs of every block and each element from its owner up to the top,
    ordered by block, then from the owner up (the order the per-element sums add in).

    Built a level at a time over all blocks instead of a block at a time."""
    levels_block, levels_element = [], []
    block, element = np.arange(len(owner)), owner
    while len(element):
        levels_block.append(block)
        levels_element.append(element)
        above = parent[element]
        inside = above >= 0
        block, element = block[inside], above[inside]
    pair_block, pair_element = np.concatenate(levels_block), np.concatenate(levels_element)
    order = np.argsort(pair_block, kind="stable")  # within a block: owner first, then up
    return pair_block[order], pair_element[order]


def _bits(values: Sequence[int] | np.ndarray, width: int) -> np.ndarray:
    """(n, width) 0/1 columns of integer bit masks."""
    masks = np.asarray(values, dtype=np.int64)[:, None]
    return ((masks >> np.arange(width)) & 1).astype(np.float64)


def _shifted(values: np.ndarray, by: int) -> np.ndarray:
    """values[i - by] (0 where out of range): by=1 the previous block's, by=-1 the next's."""
    out = np.zeros_like(values)
    if by > 0:
        out[by:] = values[:-by]
    else:
        out[:by] = values[-by:]
    return out


def _named(names: Sequence[str], matrix: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of ``matrix`` by name (as many names as columns)."""
    if matrix.shape[1] != len(names):
        raise ValueError(f"{matrix.shape[1]} columns for {len(names)} names: {names[0]}...")
    return {name: matrix[:, k] for k, name in enumerate(names)}


def feature_rows(columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    """(n, len(PAGE_FEATURE_NAMES)) rows from columns keyed by feature name, in the order of
    :data:`PAGE_FEATURE_NAMES`; a missing or unknown name is an error, not a shifted column."""
    if columns.keys() != _FEATURE_SET:
        missing = sorted(_FEATURE_SET - columns.keys())
        unknown = sorted(columns.keys() - _FEATURE_SET)
        raise ValueError(f"page features do not match: missing {missing}, unknown {unknown}")
    rows = np.empty((n, len(PAGE_FEATURE_NAMES)))
    for k, name in enumerate(PAGE_FEATURE_NAMES):
        rows[:, k] = columns[name]
    return rows


def _comment_like(text: str, lowered: str) -> bool:
    """Whether ``text`` (``lowered``: lower-cased) reads like a comment's header or footer.

    Each of `_COMMENT_LIKE`'s patterns holds a colon, "ago" or "rep" (reply, report), whose
    letters no other letter matches under IGNORECASE: a substring test spares the search on
    most blocks."""
    if ":" in text or "ago" in lowered or "rep" in lowered:
        return _COMMENT_LIKE.search(text) is not None
    return False


def _text_row(
    text: str, lowered: str, words: list[str], key: str, title_words: set[str], title_key: str
) -> list[float]:
    """Features of a block's own text (``lowered``: lower-cased; ``key``: its words joined by
    spaces): counts, shape, title likeness, comment likeness (the furniture rule is asked
    separately)."""
    n_words = max(len(words), 1)
    word_set = set(words)
    shared = len(word_set & title_words)
    return [
        math.log1p(len(words)),
        math.log1p(len(text)),
        sum(map(text.count, _PUNCTUATION)) / n_words,
        float(bool(_SENTENCE_END.search(text))),
        float(text[:1].isupper()),
        len(_DIGIT.findall(text)) / max(len(text), 1),
        len(_CAPITALISED.findall(text)) / n_words,
        sum(map(_STOPWORDS.__contains__, words)) / n_words,
        shared / (len(word_set) + len(title_words) - shared) if title_words else 0.0,
        float(bool(title_key) and key == title_key),
        float(_comment_like(text, lowered)),
    ]


def page_block_features(
    blocks: Sequence[PageBlock], kept_by_trafilatura: Sequence[Block], title: str | None
) -> np.ndarray:
    """One row of :data:`PAGE_FEATURE_NAMES` per block of the page; ``kept_by_trafilatura``
    is trafilatura's extraction of the same page."""
    n = len(blocks)
    if not n:
        return np.zeros((0, len(PAGE_FEATURE_NAMES)))
    lowered = [b.text.lower() for b in blocks]
    words = [_WORD.findall(low) for low in lowered]
    keys = [" ".join(w) for w in words]
    counts = np.array([len(w) for w in words], dtype=np.float64)
    total = max(float(counts.sum()), 1.0)
    kept = _Kept(kept_by_trafilatura)
    in_default = np.array([kept.share(w) for w in words])
    title_words = set(_WORD.findall(title.lower())) if title else set()
    title_key = " ".join(_WORD.findall(title.lower())) if title else ""
    text = np.array(
        [
            _text_row(b.text, low, w, key, title_words, title_key)
            for b, low, w, key in zip(blocks, lowered, words, keys, strict=True)
        ]
    )
    log_words, log_chars = text[:, 0], text[:, 1]
    comment_like = text[:, -1]
    # one column per rule, 1 where it is the block's furniture rule (-1: none)
    rule = np.array([_RULE_COLUMN.get(is_furniture(b.text), -1) for b in blocks])
    rules = (rule[:, None] == np.arange(len(_RULE_NAMES))).astype(np.float64)
    chars = np.array([len(b.text) for b in blocks], dtype=np.float64)
    links = np.array([b.link_chars for b in blocks], dtype=np.float64)
    link_share = np.minimum(1.0, links / np.maximum(chars, 1.0))

    # The DOM above the blocks: every element numbered, sums of its blocks per element.
    tree = _Tree()
    owner = np.array([tree.add(b.element) for b in blocks], dtype=np.int64)
    parent = np.array(tree.parent, dtype=np.int64)  # -1 above the top element
    pair_block, pair_element = _ancestor_pairs(owner, parent)
    m = len(parent)

    def per_element(values: np.ndarray) -> np.ndarray:
        return np.bincount(pair_element, values[pair_block], minlength=m)

    el_words = per_element(counts)
    el_links, el_chars = per_element(links), per_element(chars)
    el_default = per_element(in_default * counts)
    el_blocks = per_element(np.ones(n))
    depth = np.array(tree.depth, dtype=np.float64)
    # The region of trafilatura's output: the deepest element holding 80% of what it kept.
    holds = el_default >= 0.8 * el_default.max() if el_default.max() > 0 else np.zeros(m, bool)
    region = int(np.argmax(np.where(holds, depth, -1))) if holds.any() else -1
    in_region = np.zeros(n)
    if region >= 0:
        in_region[pair_block[pair_element == region]] = 1.0

    parents = _up(owner, parent)
    # Siblings: blocks whose elements share a parent.
    _, group = np.unique(parents, return_inverse=True)
    g_words = np.bincount(group, counts)
    container = np.column_stack(
        [
            np.log1p(g_words)[group],
            (np.bincount(group, links) / np.maximum(np.bincount(group, chars), 1.0))[group],
            (np.bincount(group, in_default * counts) / np.maximum(g_words, 1.0))[group],
            np.log1p(np.bincount(group))[group],
        ]
    )
    up_columns = []
    at = owner
    for level in range(1, max(_LEVELS) + 1):
        at = _up(at, parent)  # ``level`` elements up, or the top one
        if level not in _LEVELS:
            continue
        up_columns += [
            np.log1p(el_words[at]),
            np.minimum(1.0, el_links[at] / np.maximum(el_chars[at], 1.0)),
            el_words[at] / total,
            el_default[at] / np.maximum(el_words[at], 1.0),
            np.log1p(el_blocks[at]),
        ]

    seen: dict[str, int] = {}
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
    repeat = np.log1p(np.array([seen[k] - 1 for k in keys], dtype=np.float64))

    # The headline's block: the heading (else block) most like the title (the Jaccard
    # similarity of their words, the title_jaccard column).
    title_at = -1
    if title_words:
        best = 0.6
        for i, w in enumerate(words):
            if w and len(w) <= 3 * len(title_words):
                jac = text[i, 8]
                if jac > best or (jac == best and blocks[i].kind == "head"):
                    best, title_at = jac, i
    index = np.arange(n, dtype=np.float64)
    before = np.concatenate([[0.0], np.cumsum(counts)[:-1]])
    if title_at >= 0:
        from_title = np.column_stack(
            [
                (index > title_at).astype(np.float64),
                np.clip(index - title_at, -20, 20) / 20,
                (before - before[title_at]) / total,
            ]
        )
    else:
        from_title = np.column_stack([np.full(n, 0.5), np.zeros(n), np.zeros(n)])

    # The section a block is in: what the last short heading before it says.
    section = np.zeros((n, len(_SECTION_GROUPS) + 1))
    current = np.zeros(len(_SECTION_GROUPS) + 1)
    for i, b in enumerate(blocks):
        if b.kind == "head" and counts[i] <= 12:
            current = np.array(
                [float(bool(rx.search(b.text))) for _, rx in _SECTION_GROUPS] + [in_default[i]]
            )
        section[i] = current

    # Distance to the nearest block trafilatura kept.
    kept_at = np.flatnonzero(in_default >= 0.5)
    if len(kept_at):
        pos = np.clip(np.searchsorted(kept_at, index), 1, len(kept_at)) - 1
        gap = np.minimum(
            np.abs(index - kept_at[pos]),
            np.abs(index - kept_at[np.minimum(pos + 1, len(kept_at) - 1)]),
        )
    else:
        gap = np.full(n, 20.0)

    kinds = np.array([b.kind for b in blocks])
    columns: dict[str, np.ndarray] = {
        "log_words": log_words,
        "log_chars": log_chars,
        "link_share": link_share,
        **_named(_TEXT_SHAPE, text[:, 2:8]),
        "position": index / max(n - 1, 1),
        "words_before_share": before / total,
        "word_share": counts / total,
        **{f"kind_{k}": (kinds == k).astype(np.float64) for k in _KINDS},
        "title_jaccard": text[:, 8],
        "is_title": text[:, 9],
        **_named([f"rule_{r}" for r in _RULE_NAMES], rules),
        "in_default": in_default,
        "prev_in_default": _shifted(in_default, 1),
        "next_in_default": _shifted(in_default, -1),
        "gap_to_default": np.minimum(gap, 20) / 20,
        "prev_log_words": _shifted(log_words, 1),
        "next_log_words": _shifted(log_words, -1),
        "prev_link_share": _shifted(link_share, 1),
        "next_link_share": _shifted(link_share, -1),
        "depth": depth[owner] / 30,
        **_named(
            [f"own_class_{g}" for g, _ in _CLASS_GROUPS],
            _bits(np.array(tree.own)[owner], len(_CLASS_GROUPS)),
        ),
        **_named(
            [f"class_{g}" for g, _ in _CLASS_GROUPS],
            _bits(np.array(tree.any)[owner], len(_CLASS_GROUPS)),
        ),
        **_named(
            [f"in_tag_{t}" for t in _ANCESTOR_TAGS],
            _bits(np.array(tree.tags)[owner], len(_ANCESTOR_TAGS)),
        ),
        "attr_hidden": np.array(tree.hidden, dtype=np.float64)[owner],
        "in_default_region": in_region,
        **_named(_CONTAINER, container),
        **_named(
            [f"up{level}_{stat}" for level in _LEVELS for stat in _UP_STATS],
            np.column_stack(up_columns),
        ),
        "repeat_log": repeat,
        **_named(_FROM_TITLE, from_title),
        **_named([f"section_{g}" for g, _ in _SECTION_GROUPS], section[:, :-1]),
        "section_heading_in_default": section[:, -1],
        "comment_like": comment_like,
        "prev_comment_like": _shifted(comment_like, 1),
        "next_comment_like": _shifted(comment_like, -1),
        "page_log_blocks": np.full(n, math.log1p(n)),
        "page_log_words": np.full(n, math.log1p(total)),
        "page_default_share": np.full(n, float((in_default * counts).sum()) / total),
    }
    return feature_rows(columns, n)
