"""Tests of the site-level furniture pass."""

from __future__ import annotations

import pytest

from copydesk.extraction.sitefurniture import SiteFurniture, learn, paragraph_key

FOOTER = "Sign up for the Gazette's morning briefing."
PROMO = "Support local journalism: subscribe for 1 pound a week."


def _page(i: int) -> list[str]:
    return [f"Story {i} starts with its own lead paragraph number {i}.", FOOTER, f"Body {i}."]


def test_learns_paragraphs_that_recur_on_many_pages() -> None:
    pages = [_page(i) for i in range(10)]
    pages[0].append(PROMO)
    pages[1].append(PROMO.upper())
    furniture = learn(pages)
    assert furniture.pages == 10
    assert furniture.is_furniture(FOOTER)
    assert furniture.is_furniture("sign up for the gazette’s  morning briefing")
    assert not furniture.is_furniture(PROMO)  # 2 pages: below min_pages=3
    page = _page(42)
    assert furniture.strip(page) == [page[0], page[2]]


def test_share_threshold() -> None:
    pages = [[FOOTER] if i < 3 else [f"Unique {i}"] for i in range(20)]
    assert not learn(pages, min_pages=3, min_share=0.3).keys  # 3 of 20 < 30%
    assert learn(pages, min_pages=3, min_share=0.1).is_furniture(FOOTER)


def test_a_paragraph_repeated_on_one_page_counts_once() -> None:
    pages = [[FOOTER, FOOTER, FOOTER], ["a"], ["b"]]
    assert not learn(pages, min_pages=2, min_share=0.3).keys


def test_long_paragraphs_are_never_furniture() -> None:
    long = " ".join(["word"] * 80)
    assert not learn([[long]] * 5).keys


def test_round_trip_json() -> None:
    furniture = learn([_page(i) for i in range(5)])
    again = SiteFurniture.from_json(furniture.to_json())
    assert again == furniture
    assert SiteFurniture().strip(["x"]) == ["x"]


def test_rejects_bad_arguments_and_formats() -> None:
    with pytest.raises(ValueError, match="min_pages"):
        learn([], min_pages=1)
    with pytest.raises(ValueError, match="min_share"):
        learn([], min_share=0)
    with pytest.raises(ValueError, match="learn it again"):
        SiteFurniture.from_json('{"version": 99, "pages": 1, "keys": []}')


def test_paragraph_key() -> None:
    assert paragraph_key("Read MORE: 5 things!") == paragraph_key("read  more 5 things")
    assert paragraph_key("Story 1") != paragraph_key("Story 2")
