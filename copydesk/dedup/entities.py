"""Where the Deduper keeps name/number sketches and run signatures: all in memory, or recent
ones plus a lookup."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from copydesk.dedup.fingerprint import Decoded, Fingerprint
from copydesk.dedup.index import Column

logger = logging.getLogger(__name__)

#: Fetches a stored article's fingerprint (blob or parsed) by its key; None when unknown.
FingerprintLookup = Callable[[int], "Fingerprint | bytes | None"]

#: (uint32 context keys, uint8 token hashes) of the same length, and the uint32 run signature
#: (None: the stored fingerprint was not found, so nothing is known of its runs).
Sketch = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]

_EMPTY: Sketch = (np.zeros(0, np.uint32), np.zeros(0, np.uint8), None)
#: Fingerprints read back lately (a pair reaching the quotation check is read once for its
#: runs and again for its names).
_READ_BACK = 8


class InMemorySketches:
    """Every article's sketch and run signature in fixed-width columns (640 + 256 bytes an
    article at entity_k=128, run_perm=64)."""

    def __init__(self, entity_k: int, run_perm: int) -> None:
        self._keys = Column(np.uint32, (entity_k,))
        self._vals = Column(np.uint8, (entity_k,))
        self._len = Column(np.uint8)
        self._runs = Column(np.uint32, (run_perm,))

    def append(self, i: int, key: int, fp: Fingerprint) -> None:
        self._len.append(len(fp.ent_keys))
        self._keys.append_prefix(fp.ent_keys)
        self._vals.append_prefix(fp.ent_values)
        self._runs.append(fp.run_sig)

    def extend(self, keys: np.ndarray, d: Decoded) -> None:
        self._len.extend(d.entity_len)
        self._keys.extend(d.entity_keys)
        self._vals.extend(d.entity_values)
        self._runs.extend(d.runs)

    def compact(self, keep: np.ndarray, moved: np.ndarray) -> None:
        """Keep the rows of positions `keep` only (they become 0, 1, ...)."""
        self._len = self._len.kept(keep)
        self._keys = self._keys.kept(keep)
        self._vals = self._vals.kept(keep)
        self._runs = self._runs.kept(keep)

    def get(self, i: int, key: int) -> Sketch:
        n = int(self._len[i])
        return self._keys[i][:n], self._vals[i][:n], self._runs[i]

    def nbytes(self) -> int:
        cols = (self._keys, self._vals, self._len, self._runs)
        return sum(c.nbytes() for c in cols)


class RecentSketches:
    """Sketches of the last `recent` appended articles; older ones come from `lookup`.

    For a Deduper backed by a corpus: a sketch is only needed when a candidate already passed
    the containment test, so reading it back from storage costs one point query per likely copy,
    and memory stays constant instead of growing by 640 bytes an article. The recent ring covers
    articles assigned but not yet committed (the storage pipeline commits every fraction of a
    second). A sketch that neither holds is treated as empty (no veto) and logged. Run
    signatures (version 6) are kept and read back the same way.
    """

    def __init__(
        self, entity_k: int, lookup: FingerprintLookup, recent: int = 4096, run_perm: int = 64
    ) -> None:
        self.lookup = lookup
        self._owner = np.full(recent, -1, np.int64)
        self._keys = np.zeros((recent, entity_k), np.uint32)
        self._vals = np.zeros((recent, entity_k), np.uint8)
        self._len = np.zeros(recent, np.uint8)
        self._runs = np.zeros((recent, run_perm), np.uint32)
        self._read: dict[int, Fingerprint | None] = {}
        self.lookups = 0
        self.misses = 0

    def append(self, i: int, key: int, fp: Fingerprint) -> None:
        slot = i % len(self._owner)
        n = len(fp.ent_keys)
        self._owner[slot] = i
        self._len[slot] = n
        self._keys[slot, :n] = fp.ent_keys
        self._vals[slot, :n] = fp.ent_values
        self._runs[slot] = fp.run_sig

    def extend(self, keys: np.ndarray, d: Decoded) -> None:
        """Loaded articles are stored already: nothing to keep."""

    def compact(self, keep: np.ndarray, moved: np.ndarray) -> None:
        """Renumber the ring after the Deduper dropped positions: `moved[old]` is the new
        position (-1: dropped). Sketches of kept articles stay (they may not be committed yet);
        when two land on one slot, the later article keeps it."""
        slots = np.flatnonzero(self._owner >= 0)
        slots = slots[np.argsort(self._owner[slots], kind="stable")]
        owner, keys = self._owner.copy(), self._keys.copy()
        vals, lens, runs = self._vals.copy(), self._len.copy(), self._runs.copy()
        self._owner[:] = -1
        for slot in slots.tolist():
            new = int(moved[owner[slot]])
            if new < 0:
                continue
            to = new % len(self._owner)
            self._owner[to] = new
            self._keys[to], self._vals[to], self._len[to] = keys[slot], vals[slot], lens[slot]
            self._runs[to] = runs[slot]

    def get(self, i: int, key: int) -> Sketch:
        slot = i % len(self._owner)
        if self._owner[slot] == i:
            n = int(self._len[slot])
            return self._keys[slot, :n], self._vals[slot, :n], self._runs[slot]
        fp = self._read_back(key)
        return _EMPTY if fp is None else (fp.ent_keys, fp.ent_values, fp.run_sig)

    def _read_back(self, key: int) -> Fingerprint | None:
        """The stored fingerprint of `key` (the last few read are kept); None when missing."""
        if key in self._read:
            return self._read[key]
        self.lookups += 1
        found = self.lookup(key)
        if found is None:
            self.misses += 1
            logger.warning(
                "no stored fingerprint for article %d: its names and runs are not compared", key
            )
            return None
        fp = found if isinstance(found, Fingerprint) else Fingerprint.from_bytes(found)
        if len(self._read) >= _READ_BACK:
            self._read.clear()
        self._read[key] = fp
        return fp

    def nbytes(self) -> int:
        arrays = (self._owner, self._keys, self._vals, self._len, self._runs)
        return sum(a.nbytes for a in arrays)
