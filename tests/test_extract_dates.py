from __future__ import annotations

import pytest

from copydesk.extraction.dates import dateline_day, published_timestamp

HEAD = '<html><head><meta property="article:published_time" content="2025-03-11T16:20:00+02:00">'


@pytest.mark.parametrize(
    ("day", "html", "expected"),
    [
        # the page's own offset is kept: its local day is the day the page says
        ("2025-03-11", HEAD, "2025-03-11T16:20:00+02:00"),
        (
            "2025-03-10",
            '<meta property="article:published_time" content="2025-03-10T00:50:00+02:00">',
            "2025-03-10T00:50:00+02:00",
        ),
        (
            "2025-03-11",
            '<script>{"datePublished": "2025-03-11T13:40:00Z"}</script>',
            "2025-03-11T13:40:00+00:00",
        ),
        # a time without an offset is in an unknown zone: the day alone
        ("2025-03-11", '<time pubdate datetime="2025-03-11T09:05">', "2025-03-11"),
        (
            "2025-03-11",
            '<time datetime="2025-03-11T09:05:00+00:00" itemprop="datePublished">',
            "2025-03-11T09:05:00+00:00",
        ),
        # a stated instant on another day (a modified date, a related story) is not used
        (
            "2025-03-11",
            '<meta property="article:published_time" content="2025-03-14T08:00:00Z">',
            "2025-03-11",
        ),
        # a day without a time adds nothing
        (
            "2025-03-11",
            '<meta property="article:published_time" content="2025-03-11">',
            "2025-03-11",
        ),
        ("2025-03-11", "<p>no metadata</p>", "2025-03-11"),
        # the same moment in UTC (meta) and at the page's offset (<time>): the local day
        (
            "2025-03-11",
            '<meta property="article:published_time" content="2025-03-11T03:37:00Z">'
            '<time datetime="2025-03-10T23:37:00-04:00">March 10</time>',
            "2025-03-10T23:37:00-04:00",
        ),
        # another moment at a local offset (a comment's time) changes nothing
        (
            "2025-03-11",
            '<meta property="article:published_time" content="2025-03-11T03:37:00Z">'
            '<time datetime="2025-03-10T20:00:00-04:00">March 10</time>',
            "2025-03-11T03:37:00+00:00",
        ),
        (None, HEAD, None),
        (
            "2025-03-11",
            '<meta property="article:published_time" content="not a date">',
            "2025-03-11",
        ),
    ],
)
def test_published_timestamp(day: str | None, html: str, expected: str | None) -> None:
    assert published_timestamp(day, html) == expected


def test_bytes_input() -> None:
    assert published_timestamp("2025-03-11", HEAD.encode()) == "2025-03-11T16:20:00+02:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Home News Radon im Boden: Neue Karte Datum 25.01.2022 Prognose: …", "2022-01-25"),
        ("Radon im Boden: Neue Karte Pressemitteilung vom 25. Januar 2022 | Berlin", "2022-01-25"),
        ("Radon im Boden: Neue Karte Hamburg, 2. November 2021 Preisträger …", "2021-11-02"),
        ("Radon im Boden: Neue Karte January 22, 2014 A general …", "2014-01-22"),
        ("Radon im Boden: Neue Karte Mise en ligne 23 mai 2019", "2019-05-23"),
        # a date in the article's first sentence is not its dateline
        (
            "Radon im Boden: Neue Karte The council debated it at length; the plan dates from "
            "March 3, 1995.",
            None,
        ),
        ("Radon im Boden: Neue Karte 31.02.2022", None),  # no such day
        ("Another headline 25.01.2022", None),  # not after this page's headline
    ],
)
def test_dateline_day(text: str, expected: str | None) -> None:
    assert dateline_day(text, "Radon im Boden: Neue Karte") == expected
