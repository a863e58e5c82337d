"""Compact in-memory storage: chunked per-document columns and an LSH band index."""

from __future__ import annotations

import numpy as np

CHUNK_BITS = 14
CHUNK = 1 << CHUNK_BITS
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


class Column:
    """A growable array of fixed-shape rows stored in fixed-size chunks (no doubling slack)."""

    def __init__(self, dtype: np.dtype | type, tail: tuple[int, ...] = ()) -> None:
        self.dtype = np.dtype(dtype)
        self.tail = tail
        self.chunks: list[np.ndarray] = []
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def append(self, row: object) -> int:
        i = self.n
        if i >> CHUNK_BITS >= len(self.chunks):
            self.chunks.append(np.zeros((CHUNK, *self.tail), self.dtype))
        self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)] = row
        self.n += 1
        return i

    def append_prefix(self, row: np.ndarray) -> int:
        """Append a row given only its first len(row) values; the rest stay zero."""
        i = self.n
        if i >> CHUNK_BITS >= len(self.chunks):
            self.chunks.append(np.zeros((CHUNK, *self.tail), self.dtype))
        self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1), : len(row)] = row
        self.n += 1
        return i

    def extend(self, rows: np.ndarray) -> None:
        start = 0
        while start < len(rows):
            i = self.n
            if i >> CHUNK_BITS >= len(self.chunks):
                self.chunks.append(np.zeros((CHUNK, *self.tail), self.dtype))
            off = i & (CHUNK - 1)
            take = min(CHUNK - off, len(rows) - start)
            self.chunks[i >> CHUNK_BITS][off : off + take] = rows[start : start + take]
            self.n += take
            start += take

    def __getitem__(self, i: int) -> np.ndarray:
        return self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]

    def set(self, i: int, value: object) -> None:
        self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)] = value

    def take(self, idx: np.ndarray) -> np.ndarray:
        out = np.empty((len(idx), *self.tail), self.dtype)
        for j, i in enumerate(idx.tolist()):
            out[j] = self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]
        return out

    def all(self) -> np.ndarray:
        if not self.chunks:
            return np.zeros((0, *self.tail), self.dtype)
        return np.concatenate(self.chunks)[: self.n]

    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.chunks)


