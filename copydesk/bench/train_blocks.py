"""Train the page-block classifier on a WCXB-layout directory, holding out whole sites.

Every text block of every article page (`copydesk.extract.page_table`) is labelled by how much
of it the ground truth contains, gradient-boosted trees (LightGBM, a training-only dependency)
learn the labels, and the trees are exported node by node for numpy
(`copydesk.extraction.model`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from copydesk.bench.extract import _ground_truth, _split_of, load_page_ids, token_scores
from copydesk.bench.split import HELDOUT_PERCENT, site_of, site_split
from copydesk.extract import NotAnArticle, kept_blocks, page_table
from copydesk.extraction.blocks import Block
from copydesk.extraction.cleanup import clean_blocks
from copydesk.extraction.model import BlockModel
from copydesk.extraction.pagefeatures import PAGE_FEATURE_NAMES
from copydesk.maintenance import read_html

__all__ = [
    "EXIT_TREES",
    "F1_TOLERANCE",
    "PARAMS",
    "Dataset",
    "calibrate_exits",
    "collect",
    "exit_margins",
    "fit",
    "page_rows",
    "pick_threshold",
    "stream_labels",
    "train",
]

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_SHINGLE = 4

#: LightGBM settings of the shipped model. Fixed threads and `deterministic` make a retraining
#: on the same data give the same trees.
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": 1,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
ROUNDS = 400
#: Out-of-fold token F1 differences smaller than this are noise between folds; among the keep
#: thresholds that close to the best, the highest is chosen: it keeps the least furniture.
F1_TOLERANCE = 0.0005
#: Numbers of trees after which a block's partial score may decide it (see
#: `BlockModel.exits`): each exit's margin is the farthest from the keep threshold that any
#: out-of-fold block's partial score stood there and still ended on the other side.
EXIT_TREES = (50, 100, 150, 200, 300)


def stream_labels(texts: Sequence[str], truth: str) -> np.ndarray:
    """Share of each block's words covered by a 4-word shingle of the ground truth, read over
    the page's whole word stream, so that a short block counts only when it stands in the
    truth between the same neighbours ("Appliances" in a menu does not match the word in a
    sentence)."""
    tokens = _WORD.findall(truth)
    shingles = {tuple(tokens[i : i + _SHINGLE]) for i in range(len(tokens) - _SHINGLE + 1)}
    words: list[str] = []
    owner: list[int] = []
    for block, text in enumerate(texts):
        found = _WORD.findall(text)
        words.extend(found)
        owner.extend([block] * len(found))
    covered = np.zeros(len(words), dtype=bool)
    for j in range(len(words) - _SHINGLE + 1):
        if tuple(words[j : j + _SHINGLE]) in shingles:
            covered[j : j + _SHINGLE] = True
    hits = np.bincount(owner, covered, minlength=len(texts)) if words else np.zeros(len(texts))
    counts = np.bincount(owner, minlength=len(texts)) if words else np.zeros(len(texts))
    return np.where(counts > 0, hits / np.maximum(counts, 1), 0.0)


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
    blocks: list[list[Block]]  # per page: its blocks' kinds and texts
    boxed: np.ndarray  # (blocks,) bool: in a recirculation box (the extractor drops them)
    titles: list[str | None]  # per page: the title the extractor read
    truths: list[str]  # per page: ground-truth main content


_Page = tuple[str, str, str, list[Block], np.ndarray, str, "str | None", np.ndarray]


def _page(args: tuple[Path, str]) -> _Page | None:
    directory, page_id = args
    truth = _ground_truth(directory, page_id)
    if truth.get("_internal", {}).get("page_type", {}).get("primary") != "article":
        return None
    url = truth.get("url") or None
    main = truth.get("ground_truth", {}).get("main_content") or ""
    try:
        table = page_table(read_html(directory / "html" / f"{page_id}.html.gz"), url)
        blocks = [Block(b.kind, b.text) for b in table.blocks]
        rows, title, boxed = table.rows, table.title, table.boxed
    except NotAnArticle:
        blocks, rows, title = [], np.zeros((0, len(PAGE_FEATURE_NAMES))), None
        boxed = np.zeros(0, dtype=bool)
    return page_id, site_split(url), site_of(url), blocks, rows, main, title, boxed


def collect(directory: Path, jobs: int = 1, limit: int | None = None) -> Dataset:
    """Features and labels of every block of every article page in ``directory``."""
    page_ids = load_page_ids(Path(directory))[:limit]
    tasks = [(Path(directory), page_id) for page_id in page_ids]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            pages = list(pool.map(_page, tasks, chunksize=4))
    else:
        pages = [_page(task) for task in tasks]
    kept = [p for p in pages if p is not None]
    rows = [p[4] for p in kept]
    labels = [stream_labels([b.text for b in p[3]], p[5]) for p in kept]
    return Dataset(
        rows=np.vstack(rows) if rows else np.zeros((0, len(PAGE_FEATURE_NAMES))),
        labels=np.concatenate(labels) if labels else np.zeros(0),
        words=np.asarray(
            [len(_WORD.findall(b.text)) for p in kept for b in p[3]], dtype=np.float64
        ),
        page=np.repeat(np.arange(len(kept)), [len(p[3]) for p in kept]),
        page_ids=[p[0] for p in kept],
        splits=[p[1] for p in kept],
        sites=[p[2] for p in kept],
        blocks=[p[3] for p in kept],
        boxed=np.concatenate([p[7] for p in kept]) if kept else np.zeros(0, dtype=bool),
        truths=[p[5] for p in kept],
        titles=[p[6] for p in kept],
    )


def _lightgbm() -> Any:
    try:
        import lightgbm
    except ImportError as exc:  # a training-only dependency
        raise RuntimeError(
            "training needs LightGBM: pip install 'lightgbm>=4.5' (in the project's dev extra)"
        ) from exc
    return lightgbm


def _tree_nodes(structure: dict[str, Any]) -> dict[str, list[Any]]:
    """One exported LightGBM tree as node lists, parents before children."""
    nodes: dict[str, list[Any]] = {
        k: [] for k in ("feature", "threshold", "left", "right", "value")
    }

    def visit(node: dict[str, Any]) -> int:
        k = len(nodes["feature"])
        for column in nodes.values():
            column.append(0)
        if "leaf_value" in node:
            nodes["feature"][k], nodes["value"][k] = -1, float(node["leaf_value"])
            nodes["threshold"][k] = 0.0
            nodes["left"][k] = nodes["right"][k] = k
            return k
        if node.get("decision_type") != "<=":
            raise ValueError(f"unsupported LightGBM split {node.get('decision_type')!r}")
        nodes["feature"][k] = int(node["split_feature"])
        nodes["threshold"][k] = float(node["threshold"])
        nodes["left"][k] = visit(node["left_child"])
        nodes["right"][k] = visit(node["right_child"])
        return k

    visit(structure)
    return nodes


def fit(
    rows: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    rounds: int = ROUNDS,
    params: dict[str, Any] | None = None,
) -> BlockModel:
    """Boosted trees predicting ``labels`` (0/1) from ``rows``, exported for numpy."""
    lgb = _lightgbm()
    booster = lgb.train(
        {**PARAMS, **(params or {})}, lgb.Dataset(rows, labels, weight=weights), rounds
    )
    dumped = booster.dump_model()
    trees = [_tree_nodes(t["tree_structure"]) for t in dumped["tree_info"]]
    return BlockModel.from_trees(PAGE_FEATURE_NAMES, trees, keep_threshold=0.5)


def _weights(data: Dataset, mask: np.ndarray) -> np.ndarray:
    return 1.0 + np.log1p(data.words[mask])


def page_f1(
    data: Dataset, pages: Sequence[int], probability: np.ndarray, threshold: float
) -> float:
    """Benchmark token F1 over ``pages`` of the text the extractor would keep."""
    pairs = []
    probability = np.where(data.boxed, 0.0, probability)
    for page in pages:
        kept = kept_blocks(data.blocks[page], probability[data.page == page], threshold)
        text = "\n\n".join(b.text for b in clean_blocks(kept, data.titles[page]))
        pairs.append((data.truths[page], text))
    return token_scores(pairs)["token_f1"]


def _folds(sites: Sequence[str], folds: int) -> list[int]:
    return [int(hashlib.sha256(f"fold:{s}".encode()).hexdigest()[:8], 16) % folds for s in sites]


def pick_threshold(scores: dict[float, float], tolerance: float = F1_TOLERANCE) -> float:
    """The highest threshold whose F1 in ``scores`` (threshold: F1) is within ``tolerance`` of
    the best."""
    best = max(scores.values())
    return max(c for c, f1 in scores.items() if f1 >= best - tolerance)


def train(data: Dataset, use: str = "train", folds: int = 4, rounds: int = ROUNDS) -> BlockModel:
    """Fit on the pages of split ``use`` (or ``"all"``); the keep threshold is tuned out of fold.

    Out-of-fold probabilities (folds grouped by site) give the token F1 of the kept text at
    each candidate threshold; the highest threshold within `F1_TOLERANCE` of the best F1 is
    kept. The final model is then fitted on every page of ``use``.
    """
    pages = [i for i, s in enumerate(data.splits) if use == "all" or s == use]
    if not pages:
        raise ValueError(f"no article pages in split {use!r}")
    in_use = np.isin(data.page, pages)
    y = (data.labels >= 0.5).astype(np.float64)
    block_fold = np.asarray(_folds(data.sites, folds))[data.page]
    oof_score = np.zeros(len(y))
    trees = [t for t in EXIT_TREES if t < rounds]
    partial = np.zeros((len(y), len(trees)))  # out-of-fold scores after `trees` trees
    for k in range(folds):
        fit_mask, test_mask = in_use & (block_fold != k), in_use & (block_fold == k)
        if not fit_mask.any() or not test_mask.any():
            continue
        model = fit(data.rows[fit_mask], y[fit_mask], _weights(data, fit_mask), rounds)
        oof_score[test_mask] = model.margin(data.rows[test_mask])
        partial[test_mask] = model.partial_margins(data.rows[test_mask], trees)
    oof = 1.0 / (1.0 + np.exp(-oof_score))
    candidates = [round(0.05 * i, 2) for i in range(4, 15)]
    scores = {c: page_f1(data, pages, oof, c) for c in candidates}
    best = pick_threshold(scores)
    logger.info("out-of-fold token F1 by threshold: %s", scores)
    final = fit(data.rows[in_use], y[in_use], _weights(data, in_use), rounds)
    info = {
        "trained_on": use,
        "heldout_percent": HELDOUT_PERCENT,
        "pages": len(pages),
        "blocks": int(in_use.sum()),
        "out_of_fold_token_f1": round(scores[best], 4),
        "rounds": rounds,
        "params": {k: v for k, v in PARAMS.items() if k != "verbose"},
    }
    exits = exit_margins(partial[in_use], oof_score[in_use], best, trees)
    return replace(final, keep_threshold=best, info=info).with_exits(exits)


def exit_margins(
    partial: np.ndarray, final: np.ndarray, threshold: float, trees: Sequence[int]
) -> list[tuple[int, float]]:
    """For each number of trees, the margin beyond which no block of ``partial`` (scores after
    that many trees, one column each) ended on the other side of ``threshold`` (a probability)
    in ``final`` (the full scores): the largest distance of such a block from the threshold."""
    cut = np.log(threshold / (1.0 - threshold))
    out = []
    for k, count in enumerate(trees):
        flips = (partial[:, k] > cut) != (final > cut)
        distance = np.abs(partial[flips, k] - cut)
        widest = float(distance.max()) if distance.size else 0.0
        out.append((count, math.ceil(widest * 1e4) / 1e4))  # rounded up: no flip rounded in
    return out


def _rows(args: tuple[Path, str]) -> np.ndarray:
    directory, page_id = args
    url = _ground_truth(directory, page_id).get("url") or None
    try:
        return page_table(read_html(directory / "html" / f"{page_id}.html.gz"), url).rows
    except NotAnArticle:
        return np.zeros((0, len(PAGE_FEATURE_NAMES)))


def page_rows(directories: Sequence[Path], split: str, jobs: int = 1) -> np.ndarray:
    """Feature rows of every block of every page (articles or not: the extractor scores them
    all) of the ``split`` half (``index.json``) of ``directories``."""
    tasks = [
        (Path(d), page_id)
        for d in directories
        for page_id in load_page_ids(Path(d))
        if _split_of(Path(d)).get(page_id) == split
    ]
    if not tasks:
        raise ValueError(f"no pages in split {split!r} of {[str(d) for d in directories]}")
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            rows = list(pool.map(_rows, tasks, chunksize=4))
    else:
        rows = [_rows(task) for task in tasks]
    return np.vstack(rows)


def calibrate_exits(
    model: BlockModel, rows: np.ndarray, trees: Sequence[int] = EXIT_TREES
) -> BlockModel:
    """``model`` with early exits calibrated on ``rows``: blocks of pages it was not trained
    on, scored by the model itself (see `exit_margins`). Its trees and threshold are kept, so
    only blocks whose partial score stands farther from the threshold than any calibration
    block that still changed side are decided early."""
    if tuple(model.features) != tuple(PAGE_FEATURE_NAMES):
        raise ValueError("the model's features are not the pages' (PAGE_FEATURE_NAMES): retrain it")
    counts = [t for t in trees if t < len(model.roots)]
    partial = model.partial_margins(rows, counts)
    return model.with_exits(exit_margins(partial, model.margin(rows), model.keep_threshold, counts))
