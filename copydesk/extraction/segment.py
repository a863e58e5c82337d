"""Cut a whole HTML page into text blocks, each with the element it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

__all__ = ["RECIRCULATION", "PageBlock", "recirculation_boxes", "repair", "segment"]

_SPACES = re.compile(r"\s+")

#: Elements whose text is never page text. (Not ``button``: an unclosed one swallows the rest of
#: the page in libxml2's recovery, see `repair`.)
SKIPPED = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "head",
        "title",
        "meta",
        "link",
        "select",
        "option",
        "textarea",
        "input",
        "datalist",
        "dialog",
    }
)
#: Elements that end the text run before them and start a new one (HTML's block-level boxes).
BLOCK_LEVEL = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_KIND = {
    "p": "p",
    "h1": "head",
    "h2": "head",
    "h3": "head",
    "h4": "head",
    "h5": "head",
    "h6": "head",
    "li": "item",
    "dd": "item",
    "dt": "item",
    "blockquote": "quote",
    "pre": "code",
    "figcaption": "caption",
    "caption": "caption",
    "td": "cell",
    "th": "cell",
}


@dataclass(frozen=True)
class PageBlock:
    """One run of text between block-level boundaries of the page.

    ``element`` is the innermost block-level element holding the run (its owner); ``kind``
    says what that element is (``p``, ``head``, ``item``, ``quote``, ``code``, ``caption``,
    ``cell``, else ``other``); ``link_chars`` counts the characters inside links.
    """

    text: str
    kind: str
    element: etree._Element
    link_chars: int


class _Run:
    """Text collected for the current owner until the next block boundary."""

    __slots__ = ("kind", "link_chars", "owner", "parts")

    def __init__(self, owner: etree._Element, tag: str | None) -> None:
        self.owner = owner
        self.kind = _KIND.get(tag or "", "other")
        self.parts: list[str] = []
        self.link_chars = 0


def _tag(node: etree._Element) -> str | None:
    tag = node.tag
    if not isinstance(tag, str):  # comment, processing instruction, entity
        return None
    return _name(tag)


@lru_cache(maxsize=1024)
def _name(tag: str) -> str:
    """An element's tag, lower-cased, without its namespace (memoised: pages repeat them)."""
    return tag.lower().rpartition("}")[2]


def segment(root: etree._Element) -> list[PageBlock]:
    """Text blocks of the page under ``root``, in document order.

    Text of `SKIPPED` elements is left out; `BLOCK_LEVEL` elements close the running block and
    open their own; ``<br>`` is a space. Whitespace is collapsed; empty runs are dropped.
    """
    out: list[PageBlock] = []

    def flush(run: _Run) -> None:
        text = _SPACES.sub(" ", "".join(run.parts)).strip()
        if text:
            out.append(PageBlock(text, run.kind, run.owner, min(run.link_chars, len(text))))
        run.parts.clear()
        run.link_chars = 0

    root_tag = _tag(root)
    if root_tag is None or root_tag in SKIPPED:
        return out
    # lxml's walk in C: start and end events of elements, one event for a comment or a
    # processing instruction (text of its own never counts, its tail does); a stack of runs,
    # one per open block element.
    runs = [_Run(root, root_tag)]
    links = 0  # open <a> elements
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, node in walker:
        tag = node.tag
        if event == "start":
            tag = _name(tag)
            if tag in SKIPPED:
                walker.skip_subtree()  # its end event adds its tail
                continue
            if tag in BLOCK_LEVEL and node is not root:
                flush(runs[-1])
                runs.append(_Run(node, tag))
            elif tag == "br":
                runs[-1].parts.append(" ")
            elif tag == "a":
                links += 1
            piece = node.text  # an element's own text follows its start
        else:
            if event == "end":
                tag = _name(tag)
                if tag in BLOCK_LEVEL and node is not root:
                    flush(runs.pop())
                elif tag == "a":
                    links -= 1
            piece = node.tail if node is not root else None  # its tail follows its end
        if piece:
            run = runs[-1]
            run.parts.append(piece)
            if links:
                run.link_chars += len(piece.strip())
    flush(runs[0])
    return out


