"""Scale benchmark of the Deduper on a real corpus: insert+query time, memory, rebuild time.

For each size N the benchmark writes N synthetic fingerprints (10% planted near copies of an
earlier article) into a real SQLite corpus (`storage.corpus.Corpus.write`, as the storage
pipeline writes them), then runs two phases, each in a fresh process so that its memory can be
read off the operating system:

- **insert + query**: the fingerprints are read back in publication order and each is given to
  `Deduper.assign` (LSH query, verification against candidate canonicals, indexing), with the
  Deduper set up as the crawl sets it up: 16-bit signatures in memory, the name/number sketches
  of the 4,096 most recent articles, older ones read back from the corpus by point queries
  (counted in the time). Reading the rows is not timed.
- **rebuild**: what the dedup pipeline does when a spider opens: `Deduper.load_stored` over
  `Corpus.dedup_orders` and `Corpus.fingerprint_batches`, SQLite read included. The corpus was
  written just before, so its pages are in the OS page cache: a cold disk adds its read time.

The rebuild runs three times (each in a fresh process) and its median round is reported, with
every round's time. Memory is given two ways: `ram_bytes_per_article`, the bytes the Deduper's
arrays hold once every article is indexed (`Deduper.nbytes`), and `peak_rss_bytes_per_article`,
the phase's peak resident memory (VmHWM) above what the process held before it started, which
also counts transient buffers (merging LSH runs) and allocator slack.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from copydesk.bench.procstat import current_rss_mb, peak_rss_mb
from copydesk.corpusdedup import open_deduper
from copydesk.dedup import Deduper, DedupParams, Fingerprint
from storage.clusters import PARAMS_KEY, dedup_rows
from storage.corpus import Corpus, NewArticle

TARGET_MS_PER_ARTICLE = 1.0
TARGET_BYTES_PER_ARTICLE = 1024
TARGET_REBUILD_S_PER_MILLION = 10.0

#: Sketches kept in memory, as in the crawl (`Deduper(recent=...)`'s default).
RECENT = 4096
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_WRITE_BATCH = 5000


def synthetic_fingerprints(
    n: int, params: DedupParams, seed: int = 7, chunk: int = 10_000
) -> Iterator[bytes]:
    """Random fingerprints as storage blobs; 10% are planted near copies of an earlier one.

    A copy shares 80% of its source's MinHash values; every text hash is distinct, so no pair
    passes as an exact copy without being verified. Run signatures (version 6) are random and
    no value is quote-flagged, so no pair reaches the quotation check that reads them back.
    Generated `chunk` at a time, so N of them never sit in memory together (only their
    signatures do, for planting copies).
    """
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 2**32, size=(n, params.num_perm), dtype=np.uint64).astype("<u4")
    lead_rng = np.random.default_rng([seed, 1])  # its own stream: the rest is as before
    leads = lead_rng.integers(0, 2**16, size=(n, params.lead_perm), dtype=np.uint64).astype("<u2")
    src = rng.integers(0, max(1, n), size=n)
    run_rng = np.random.default_rng([seed, 2])
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        runs = _runs(run_rng, stop - start, params)
        # distinct keys in a row, as `fingerprint` makes them (sorted, plus their rank)
        ek = np.sort(
            rng.integers(
                0, 2**32 - params.entity_k, size=(stop - start, params.entity_k), dtype=np.uint64
            ),
            axis=1,
        )
        ek = (ek + np.arange(params.entity_k, dtype=np.uint64)).astype("<u4")
        ev = rng.integers(0, 256, size=(stop - start, params.entity_k), dtype=np.uint8)
        copy = rng.random(stop - start) < 0.1
        flips = rng.random((stop - start, params.num_perm)) < 0.2
        lead_flips = lead_rng.random((stop - start, params.lead_perm)) < 0.2
        hashes = rng.bytes(16 * (stop - start))
        for k, i in enumerate(range(start, stop)):
            if i > 0 and copy[k]:
                j = int(src[i]) % i
                sig = sigs[j].copy()
                sig[flips[k]] = sigs[i][flips[k]]
                sigs[i] = sig
                lead = leads[j].copy()
                lead[lead_flips[k]] = leads[i][lead_flips[k]]
                leads[i] = lead
            text_hash = hashes[16 * k : 16 * k + 16].hex()
            yield Fingerprint(
                text_hash,
                sigs[i].tobytes(),
                600,
                ek[k].tobytes(),
                ev[k].tobytes(),
                leads[i].tobytes(),
                runs=runs[k].tobytes(),
            ).to_bytes()


def _runs(rng: np.random.Generator, m: int, params: DedupParams) -> np.ndarray:
    """(m, run_perm) random run signatures, as distinct texts have them."""
    return rng.integers(0, 2**32 - 1, size=(m, params.run_perm), dtype=np.uint64).astype("<u4")


def recent_copy_fingerprints(
    n: int, params: DedupParams, within: int, seed: int = 7, chunk: int = 10_000
) -> Iterator[bytes]:
    """As `synthetic_fingerprints`, but a copy's source is one of the `within` articles just
    before it (copies within days of their story, as wire copy runs), and only those are held:
    memory does not grow with n."""
    rng = np.random.default_rng(seed)
    lead_rng = np.random.default_rng([seed, 1])
    within = max(1, within)
    ring = np.zeros((within, params.num_perm), "<u4")
    lead_ring = np.zeros((within, params.lead_perm), "<u2")
    run_rng = np.random.default_rng([seed, 2])
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        m = stop - start
        runs = _runs(run_rng, m, params)
        sigs = rng.integers(0, 2**32, size=(m, params.num_perm), dtype=np.uint64).astype("<u4")
        leads = lead_rng.integers(0, 2**16, size=(m, params.lead_perm), dtype=np.uint64)
        leads = leads.astype("<u2")
        # distinct keys in a row, as `fingerprint` makes them (sorted, plus their rank)
        ek = np.sort(
            rng.integers(0, 2**32 - params.entity_k, size=(m, params.entity_k), dtype=np.uint64),
            axis=1,
        )
        ek = (ek + np.arange(params.entity_k, dtype=np.uint64)).astype("<u4")
        ev = rng.integers(0, 256, size=(m, params.entity_k), dtype=np.uint8)
        copy = rng.random(m) < 0.1
        back = rng.integers(1, within + 1, size=m)
        flips = rng.random((m, params.num_perm)) < 0.2
        lead_flips = lead_rng.random((m, params.lead_perm)) < 0.2
        hashes = rng.bytes(16 * m)
        for k, i in enumerate(range(start, stop)):
            sig, lead = sigs[k], leads[k]
            if copy[k] and i >= back[k]:
                sig = ring[(i - int(back[k])) % within].copy()
                sig[flips[k]] = sigs[k][flips[k]]
                lead = lead_ring[(i - int(back[k])) % within].copy()
                lead[lead_flips[k]] = leads[k][lead_flips[k]]
            ring[i % within] = sig
            lead_ring[i % within] = lead
            yield Fingerprint(
                hashes[16 * k : 16 * k + 16].hex(),
                sig.tobytes(),
                600,
                ek[k].tobytes(),
                ev[k].tobytes(),
                lead.tobytes(),
                runs=runs[k].tobytes(),
            ).to_bytes()


def _published(i: int, step: float = 60.0) -> str:
    return (_EPOCH + timedelta(seconds=step * i)).isoformat()


#: With a window, the synthetic corpus spans this many days, and a copy follows its story
#: within `COPY_DAYS`.
SPAN_DAYS = 730
COPY_DAYS = 3


def build_corpus(path: Path, n: int, params: DedupParams, spread: bool = False) -> float:
    """Write n synthetic articles with their fingerprints into a corpus at `path`; seconds.

    One a minute, copies of any earlier article; with `spread`, over `SPAN_DAYS` days with
    copies within `COPY_DAYS` of their story (`recent_copy_fingerprints`)."""
    start = time.perf_counter()
    step = SPAN_DAYS * 86_400 / n if spread else 60.0
    blobs = (
        recent_copy_fingerprints(n, params, int(COPY_DAYS * 86_400 / step))
        if spread
        else synthetic_fingerprints(n, params)
    )
    with Corpus(path) as corpus:
        corpus.set_meta(PARAMS_KEY, params.to_json())
        batch: list[NewArticle] = []
        for i, blob in enumerate(blobs):
            url = f"https://synthetic.invalid/{i + 1}"
            batch.append(
                NewArticle(
                    id=i + 1,
                    url=url,
                    canonical_url=url,
                    site="synthetic.invalid",
                    text="",
                    fetched_at=_published(i, step),
                    published=_published(i, step),
                    text_hash=blob[12:28].hex(),
                    fingerprint=blob,
                )
            )
            if len(batch) == _WRITE_BATCH:
                corpus.write(batch)
                batch = []
        corpus.write(batch)
    return time.perf_counter() - start


def _insert_query(
    path: str, params: DedupParams, recent: int, window: int | None = None
) -> dict[str, Any]:
    """Phase 1, in its own process: assign every stored article in publication order."""
    with Corpus(path) as corpus:
        rows = [
            (key, Fingerprint.from_bytes(blob), order) for key, blob, order, _ in dedup_rows(corpus)
        ]
        rss0 = current_rss_mb()
        dd = Deduper(params, lookup=corpus.fingerprint, recent=recent, window=window)
        start = time.perf_counter()
        for key, fp, order in rows:
            dd.assign(key, fp, order)
        seconds = time.perf_counter() - start
        lookups = getattr(dd._sketches, "lookups", 0)
        return {
            "seconds": seconds,
            "nbytes": dd.nbytes(),
            "held": len(dd),
            "copies": dd.copies,
            "sketch_lookups": lookups,
            "rss_before_mb": rss0,
            "peak_rss_mb": peak_rss_mb(),
        }


def _rebuild(path: str, params: DedupParams, window: int | None = None) -> dict[str, Any]:
    """Phase 2, in its own process: rebuild the index from the corpus, as a spider opening."""
    rss0 = current_rss_mb()
    start = time.perf_counter()
    with Corpus(path) as corpus:
        dd = open_deduper(corpus, params, window)
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "indexed": len(dd),
            "nbytes": dd.nbytes(),
            "rss_before_mb": rss0,
            "peak_rss_mb": peak_rss_mb(),
        }


def _in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run `fn(*args)` in a fresh process (forkserver: no memory inherited from this one)."""
    ctx = multiprocessing.get_context("forkserver")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(fn, args)


