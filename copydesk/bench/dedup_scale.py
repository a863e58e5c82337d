"""Scale benchmark of the Deduper: insert+query time, RAM per article, rebuild from blobs.

Insert+query is `Deduper.assign` (LSH query, canonical verification, indexing) on synthetic
fingerprints (10% planted near copies), with the Deduper set up as the crawl sets it up: it
keeps 16-bit signatures and recent name/number sketches, and reads older sketches back through
a lookup (the corpus in a crawl; here the list of blobs, so no SQLite time is counted); RAM is
what the Deduper holds after the inserts, counted as the bytes of its numpy arrays
(`Deduper.nbytes`, chunk slack included; tracemalloc agrees within 1% but slows numpy
allocation several-fold, so it is not used while timing; transient merge buffers are not
counted); rebuild is `Deduper.load` from the stored blobs in memory (SQLite read time is not
included).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from copydesk.dedup import Deduper, DedupParams, Fingerprint

TARGET_MS_PER_ARTICLE = 1.0
TARGET_BYTES_PER_ARTICLE = 1024
TARGET_REBUILD_S_PER_MILLION = 10.0


def synthetic_fingerprints(n: int, params: DedupParams, seed: int = 7) -> list[bytes]:
    """Random fingerprints as storage blobs; 10% are planted near copies of an earlier one."""
    rng = np.random.default_rng(seed)
    blobs: list[bytes] = []
    sigs = rng.integers(0, 2**32, size=(n, params.num_perm), dtype=np.uint64).astype("<u4")
    src = rng.integers(0, max(1, n), size=n)
    for i in range(n):
        sig = sigs[i]
        if i > 0 and rng.random() < 0.1:
            j = int(src[i]) % i
            sig = sigs[j].copy()
            flip = rng.random(params.num_perm) < 0.2
            sig[flip] = sigs[i][flip]
            sigs[i] = sig
        ek = np.sort(rng.integers(0, 2**32, size=params.entity_k, dtype=np.uint64)).astype("<u4")
        ev = rng.integers(0, 256, size=params.entity_k, dtype=np.uint64).astype(np.uint8)
        fp = Fingerprint(f"{i:032x}", sig.tobytes(), 600, ek.tobytes(), ev.tobytes())
        blobs.append(fp.to_bytes())
    return blobs


def run_size(n: int, params: DedupParams | None = None) -> dict[str, Any]:
    params = params or DedupParams()
    blobs = synthetic_fingerprints(n, params)
    fps = [Fingerprint.from_bytes(b) for b in blobs]
    dd = Deduper(params, lookup=blobs.__getitem__)
    t0 = time.perf_counter()
    for k, fp in enumerate(fps):
        dd.assign(k, fp, ("", "", k))
    insert_s = time.perf_counter() - t0
    mem = dd.nbytes()
    lookups = getattr(dd._sketches, "lookups", 0)
    del dd, fps
    t0 = time.perf_counter()
    dd2 = Deduper(params, lookup=blobs.__getitem__)
    dd2.load((k, b, ("", "", k), None) for k, b in enumerate(blobs))
    rebuild_s = time.perf_counter() - t0
    ms = 1000 * insert_s / n
    per_doc = mem / n
    rebuild_per_m = rebuild_s * 1_000_000 / n
    return {
        "size": n,
        "insert_query_ms_per_article": ms,
        "ram_bytes_per_article": per_doc,
        "rebuild_seconds": rebuild_s,
        "rebuild_seconds_per_million": rebuild_per_m,
        "targets_met": {
            "insert_query_le_1ms": ms <= TARGET_MS_PER_ARTICLE,
            "ram_le_1kb": per_doc <= TARGET_BYTES_PER_ARTICLE,
            "rebuild_le_10s_per_million": rebuild_per_m <= TARGET_REBUILD_S_PER_MILLION,
        },
        "indexed": len(dd2),
        "sketch_lookups": lookups,
    }


def run(sizes: Sequence[int] = (100_000, 1_000_000), params: DedupParams | None = None) -> dict:
    return {"sizes": [run_size(n, params) for n in sizes]}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Entry for the CLI: argv may hold `--sizes 1000,10000`."""
    args = list(argv or [])
    sizes: tuple[int, ...] = (100_000, 1_000_000)
    if "--sizes" in args:
        sizes = tuple(int(x) for x in args[args.index("--sizes") + 1].split(","))
    return run(sizes)
