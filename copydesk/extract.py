"""Turn one HTML page into clean article text and metadata, or say why it is not an article."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import lxml.html
import numpy as np
import trafilatura
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import decode_file, is_dubious_html, repair_faulty_html

from copydesk.extraction.authors import (
    byline,
    byline_or_metadata,
    labelled_byline,
    people,
    with_marks,
)
from copydesk.extraction.blocks import Block, from_trafilatura
from copydesk.extraction.cleanup import clean_blocks, strip_invisible
from copydesk.extraction.dates import (
    dateline_day,
    guessed_day,
    publication_day,
    published_timestamp,
)
from copydesk.extraction.gate import page_signals
from copydesk.extraction.metadata import page_metadata
from copydesk.extraction.model import BlockModel, ModelError, shipped_model
from copydesk.extraction.near import page_text
from copydesk.extraction.pagefeatures import PAGE_FEATURE_NAMES, page_block_features
from copydesk.extraction.segment import PageBlock, recirculation_boxes, repair, segment
from copydesk.extraction.title import heading_before, headline
from copydesk.reasons import Reason

__all__ = [
    "EXTRACTOR_VERSION",
    "ExtractOptions",
    "Extraction",
    "NotAnArticle",
    "PageTable",
    "extract",
    "kept_blocks",
    "page_table",
    "text_length",
]

logger = logging.getLogger(__name__)

#: Bumped whenever a change to this module can change what is stored; recorded on every row so
#: `copydesk reextract` knows which pages are stale.
EXTRACTOR_VERSION = "14"

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_HTML_LANG = re.compile(
    rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I
)


class NotAnArticle(Exception):
    """The page is not stored, for ``reason`` (lasting: see :mod:`copydesk.reasons`)."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ExtractOptions:
    """Options of the extractor, built once and passed down."""

    #: Shortest article text, in Latin-equivalent characters (see :func:`text_length`: a
    #: Chinese or Japanese character weighs three, a Hangul syllable two).
    min_chars: int = 400
    #: Shortest text of a page whose markup says it is an article (og:type, schema.org): a
    #: short real news item is kept.
    min_chars_declared: int = 150
    #: Shortest text of a page whose markup says it is an article and whose URL names one
    #: story (a date or a long numeric id in its path, see :mod:`copydesk.extraction.gate`):
    #: two signals that it is one dated post, so a post of a sentence or two is kept.
    min_chars_story: int = 100
    #: A page whose URL names one story but whose markup says nothing: when the classifier
    #: keeps too little, trafilatura's text is kept if it has at least this many characters.
    min_chars_story_plain: int = 1000
    #: Pages with more text than this (characters) are refused as ``too_long``: no article is
    #: that long, a dump or a generated page can be (0: no limit).
    max_chars: int = 200_000
    #: A page with at least this many links whose main text (the page's blocks that trafilatura
    #: keeps, all of them when it keeps none) has at least this share inside links is a list of
    #: links (``link_list``), not an article.
    link_list_links: int = 1000
    link_list_share: float = 0.2
    include_tables: bool = True
    #: Keep the page's text blocks that the learned page-block classifier (see
    #: :mod:`copydesk.extraction.model`) says are article text; without it (or when the model
    #: cannot be loaded), keep trafilatura's own extraction.
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
    #: The publication instant with the page's own offset, or its day: read from the page's
    #: markup and URL, or the date printed right after the headline. A date found by searching
    #: the text (a sentence, a copyright year) would be a guess, so it is left empty.
    published: str | None = None
    #: Only when ``published`` is empty: a day (YYYY-MM-DD) printed on a short line of its own
    #: near the headline, a guess that is never the page's ``published`` (see
    #: :func:`copydesk.extraction.dates.guessed_day`).
    published_guess: str | None = None
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


@dataclass
class PageTable:
    """A page cut into blocks, with their features and trafilatura's view of the page."""

    blocks: list[PageBlock]
    rows: np.ndarray  # (blocks, features): see copydesk.extraction.pagefeatures
    boxed: np.ndarray  # (blocks,) bool: inside a recirculation box, never kept
    trafilatura: list[Block]  # what trafilatura extracted
    document: Document  # trafilatura's metadata of the page (see copydesk.extraction.metadata)
    title: str | None
    tree: Any = None  # the parsed page (lxml), as trafilatura read it


