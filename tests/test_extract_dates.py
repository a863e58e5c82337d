from __future__ import annotations

import pytest
from lxml import html as lxml_html

from copydesk.extraction.dates import dateline_day, guessed_day, published_timestamp
from copydesk.extraction.near import page_text

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


def _page(body: str) -> object:
    return lxml_html.fromstring(f"<html><body>{body}</body></html>")


_TEASER = "<p>" + "A teaser of the story that runs on for a while before the byline. " * 3 + "</p>"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a short line of its own before the headline, or after a teaser
        (
            "<a>Back to the newsroom</a> <span>06.12.2022</span><h1>Wind farm opens</h1>",
            "2022-12-06",
        ),
        (f"<h1>Wind farm opens</h1>{_TEASER}<p>Mise en ligne 23 mai 2019</p>", "2019-05-23"),
        ('<p class="date">15 августа 2016, 13:43</p><h1>Wind farm opens</h1>', "2016-08-15"),
        # the nearest of two: the page's own day, not the header's "today"
        (
            "<div>Thursday, 16 February 2012</div>"
            + "<p>Menu item</p>" * 3
            + "<p>14 February 2012</p>"
            "<h1>Wind farm opens</h1>",
            "2012-02-14",
        ),
        # a day inside a sentence, a bare year, a day far from the headline: no guess
        (
            "<h1>Wind farm opens</h1><p>The council debated it at length before the vote; the "
            "plan dates from March 3, 1995 and was revised since, word1995.</p>",
            None,
        ),
        ("<h1>Wind farm opens</h1><p>© 2021 word1995</p>", None),
        (f"<h1>Wind farm opens</h1>{_TEASER * 8}<p>14.02.2012</p>", None),
        ("<p>14.02.2012</p><p>No headline on this page</p>", None),
        ("<h1>Wind farm opens</h1><script>var d = '14.02.2012';</script>", None),
    ],
)
def test_guessed_day(body: str, expected: str | None) -> None:
    assert guessed_day(page_text(_page(body), "Wind farm opens")) == expected
