"""Publication time of a page: htmldate's day, made precise by the page's own timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime

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


def _instants(html: str) -> list[datetime]:
    found: list[str] = []
    for tag in _META.finditer(html):
        content = _CONTENT.search(tag.group(0))
        if content:
            found.append(content.group(1))
    found.extend(_JSONLD.findall(html))
    found.extend(a or b for a, b in _TIME.findall(html))
    out = []
    for value in found:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        if len(value.strip()) > 10:  # a time was given, not just a day
            out.append(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    return out


def published_timestamp(day: str | None, html: str | bytes) -> str | None:
    """``day`` (YYYY-MM-DD from htmldate) as a UTC ISO timestamp when the page states the time.

    The page's own stated instant is used only when it falls on the same day (in its own time
    zone) as the date htmldate chose, so a modified date or a related story's date never wins.
    Without one, the day is returned unchanged.
    """
    if not day:
        return None
    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    for instant in _instants(text):
        if instant.date().isoformat() == day[:10]:
            return instant.astimezone(UTC).isoformat(timespec="seconds")
    return day