def run_size(
    n: int,
    params: DedupParams | None = None,
    recent: int = RECENT,
    workdir: Path | None = None,
    rebuild_rounds: int = 3,
    window: int | None = None,
    insert: bool = True,
) -> dict[str, Any]:
    """Measure one index size; the corpus is written under `workdir` (a temporary directory).

    The rebuild is timed `rebuild_rounds` times, each in a fresh process; its figures are
    those of the median round. With a `window` (microseconds) the corpus spans `SPAN_DAYS`
    days with copies within `COPY_DAYS`, and every phase runs twice on it, without and with
    the window. Without `insert`, only the rebuild is measured."""
    params = params or DedupParams()
    variants: list[int | None] = [None, window] if window is not None else [None]
    with tempfile.TemporaryDirectory(dir=workdir, prefix="dedup-scale-") as tmp:
        path = Path(tmp) / "corpus.db"
        write_s = build_corpus(path, n, params, spread=window is not None)
        db_mb = path.stat().st_size / 2**20
        figures = []
        for w in variants:
            ins = _in_child(_insert_query, str(path), params, recent, w) if insert else None
            rebuilds = [_in_child(_rebuild, str(path), params, w) for _ in range(rebuild_rounds)]
            figures.append(_figures(n, ins, rebuilds))
    common = {"size": n, "corpus_write_seconds": write_s, "corpus_mb": db_mb}
    if window is None:
        return {**figures[0], **common}
    return {
        **common,
        "window_days": window / 86_400_000_000,
        "span_days": SPAN_DAYS,
        "copy_days": COPY_DAYS,
        "no_window": figures[0],
        "window": figures[1],
    }


