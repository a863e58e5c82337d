"""Publication order: ISO 8601 timestamps as UTC microseconds, one at a time or in bulk."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np

__all__ = ["UNDATED", "WindowError", "instant_us", "instants_us", "window_us"]

logger = logging.getLogger(__name__)

#: The instant of an undated article: it sorts after every dated one.
UNDATED = int(np.iinfo(np.int64).max)

_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$", re.I)
_UNIT_US = {"h": 3_600_000_000, "d": 86_400_000_000, "w": 604_800_000_000}


class WindowError(ValueError):
    """A dedup window that is not a duration like ``60d``."""


def window_us(value: str | None) -> int | None:
    """A dedup window (``12h``, ``60d``, ``8w``) in microseconds; empty: no window (None)."""
    if not value or not value.strip():
        return None
    match = _WINDOW.match(value)
    amount = float(match.group(1)) if match else 0.0
    if match is None or amount <= 0:
        raise WindowError(
            f"dedup window {value!r} is not a positive duration: write it as 12h, 60d or 8w "
            "(COPYDESK_DEDUP_WINDOW or --window), or leave it empty for no window"
        )
    return int(amount * _UNIT_US[match.group(2).lower()])


@lru_cache(maxsize=4096)
def instant_us(value: str) -> int:
    """ISO timestamp to UTC microseconds; naive timestamps count as UTC; "" is undated."""
    if not value:
        return UNDATED
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        logger.warning("unparseable timestamp %r treated as missing", value)
        return UNDATED
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1_000_000)


# The two shapes the corpus writes (`published` is a day or a UTC instant, `fetched_at` always
# a UTC instant), as code-point templates: "d" a digit, anything else that very character.
_DAY = "dddd-dd-dd"
_INSTANT = "dddd-dd-ddTdd:dd:dd+00:00"
_WIDTH = len(_INSTANT)
_DIGIT = ord("0")
_DAYS_BEFORE_MONTH = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], np.int64)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)


def _template(shape: str) -> tuple[np.ndarray, np.ndarray]:
    """(digit positions, expected code point minus "0" elsewhere) over `_WIDTH` columns."""
    padded = shape.ljust(_WIDTH, "\0")
    digit = np.array([ch == "d" for ch in padded])
    expect = np.array([0 if ch == "d" else ord(ch) for ch in padded], np.uint32)
    return digit, expect - np.uint32(_DIGIT)  # wraps below "0", as the digits matrix does


_SHAPES = {_DAY: _template(_DAY), _INSTANT: _template(_INSTANT)}
#: (first column, width) of year, month, day, hour, minute, second.
_FIELDS = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))


def _matches(digits: np.ndarray, is_digit: np.ndarray, shape: str) -> np.ndarray:
    """Rows of the (n, _WIDTH) matrix of code points minus "0" laid out as `shape`."""
    digit, expect = _SHAPES[shape]
    return np.asarray(np.where(digit, is_digit, digits == expect).all(axis=1))


def _number(digits: np.ndarray, start: int, width: int) -> np.ndarray:
    out = digits[:, start].astype(np.int64)
    for col in range(start + 1, start + width):
        out *= 10
        out += digits[:, col]
    return out


def _microseconds(digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(UTC microseconds, valid) of rows laid out as `_DAY` (zeros after it) or `_INSTANT`."""
    year, month, day, hour, minute, second = (_number(digits, *f) for f in _FIELDS)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    m = np.where(month_ok, month, 1)
    month_days = _MONTH_DAYS[m] + (leap & (m == 2))
    valid = (year >= 1) & month_ok & (day >= 1) & (day <= month_days)
    valid &= (hour <= 23) & (minute <= 59) & (second <= 59)
    y = year - 1
    days = 365 * y + y // 4 - y // 100 + y // 400 + _DAYS_BEFORE_MONTH[m] + (leap & (m > 2))
    days += day - 1 - 719162  # days from 0001-01-01 to 1970-01-01
    seconds = days * 86400 + hour * 3600 + minute * 60 + second
    return seconds * 1_000_000, valid


def instants_us(values: Sequence[str | None]) -> np.ndarray:
    """`instant_us` of every value (None counts as ""), as int64, in bulk.

    The shapes the corpus writes (a day, or a whole-second UTC instant with "+00:00") are read
    with vectorised arithmetic; anything else goes through `instant_us`, so the result is
    always exactly what `instant_us` says.
    """
    n = len(values)
    out = np.full(n, UNDATED, np.int64)
    if n == 0:
        return out
    texts = [v or "" for v in values]
    # Lengths from Python: the array below cuts longer strings and drops trailing NULs.
    lengths = np.fromiter(map(len, texts), np.int64, n)
    digits = np.array(texts, dtype=f"U{_WIDTH}").view(np.uint32).reshape(n, _WIDTH)
    digits -= np.uint32(_DIGIT)  # code points minus "0": digits are 0..9, the rest wraps
    is_digit = digits < 10
    shaped = np.zeros(n, bool)
    for shape in _SHAPES:
        shaped |= (lengths == len(shape)) & _matches(digits, is_digit, shape)
    rows = np.flatnonzero(shaped)
    # A day's time columns are NULs (not digits): zero them so its time reads 00:00:00.
    shaped_digits = np.where(is_digit[rows], digits[rows], 0)
    us, valid = _microseconds(shaped_digits)
    out[rows[valid]] = us[valid]
    done = lengths == 0
    done[rows[valid]] = True
    # Other shapes, invalid dates (`instant_us` logs them) and strings cut to fit the array.
    for i in np.flatnonzero(~done).tolist():
        out[i] = instant_us(texts[i])
    return out
