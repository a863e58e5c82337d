"""Pick, per page, the candidate extraction that agrees most with the others."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence

from lxml import etree

from copydesk.extraction.blocks import Block, from_html_fragment

__all__ = ["agreement", "choose", "readability_blocks", "settled"]

logger = logging.getLogger(__name__)
_WORD = re.compile(r"\w+")


def _shingles(blocks: Sequence[Block], n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(" ".join(b.text for b in blocks))
    return Counter(tuple(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1)))


def agreement(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    """F1 of two shingle multisets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    overlap = sum((a & b).values())
    return 2 * overlap / (sum(a.values()) + sum(b.values()))


def choose(candidates: Sequence[list[Block]]) -> int:
    """Index of the candidate with the highest mean agreement with the others.

    Ties go to the earliest candidate, so list the preferred extractor first.
    """
    if len(candidates) < 3:
        return 0
    sets = [_shingles(c) for c in candidates]
    scores = [
        sum(agreement(s, o) for j, o in enumerate(sets) if j != i) for i, s in enumerate(sets)
    ]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best


def readability_blocks(html: str | bytes) -> list[Block]:
    """Blocks of readability-lxml's main-content summary (empty when it fails)."""
    from readability import Document
    from readability.readability import Unparseable

    try:
        summary = Document(html).summary(html_partial=True)
    except (Unparseable, etree.LxmlError, ValueError, TypeError) as exc:
        logger.debug("readability failed: %s", exc)
        return []
    return from_html_fragment(summary)


def settled(first: Sequence[Block], second: Sequence[Block], threshold: float = 0.99) -> bool:
    """Whether two candidates agree so closely that a third could not overrule the first.

    A third candidate beats the first only by agreeing more with the second than the first
    does; at agreement >= ``threshold`` that is (nearly) impossible, so it need not be computed.
    """
    return agreement(_shingles(first), _shingles(second)) >= threshold
