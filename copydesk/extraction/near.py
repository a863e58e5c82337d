"""Where text sits in a page relative to its headline: the page's visible text as runs with
offsets, the headline's places in it, and how far something is from them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PageText", "page_text"]

_SKIPPED = frozenset({"script", "style", "noscript", "template", "textarea", "select"})


@dataclass
class PageText:
    """The visible text of a page's body as runs (an element's text or tail, whitespace
    collapsed) at their offsets in the runs joined by single spaces."""

    #: (offset, text, inside an ``<h1>``) in page order
    runs: list[tuple[int, str, bool]] = field(default_factory=list)
    #: (offset, element) for each visited element in page order: where its text starts (its
    #: first run's offset, or the next run's)
    elements: list[tuple[int, Any]] = field(default_factory=list)
    #: (start, end) of each ``<h1>`` run and each place the headline's text appears
    headline: list[tuple[int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(run for _, run, _ in self.runs)

    def distance(self, start: int, end: int, before: int, after: int) -> int | None:
        """Characters between the text at ``start``–``end`` and the nearest place of the
        headline, when it ends at most ``before`` characters before the headline's start or
        starts at most ``after`` characters after its end; else None."""
        best: int | None = None
        for first, last in self.headline:
            if first - before <= end <= first:
                gap = first - end
            elif last <= start <= last + after:
                gap = start - last
            else:
                continue
            best = gap if best is None else min(best, gap)
        return best

    def elements_near(self, before: int, after: int) -> list[tuple[int, Any]]:
        """(distance, element) for the elements whose text starts within ``before`` characters
        before a place of the headline or ``after`` characters after it, nearest first."""
        starts = [start for start, _ in self.elements]
        found: dict[int, int] = {}
        for first, last in self.headline:
            low = bisect_left(starts, first - before)
            high = bisect_right(starts, last + after)
            for i in range(low, high):
                gap = self.distance(starts[i], starts[i], before, after)
                if gap is not None and (i not in found or gap < found[i]):
                    found[i] = gap
        return [(gap, self.elements[i][1]) for i, gap in sorted(found.items(), key=_gap_order)]


def _gap_order(item: tuple[int, int]) -> tuple[int, int]:
    index, gap = item
    return gap, index  # nearest first, then in page order


def page_text(tree: Any, headline: str | None) -> PageText | None:
    """The runs of ``tree``'s body and the places of ``headline`` (its ``<h1>`` and its text,
    when 10 characters or longer), or None for a page without a body."""
    body = tree.find(".//body") if tree is not None else None
    if body is None:
        return None
    page = PageText()
    offset = 0

    def add(text: str | None, in_h1: bool) -> None:
        nonlocal offset
        run = " ".join((text or "").split())
        if run:
            page.runs.append((offset, run, in_h1))
            offset += len(run) + 1

    def walk(element: Any, in_h1: bool) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag not in _SKIPPED:
            page.elements.append((offset, element))
            inside = in_h1 or tag == "h1"
            add(element.text, inside)
            for child in element:
                walk(child, inside)
        add(element.tail, in_h1)

    walk(body, False)
    page.headline = [(start, start + len(run)) for start, run, in_h1 in page.runs if in_h1]
    if headline and len(headline) >= 10:
        text = page.text
        at = text.find(headline)
        while at >= 0:
            page.headline.append((at, at + len(headline)))
            at = text.find(headline, at + 1)
    return page