def _figures(n: int, ins: dict[str, Any] | None, rebuilds: list[dict[str, Any]]) -> dict[str, Any]:
    reb = sorted(rebuilds, key=lambda r: r["seconds"])[len(rebuilds) // 2]
    rebuild_per_m = reb["seconds"] * 1_000_000 / n
    out: dict[str, Any] = {
        "rebuild_seconds": reb["seconds"],
        "rebuild_seconds_rounds": [r["seconds"] for r in rebuilds],
        "rebuild_seconds_per_million": rebuild_per_m,
        "rebuild_peak_rss_bytes_per_article": max(reb["peak_rss_mb"] - reb["rss_before_mb"], 0.0)
        * 2**20
        / n,
        "rebuild_peak_rss_mb": reb["peak_rss_mb"],
        "indexed": reb["indexed"],
    }
    if ins is None:
        return out
    ms = 1000 * ins["seconds"] / n
    per_doc = ins["nbytes"] / n
    peak_per_doc = max(ins["peak_rss_mb"] - ins["rss_before_mb"], 0.0) * 2**20 / n
    return {
        "insert_query_ms_per_article": ms,
        "ram_bytes_per_article": per_doc,
        "peak_rss_bytes_per_article": peak_per_doc,
        **out,
        "targets_met": {
            "insert_query_le_1ms": ms <= TARGET_MS_PER_ARTICLE,
            "ram_le_1kb": per_doc <= TARGET_BYTES_PER_ARTICLE,
            "rebuild_le_10s_per_million": rebuild_per_m <= TARGET_REBUILD_S_PER_MILLION,
        },
        "held_after_insert": ins["held"],
        "index_mb_after_insert": ins["nbytes"] / 2**20,
        "copies": ins["copies"],
        "sketch_lookups": ins["sketch_lookups"],
    }


def run(
    sizes: Sequence[int] = (100_000, 1_000_000),
    params: DedupParams | None = None,
    workdir: Path | None = None,
    window: int | None = None,
    insert: bool = True,
    rebuild_rounds: int = 3,
) -> dict[str, Any]:
    return {
        "sizes": [
            run_size(
                n,
                params,
                workdir=workdir,
                window=window,
                insert=insert,
                rebuild_rounds=rebuild_rounds,
            )
            for n in sizes
        ]
    }
