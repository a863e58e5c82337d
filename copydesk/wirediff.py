"""What each outlet changed in a wire story: paragraph alignment and word diffs (pure difflib)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

__all__ = [
    "EDIT_THRESHOLD",
    "AlignedRow",
    "ParagraphDiff",
    "Segment",
    "align_copies",
    "diff_paragraphs",
    "diff_words",
    "paragraphs",
]

#: Two paragraphs with at least this word-level similarity are one edited paragraph; below it
#: the copy's paragraph counts as added and the canonical one as removed.
EDIT_THRESHOLD = 0.5

ParagraphKind = Literal["unchanged", "edited", "added", "removed"]
SegmentKind = Literal["same", "ins", "del"]


@dataclass(frozen=True)
class Segment:
    """A run of text in a word diff: kept (``same``), added (``ins``) or dropped (``del``)."""

    kind: SegmentKind
    text: str


@dataclass(frozen=True)
class ParagraphDiff:
    """One paragraph of a copy against the canonical text.

    ``base_index`` is the canonical paragraph it corresponds to (None for an added paragraph);
    ``segments`` is the word diff for an edited paragraph, the plain text otherwise.
    """

    kind: ParagraphKind
    base_index: int | None
    base: str | None
    other: str | None
    segments: tuple[Segment, ...]
    similarity: float


@dataclass(frozen=True)
class AlignedRow:
    """One row of the side-by-side view: a canonical paragraph and what each copy has there.

    A row with ``base_index`` None holds paragraphs some copies added at that point; ``cells``
    has one tuple of paragraph diffs per copy (empty where the copy has nothing).
    """

    base_index: int | None
    base: str | None
    cells: tuple[tuple[ParagraphDiff, ...], ...]


def paragraphs(text: str) -> list[str]:
    """The non-empty paragraphs of an article text (blank lines or single newlines split them)."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*", text) if p.strip()]


def _words(text: str) -> list[str]:
    return text.split()


def _similarity(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, _words(a), _words(b), autojunk=False)
    if matcher.real_quick_ratio() < EDIT_THRESHOLD or matcher.quick_ratio() < EDIT_THRESHOLD:
        return matcher.quick_ratio()
    return matcher.ratio()


def diff_words(base: str, other: str) -> tuple[Segment, ...]:
    """The word diff turning ``base`` into ``other``, adjacent runs of one kind merged.

    Words are compared whole (whitespace never anchors a match) and rejoined with single
    spaces, so the ``same`` + ``del`` segments read as ``base`` and ``same`` + ``ins`` as
    ``other``, each with single spaces.
    """
    a = base.split()
    b = other.split()
    segments: list[Segment] = []
    # Whether the old (same + del) and the new (same + ins) text have a word yet.
    started: dict[SegmentKind, bool] = {"del": False, "ins": False}

    def append(kind: SegmentKind, text: str) -> None:
        if segments and segments[-1].kind == kind:
            segments[-1] = Segment(kind, segments[-1].text + text)
        else:
            segments.append(Segment(kind, text))

    def push(kind: SegmentKind, words: Sequence[str]) -> None:
        if not words:
            return
        sides: tuple[SegmentKind, ...] = ("del", "ins") if kind == "same" else (kind,)
        need = [side for side in sides if started[side]]
        if len(need) == 2:
            append("same", " ")
        elif need:
            append(need[0], " ")
        append(kind, " ".join(words))
        for side in sides:
            started[side] = True

    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            push("same", a[i1:i2])
        else:
            push("del", a[i1:i2])
            push("ins", b[j1:j2])
    return tuple(segments)


def _pair_block(base: Sequence[str], other: Sequence[str], base_offset: int) -> list[ParagraphDiff]:
    """Align a block of differing paragraphs: best monotonic pairing by similarity (DP)."""
    n, m = len(base), len(other)
    sim = [[_similarity(base[i], other[j]) for j in range(m)] for i in range(n)]
    # score[i][j]: best total similarity aligning base[i:] with other[j:].
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            if sim[i][j] >= EDIT_THRESHOLD:
                best = max(best, sim[i][j] + score[i + 1][j + 1])
            score[i][j] = best
    out: list[ParagraphDiff] = []
    i = j = 0
    while i < n or j < m:
        if (
            i < n
            and j < m
            and sim[i][j] >= EDIT_THRESHOLD
            and (score[i][j] == sim[i][j] + score[i + 1][j + 1])
        ):
            out.append(
                ParagraphDiff(
                    "edited",
                    base_offset + i,
                    base[i],
                    other[j],
                    diff_words(base[i], other[j]),
                    sim[i][j],
                )
            )
            i += 1
            j += 1
        elif i < n and (j >= m or score[i][j] == score[i + 1][j]):
            out.append(_removed(base_offset + i, base[i]))
            i += 1
        else:
            out.append(_added(other[j]))
            j += 1
    return out


def _removed(index: int, text: str) -> ParagraphDiff:
    return ParagraphDiff("removed", index, text, None, (Segment("del", text),), 0.0)


def _added(text: str) -> ParagraphDiff:
    return ParagraphDiff("added", None, None, text, (Segment("ins", text),), 0.0)


def diff_paragraphs(base: Sequence[str], other: Sequence[str]) -> list[ParagraphDiff]:
    """Every paragraph of ``base`` and ``other`` in reading order, classified against ``base``."""
    out: list[ParagraphDiff] = []
    matcher = SequenceMatcher(None, list(base), list(other), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(
                ParagraphDiff("unchanged", i, base[i], base[i], (Segment("same", base[i]),), 1.0)
                for i in range(i1, i2)
            )
        elif op == "delete":
            out.extend(_removed(i, base[i]) for i in range(i1, i2))
        elif op == "insert":
            out.extend(_added(other[j]) for j in range(j1, j2))
        else:
            out.extend(_pair_block(base[i1:i2], other[j1:j2], i1))
    return out


def align_copies(base: Sequence[str], copies: Sequence[Sequence[str]]) -> list[AlignedRow]:
    """Rows for a side-by-side view of ``copies`` against ``base``, aligned on base paragraphs.

    Before each canonical paragraph (and after the last) comes an insertion row when any copy
    added paragraphs there.
    """
    diffs = [diff_paragraphs(base, copy) for copy in copies]
    # For each copy: paragraphs added before base paragraph i (i == len(base): at the end),
    # and what the copy has at base paragraph i.
    inserted: list[dict[int, list[ParagraphDiff]]] = []
    at_base: list[dict[int, ParagraphDiff]] = []
    for diff in diffs:
        pending: list[ParagraphDiff] = []
        before: dict[int, list[ParagraphDiff]] = {}
        here: dict[int, ParagraphDiff] = {}
        for para in diff:
            if para.base_index is None:
                pending.append(para)
            else:
                if pending:
                    before[para.base_index] = pending
                    pending = []
                here[para.base_index] = para
        if pending:
            before[len(base)] = pending
        inserted.append(before)
        at_base.append(here)
    rows: list[AlignedRow] = []
    for i in range(len(base) + 1):
        if any(i in before for before in inserted):
            rows.append(
                AlignedRow(None, None, tuple(tuple(before.get(i, ())) for before in inserted))
            )
        if i < len(base):
            rows.append(
                AlignedRow(
                    i,
                    base[i],
                    tuple((here[i],) if i in here else () for here in at_base),
                )
            )
    return rows
