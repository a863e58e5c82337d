"""An in-memory index of the URLs a crawl may skip, so a new URL costs no SQLite query."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["KnownUrls"]

#: Hashes added during a crawl are merged into the sorted array once there are this many.
MERGE_AT = 65536


def _hashes(urls: Iterable[str]) -> np.ndarray:
    return np.fromiter((hash(url) for url in urls), dtype=np.int64)


class KnownUrls:
    """64-bit hashes of URLs (stored articles' URLs and canonical URLs, recent rejections).

    A sorted numpy array (8 bytes a URL) plus a small set of hashes added since the last
    merge. A URL whose hash is absent is certainly not in the index, so the common case, a
    new article, needs no query; a hit may be a collision and must be checked exactly (in
    SQLite) by the caller. Hashes are Python's ``hash(str)``: the index lives in one process.
    """

    def __init__(self, urls: Iterable[str] = (), merge_at: int = MERGE_AT) -> None:
        self._sorted = np.unique(_hashes(urls))
        self._new: set[int] = set()
        self.merge_at = max(1, merge_at)

    def __len__(self) -> int:
        return len(self._sorted) + len(self._new)

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        key = hash(url)
        if key in self._new:
            return True
        found = self._sorted
        at = int(np.searchsorted(found, key))
        return at < len(found) and int(found[at]) == key

    def any(self, urls: Iterable[str]) -> bool:
        """Whether any of ``urls`` may be in the index."""
        return any(url in self for url in urls)

    def add(self, urls: Iterable[str]) -> None:
        self._new.update(hash(url) for url in urls)
        if len(self._new) >= self.merge_at:
            merged = np.fromiter(self._new, dtype=np.int64, count=len(self._new))
            self._sorted = np.union1d(self._sorted, merged)
            self._new.clear()
