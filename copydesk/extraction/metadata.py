"""trafilatura's metadata pass over a parsed page, without the fields Copydesk never stores."""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from typing import Any

from courlan import extract_domain
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import trim
from trafilatura.xml import delete_element

__all__ = ["page_author", "page_metadata"]

logger = logging.getLogger(__name__)


def page_metadata(tree: HtmlElement, url: str | None, date_params: dict[str, Any]) -> Document:
    """The fields of ``trafilatura.metadata.extract_metadata`` that Copydesk stores (title,
    author, URL, date, site name, tags, description, image, language), read from ``tree``
    the same way, step for step.

    Categories and the licence are left out: nothing stores them, and their searches (regular
    expressions in XPath over the whole tree) cost about a tenth of trafilatura's extraction
    time. ``tree`` is not modified (the author and date searches work on their own copies).
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as err:  # trafilatura guards its JSON-LD reader the same way
        logger.debug("error in JSON metadata extraction: %s", err)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = page_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    metadata.date = find_date(tree, **{**date_params, "url": metadata.url})
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        name = metadata.sitename.lstrip("@")  # a Twitter handle
        if name and "." not in name and not name[0].isupper():
            name = name.title()
        metadata.sitename = name
    elif metadata.url and (match := META_URL.match(metadata.url)):
        metadata.sitename = match[1]
    if not metadata.tags:
        metadata.tags = extract_catstags("tag", tree)
    metadata.filedate = date_params.get("max_date")
    metadata.clean_and_trim()
    return metadata


def page_author(tree: HtmlElement) -> str | None:
    """``trafilatura.metadata.extract_author(tree)``, found in one pass over the page, without
    its copy of the whole page.

    trafilatura copies the page, deletes from the copy the elements its discard XPaths name
    (comment lists, sidebars, ``<time>``, ``<figure>``...), and takes the first element of its
    author XPaths there whose text is 3 to 119 characters long. Those XPaths test an element's
    tag and attributes only (deleting other elements does not change them), so they are
    evaluated here as `_AUTHOR` and `_DISCARD` in one walk of the page itself (a third of the
    time of libxml2's XPath walks): an element inside a deleted one is passed over, and only an
    element that holds a deleted one is copied, to read its text as trafilatura would.
    """
    if (
        tree.getparent() is not None
        or tree.getprevious() is not None
        or tree.getnext() is not None
        or tree.find(".//rel") is not None
    ):
        # not the document's only root (the XPaths would read beyond the copy trafilatura
        # makes), or an element the XPaths read the text of (``rel='me'``): trafilatura's way
        return extract_author(tree)
    found: tuple[list[HtmlElement], ...] = ([], [], [])
    deleted: tuple[list[HtmlElement], list[HtmlElement]] = ([], [])
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        get = element.get
        names, key = get("class") or "", get("id") or ""
        itemprop, component = get("itemprop") or "", get("data-component") or ""
        if tag == "author" or (tag in _AUTHOR_TAGS[0] and _author_0(element, names, key)):
            found[0].append(element)
        if tag in _AUTHOR_TAGS[1] and (
            names in _BYLINE_CLASSES
            or "author" in itemprop
            or _AUTHOR_1_ID.search(key)
            or _AUTHOR_1_CLASS.search(names)
        ):
            found[1].append(element)
        if (
            "Byline" in component
            or "author" in itemprop
            or _AUTHOR_2_ID.search(key)
            or _AUTHOR_2_CLASS.search(names)
        ):
            found[2].append(element)
        if element is not tree:  # delete_element leaves the root (it has no parent)
            if tag in _DISCARD_TAGS and (
                key == "comments"
                or names in _DISCARD_CLASSES
                or _DISCARD_ID.search(key)
                or _DISCARD_CLASS.search(names)
                or "Figure" in component
            ):
                deleted[0].append(element)
            elif tag == "time" or tag == "figure":
                deleted[1].append(element)
    if not any(found):
        return None
    order = deleted[0] + deleted[1]  # trafilatura's order of deletion
    gone = set(order)
    for elements in found:
        for element in elements:
            if element in gone or any(a in gone for a in element.iterancestors()):
                continue
            content = trim(" ".join(_pruned(element, gone, order).itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


# trafilatura.xpaths.AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS (trafilatura 2.x) as Python tests:
# ``re:test(@a, p)`` is ``re.search(p, a)``, ``contains(@a, s)`` is ``s in a``, a missing
# attribute is "". tests/test_extract_metadata.py checks them against trafilatura's XPaths.
_AUTHOR_TAGS = (
    frozenset({"a", "address", "div", "link", "p", "span", "strong"}),
    frozenset({"a", "div", "h3", "h4", "p", "span"}),
)
_AUTHOR_0_CLASS = re.compile("author-?name|AuthorName|authorName")
_BYLINE_CLASSES = frozenset({"byline", "username", "byl", "BBL"})
_AUTHOR_1_ID = re.compile("author|zuozhe|bianji|xiaobian")
_AUTHOR_1_CLASS = re.compile(
    "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_AUTHOR_2_ID = re.compile("[Aa]uthor")
_AUTHOR_2_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_CLASSES = frozenset({"comments", "title", "date"})
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    "article-(?:share|support)|print|category|meta-date|meta-reviewer"
)


def _author_0(element: HtmlElement, names: str, key: str) -> bool:
    get = element.get
    return (
        get("rel") == "author"
        or key == "author"
        or names == "author"
        or get("itemprop") == "author name"
        or get("data-testid") in ("AuthorCard", "AuthorURL")
        or _AUTHOR_0_CLASS.search(names) is not None
    )


def _pruned(element: HtmlElement, gone: set[HtmlElement], order: list[HtmlElement]) -> Any:
    """``element`` as it reads once the elements of ``order`` below it are deleted, in that
    order, as trafilatura deletes them (a copy when there are any)."""
    inside = {e for e in element.iterdescendants() if e in gone}
    if not inside:
        return element
    copy = deepcopy(element)
    twin = dict(zip(element.iter(), copy.iter(), strict=True))
    for e in order:
        if e in inside:
            delete_element(twin[e])
    return copy
