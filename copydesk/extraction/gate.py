"""Page-type signals in the raw HTML that say a page is (or is not) an article."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["PageSignals", "page_signals"]

_OG_TYPE = re.compile(
    r"<meta\b[^>]*?(?:property|name)\s*=\s*[\"']og:type[\"'][^>]*?content\s*=\s*[\"']([^\"']*)"
    r"|<meta\b[^>]*?content\s*=\s*[\"']([^\"']*)[\"'][^>]*?(?:property|name)\s*=\s*[\"']og:type",
    re.I,
)
_LD_TYPE = re.compile(r"\"@type\"\s*:\s*(\[[^\]]*\]|\"[^\"]*\")")
_QUOTED = re.compile(r"\"([^\"]*)\"")
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "LiveBlogPosting",
        "BlogPosting",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
    }
)
# Schema.org types of pages that are not articles (only used when no article type is present).
NON_ARTICLE_TYPES = frozenset(
    {
        "Product",
        "ProductGroup",
        "Offer",
        "AggregateOffer",
        "DiscussionForumPosting",
        "QAPage",
        "CollectionPage",
        "ItemList",
        "SearchResultsPage",
        "ProfilePage",
    }
)
_NON_ARTICLE_PATH = re.compile(
    r"/(category|categories|tag|tags|forums?|threads?|community|questions|products?|shop|store|"
    r"cart|docs|documentation|search|author|authors)(/|$)",
    re.I,
)
# ``?page=2`` and ``?paged=2`` are pages of a listing; ``?p=123`` is not (WordPress's own
# permalink of one post).
_PAGED = re.compile(r"(^|&)(page|paged)=\d+", re.I)
# How news and blog systems name one story: a date with something after it (/2009/12/23/slug,
# /2020-06/slug; a bare /2020/06/ is a month's archive) or a numeric id of 8+ digits.
_STORY_PATH = re.compile(r"/(19|20)\d\d[/-](0?[1-9]|1[0-2])[/-][^/]|(^|\D)\d{8,}(\D|$)")


@dataclass(frozen=True)
class PageSignals:
    """What the markup and the URL say about the kind of page."""

    og_type: str | None
    schema_types: frozenset[str]
    url_hint: str | None
    #: The URL's path names one story (a date or a long numeric id), not a listing.
    story_url: bool = False

    @property
    def says_article(self) -> bool:
        return self.og_type == "article" or bool(self.schema_types & ARTICLE_TYPES)

    @property
    def not_article_reason(self) -> str | None:
        """Why the page is not an article, when nothing on it claims it is."""
        if self.says_article:
            return None
        if self.og_type and self.og_type.startswith("product"):
            return f"og:type {self.og_type}"
        found = sorted(self.schema_types & NON_ARTICLE_TYPES)
        if found:
            return "schema.org " + ",".join(found)
        if self.url_hint:
            return f"url {self.url_hint}"
        return None


def page_signals(html: str | bytes, url: str | None = None) -> PageSignals:
    """Read og:type, JSON-LD ``@type`` values and listing-like or story-like URL paths."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    match = _OG_TYPE.search(text)
    og_type = (match.group(1) or match.group(2) or "").strip().lower() if match else None
    types: set[str] = set()
    for value in _LD_TYPE.findall(text):
        types.update(_QUOTED.findall(value))
    hint = None
    story = False
    if url:
        parts = urlsplit(url)
        story = bool(_STORY_PATH.search(parts.path))
        path_match = _NON_ARTICLE_PATH.search(parts.path)
        if path_match:
            hint = path_match.group(0)
        elif _PAGED.search(parts.query):
            hint = "paged listing"
    return PageSignals(og_type or None, frozenset(types), hint, story and hint is None)
