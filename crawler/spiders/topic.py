"""The `topic` spider: articles about a query from the sources' feeds, sitemaps, sections and
search feeds; each stored article records its relevance score and the query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import scrapy
from scrapy.http import Response

from crawler.discovery import sniff
from crawler.sources import Source, SourcesError
from crawler.spiders.news import NewsSpider, _is_html

__all__ = ["TopicSpider"]


class TopicSpider(NewsSpider):
    """``scrapy crawl topic -a q="Klishchiivka Bakhmut" -a sources=sources.toml``.

    Everything the news spider would discover is fetched and scored after extraction (see
    :func:`crawler.relevance.relevance`); articles below ``COPYDESK_TOPIC_MIN_SCORE`` are
    dropped as ``off_topic``. A source's ``search`` URL templates (``{q}`` replaced by the
    query) are read too, as feeds or as result pages.
    """

    name = "topic"

    def __init__(self, q: str | None = None, *args: Any, **kwargs: Any) -> None:
        if not q or not q.strip():
            raise SourcesError('give the topic as -a q="words to look for"')
        super().__init__(*args, **kwargs)
        self.query = q.strip()
        self.copydesk_args["q"] = self.query

    def source_requests(self, source: Source) -> Iterator[scrapy.Request]:
        yield from super().source_requests(source)
        for template in source.search:
            url = template.replace("{q}", quote_plus(self.query))
            yield from self._once(self._request(url, self.parse_search, source, "search"))

    def parse_search(self, response: Response, source: Source) -> Iterator[Any]:
        """A search feed (read as a feed) or a search results page (its article links)."""
        if sniff(response.body) in ("rss", "rdf", "atom", "jsonfeed"):
            yield from self.parse_feed(response, source, via="search")
        elif _is_html(response):
            yield from self.parse_section(response, source, self.section_depth, via="search")