#: A ``<noscript>`` holding this many block-level elements is the page itself, nested inside
#: an unclosed one by the parser's recovery, not a fallback notice.
_SWALLOWING_NOSCRIPT = 20


def repair(root: etree._Element) -> int:
    """Turn ``<button>`` elements that hold block-level elements, and ``<noscript>``,
    ``<aside>`` and ``<nav>`` elements that hold the page, into ``<div>``; how many.

    An unclosed ``<button>``, ``<noscript>``, ``<aside>`` or ``<nav>`` makes libxml2's parser
    nest the rest of the page inside it, and extractors that drop buttons, sidebars and menus
    (trafilatura does) or skip noscript (`segment` does) then lose the whole article.
    """
    fixed = 0
    for button in list(root.iter("button")):
        if any(_tag(child) in BLOCK_LEVEL for child in button.iterdescendants()):
            button.tag = "div"
            fixed += 1
    for noscript in list(root.iter("noscript")):
        inner = sum(1 for child in noscript.iterdescendants() if _tag(child) in BLOCK_LEVEL)
        if inner >= _SWALLOWING_NOSCRIPT:
            noscript.tag = "div"
            fixed += 1
    for box in list(root.iter("aside", "nav")):
        if box.find(".//h1") is not None and _paragraph_chars(box) >= _SWALLOWED_ARTICLE_CHARS:
            box.tag = "div"
            fixed += 1
    return fixed


#: An ``<aside>`` or ``<nav>`` holding an ``<h1>`` and this many characters of ``<p>`` text
#: holds the article: an unclosed sidebar or menu made the parser nest the page inside it
#: (a sidebar's own teasers have no ``<h1>``, a menu no paragraphs).
_SWALLOWED_ARTICLE_CHARS = 1000


def _paragraph_chars(element: etree._Element) -> int:
    total = 0
    for p in element.iter("p"):
        total += len("".join(p.itertext()).strip())
        if total >= _SWALLOWED_ARTICLE_CHARS:
            break
    return total


#: Class/id fragments of recirculation boxes set inside article bodies ("Other topics of
#: interest", "Read also") that extractors and classifiers tend to keep with the story.
RECIRCULATION = (
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
_RECIRCULATION_TAGS = frozenset({"div", "section", "aside", "ul", "ol"})
# any of RECIRCULATION inside a class or id (one search instead of a test for each)
_RECIRCULATION_NAMES = re.compile("|".join(re.escape(name) for name in RECIRCULATION))


def recirculation_boxes(blocks: list[PageBlock], max_share: float = 0.15) -> set[int]:
    """Indexes of the blocks inside a recirculation box (see `RECIRCULATION`).

    A box counts only while it holds at most ``max_share`` of the page's words: a site that
    names its whole content column "recommended" must not lose its article.
    """
    words = [len(b.text.split()) for b in blocks]
    total = sum(words) or 1
    boxes: dict[etree._Element, list[int]] = {}
    # the boxes among an element and its ancestors, outermost first (memoised: blocks share
    # their ancestors)
    above: dict[etree._Element, tuple[etree._Element, ...]] = {}
    for i, block in enumerate(blocks):
        chain: list[etree._Element] = []
        node: etree._Element | None = block.element
        while node is not None and node not in above:
            chain.append(node)
            node = node.getparent()
        known = above[node] if node is not None else ()
        for element in reversed(chain):
            if _tag(element) in _RECIRCULATION_TAGS:
                names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
                if _RECIRCULATION_NAMES.search(names):
                    known = (*known, element)
            above[element] = known
        for box in above[block.element]:
            boxes.setdefault(box, []).append(i)
    found: set[int] = set()
    for members in boxes.values():
        if sum(words[i] for i in members) <= max_share * total:
            found.update(members)
    return found
