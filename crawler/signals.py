"""Copydesk's own Scrapy signals."""

from __future__ import annotations

__all__ = ["url_rejected"]

#: A fetched URL was rejected for good (not HTML, gone, outside the window...). Arguments:
#: ``url``, ``reason``, ``source`` (name or None), ``discovery`` (the discovery dict).
url_rejected = object()
