"""Train the block classifier on a WCXB-layout directory, holding out whole sites."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from copydesk.bench.extract import _ground_truth, _read_html, load_page_ids, token_scores
from copydesk.bench.split import HELDOUT_PERCENT, site_of, site_split
from copydesk.extract import NotAnArticle, block_table, filter_blocks
from copydesk.extraction.blocks import Block
from copydesk.extraction.features import FEATURE_NAMES
from copydesk.extraction.model import BlockModel

__all__ = [
    "Dataset",
    "block_labels",
    "collect",
    "fit",
    "train",
]

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_SHINGLE = 4


def block_labels(blocks: Sequence[str], truth: str) -> np.ndarray:
    """Share of each block's 4-word shingles found in ``truth`` (short blocks: whole match)."""
    tokens = _WORD.findall(truth)
    shingles = {tuple(tokens[i : i + _SHINGLE]) for i in range(len(tokens) - _SHINGLE + 1)}
    padded = f" {' '.join(tokens)} "
    out = np.zeros(len(blocks))
    for i, text in enumerate(blocks):
        words = _WORD.findall(text)
        if len(words) < _SHINGLE:
            out[i] = float(bool(words) and f" {' '.join(words)} " in padded)
            continue
        grams = [tuple(words[j : j + _SHINGLE]) for j in range(len(words) - _SHINGLE + 1)]
        out[i] = sum(g in shingles for g in grams) / len(grams)
    return out


@dataclass
class Dataset:
    """Blocks of the article pages: features, labels, and which page and site each came from."""

    rows: np.ndarray  # (blocks, features)
    labels: np.ndarray  # (blocks,) share of the block found in the ground truth
    words: np.ndarray  # (blocks,) word count
    page: np.ndarray  # (blocks,) index into page_ids
    page_ids: list[str]
    splits: list[str]  # per page: "train" or "heldout"
    sites: list[str]  # per page: host, for grouped folds
    texts: list[list[str]]  # per page: texts of the scored blocks
    chosen: list[list[str]]  # per page: texts of the chosen candidate's blocks
    truths: list[str]  # per page: ground-truth main content


def _page(
    args: tuple[Path, str],
) -> tuple[str, str, str, list[str], np.ndarray, str, list[str]] | None:
    directory, page_id = args
    truth = _ground_truth(directory, page_id)
    if truth.get("_internal", {}).get("page_type", {}).get("primary") != "article":
        return None
    url = truth.get("url") or None
    try:
        blocks, rows, chosen = block_table(
            _read_html(directory / "html" / f"{page_id}.html.gz"), url
        )
    except NotAnArticle:
        blocks, rows, chosen = [], np.zeros((0, len(FEATURE_NAMES))), []
    host = site_of(url)
    main = truth.get("ground_truth", {}).get("main_content") or ""
    texts = [b.text for b in blocks]
    return page_id, site_split(url), host, texts, rows, main, [b.text for b in chosen]