def page_table(
    html: str | bytes, url: str | None = None, include_tables: bool = True, fast: bool = True
) -> PageTable:
    """Parse ``html`` once, extract it with trafilatura, cut it into blocks and describe them.

    ``fast``: trafilatura without its comparison with readability and jusText (as costly as
    the rest of its extraction; the classifier makes the final choice anyway)."""
    tree = _parse(html)
    if tree is None:
        raise NotAnArticle(Reason.UNPARSABLE, "no HTML tree")
    repair(tree)  # an unclosed <button> would swallow the page (trafilatura drops buttons)
    blocks = segment(tree)
    doc = _metadata(tree, url)
    body = _trafilatura(tree, url or doc.url, include_tables, fast)  # on a copy: blocks stay valid
    # when trafilatura finds no text, the classifier may, and the metadata is still there
    kept = from_trafilatura(body, include_tables) if body is not None else []
    title = _clean(doc.title)
    boxed = np.zeros(len(blocks), dtype=bool)
    boxed[sorted(recirculation_boxes(blocks))] = True
    features = page_block_features(blocks, kept, title)
    return PageTable(blocks, features, boxed, kept, doc, title, tree)


_ANCHOR = re.compile(rb"<a[\s>]", re.IGNORECASE)


_IN_DEFAULT = PAGE_FEATURE_NAMES.index("in_default")


def _refuse_link_lists(html: str | bytes, table: PageTable, options: ExtractOptions) -> None:
    """Raise ``link_list`` for a page with many links that make much of its main text: the
    page's blocks that trafilatura keeps (all of them when it keeps none).

    Judged before the classifier, so the verdict does not move with what a retrained model
    keeps; an article on a site with a thousand-link menu has its menu outside that text.
    """
    raw = html.encode("utf-8", "replace") if isinstance(html, str) else html
    links = len(_ANCHOR.findall(raw))
    if links < options.link_list_links:
        return
    blocks = [
        b for b, share in zip(table.blocks, table.rows[:, _IN_DEFAULT], strict=True) if share >= 0.5
    ] or table.blocks
    chars = sum(len(block.text) for block in blocks)
    in_links = sum(block.link_chars for block in blocks)
    if chars and in_links / chars >= options.link_list_share:
        raise NotAnArticle(Reason.LINK_LIST, f"{links} links, {in_links / chars:.0%} of the text")


def _article_blocks(
    table: PageTable, declared: bool, shortest: int, options: ExtractOptions
) -> list[Block]:
    """The article's blocks in ``table``: those the classifier keeps (trafilatura's without
    it), cleaned of furniture."""
    model = _block_model() if options.classify_blocks else None
    if model is not None:
        probability = np.where(table.boxed, 0.0, model.keep_probability(table.rows))
        blocks = kept_blocks(table.blocks, probability, model.keep_threshold)
    else:
        blocks = table.trafilatura
    if options.cleanup:
        blocks = clean_blocks(blocks, table.title)
    if declared and model is not None and _length(blocks) < shortest:
        # The classifier kept too little on a page that says it is an article: a real
        # article is better kept with trafilatura's text than dropped.
        plain = _plain_blocks(table, options)
        if _length(plain) >= shortest:
            blocks = plain
    return blocks


def _plain_blocks(table: PageTable, options: ExtractOptions) -> list[Block]:
    """trafilatura's blocks of ``table``, cleaned of furniture."""
    return clean_blocks(table.trafilatura, table.title) if options.cleanup else table.trafilatura


