"""Publication time of a page: htmldate's day, made precise by the page's own timestamps.

The instant is kept with the offset the page states (``2025-03-10T00:50:00+02:00``): its first ten
characters are the local day, which converting to UTC would move for anything published near
midnight. Storage orders articles by the instant itself.
"""

from __future__ import annotations

import re
from datetime import datetime

__all__ = ["published_timestamp"]

# Where pages state their publication instant: OpenGraph/article meta, schema.org JSON-LD and
# microdata, and <time> elements marked as the publication time.
_META = re.compile(
    r"<meta\b[^>]*?(?:property|name|itemprop)\s*=\s*[\"']?"
    r"(?:article:published_time|og:published_time|datePublished|pubdate|publish-date|"
    r"parsely-pub-date|sailthru\.date|dc\.date\.issued)[\"']?[^>]*>",
    re.I,
)
_CONTENT = re.compile(r"\bcontent\s*=\s*[\"']([^\"']+)[\"']", re.I)
_JSONLD = re.compile(r"\"datePublished\"\s*:\s*\"([^\"]+)\"")
_TIME = re.compile(
    r"<time\b[^>]*?(?:itemprop\s*=\s*[\"']datePublished[\"']|\bpubdate\b)[^>]*?"
    r"datetime\s*=\s*[\"']([^\"']+)[\"']|<time\b[^>]*?datetime\s*=\s*[\"']([^\"']+)[\"'][^>]*?"
    r"(?:itemprop\s*=\s*[\"']datePublished[\"']|\bpubdate\b)",
    re.I,
)


# Any <time datetime>: read only for the local form of a moment stated in UTC elsewhere.
_ANY_TIME = re.compile(r"<time\b[^>]*?datetime\s*=\s*[\"']([^\"']+)[\"']", re.I)


def _instants(html: str) -> list[datetime]:
    found: list[str] = []
    for tag in _META.finditer(html):
        content = _CONTENT.search(tag.group(0))
        if content:
            found.append(content.group(1))
    found.extend(_JSONLD.findall(html))
    found.extend(a or b for a, b in _TIME.findall(html))
    return _parsed(found)


def _parsed(found: list[str]) -> list[datetime]:
    out = []
    for value in found:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        # a time was given, not just a day, and its offset: a naive time's zone is unknown
        if len(value.strip()) > 10 and parsed.tzinfo is not None:
            out.append(parsed)
    return out


def published_timestamp(day: str | None, html: str | bytes) -> str | None:
    """``day`` (YYYY-MM-DD from htmldate) as an ISO timestamp with the page's own offset when
    the page states the time and its offset.

    The page's own stated instant is used only when it falls on the same day (in its own time
    zone) as the date htmldate chose, so a modified date or a related story's date never wins;
    when the page gives that instant in UTC and the same moment at a local offset elsewhere,
    the local one is kept (and its day). Without one, the day is returned unchanged.
    """
    if not day:
        return None
    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    for instant in _instants(text):
        if instant.date().isoformat() == day[:10]:
            if not instant.utcoffset():
                instant = _local(instant, _parsed(_ANY_TIME.findall(text)) + _instants(text))
            return instant.replace(microsecond=0).isoformat()
    return day


def _local(instant: datetime, instants: list[datetime]) -> datetime:
    """``instant`` as the page states it in its own time zone: a page giving the same moment in
    UTC (a meta tag) and at its local offset (a ``<time>`` element, JSON-LD) published it on
    the local day."""
    for other in instants:
        if other.utcoffset() and other == instant:
            return other
    return instant
