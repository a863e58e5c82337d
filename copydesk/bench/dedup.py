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


def _shingles5(text: str) -> set[bytes]:
    words = text.lower().split()
    return {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}


def _union_labels(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    return [find(i) for i in range(n)]


def _cluster_jaccard(docs: Sequence[dict[str, Any]]) -> list[int]:
    """Plain datasketch: MinHashLSH at Jaccard 0.8 on word 5-grams, 128 perms, union of matches."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    pairs: list[tuple[int, int]] = []
    for key, d in enumerate(docs):
        m = MinHash(num_perm=128)
        m.update_batch(list(_shingles5(d["text"])))
        pairs.extend((int(other), key) for other in lsh.query(m))
        lsh.insert(str(key), m)
    return _union_labels(len(docs), pairs)


def _cluster_containment(docs: Sequence[dict[str, Any]], threshold: float = 0.7) -> list[int]:
    """The plain containment rule: word 5-gram sets, candidates from datasketch's
    `MinHashLSHEnsemble` (containment >= 0.7, 128 perms), each verified by the exact share of
    the query's 5-grams the candidate holds (>= 0.7); union of matches."""
    from datasketch import MinHash, MinHashLSHEnsemble

    sets = [_shingles5(d["text"]) for d in docs]
    hashes = []
    for s in sets:
        m = MinHash(num_perm=128)
        m.update_batch(list(s))
        hashes.append(m)
    ensemble = MinHashLSHEnsemble(threshold=threshold, num_perm=128, num_part=8)
    ensemble.index((i, m, len(s)) for i, (m, s) in enumerate(zip(hashes, sets, strict=True)))
    pairs: list[tuple[int, int]] = []
    for q, (m, s) in enumerate(zip(hashes, sets, strict=True)):
        for other in ensemble.query(m, len(s)):
            x = int(other)
            if x != q and len(s & sets[x]) >= threshold * len(s):
                pairs.append((q, x))
    return _union_labels(len(docs), pairs)


#: Baselines `run` can score beside Copydesk, by name.
BASELINES = {
    "jaccard": ("datasketch MinHashLSH, Jaccard >= 0.8 on word 5-grams", _cluster_jaccard),
    "containment": (
        "containment >= 0.7 on word 5-grams (datasketch LSH Ensemble)",
        _cluster_containment,
    ),
}


def _baseline_result(docs: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose from {sorted(BASELINES)}")
    description, method = BASELINES[name]
    t0 = time.perf_counter()
    labels = method(docs)
    busy = time.perf_counter() - t0
    result = score(docs, labels)
    result.update(
        {
            "method": f"baseline-{name}",
            "description": description,
            "docs": len(docs),
            "clusters": len(set(labels)),
            "docs_per_second": len(docs) / busy if busy > 0 else float("inf"),
        }
    )
    return result


def run(
    path: Path,
    params: DedupParams | None = None,
    baselines: Sequence[str] = (),
    jobs: int = 1,
) -> dict[str, Any]:
    """Cluster the docs of `path` in file order and score them against their labels.

    `docs_per_second` is single-core throughput: docs divided by the fingerprinting time summed
    over worker processes plus the clustering time (`Deduper.assign`, in this process), so it
    does not grow with `jobs`; `jobs` only shortens the wall time (`wall_seconds`). Each
    baseline named in `baselines` ("jaccard", "containment") is scored on the same docs by the
    same scorer, under `baselines`.
    """
    docs = read_docs(Path(path))
    for name in baselines:
        if name not in BASELINES:
            raise ValueError(f"unknown baseline {name!r}; choose from {sorted(BASELINES)}")
    params = params or DedupParams()
    t0 = time.perf_counter()
    fps, fp_seconds = fingerprint_docs(docs, params, jobs)
    t1 = time.perf_counter()
    labels = _cluster_online(fps, params)
    assign_seconds = time.perf_counter() - t1
    busy = fp_seconds + assign_seconds
    n = max(1, len(docs))
    wall = time.perf_counter() - t0
    result = score(docs, labels)
    result.update(
        {
            "method": "copydesk",
            "docs": len(docs),
            "clusters": len(set(labels)),
            "docs_per_second": len(docs) / busy if busy > 0 else float("inf"),
            "wall_seconds": wall,
            "fingerprint_us_per_doc": 1e6 * fp_seconds / n,
            "assign_us_per_doc": 1e6 * assign_seconds / n,
            "recluster_agrees": _cluster_ours(fps, params) == labels,
            "params": asdict(params),
        }
    )
    if baselines:
        result["baselines"] = {name: _baseline_result(docs, name) for name in baselines}
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Entry point for scripts: `argv` is [FILE, ("--baseline")]: both baselines."""
    args = list(argv or [])
    baselines = tuple(BASELINES) if "--baseline" in args else ()
    files = [a for a in args if a != "--baseline"]
    if len(files) != 1:
        raise ValueError("usage: dedup FILE.jsonl [--baseline]")
    return run(Path(files[0]), baselines=baselines)
