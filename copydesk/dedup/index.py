"""Compact in-memory storage: chunked per-document columns and an LSH band index."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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

    def kept(self, keep: np.ndarray) -> Column:
        """A new column of the rows at positions `keep` (increasing), a chunk at a time."""
        out = Column(self.dtype, self.tail)
        bounds = np.searchsorted(keep, np.arange(0, len(self.chunks) + 1) << CHUNK_BITS)
        for ci, chunk in enumerate(self.chunks):
            rows = keep[bounds[ci] : bounds[ci + 1]] - (ci << CHUNK_BITS)
            if len(rows):
                out.extend(chunk[rows])
        return out


def band_coefficients(bands: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64([seed, 0xBA4D]))
    a = rng.integers(0, 2**63, size=(3, bands), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return a[0], a[1], a[2]


def band_keys(sigs: np.ndarray, bands: int, rows: int, coefs: tuple[np.ndarray, ...]) -> np.ndarray:
    """uint32 band keys, one per band, folded with the band number; `sigs` is (n, num_perm).

    Two 16-bit values a band (the Deduper's layout) pack into 32 bits exactly: the key is a
    bijective mix of the pair and a per-band salt, so two pairs of one band never share a key.
    """
    if sigs.dtype == np.uint16 and rows == 2:
        pairs = sigs[:, : bands * 2].reshape(len(sigs), bands, 2)
        x = pairs[:, :, 0].astype(np.uint32)
        x <<= np.uint32(16)
        x |= pairs[:, :, 1]
        x ^= (coefs[2] & _LOW32).astype(np.uint32)
        x ^= x >> np.uint32(16)  # murmur3's fmix32
        x *= np.uint32(0x85EBCA6B)
        x ^= x >> np.uint32(13)
        x *= np.uint32(0xC2B2AE35)
        x ^= x >> np.uint32(16)
        return x
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


def _directory(values: np.ndarray, bits: int, chunk: int = 1 << 20) -> np.ndarray:
    """Start offset in sorted `values` of every value of their top `bits` bits, plus the end.

    Read a chunk at a time: temporaries stay small (a whole-run temporary of a 64M-entry run
    would be 512 MB) and counts come from where the sorted prefix changes, not a bincount.
    """
    n = len(values)
    directory = np.zeros((1 << bits) + 1, np.uint32 if n < 2**32 else np.int64)
    shift = np.uint64(64 - bits)
    counts = np.zeros(1 << bits, np.int64)
    for start in range(0, n, chunk):
        prefix = (values[start : start + chunk] >> shift).astype(np.int64)
        edges = np.flatnonzero(prefix[1:] != prefix[:-1]) + 1
        firsts = np.concatenate([[0], edges])
        counts[prefix[firsts]] += np.diff(np.concatenate([firsts, [len(prefix)]]))
    np.cumsum(counts, out=directory[1:])
    return directory


def composite(keys: np.ndarray, docs: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Index entries (band key << 32 | doc id) of docs x bands `keys`, row by row, written into
    `out` (a flat uint64 array of len(docs) * bands) when given."""
    if out is None:
        out = np.empty(keys.size, np.uint64)
    rows = out.reshape(keys.shape)
    np.left_shift(keys, _SHIFT, out=rows, dtype=np.uint64)
    rows |= docs.astype(np.uint64)[:, None]
    return out


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
            self.directory = _directory(values, self.bits)

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
        if len(docs):
            self.add_entries(composite(keys, docs))

    def add_entries(self, entries: np.ndarray) -> None:
        """Bulk insert of `composite` entries, as one run: sorted in place (the array is the
        index's from then on)."""
        if len(entries):
            entries.sort()
            self._push(entries)

    def add_runs(self, runs: list[np.ndarray]) -> None:
        """Bulk insert of sorted runs whose key ranges do not overlap (`RunBuilder.runs`):
        kept as they are, the largest first, not merged."""
        for run in sorted((r for r in runs if len(r)), key=len, reverse=True):
            if self.runs and len(self.runs[-1]) <= len(run):
                self._push(run)
            else:
                self.runs.append(_Run(run, self.directory_min))

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


_TOP_BIT = np.uint64(1 << 63)


class RunBuilder:
    """Collects `composite` entries for a bulk load into one preallocated array, entries with
    a key's top bit clear from the front and set from the back, so that the two halves are
    sorted in parallel (numpy sorts without the GIL) into two runs of disjoint key ranges.

    Nothing as large as the index is allocated beyond that array; entries past `capacity`
    go to a spill list.
    """

    def __init__(self, capacity: int) -> None:
        self.buffer = np.empty(capacity, np.uint64)
        self.front = 0
        self.back = capacity
        self.spill: list[np.ndarray] = []

    def add(self, entries: np.ndarray) -> None:
        high = entries >= _TOP_BIT
        low_part, high_part = entries[~high], entries[high]
        if self.front + len(low_part) > self.back - len(high_part):
            self.spill.append(entries)
            return
        self.buffer[self.front : self.front + len(low_part)] = low_part
        self.front += len(low_part)
        self.buffer[self.back - len(high_part) : self.back] = high_part
        self.back -= len(high_part)

    def runs(self) -> list[np.ndarray]:
        """The sorted runs (the buffer is released; with a gap over 10%, halves are copied)."""
        low, high = self.buffer[: self.front], self.buffer[self.back :]
        if len(self.buffer) - self.front - (len(self.buffer) - self.back) > 0.1 * len(self.buffer):
            low, high = low.copy(), high.copy()
        del self.buffer
        if self.spill:
            spill = np.concatenate(self.spill)
            self.spill = []
            high_spill = spill >= _TOP_BIT
            low = np.concatenate([low, spill[~high_spill]])
            high = np.concatenate([high, spill[high_spill]])
        halves = [h for h in (low, high) if len(h)]
        with ThreadPoolExecutor(max(1, len(halves))) as pool:
            list(pool.map(np.ndarray.sort, halves))
        return halves
