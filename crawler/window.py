"""The date window of a crawl: ``-a since=2025-09-01`` or ``-a since=2d``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["WindowError", "in_window", "parse_since"]

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$", re.I)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class WindowError(ValueError):
    """A ``since`` value that is neither a date nor a duration like ``2d``."""


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """The start of the window: an ISO date/time (UTC if naive) or ``N`` h/d/w before now."""
    if not value:
        return None
    match = _RELATIVE.match(value)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
    try:
        start = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise WindowError(
            f"since: {value!r} is not a date (2025-09-01) or a duration (12h, 2d, 1w)"
        ) from exc
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def in_window(date: str | None, since: datetime | None) -> bool:
    """Whether an ISO 8601 date is inside the window; an unknown date is always inside."""
    if since is None or not date:
        return True
    try:
        when = datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if len(date) <= 10:  # a bare day: inside if any moment of it is
        when += timedelta(days=1) - timedelta(microseconds=1)
    return when >= since
