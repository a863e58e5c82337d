"""Item types passed between the spider and the pipelines: plain data, never a Response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ArticleItem", "PageItem"]


@dataclass
class PageItem:
    """A fetched HTML page that may be an article, as the spider yields it."""

    url: str
    body: bytes
    fetched_at: str
    site: str
    status: int = 200
    encoding: str | None = None
    content_type: str | None = None
    source: str | None = None
    #: How the URL was found: {"via": "feed"|"sitemap"|"section"|"search"|"list", "from": the
    #: announcing URL, "seen_at", "title", "published", "lastmod", "keywords", ...metadata}.
    discovery: dict[str, Any] = field(default_factory=dict)


@dataclass
class ArticleItem:
    """An extracted article on its way to dedup and storage."""

    url: str
    canonical_url: str
    site: str
    fetched_at: str
    #: Extraction fields (text, title, authors, published, ...) as a plain dict.
    extraction: dict[str, Any]
    text_hash: str
    fingerprint: bytes
    html_zlib: bytes
    status: int = 200
    encoding: str | None = None
    content_type: str | None = None
    source: str | None = None
    discovery: dict[str, Any] = field(default_factory=dict)
    #: Set by the topic pipeline in a topic crawl: the score of the article against the query.
    relevance: float | None = None
    query: str | None = None
    #: Set by the dedup pipeline.
    id: int | None = None
    duplicate_of: int | None = None
    relation: str | None = None
    similarity: float | None = None
    containment: float | None = None
    #: Older than the dedup window: stored without being compared (see COPYDESK_DEDUP_WINDOW).
    dedup_deferred: bool = False
    #: Other stored articles whose cluster assignment changed because of this one.
    reassignments: list[tuple[int, int | None, str | None, float | None, float | None]] = field(
        default_factory=list
    )
