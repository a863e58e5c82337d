"""The page's full headline: its <h1> when the title tags agree, without "| Site" affixes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

__all__ = ["headline", "site_keys", "squash", "strip_site_name"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_SEPARATORS = re.compile(
    r"\s+(?:[|\-–—:·»•~*/]|--|···|\.\.\.)\s+|\s*[|·»•｜]\s*|\s*::?\s+|\s*[：]\s*"
    rf"|\s*-\s*(?=[{_CJK}])|(?<=[{_CJK}])\s*-\s*|\s*_\s*(?=[{_CJK}])"
)
_NON_ALNUM = re.compile(r"\W+")
_HOST_NOISE = frozenset({"www", "com", "org", "net", "co", "uk", "de", "fr", "io", "news", "blog"})


def squash(text: str) -> str:
    """Lower-cased letters and digits only."""
    return _NON_ALNUM.sub("", text.lower())


def site_keys(site_name: str | None, url: str | None) -> set[str]:
    """Squashed forms naming the site: its name and the distinctive labels of its host."""
    keys = set()
    if site_name and len(squash(site_name)) >= 3:
        keys.add(squash(site_name))
    if url:
        host = urlsplit(url).hostname or ""
        keys.update(
            label for label in host.split(".") if len(label) >= 4 and label not in _HOST_NOISE
        )
    return keys


def _is_site(part: str, keys: set[str]) -> bool:
    squashed = squash(part)
    if not squashed:
        return True
    return bool(keys) and any(
        key in squashed or (len(squashed) >= 4 and squashed in key) for key in keys
    )


_CRUMB_WORDS = 2  # a breadcrumb's parts are section names of a word or two


def strip_site_name(
    title: str | None, site_name: str | None = None, url: str | None = None
) -> str | None:
    """``title`` without leading/trailing parts that name the site (by site name or host name)."""
    if not title:
        return title
    separators = list(_SEPARATORS.finditer(title))
    if not separators:
        return title
    keys = site_keys(site_name, url)
    start, end = 0, len(title)
    # Trailing parts first ("Headline - Section | Site", "Headline » Local » News"), then one
    # leading part ("Site: Headline").
    for match in reversed(separators):
        part = title[match.end() : end]
        crumb = "»" in match.group(0) or "›" in match.group(0)
        if match.start() >= end or not (
            _is_site(part, keys) or (crumb and len(part.split()) <= _CRUMB_WORDS)
        ):
            break
        end = match.start()
    first = separators[0]
    if first.end() < end and _is_site(title[: first.start()], keys):
        start = first.end()
    stripped = title[start:end].strip()
    return stripped if len(stripped) >= 3 else title


_H1 = "//h1"
_MAX_HEADLINE = 300


def _text(element: Any) -> str:
    return " ".join(" ".join(element.itertext()).split())


def headline(
    tree: Any, title: str | None, site_name: str | None = None, url: str | None = None
) -> str | None:
    """The article's headline: the first ``<h1>`` that the page's title tags contain (the
    whole headline, whatever affixes or cuts the tags have), else ``title`` without the site's
    name. ``tree`` is the page's lxml tree (None: ``title`` alone)."""
    stripped = strip_site_name(title, site_name, url)
    if tree is None:
        return stripped
    candidates = [title or ""]
    for path in (
        "//meta[@property='og:title']/@content",
        "//meta[@name='twitter:title']/@content",
        "//head/title",
    ):
        for found in tree.xpath(path)[:1]:
            candidates.append(found if isinstance(found, str) else _text(found))
    keys = [squash(c) for c in candidates if c]
    site = site_keys(site_name, url)
    shortest = 0.5 * len(squash(stripped or ""))  # not a kicker or a section name
    for h1 in tree.xpath(_H1)[:3]:
        text = _text(h1)
        key = squash(text)
        if (
            len(text) <= _MAX_HEADLINE
            and len(key) >= max(3, shortest)
            and not _is_site(text, site)
            and any(key in k for k in keys)
        ):
            return text
    return stripped
