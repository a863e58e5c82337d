"""Learn the paragraphs that recur on many pages of one site (furniture) and strip them."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["SiteFurniture", "learn", "paragraph_key"]

_NON_WORD = re.compile(r"[\W_]+")
FORMAT_VERSION = 1


def paragraph_key(paragraph: str) -> str:
    """Normalised form under which paragraphs are compared: lower-cased words only."""
    return _NON_WORD.sub(" ", paragraph.lower()).strip()


@dataclass
class SiteFurniture:
    """The normalised paragraphs found on many pages of one site."""

    keys: frozenset[str] = field(default_factory=frozenset)
    pages: int = 0

    def is_furniture(self, paragraph: str) -> bool:
        return paragraph_key(paragraph) in self.keys

    def strip(self, paragraphs: list[str]) -> list[str]:
        """``paragraphs`` without the furniture ones; order kept."""
        if not self.keys:
            return list(paragraphs)
        return [p for p in paragraphs if paragraph_key(p) not in self.keys]

    def to_json(self) -> str:
        return json.dumps(
            {"version": FORMAT_VERSION, "pages": self.pages, "keys": sorted(self.keys)},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, data: str) -> SiteFurniture:
        raw = json.loads(data)
        if raw.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"site furniture format {raw.get('version')!r} is not {FORMAT_VERSION}; "
                "learn it again from the site's pages"
            )
        return cls(keys=frozenset(raw["keys"]), pages=int(raw["pages"]))


def learn(
    pages: Iterable[list[str]],
    min_pages: int = 3,
    min_share: float = 0.3,
    max_words: int = 60,
) -> SiteFurniture:
    """Paragraphs (normalised) present on at least ``min_pages`` pages and ``min_share`` of them.

    Each page counts a paragraph once. Paragraphs longer than ``max_words`` words are never
    furniture (a long paragraph shared by many pages is more likely syndicated copy, which the
    wire-copy detector handles).
    """
    if min_pages < 2:
        raise ValueError(f"min_pages must be at least 2, got {min_pages}")
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    counts: Counter[str] = Counter()
    total = 0
    for paragraphs in pages:
        total += 1
        keys = {paragraph_key(p) for p in paragraphs}
        counts.update(k for k in keys if k and len(k.split()) <= max_words)
    threshold = max(min_pages, math.ceil(min_share * total))
    return SiteFurniture(
        keys=frozenset(k for k, n in counts.items() if n >= threshold), pages=total
    )
