"""A gradient-boosted tree ensemble stored as JSON and evaluated with plain numpy.

The trees are trained by ``copydesk bench train-blocks`` (LightGBM, a training-only
dependency) and exported node by node, so extraction needs nothing but numpy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT", "BlockModel", "ModelError", "shipped_model"]

#: The model shipped with the package.
SHIPPED = "block_model.json"
FORMAT = "copydesk-trees-1"


class ModelError(Exception):
    """A model file is missing, malformed, or was made for other features."""


@dataclass(frozen=True)
class BlockModel:
    """Binary decision trees whose leaf values add up to a log-odds score.

    All trees' nodes live in flat arrays: an internal node sends a row to ``left`` when its
    ``feature`` value is at most ``threshold``, else to ``right``; a leaf has ``feature`` -1
    and points at itself. ``roots`` holds each tree's first node. A block is kept when its
    probability is at least ``keep_threshold``.
    """

    features: tuple[str, ...]
    feature: np.ndarray  # (nodes,) int
    threshold: np.ndarray  # (nodes,) float
    left: np.ndarray  # (nodes,) int
    right: np.ndarray  # (nodes,) int
    value: np.ndarray  # (nodes,) float: the leaf's score, 0 for an internal node
    roots: np.ndarray  # (trees,) int
    depth: int  # longest path from a root to a leaf
    keep_threshold: float
    info: dict[str, Any]
    #: Early exits, ``(trees, margin)`` pairs: once the first ``trees`` trees put a block's
    #: score more than ``margin`` away from the keep threshold's, the remaining trees do not
    #: change which side it is on (calibrated out of fold by ``bench train-blocks``), so
    #: :meth:`keep_probability` stops there.
    exits: tuple[tuple[int, float], ...] = ()

    @cached_property
    def _kernel(self) -> _Kernel:
        return _Kernel.of(self)

    def margin(self, rows: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) of ``rows`` (one row per block)."""
        n = rows.shape[0]
        if not n or not len(self.roots):
            return np.zeros(n)
        return self._kernel.margin(np.ascontiguousarray(rows, dtype=np.float64))

    def probability(self, rows: np.ndarray) -> np.ndarray:
        """Probability that each block belongs to the article text."""
        return 1.0 / (1.0 + np.exp(-self.margin(rows)))

    def partial_margins(self, rows: np.ndarray, trees: Sequence[int]) -> np.ndarray:
        """(rows, len(trees)) scores of ``rows`` after the first ``trees[k]`` trees."""
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        out = np.zeros((rows.shape[0], len(trees)))
        if not rows.shape[0]:
            return out
        start, score = 0, np.zeros(rows.shape[0])
        for k, end in enumerate(trees):
            score = score + self._kernel.margin(rows, start, end)
            out[:, k], start = score, end
        return out

    def keep_probability(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`probability`, exact for the blocks near ``keep_threshold``; a block that an
        early exit decides gets the probability of its partial score (on the same side of the
        threshold), which saves walking the remaining trees."""
        n = rows.shape[0]
        if not n or not self.exits:
            return self.probability(rows)
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        cut = np.log(self.keep_threshold / (1.0 - self.keep_threshold))
        score = np.zeros(n)
        open_ = np.arange(n)
        start = 0
        for end, margin in (*self.exits, (len(self.roots), 0.0)):
            score[open_] += self._kernel.margin(rows[open_], start, end)
            open_ = open_[np.abs(score[open_] - cut) <= margin]
            start = end
            if not open_.size:
                break
        return 1.0 / (1.0 + np.exp(-score))

    def for_features(self, names: Sequence[str]) -> BlockModel:
        """This model reading rows whose columns are ``names`` (its features found by name).

        Raises :class:`ModelError` when a feature the trees use is not among ``names``.
        """
        names = tuple(names)
        if names == self.features:
            return self
        position = {name: k for k, name in enumerate(names)}
        used = {self.features[k] for k in np.unique(self.feature[self.feature >= 0]).tolist()}
        missing = sorted(used - position.keys())
        if missing:
            raise ModelError(f"the model uses features the pages lack ({missing[:5]}); retrain it")
        to_row = np.array([position.get(name, -1) for name in self.features], dtype=np.int64)
        feature = np.where(self.feature >= 0, to_row[np.maximum(self.feature, 0)], -1)
        return replace(self, features=names, feature=feature)

    def with_exits(self, exits: Sequence[tuple[int, float]]) -> BlockModel:
        """This model with early exits (see :attr:`exits`); raises :class:`ModelError` unless
        they come in increasing numbers of trees, fewer than the model has, with margins >= 0."""
        exits = tuple((int(trees), float(margin)) for trees, margin in exits)
        counts = [trees for trees, _ in exits]
        if (
            counts != sorted(set(counts))
            or any(not 0 < t < len(self.roots) for t in counts)
            or any(not margin >= 0 for _, margin in exits)
        ):
            raise ModelError(f"early exits {exits} do not fit a model of {len(self.roots)} trees")
        return replace(self, exits=exits)

    def to_dict(self) -> dict[str, Any]:
        trees = []
        ends = [*self.roots[1:].tolist(), len(self.feature)]
        for start, end in zip(self.roots.tolist(), ends, strict=True):
            trees.append(
                {
                    "feature": self.feature[start:end].tolist(),
                    "threshold": [float(t) for t in self.threshold[start:end]],
                    "left": (self.left[start:end] - start).tolist(),
                    "right": (self.right[start:end] - start).tolist(),
                    "value": [float(v) for v in self.value[start:end]],
                }
            )
        out: dict[str, Any] = {
            "format": FORMAT,
            "features": list(self.features),
            "keep_threshold": self.keep_threshold,
            "info": self.info,
        }
        if self.exits:
            out["exits"] = [[trees, margin] for trees, margin in self.exits]
        return {**out, "trees": trees}

    @classmethod
    def from_trees(
        cls,
        features: tuple[str, ...],
        trees: list[dict[str, list[Any]]],
        keep_threshold: float,
        info: dict[str, Any] | None = None,
    ) -> BlockModel:
        """A model from per-tree node lists (children numbered within their tree)."""
        columns: dict[str, list[Any]] = {k: [] for k in ("feature", "threshold", "left", "right")}
        values: list[float] = []
        roots: list[int] = []
        for tree in trees:
            offset = len(values)
            roots.append(offset)
            size = len(tree["feature"])
            if not size or any(len(tree[k]) != size for k in (*columns, "value")):
                raise ModelError("a tree's node lists differ in length")
            columns["feature"] += [int(f) for f in tree["feature"]]
            columns["threshold"] += [float(t) for t in tree["threshold"]]
            columns["left"] += [int(c) + offset for c in tree["left"]]
            columns["right"] += [int(c) + offset for c in tree["right"]]
            values += [float(v) for v in tree["value"]]
        feature = np.asarray(columns["feature"], dtype=np.int64)
        left = np.asarray(columns["left"], dtype=np.int64)
        right = np.asarray(columns["right"], dtype=np.int64)
        nodes = np.arange(len(feature))
        if len(feature) and (
            feature.max() >= len(features)
            or (left[feature >= 0] <= nodes[feature >= 0]).any()
            or (right[feature >= 0] <= nodes[feature >= 0]).any()
            or left.max() >= len(feature)
            or right.max() >= len(feature)
        ):
            raise ModelError("a tree uses an unknown feature or points outside itself")
        leaf = feature < 0
        left[leaf], right[leaf] = nodes[leaf], nodes[leaf]
        return cls(
            features=tuple(features),
            feature=feature,
            threshold=np.asarray(columns["threshold"], dtype=np.float64),
            left=left,
            right=right,
            value=np.where(leaf, np.asarray(values, dtype=np.float64), 0.0),
            roots=np.asarray(roots, dtype=np.int64),
            depth=_depth(left, right, leaf),
            keep_threshold=float(keep_threshold),
            info=dict(info or {}),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlockModel:
        if data.get("format") != FORMAT:
            raise ModelError(f"unknown model format {data.get('format')!r}; retrain the model")
        try:
            model = cls.from_trees(
                tuple(data["features"]),
                list(data["trees"]),
                float(data["keep_threshold"]),
                data.get("info"),
            )
            exits = tuple((int(trees), float(margin)) for trees, margin in data.get("exits", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"malformed model: {exc}") from exc
        return model.with_exits(exits)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> BlockModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read {path}: {exc}") from exc
        return cls.from_dict(data)


@dataclass(frozen=True)
class _Kernel:
    """The trees renumbered so that a node's right child directly follows its left one: a step
    down is ``first[node] + (x > threshold[node])``. Leaves loop on themselves (threshold +inf),
    so a pair that reached its leaf stays there whatever further steps it takes.
    """

    feature: np.ndarray
    threshold: np.ndarray
    first: np.ndarray
    internal: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    depth: np.ndarray  # (trees,) longest root-to-leaf path of each tree

    @classmethod
    def of(cls, model: BlockModel) -> _Kernel:
        internal = model.feature >= 0
        new = np.full(len(model.feature), -1, dtype=np.int64)
        order: list[int] = []
        depth: list[int] = []
        for root in model.roots.tolist():
            new[root] = len(order)
            order.append(root)
            queue = [(root, 0)]
            deepest = 0
            while queue:
                node, level = queue.pop()
                deepest = max(deepest, level)
                if internal[node]:
                    for child in (int(model.left[node]), int(model.right[node])):
                        new[child] = len(order)
                        order.append(child)
                        queue.append((child, level + 1))
            depth.append(deepest)
        at = np.asarray(order, dtype=np.int64)
        inner = internal[at]
        return cls(  # 32-bit node numbers: half the memory traffic of the walk
            feature=np.where(inner, model.feature[at], 0).astype(np.int32),
            threshold=np.where(inner, model.threshold[at], np.inf),
            first=np.where(inner, new[model.left[at]], np.arange(len(at))).astype(np.int32),
            internal=inner,
            value=model.value[at],
            roots=new[model.roots].astype(np.int32),
            depth=np.asarray(depth, dtype=np.int64),
        )

    def margin(self, rows: np.ndarray, start: int = 0, end: int | None = None) -> np.ndarray:
        """Sum of trees ``start`` to ``end`` for each row. Every (row, tree) pair walks down its
        tree, as many steps as the deepest of those trees (a pair at its leaf stays there);
        every `_COMPACT` steps the pairs at a leaf drop out, so the work is close to the total
        path length, not pairs x the deepest tree, without sorting out the pairs at every step.
        The pairs still walking carry their node and row offset along instead of being looked
        up in the full arrays at every step."""
        n, width = rows.shape
        roots = self.roots[start:end]
        trees = len(roots)
        steps = int(self.depth[start:end].max()) if trees else 0
        node = np.tile(roots, n)
        flat = rows.ravel()
        walking = np.arange(len(node))
        at = node
        offset = np.repeat(np.arange(n, dtype=np.int32) * np.int32(width), trees)
        # the arrays' own take methods: np.take goes through a Python wrapper on every call,
        # and the walk makes hundreds of them a page
        take_value, take_feature = flat.take, self.feature.take
        take_first, take_threshold = self.first.take, self.threshold.take
        for step in range(1, steps + 1):
            value = take_value(offset + take_feature(at))
            at = take_first(at) + (value > take_threshold(at))
            if step % _COMPACT == 0 and step < steps:
                inner = self.internal.take(at)
                node[walking] = at
                at, offset, walking = at[inner], offset[inner], walking[inner]
        node[walking] = at
        scores: np.ndarray = self.value[node].reshape(n, trees).sum(axis=1)
        return scores


#: Steps of the trees' walk between two sortings-out of the (row, tree) pairs at a leaf: each
#: costs about a step, and at every step most pairs are still walking.
_COMPACT = 4


def _depth(left: np.ndarray, right: np.ndarray, leaf: np.ndarray) -> int:
    """Longest root-to-leaf path (children come after their parents within a tree)."""
    level = np.zeros(len(left), dtype=np.int64)
    for node in range(len(left)):  # parents are numbered before their children
        if not leaf[node]:
            level[left[node]] = level[right[node]] = level[node] + 1
    return int(level.max()) if len(level) else 0


@cache
def shipped_model() -> BlockModel:
    """The block model bundled with the package (raises :class:`ModelError` when absent)."""
    resource = resources.files("copydesk.extraction").joinpath(SHIPPED)
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the shipped block model: {exc}") from exc
    return BlockModel.from_dict(data)