def band_coefficients(bands: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64([seed, 0xBA4D]))
    a = rng.integers(0, 2**63, size=(3, bands), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return a[0], a[1], a[2]


def band_keys(sigs: np.ndarray, bands: int, rows: int, coefs: tuple[np.ndarray, ...]) -> np.ndarray:
    """uint32 band keys, one per band, folded with the band number; `sigs` is (n, num_perm)."""
    s = sigs[:, : bands * rows].astype(np.uint64).reshape(len(sigs), bands, rows)
    h = s[:, :, 0] * coefs[0]
    for r in range(1, rows):
        h ^= h >> np.uint64(29)
        h += s[:, :, r] * coefs[1]
    h += coefs[2]
    h ^= h >> np.uint64(31)
    h *= np.uint64(0x94D049BB133111EB)
    return (h >> _SHIFT).astype(np.uint32)


#: Runs with at least this many entries get a directory over the top bits of their keys.
DIRECTORY_MIN = 1 << 16
#: Target entries per directory bucket (the directory costs 4/BUCKET bytes per entry).
BUCKET = 8


class _Run:
    """One sorted run of (band key << 32 | doc id) with, when large, a bucket directory.

    The directory holds the start offset of every value of the key's top `bits` bits, so a
    lookup reads one small contiguous bucket instead of binary-searching a huge array (whose
    cache misses dominated query time at 10^5+ documents).
    """

    __slots__ = ("bits", "directory", "values")

    def __init__(self, values: np.ndarray, directory_min: int = DIRECTORY_MIN) -> None:
        self.values = values
        self.bits = 0
        self.directory: np.ndarray | None = None
        n = len(values)
        if n >= directory_min:
            self.bits = min(30, max(8, int(np.log2(n / BUCKET))))
            prefix = (values >> np.uint64(64 - self.bits)).astype(np.int64)
            counts = np.bincount(prefix, minlength=1 << self.bits)
            directory = np.zeros((1 << self.bits) + 1, np.uint32 if n < 2**32 else np.int64)
            np.cumsum(counts, out=directory[1:])
            self.directory = directory

    def __len__(self) -> int:
        return len(self.values)

    def query(self, keys: np.ndarray, found: list[np.ndarray]) -> None:
        run = self.values
        if self.directory is None:
            lo_q = keys.astype(np.uint64) << _SHIFT
            lo = np.searchsorted(run, lo_q, "left")
            hi = np.searchsorted(run, lo_q | _LOW32, "right")
            for j in np.flatnonzero(hi > lo).tolist():
                found.append((run[lo[j] : hi[j]] & _LOW32).astype(np.int64))
            return
        p = (keys >> np.uint32(32 - self.bits)).astype(np.int64)
        lo = self.directory[p].astype(np.int64)
        counts = self.directory[p + 1].astype(np.int64) - lo
        total = int(counts.sum())
        if total == 0:
            return
        starts = np.cumsum(counts) - counts
        idx = np.arange(total, dtype=np.int64) + np.repeat(lo - starts, counts)
        vals = run[idx]
        hit = (vals >> _SHIFT) == np.repeat(keys.astype(np.uint64), counts)
        if hit.any():
            found.append((vals[hit] & _LOW32).astype(np.int64))

    def nbytes(self) -> int:
        return self.values.nbytes + (0 if self.directory is None else self.directory.nbytes)


class BandIndex:
    """LSH buckets as sorted uint64 runs of (band key << 32 | doc id), 8 bytes per (doc, band).

    New docs go to a small buffer scanned linearly; full buffers become sorted runs that are
    merged binary-counter style (O(log n) runs); large runs carry a bucket directory, so a
    query costs a few vectorised gathers per run whatever the corpus size. About 8.25 bytes per
    (doc, band): 64 bands make ~530 bytes per document, where datasketch's `MinHashLSH` (a dict
    of lists per band) costs ~3.3 KB.
    """

    def __init__(
        self, bands: int, buffer_size: int = 1024, directory_min: int = DIRECTORY_MIN
    ) -> None:
        self.bands = bands
        self.directory_min = directory_min
        self.buffer_size = buffer_size
        self.buf_keys = np.zeros((buffer_size, bands), np.uint32)
        self.buf_ids = np.zeros(buffer_size, np.int64)
        self.buf_n = 0
        self.runs: list[_Run] = []

    def add(self, doc: int, keys: np.ndarray) -> None:
        self.buf_keys[self.buf_n] = keys
        self.buf_ids[self.buf_n] = doc
        self.buf_n += 1
        if self.buf_n == self.buffer_size:
            self._flush()

    def add_many(self, docs: np.ndarray, keys: np.ndarray) -> None:
        """Bulk insert (rebuild): one sorted run."""
        if len(docs) == 0:
            return
        comp = keys.astype(np.uint64)
        comp <<= _SHIFT
        comp |= docs.astype(np.uint64)[:, None]
        run = comp.ravel()
        run.sort()
        self._push(run)

    def _flush(self) -> None:
        n = self.buf_n
        comp = (self.buf_keys[:n].astype(np.uint64) << _SHIFT) | self.buf_ids[:n, None].astype(
            np.uint64
        )
        run = comp.ravel()
        run.sort()
        self.buf_n = 0
        self._push(run)

    def _push(self, run: np.ndarray) -> None:
        while self.runs and len(self.runs[-1]) <= len(run):
            a = self.runs.pop().values
            merged = np.concatenate([a, run])
            del a, run
            merged.sort(kind="stable")  # timsort: two sorted runs merge in linear time
            run = merged
        self.runs.append(_Run(run, self.directory_min))

    def query(self, keys: np.ndarray) -> np.ndarray:
        """Doc ids sharing at least one band key with `keys` (unsorted, may repeat)."""
        found: list[np.ndarray] = []
        if self.buf_n:
            hit = (self.buf_keys[: self.buf_n] == keys[None, :]).any(axis=1)
            if hit.any():
                found.append(self.buf_ids[: self.buf_n][hit])
        for run in self.runs:
            run.query(keys, found)
        if not found:
            return np.zeros(0, np.int64)
        return np.concatenate(found)

    def nbytes(self) -> int:
        return self.buf_keys.nbytes + self.buf_ids.nbytes + sum(r.nbytes() for r in self.runs)