def extract(
    html: str | bytes, url: str | None = None, options: ExtractOptions | None = None
) -> Extraction:
    """Extract the article in ``html``; raise :class:`NotAnArticle` when there is none."""
    options = options or ExtractOptions()
    if isinstance(html, bytes):
        if not html.strip():
            raise NotAnArticle(Reason.EMPTY)
        if b"\x00" in html[:2048]:
            raise NotAnArticle(Reason.NOT_HTML, "binary content")
    elif not html.strip():
        raise NotAnArticle(Reason.EMPTY)
    declared = story = False
    if options.page_type_gate:
        signals = page_signals(html, url)
        reason = signals.not_article_reason
        if reason:
            raise NotAnArticle(Reason.NOT_ARTICLE_TYPE, reason)
        declared, story = signals.says_article, signals.story_url
    shortest = options.min_chars_declared if declared else options.min_chars
    table = page_table(html, url, options.include_tables)
    _refuse_link_lists(html, table, options)
    blocks = _article_blocks(table, declared, shortest, options)
    if _length(blocks) < shortest:
        # trafilatura's fast pass found too little to go on (on a few pages its comparison
        # with readability and jusText is what finds the article): read the page again with it
        full = page_table(html, url, options.include_tables, fast=False)
        retry = _article_blocks(full, declared, shortest, options)
        if _length(retry) > _length(blocks):
            table, blocks = full, retry
    if story:  # the URL names one story: a second signal besides the markup
        if declared:
            shortest = min(shortest, options.min_chars_story)
        if _length(blocks) < shortest:
            # the classifier keeps too little: trafilatura's text is the article if it is
            # long enough (a long text when the markup says nothing)
            plain = _plain_blocks(table, options)
            if _length(plain) >= (shortest if declared else options.min_chars_story_plain):
                blocks = plain
    paragraphs = [block.text for block in blocks]
    text = "\n\n".join(paragraphs)
    # measured on distinct paragraphs: a line repeated a thousand times is no article
    length = text_length("\n\n".join(dict.fromkeys(paragraphs)))
    if length < shortest:
        if not text:
            raise NotAnArticle(Reason.NO_TEXT)
        raise NotAnArticle(
            Reason.TOO_SHORT,
            f"{len(text)} chars ({length} weighted) in {len(paragraphs)} paragraphs",
        )
    if options.max_chars and len(text) > options.max_chars:
        raise NotAnArticle(Reason.TOO_LONG, f"{len(text)} chars, more than {options.max_chars}")
    doc = table.document
    site_name = _clean(doc.sitename)
    lead = heading_before(table.blocks, blocks[0].text)  # the heading opening the text
    title = _clean(strip_invisible(headline(table.tree, table.title, site_name, url, lead) or ""))
    near = page_text(table.tree, title)  # the page's text around its headline
    published = published_timestamp(publication_day(doc.date, html, near), html)
    if published is None:  # the day the page prints with its headline (never a text search)
        published = dateline_day(_page_text(table.tree), title)
    guess = guessed_day(near) if published is None else None
    named = people(doc.author, site_name, url)
    shown = byline(near, site_name, url)
    if not named and not shown:  # a credit line after the article ("Text: X")
        shown = labelled_byline(near, site_name, url)
    authors = with_marks(byline_or_metadata(named, shown, near), near)
    return Extraction(
        text=text,
        title=title,
        authors=authors,
        published=published,
        published_guess=guess,
        site_name=site_name,
        language=_clean(doc.language) or _html_lang(html),
        description=_clean(doc.description),
        tags=[t for t in (_clean(t) for t in (doc.tags or [])) if t],
        image=_clean(doc.image),
        canonical_url=_clean(doc.url),
    )


# Scripts written without spaces between words carry more per character: a Chinese or Japanese
# character is about a word (three Latin characters' worth), a Hangul syllable about two.
_DENSE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile("[\uac00-\ud7af]")


def _length(blocks: Sequence[Block]) -> int:
    return text_length("\n\n".join(block.text for block in blocks))


def text_length(text: str) -> int:
    """Length of ``text`` in Latin-equivalent characters, fair to Chinese, Japanese and Korean
    (Thai, an alphabet, counts one a character like Latin)."""
    return len(text) + 2 * len(_DENSE.findall(text)) + len(_HANGUL.findall(text))


@cache
def _block_model() -> BlockModel | None:
    """The shipped block model, or None (logged once) when it cannot be loaded."""
    try:  # the trees find their features by name in the rows page_block_features builds
        return shipped_model().for_features(PAGE_FEATURE_NAMES)
    except ModelError as exc:
        logger.warning("block classifier disabled, keeping trafilatura's extraction: %s", exc)
        return None


