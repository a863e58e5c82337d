"""Turn one HTML page into clean article text and metadata, or say why it is not an article."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np
import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from copydesk.extraction.blocks import Block, from_trafilatura, with_link_shares
from copydesk.extraction.choose import choose, readability_blocks, settled
from copydesk.extraction.cleanup import clean_blocks
from copydesk.extraction.dates import published_timestamp
from copydesk.extraction.features import block_features, dom_index, text_key
from copydesk.extraction.gate import page_signals
from copydesk.extraction.model import BlockModel, ModelError, shipped_model
from copydesk.extraction.title import strip_site_name

__all__ = [
    "EXTRACTOR_VERSION",
    "ExtractOptions",
    "Extraction",
    "NotAnArticle",
    "block_table",
    "extract",
    "filter_blocks",
]

logger = logging.getLogger(__name__)

#: Bumped whenever a change to this module can change what is stored; recorded on every row so
#: `copydesk reextract` knows which pages are stale.
EXTRACTOR_VERSION = "4"

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_HTML_LANG = re.compile(
    rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I
)


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
    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    fast: bool = False
    #: Also run trafilatura with ``favor_recall`` (and ``fast``); when it disagrees with the
    #: default run, also run readability-lxml and keep the candidate that agrees most with the
    #: others (ties go to plain trafilatura).
    choose_candidate: bool = True
    #: With ``choose_candidate``: drop the chosen candidate's blocks that the learned block model
    #: (see :mod:`copydesk.extraction.model`) says are not article text; the model scores the
    #: blocks of the ``favor_recall`` candidate, and blocks it has not scored are kept.
    classify_blocks: bool = True
    #: Drop the repeated headline and furniture lines (see :mod:`copydesk.extraction.cleanup`).
    cleanup: bool = True
    #: Reject pages whose markup or URL says product/forum/listing while nothing says article.
    page_type_gate: bool = True


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
    if options.page_type_gate:
        reason = page_signals(html, url).not_article_reason
        if reason:
            raise NotAnArticle("not_article_type", reason)
    tree = _parse(html)  # parsed once; trafilatura copies the tree before it mutates it
    doc = _trafilatura(tree, url, options, with_metadata=True)
    if doc is None or doc.body is None:
        raise NotAnArticle("no_text")
    blocks = from_trafilatura(doc.body, options.include_tables)
    title = _clean(doc.title)
    if options.choose_candidate:
        candidates = _candidates(tree, html, url, options, blocks)
        blocks = candidates.choice()
        if options.classify_blocks:
            blocks = _classified(blocks, candidates, title, tree) or blocks
    if options.cleanup:
        blocks = clean_blocks(blocks, title)
    paragraphs = [block.text for block in blocks]
    text = "\n\n".join(paragraphs)
    if len(text) < options.min_chars or len(paragraphs) < options.min_paragraphs:
        raise NotAnArticle("too_short", f"{len(text)} chars in {len(paragraphs)} paragraphs")
    site_name = _clean(doc.sitename)
    return Extraction(
        text=text,
        title=strip_site_name(title, site_name, url),
        authors=_split_authors(doc.author),
        published=published_timestamp(doc.date, html),
        site_name=site_name,
        language=_clean(doc.language) or _html_lang(html),
        description=_clean(doc.description),
        tags=[t for t in (_clean(t) for t in (doc.tags or [])) if t],
        image=_clean(doc.image),
        canonical_url=_clean(doc.url),
    )


# Recirculation boxes inside article bodies that trafilatura's own discard list misses
# (it already prunes "related", "-stories", "share", "newsletter" and the like).
_RECIRCULATION = (
    "other-topics",
    "topics-of-interest",
    "read-also",
    "also-read",
    "readalso",
    "recirc",
    "more-on-this",
    "you-may-like",
    "you-might-like",
    "recommended",
    "read-next",
    "up-next",
)
# One expression (not one per token): trafilatura compiles and runs each over the whole tree.
PRUNE_XPATH = [
    ".//*[self::div or self::section or self::aside or self::ul or self::ol]["
    + " or ".join(f"contains(@class, '{t}') or contains(@id, '{t}')" for t in _RECIRCULATION)
    + "]"
]


@dataclass
class _Candidates:
    """The candidate extractions of one page."""

    default: list[Block]
    recall: list[Block]
    recall_links: list[float]
    readability: list[Block] | None  # only computed when default and recall disagree

    def choice(self) -> list[Block]:
        """The whole candidate that agrees most with the others."""
        options = [self.default, self.recall]
        if self.readability is not None:
            options.append(self.readability)
        return options[choose(options)]


def _candidates(
    tree: HtmlElement | None,
    html: str | bytes,
    url: str | None,
    options: ExtractOptions,
    default: list[Block],
) -> _Candidates:
    recall_options = replace(options, favor_recall=True, fast=True)
    recall_doc = _trafilatura(tree, url, recall_options, False, include_links=True)
    recall_body = getattr(recall_doc, "body", None)
    recall, links = (
        with_link_shares(recall_body, options.include_tables)
        if recall_body is not None
        else ([], [])
    )
    # Only a third opinion can overrule the first one when the first two disagree.
    readability = None if settled(default, recall) else readability_blocks(html)
    return _Candidates(default, recall, links, readability)


def _features(candidates: _Candidates, title: str | None, tree: HtmlElement | None) -> np.ndarray:
    readability = candidates.readability
    return block_features(
        candidates.recall,
        candidates.recall_links,
        {text_key(b.text) for b in candidates.default},
        {text_key(b.text) for b in readability} if readability is not None else None,
        title,
        dom_index(tree),
    )


def _classified(
    chosen: list[Block], candidates: _Candidates, title: str | None, tree: HtmlElement | None
) -> list[Block]:
    """``chosen`` without the blocks the block model rejects (empty when it rejects all)."""
    if not candidates.recall:
        return chosen
    model = _block_model()
    if model is None:
        return chosen
    probability = model.probability(_features(candidates, title, tree))
    return filter_blocks(chosen, candidates.recall, probability, model.keep_threshold)


@cache
def _block_model() -> BlockModel | None:
    """The shipped block model, or None (logged once) when it cannot be loaded."""
    try:
        return shipped_model()
    except ModelError as exc:
        logger.warning("block classifier disabled: %s", exc)
        return None


# Credit lines naming the agencies or writers behind a story: the model learned to drop them
# (benchmark annotators leave them out), but they are part of the copy, and wire-copy detection
# and readers both rely on them.
_ATTRIBUTION = re.compile(
    r"\b(contributed (reporting )?to this (report|story|article)|with (information|reporting) "
    r"from|additional reporting by|(reporting|writing) by|compiled by)\b",
    re.I,
)


def filter_blocks(
    chosen: Sequence[Block], scored: Sequence[Block], probability: np.ndarray, threshold: float
) -> list[Block]:
    """Blocks of ``chosen`` unless the same text among ``scored`` has a probability below
    ``threshold`` (matched by :func:`~copydesk.extraction.features.text_key`).

    Attribution lines ("The Associated Press contributed to this report.") are always kept.
    """
    rejected = {
        text_key(block.text)
        for block, p in zip(scored, probability, strict=True)
        if p < threshold and not _ATTRIBUTION.search(block.text)
    }
    return [block for block in chosen if text_key(block.text) not in rejected]


def block_table(
    html: str | bytes, url: str | None = None, options: ExtractOptions | None = None
) -> tuple[list[Block], np.ndarray, list[Block]]:
    """For training: the blocks the model scores, their features, and the chosen candidate.

    Empty when trafilatura finds no text on the page.
    """
    options = options or ExtractOptions()
    tree = _parse(html)
    doc = _trafilatura(tree, url, options, with_metadata=True)
    if doc is None or doc.body is None:
        return [], block_features([], [], set(), None, None, {}), []
    default = from_trafilatura(doc.body, options.include_tables)
    candidates = _candidates(tree, html, url, options, default)
    return candidates.recall, _features(candidates, _clean(doc.title), tree), candidates.choice()


def _parse(html: str | bytes) -> HtmlElement | None:
    """The page's lxml tree, decoded and parsed as trafilatura does (None when unparsable)."""
    try:
        return load_html(html)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise NotAnArticle("unparsable", str(exc)) from exc


def _trafilatura(
    tree: HtmlElement | None,
    url: str | None,
    options: ExtractOptions,
    with_metadata: bool,
    include_links: bool = False,
) -> Any:
    """trafilatura's ``Document`` for ``tree`` (None when it finds no text); copies the tree."""
    if tree is None:
        return None
    try:
        return trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=with_metadata,
            include_comments=False,
            include_tables=options.include_tables,
            include_links=include_links,
            deduplicate=False,  # process-global cache: output would depend on page order
            favor_precision=options.favor_precision,
            favor_recall=options.favor_recall,
            fast=options.fast,
            prune_xpath=PRUNE_XPATH,
            output_format="python",
        )
    except (ValueError, etree.LxmlError) as exc:  # trafilatura raises on some broken trees
        raise NotAnArticle("unparsable", str(exc)) from exc


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


def _html_lang(html: str | bytes) -> str | None:
    """Primary language subtag of ``<html lang>``, lower-cased."""
    head = html[:8192]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    match = _HTML_LANG.search(head)
    return match.group(1).decode("ascii").lower() if match else None
