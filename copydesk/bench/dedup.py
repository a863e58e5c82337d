"""Wire-copy detection quality benchmark on labelled JSONL (pairwise P/R/F1, ARI, per-kind FPs)."""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from copydesk.dedup import Deduper, DedupParams, Fingerprint, fingerprint

NEGATIVE_KINDS = ("same_event", "partial", "template")


def read_docs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _pairs(labels: Sequence[object]) -> set[tuple[int, int]]:
    groups: dict[object, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        groups[lab].append(i)
    out: set[tuple[int, int]] = set()
    for members in groups.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                out.add((members[a], members[b]))
    return out


def _comb2(n: int) -> float:
    return n * (n - 1) / 2.0


def adjusted_rand_index(truth: Sequence[object], pred: Sequence[object]) -> float:
    n = len(truth)
    cont = Counter(zip(truth, pred, strict=True))
    sum_ij = sum(_comb2(v) for v in cont.values())
    sum_a = sum(_comb2(v) for v in Counter(truth).values())
    sum_b = sum(_comb2(v) for v in Counter(pred).values())
    total = _comb2(n)
    if total == 0:
        return 1.0
    expected = sum_a * sum_b / total
    max_index = (sum_a + sum_b) / 2.0
    if max_index == expected:
        return 1.0
    return (sum_ij - expected) / (max_index - expected)


def score(docs: Sequence[dict[str, Any]], pred: Sequence[object]) -> dict[str, Any]:
    """Pairwise scores of predicted cluster labels `pred` against the docs' `cluster` labels."""
    truth = [d["cluster"] for d in docs]
    tp_set = _pairs(truth)
    pp_set = _pairs(pred)
    tp = len(tp_set & pp_set)
    precision = tp / len(pp_set) if pp_set else 1.0
    recall = tp / len(tp_set) if tp_set else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fp_by_kind = {k: 0 for k in NEGATIVE_KINDS}
    for a, b in pp_set - tp_set:
        for kind in {docs[a]["kind"], docs[b]["kind"]}:
            if kind in NEGATIVE_KINDS or kind not in ("orig", "copy"):
                fp_by_kind[kind] = fp_by_kind.get(kind, 0) + 1
    op_total: Counter[str] = Counter()
    op_hit: Counter[str] = Counter()
    for a, b in tp_set:
        ops: set[str] = set()
        for d in (docs[a], docs[b]):
            if d["kind"] == "copy":
                ops.update(d.get("ops") or ["verbatim"])
        for op in ops:
            op_total[op] += 1
            if (a, b) in pp_set:
                op_hit[op] += 1
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "ari": adjusted_rand_index(truth, pred),
        "false_positive_pairs": fp_by_kind,
        "recall_by_op": {op: op_hit[op] / op_total[op] for op in sorted(op_total)},
        "true_pairs": len(tp_set),
        "predicted_pairs": len(pp_set),
        "true_positive_pairs": tp,
    }


_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _fetched(key: int) -> str:
    """File order as fetch order: one second apart."""
    return (_EPOCH + timedelta(seconds=key)).isoformat()


def _fingerprint_chunk(
    texts: list[tuple[str, str | None]], params: DedupParams
) -> tuple[list[Fingerprint], float]:
    """Fingerprints of (text, title) pairs and the seconds spent making them."""
    t0 = time.perf_counter()
    fps = [fingerprint(text, params, title=title) for text, title in texts]
    return fps, time.perf_counter() - t0


def fingerprint_docs(
    docs: Sequence[dict[str, Any]], params: DedupParams, jobs: int = 1
) -> tuple[list[Fingerprint], float]:
    """Fingerprint every doc, in `jobs` processes; also returns the summed fingerprinting time."""
    pairs = [(d["text"], d.get("title")) for d in docs]
    if jobs <= 1:
        return _fingerprint_chunk(pairs, params)
    size = max(1, len(pairs) // (4 * jobs))
    chunks = [pairs[i : i + size] for i in range(0, len(pairs), size)]
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        parts = list(pool.map(_fingerprint_chunk, chunks, [params] * len(chunks)))
    return [fp for fps, _ in parts for fp in fps], sum(t for _, t in parts)


def _cluster_ours(fps: Sequence[Fingerprint], params: DedupParams) -> list[int]:
    dd = Deduper(params)
    for key, fp in enumerate(fps):
        dd.assign(key, fp, ("", _fetched(key), key))
    labels = list(range(len(fps)))
    for a in dd.recluster():
        labels[a.key] = a.key if a.duplicate_of is None else a.duplicate_of
    return labels


def _cluster_online(fps: Sequence[Fingerprint], params: DedupParams) -> list[int]:
    dd = Deduper(params)
    labels = list(range(len(fps)))
    for key, fp in enumerate(fps):
        for a in dd.assign(key, fp, ("", _fetched(key), key)):
            labels[a.key] = a.key if a.duplicate_of is None else a.duplicate_of
    return labels


def _cluster_baseline(docs: Sequence[dict[str, Any]]) -> list[int]:
    """Plain datasketch: MinHashLSH at Jaccard 0.8 on word 5-grams, 128 perms, union of matches."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    parent = list(range(len(docs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for key, d in enumerate(docs):
        words = d["text"].lower().split()
        shingles = {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch(list(shingles))
        for other in lsh.query(m):
            parent[find(int(other))] = find(key)
        lsh.insert(str(key), m)
    return [find(i) for i in range(len(docs))]


def run(
    path: Path, params: DedupParams | None = None, baseline: bool = False, jobs: int = 1
) -> dict[str, Any]:
    """Cluster the docs of `path` in file order and score them against their labels.

    `docs_per_second` is single-core throughput: docs divided by the fingerprinting time summed
    over worker processes plus the clustering time (`Deduper.assign`, in this process), so it
    does not grow with `jobs`; `jobs` only shortens the wall time (`wall_seconds`).
    """
    docs = read_docs(Path(path))
    params = params or DedupParams()
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    if baseline:
        labels = _cluster_baseline(docs)
        busy = time.perf_counter() - t0
    else:
        fps, fp_seconds = fingerprint_docs(docs, params, jobs)
        t1 = time.perf_counter()
        labels = _cluster_online(fps, params)
        assign_seconds = time.perf_counter() - t1
        busy = fp_seconds + assign_seconds
        n = max(1, len(docs))
        extra = {
            "fingerprint_us_per_doc": 1e6 * fp_seconds / n,
            "assign_us_per_doc": 1e6 * assign_seconds / n,
            "recluster_agrees": _cluster_ours(fps, params) == labels,
        }
    wall = time.perf_counter() - t0
    result = score(docs, labels)
    result.update(
        {
            "method": "datasketch-baseline" if baseline else "copydesk",
            "docs": len(docs),
            "clusters": len(set(labels)),
            "docs_per_second": len(docs) / busy if busy > 0 else float("inf"),
            "wall_seconds": wall,
            "params": None if baseline else asdict(params),
            **extra,
        }
    )
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Entry point for scripts: `argv` is [FILE, ("--baseline")]."""
    args = list(argv or [])
    baseline = "--baseline" in args
    files = [a for a in args if a != "--baseline"]
    if len(files) != 1:
        raise ValueError("usage: dedup FILE.jsonl [--baseline]")
    return run(Path(files[0]), baseline=baseline)