# Credit lines naming the agencies or writers behind a story: annotators tend to leave them out,
# but they are part of the copy, and wire-copy detection and readers both rely on them.
_ATTRIBUTION = re.compile(
    r"\b(contributed (reporting )?to this (report|story|article)|with (information|reporting) "
    r"from|additional reporting by|(reporting|writing) by|compiled by)\b",
    re.I,
)


def kept_blocks(
    blocks: Sequence[PageBlock | Block], probability: np.ndarray, threshold: float
) -> list[Block]:
    """The blocks whose probability is at least ``threshold``, in page order, as `Block`s.

    Attribution lines ("The Associated Press contributed to this report.") are always kept.
    """
    return [
        Block(b.kind, b.text)
        for b, p in zip(blocks, probability, strict=True)
        if p >= threshold or _ATTRIBUTION.search(b.text)
    ]


def _html_parser() -> etree.HTMLParser:
    """trafilatura's parser (the options of ``trafilatura.utils.HTML_PARSER``) whose elements
    get their lxml.html classes in C.

    lxml.html's own parsers ask a Python method for the class of every element each time one
    is handed to Python, hundreds of thousands of calls a page for the segmentation, the
    features and trafilatura together. Every element is an ``HtmlElement`` here (lxml.html
    would make ``<form>``, ``<input>``... its form classes, whose extra methods nothing of ours
    or trafilatura's calls): same tree, same text.
    """
    parser = etree.HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=HtmlComment,
            pi=HtmlProcessingInstruction,
            entity=HtmlEntity,
        )
    )
    return parser


_PARSER = _html_parser()


def _parse(html: str | bytes) -> HtmlElement | None:
    """The page's lxml tree, decoded, repaired and parsed as ``trafilatura.utils.load_html``
    does, step for step, with `_html_parser` (None when the result is not HTML)."""
    text: str = decode_file(html)
    beginning = text[:50].lower()
    dubious = is_dubious_html(beginning)
    text = repair_faulty_html(text, beginning)
    tree: HtmlElement | None = None
    as_bytes = False
    try:
        tree = lxml.html.fromstring(text, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        as_bytes = True
        tree = _parse_bytes(text)
    except etree.LxmlError as exc:
        logger.debug("lxml could not parse the page: %s", exc)
    if (tree is None or len(tree) < 1) and not as_bytes:
        tree = _parse_bytes(text)
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree


def _parse_bytes(text: str) -> HtmlElement | None:
    try:
        tree: HtmlElement = lxml.html.fromstring(
            text.encode("utf8", "surrogatepass"), parser=_PARSER
        )
    except (ValueError, etree.LxmlError) as exc:
        logger.debug("lxml could not parse the page's bytes: %s", exc)
        return None
    return tree


def _trafilatura(tree: HtmlElement, url: str | None, include_tables: bool, fast: bool) -> Any:
    """trafilatura's extracted body for ``tree`` (None when it finds no text). The metadata is
    read separately (:func:`_metadata`), once."""
    try:
        doc: Any = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=False,
            include_comments=False,
            include_tables=include_tables,
            deduplicate=False,  # process-global cache: output would depend on page order
            output_format="python",
            fast=fast,
        )
    except (ValueError, etree.LxmlError) as exc:  # trafilatura raises on some broken trees
        raise NotAnArticle(Reason.UNPARSABLE, str(exc)) from exc
    return doc.body if doc is not None else None


def _metadata(tree: HtmlElement, url: str | None) -> Document:
    """trafilatura's metadata of ``tree``, the fields we store (the page's markup and URL only:
    a day found in the text would be a guess)."""
    try:
        return page_metadata(tree, url, set_date_params(False))
    except (TypeError, ValueError, etree.LxmlError):  # as bare_extraction: no metadata then
        return Document()


def _page_text(tree: Any) -> str:
    """The visible text of the page's body, whitespace collapsed."""
    body = tree.find(".//body") if tree is not None else None
    return " ".join(" ".join(body.itertext()).split()) if body is not None else ""


def _normalise(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return " ".join(line for line in lines if line)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = _normalise(value)
    return value or None


def _html_lang(html: str | bytes) -> str | None:
    """Primary language subtag of ``<html lang>``, lower-cased."""
    head = html[:8192]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    match = _HTML_LANG.search(head)
    return match.group(1).decode("ascii").lower() if match else None
