"""Strip a site-name prefix or suffix ("Headline | Site") from a page title."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["strip_site_name"]

_SEPARATORS = re.compile(r"\s+[|\-–—:·»•~]\s+|\s*[|·»•]\s*|\s*::?\s+")
_NON_ALNUM = re.compile(r"\W+")
_HOST_NOISE = frozenset({"www", "com", "org", "net", "co", "uk", "de", "fr", "io", "news", "blog"})


def _squash(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def _site_keys(site_name: str | None, url: str | None) -> set[str]:
    keys = set()
    if site_name and len(_squash(site_name)) >= 3:
        keys.add(_squash(site_name))
    if url:
        host = urlsplit(url).hostname or ""
        keys.update(
            label for label in host.split(".") if len(label) >= 4 and label not in _HOST_NOISE
        )
    return keys


def _is_site(part: str, keys: set[str]) -> bool:
    squashed = _squash(part)
    if not squashed:
        return True
    return any(key in squashed or (len(squashed) >= 4 and squashed in key) for key in keys)


def strip_site_name(
    title: str | None, site_name: str | None = None, url: str | None = None
) -> str | None:
    """``title`` without leading/trailing parts that name the site (by site name or host name)."""
    if not title:
        return title
    separators = list(_SEPARATORS.finditer(title))
    if not separators:
        return title
    keys = _site_keys(site_name, url)
    if not keys:
        return title
    start, end = 0, len(title)
    # Trailing parts first ("Headline - Section | Site"), then one leading part ("Site: Headline").
    for match in reversed(separators):
        if match.start() >= end or not _is_site(title[match.end() : end], keys):
            break
        end = match.start()
    first = separators[0]
    if first.end() < end and _is_site(title[: first.start()], keys):
        start = first.end()
    stripped = title[start:end].strip()
    return stripped if len(stripped) >= 3 else title
