"""A small gradient-boosted tree ensemble stored as JSON and evaluated with plain numpy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BlockModel", "ModelError", "shipped_model"]

#: The model shipped with the package (trained by ``copydesk bench train-blocks``).
SHIPPED = "block_model.json"


class ModelError(Exception):
    """A model file is missing, malformed, or was made for other features."""


@dataclass(frozen=True)
class BlockModel:
    """Complete binary trees of equal depth; a block is kept when its probability >= threshold.

    Node ``k`` of a tree has children ``2k+1`` (``x < threshold``) and ``2k+2`` (``x >=
    threshold``); a node that does not split has an infinite threshold, so every row goes left.
    """

    features: tuple[str, ...]
    depth: int
    base: float
    feature: np.ndarray  # (trees, 2**depth - 1) int
    threshold: np.ndarray  # (trees, 2**depth - 1) float
    leaf: np.ndarray  # (trees, 2**depth) float, already scaled by the learning rate
    keep_threshold: float
    info: dict[str, Any]

    def margin(self, rows: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) of ``rows`` (one row per block)."""
        n, trees = rows.shape[0], self.feature.shape[0]
        if not n:
            return np.zeros(0)
        node = np.zeros((n, trees), dtype=np.int64)
        tree_ids = np.arange(trees)
        row_ids = np.arange(n)[:, None]
        for _ in range(self.depth):
            f = self.feature[tree_ids, node]
            right = rows[row_ids, f] >= self.threshold[tree_ids, node]
            node = 2 * node + 1 + right
        leaves = node - (2**self.depth - 1)
        return self.base + self.leaf[tree_ids, leaves].sum(axis=1)

    def probability(self, rows: np.ndarray) -> np.ndarray:
        """Probability that each block belongs to the article text."""
        return 1.0 / (1.0 + np.exp(-self.margin(rows)))

    def keep(self, rows: np.ndarray) -> np.ndarray:
        """Boolean mask of the blocks to keep."""
        return self.probability(rows) >= self.keep_threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "copydesk-gbdt-1",
            "features": list(self.features),
            "depth": self.depth,
            "base": self.base,
            "keep_threshold": self.keep_threshold,
            "feature": self.feature.tolist(),
            "threshold": [
                [None if np.isinf(t) else float(t) for t in row] for row in self.threshold
            ],
            "leaf": [[round(float(v), 6) for v in row] for row in self.leaf],
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlockModel:
        if data.get("format") != "copydesk-gbdt-1":
            raise ModelError(f"unknown model format {data.get('format')!r}")
        try:
            depth = int(data["depth"])
            feature = np.asarray(data["feature"], dtype=np.int64)
            threshold = np.asarray(
                [[np.inf if t is None else t for t in row] for row in data["threshold"]],
                dtype=np.float64,
            )
            leaf = np.asarray(data["leaf"], dtype=np.float64)
            model = cls(
                features=tuple(data["features"]),
                depth=depth,
                base=float(data["base"]),
                feature=feature.reshape(-1, 2**depth - 1),
                threshold=threshold.reshape(-1, 2**depth - 1),
                leaf=leaf.reshape(-1, 2**depth),
                keep_threshold=float(data["keep_threshold"]),
                info=dict(data.get("info") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"malformed model: {exc}") from exc
        if model.feature.size and model.feature.max() >= len(model.features):
            raise ModelError("a tree uses a feature the model does not list")
        return model

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> BlockModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read {path}: {exc}") from exc
        return cls.from_dict(data)


@cache
def shipped_model() -> BlockModel:
    """The block model bundled with the package (raises :class:`ModelError` when absent)."""
    resource = resources.files("copydesk.extraction").joinpath(SHIPPED)
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the shipped block model: {exc}") from exc
    return BlockModel.from_dict(data)