def collect(directory: Path, jobs: int = 1, limit: int | None = None) -> Dataset:
    """Features and labels of every block of every article page in ``directory``."""
    page_ids = load_page_ids(Path(directory))[:limit]
    tasks = [(Path(directory), page_id) for page_id in page_ids]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            pages = list(pool.map(_page, tasks, chunksize=8))
    else:
        pages = [_page(task) for task in tasks]
    kept = [p for p in pages if p is not None]
    rows = [p[4] for p in kept]
    labels = [block_labels(p[3], p[5]) for p in kept]
    return Dataset(
        rows=np.vstack(rows) if rows else np.zeros((0, len(FEATURE_NAMES))),
        labels=np.concatenate(labels) if labels else np.zeros(0),
        words=np.asarray([len(_WORD.findall(t)) for p in kept for t in p[3]], dtype=np.float64),
        page=np.repeat(np.arange(len(kept)), [len(p[3]) for p in kept]),
        page_ids=[p[0] for p in kept],
        splits=[p[1] for p in kept],
        sites=[p[2] for p in kept],
        texts=[p[3] for p in kept],
        truths=[p[5] for p in kept],
        chosen=[p[6] for p in kept],
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def fit(
    rows: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    trees: int = 150,
    depth: int = 4,
    rate: float = 0.1,
    bins: int = 64,
    l2: float = 1.0,
    min_hessian: float = 2.0,
) -> BlockModel:
    """Gradient-boosted trees with logistic loss on quantile-binned features (deterministic)."""
    n, n_features = rows.shape
    cuts = np.linspace(0, 1, bins + 1)[1:-1]
    edges = [np.unique(np.quantile(rows[:, f], cuts)) for f in range(n_features)]
    codes = np.stack(
        [np.searchsorted(edges[f], rows[:, f], side="right") for f in range(n_features)], axis=1
    )
    valid = np.zeros((n_features, bins), dtype=bool)
    for f, e in enumerate(edges):
        valid[f, : len(e)] = True
    offsets = np.arange(n_features) * bins
    flat_codes = codes + offsets
    mean = float(np.clip(np.average(labels, weights=weights), 1e-6, 1 - 1e-6))
    base = float(np.log(mean / (1 - mean)))
    margin = np.full(n, base)
    internal = 2**depth - 1
    features = np.zeros((trees, internal), dtype=np.int64)
    thresholds = np.full((trees, internal), np.inf)
    leaves = np.zeros((trees, 2**depth))
    for t in range(trees):
        p = _sigmoid(margin)
        grad, hess = weights * (p - labels), weights * p * (1 - p)
        node_of = np.zeros(n, dtype=np.int64)
        for node in range(internal):
            idx = np.flatnonzero(node_of == node)
            if len(idx) < 2:
                node_of[idx] = 2 * node + 1
                continue
            flat = flat_codes[idx].ravel()
            g_hist = np.bincount(
                flat, np.repeat(grad[idx], n_features), minlength=n_features * bins
            ).reshape(n_features, bins)
            h_hist = np.bincount(
                flat, np.repeat(hess[idx], n_features), minlength=n_features * bins
            ).reshape(n_features, bins)
            g_left, h_left = np.cumsum(g_hist, axis=1), np.cumsum(h_hist, axis=1)
            g_all, h_all = g_left[0, -1], h_left[0, -1]
            g_right, h_right = g_all - g_left, h_all - h_left
            gain = g_left**2 / (h_left + l2) + g_right**2 / (h_right + l2) - g_all**2 / (h_all + l2)
            gain[~valid | (h_left < min_hessian) | (h_right < min_hessian)] = -np.inf
            split = np.unravel_index(int(np.argmax(gain)), gain.shape)
            f, b = int(split[0]), int(split[1])
            if not gain[f, b] > 1e-9:
                node_of[idx] = 2 * node + 1
                continue
            features[t, node], thresholds[t, node] = f, edges[f][b]
            node_of[idx] = 2 * node + 1 + (codes[idx, f] > b)
        leaf_of = node_of - internal
        g_leaf = np.bincount(leaf_of, grad, minlength=2**depth)
        h_leaf = np.bincount(leaf_of, hess, minlength=2**depth)
        leaves[t] = -rate * g_leaf / (h_leaf + l2)
        margin += leaves[t][leaf_of]
    return BlockModel(
        features=FEATURE_NAMES,
        depth=depth,
        base=base,
        feature=features,
        threshold=thresholds,
        leaf=leaves,
        keep_threshold=0.5,
        info={},
    )


def _weights(data: Dataset, mask: np.ndarray) -> np.ndarray:
    return 1.0 + np.log1p(data.words[mask])


def _page_f1(
    data: Dataset, pages: Sequence[int], probability: np.ndarray, threshold: float
) -> float:
    """Benchmark token F1 over ``pages`` when the extractor filters the chosen candidate."""
    pairs = []
    for page in pages:
        scored = [Block("p", t) for t in data.texts[page]]
        chosen = [Block("p", t) for t in data.chosen[page]]
        kept = filter_blocks(chosen, scored, probability[data.page == page], threshold)
        pairs.append((data.truths[page], "\n\n".join(b.text for b in (kept or chosen))))
    return token_scores(pairs)["token_f1"]


def _folds(sites: Sequence[str], folds: int) -> list[int]:
    return [int(hashlib.sha256(f"fold:{s}".encode()).hexdigest()[:8], 16) % folds for s in sites]


def train(data: Dataset, use: str = "train", folds: int = 4, **params: Any) -> BlockModel:
    """Fit on the pages of split ``use`` (or ``"all"``); the keep threshold is tuned out of fold.

    Out-of-fold probabilities (folds grouped by site) give the threshold that maximises the
    token F1 of the kept blocks; the final model is then fitted on every page of ``use``.
    """
    pages = [i for i, s in enumerate(data.splits) if use == "all" or s == use]
    if not pages:
        raise ValueError(f"no article pages in split {use!r}")
    in_use = np.isin(data.page, pages)
    y = (data.labels >= 0.5).astype(np.float64)
    page_fold = _folds(data.sites, folds)
    block_fold = np.asarray(page_fold)[data.page]
    oof = np.zeros(len(y))
    for k in range(folds):
        fit_mask, test_mask = in_use & (block_fold != k), in_use & (block_fold == k)
        if not fit_mask.any() or not test_mask.any():
            continue
        model = fit(data.rows[fit_mask], y[fit_mask], _weights(data, fit_mask), **params)
        oof[test_mask] = model.probability(data.rows[test_mask])
    candidates = [round(0.05 * i, 2) for i in range(2, 15)]
    scores = {c: _page_f1(data, pages, oof, c) for c in candidates}
    best = max(candidates, key=lambda c: (scores[c], -abs(c - 0.5)))
    logger.info("out-of-fold token F1 by threshold: %s", scores)
    final = fit(data.rows[in_use], y[in_use], _weights(data, in_use), **params)
    info = {
        "trained_on": use,
        "heldout_percent": HELDOUT_PERCENT,
        "pages": len(pages),
        "blocks": int(in_use.sum()),
        "out_of_fold_token_f1": round(scores[best], 4),
        "params": params,
    }
    return replace(final, keep_threshold=best, info=info)
