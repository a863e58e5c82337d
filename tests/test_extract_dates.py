from __future__ import annotations

import pytest
from lxml import html as lxml_html

from copydesk.extraction.dates import (
    dateline_day,
    guessed_day,
    publication_day,
    published_timestamp,
    stated_days,
)
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


_MODIFIED = '<meta property="article:modified_time" content="2022-01-26T14:30:00+01:00">'


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        # the day shown under the byline wins over a markup day that differs (an update, a
        # day written month first): it is the day the page's reader sees
        ("", "<h1>Wind farm opens</h1><p>By A. Writer</p><p>21.01.2022 - 13:30</p>", "2022-01-21"),
        # a labelled publication day, further down the page
        (
            "",
            f"<h1>Wind farm opens</h1>{_TEASER * 4}<p>Erschienen am: 13.10.2021</p>",
            "2021-10-13",
        ),
        # an update is never the publication: by its label, or by the markup's modified day
        ("", "<h1>Wind farm opens</h1><p>Aktualisiert: 11.04.2020, 10:27</p>", "2025-03-11"),
        (_MODIFIED, "<h1>Wind farm opens</h1><p>Mittwoch, 26.01.2022 - 14:30</p>", "2025-03-11"),
        # ... unless the markup gives it as the publication too: a moment stated in UTC just
        # before midnight is the next day where the page is published
        (
            _MODIFIED + '<meta property="article:published_time" content="2022-01-25T23:00Z">',
            "<h1>Wind farm opens</h1><p>26. Januar 2022</p>",
            "2022-01-26",
        ),
        # a date beside a repeat of the headline in a list of related stories is theirs
        (
            "",
            "<h1>Wind farm opens</h1>"
            + _TEASER * 10
            + "<ul><li>Wind farm opens</li><li>Other story</li><li>01.02.2022</li></ul>",
            "2025-03-11",
        ),
        # an embedded post's date is the post's
        (
            "",
            "<h1>Wind farm opens</h1><blockquote><p>Short post</p><p>— A. Person (@aperson)</p>"
            "<p>January 1, 2020</p></blockquote>",
            "2025-03-11",
        ),
        # above the headline only right above it (the header's "today" is a little further)
        ("", "<p>Bonn, 11.10.2021</p><h1>Wind farm opens</h1>", "2021-10-11"),
        (
            "",
            "<p>Montag, 21. September 2020</p><p>Menu</p><p>Search the site</p>"
            "<h1>Wind farm opens</h1>",
            "2025-03-11",
        ),
        # nothing shown beside the headline: the markup's day
        ("", "<h1>Wind farm opens</h1><p>A long paragraph.</p>", "2025-03-11"),
    ],
)
def test_publication_day(head: str, body: str, expected: str) -> None:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    page = page_text(lxml_html.fromstring(html), "Wind farm opens")
    assert publication_day("2025-03-11", html, page) == expected


def test_publication_day_at_the_pages_offset() -> None:
    """htmldate's day in UTC (the 18th) gives way to the day of the instant the page states at
    its own offset (05:50 on the 19th in Tokyo)."""
    html = '<script>{"datePublished": "20180619T055000+0900"}</script><h1>Wind farm opens</h1>'
    page = page_text(lxml_html.fromstring(html), "Wind farm opens")
    assert publication_day("2018-06-18", html, page) == "2018-06-19"


def _without_markup(body: str) -> str | None:
    html = f"<html><body>{body}</body></html>"
    return publication_day(None, html, page_text(lxml_html.fromstring(html), "Wind farm opens"))


def test_publication_day_without_markup() -> None:
    """Without a day in the markup or URL, a date the page labels as its publication is its
    own, and so is its dateline; another unlabelled date line stays a guess
    (:func:`guessed_day`)."""
    labelled = "<h1>Wind farm opens</h1><p>Pressemitteilung vom 25. Januar 2022</p>"
    assert _without_markup(labelled) == "2022-01-25"
    byline = "<h1>Wind farm opens</h1><p>By A. Writer</p><p>25.01.2022</p>"
    assert _without_markup(byline) == "2022-01-25"
    assert _without_markup(f"<h1>Wind farm opens</h1>{_TEASER}<p>25.01.2022</p>") is None
    assert publication_day(None, "<html><body><p>x</p></body></html>", None) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a dateline: the date line right under the headline, after a place or a byline
        ("<h1>Wind farm opens</h1><p>Hamburg, 2. November 2021</p>", "2021-11-02"),
        ("<h1>Wind farm opens</h1><div>Anna Writer</div><div>Dec 17, 2025</div>", "2025-12-17"),
        # ... in the signs for year, month and day
        ("<h1>Wind farm opens</h1><p>2020年07月03日</p>", "2020-07-03"),
        ("<h1>Wind farm opens</h1><span>2021년 3월 9일</span>", "2021-03-09"),
        # not after a sentence, nor further down than a dateline goes
        (
            "<h1>Wind farm opens</h1><p>The mayor was there. More soon</p><p>2. November 2021</p>",
            None,
        ),
        (f"<h1>Wind farm opens</h1>{_TEASER}<p>2. November 2021</p>", None),
        # right above the headline, in an element its class or id names as a date
        (
            '<p class="published-date">/ martes 17 de marzo de 2020</p><h1>Wind farm opens</h1>',
            ("2020-03-17"),
        ),
        (
            '<div class="post-meta"><span>15 августа 2016</span></div><h1>Wind farm opens</h1>',
            ("2016-08-15"),
        ),
        # ... else it may be the day the page was viewed, in its header: a guess
        ("<p>Montag, 21. September 2020</p><h1>Wind farm opens</h1>", None),
        # "Datum" as the label of its own (a definition list)
        (
            f"<h1>Wind farm opens</h1>{_TEASER * 2}<dl><dt>Datum</dt><dd>12.01.2017</dd></dl>",
            ("2017-01-12"),
        ),
        # a revision is an update
        ("<h1>Wind farm opens</h1><p>Date of Last Revision: August 9, 2017</p>", None),
    ],
)
def test_publication_day_shown_without_markup(body: str, expected: str | None) -> None:
    assert _without_markup(body) == expected


def test_stated_days() -> None:
    published, modified = stated_days(
        '<meta property="article:published_time" content="2021-11-04T23:00Z">'
        '<time itemprop="datePublished" datetime="2018-06-22 10:20:00">'
        '<script>{"dateModified": "2021-11-05T12:42:00+01:00"}</script>'
    )
    assert published == {"2021-11-04", "2021-11-05", "2018-06-22"}
    assert modified == {"2021-11-05"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Arabic month names, Levantine and Latin-derived side by side; Turkish, Greek, Persian
        ("Wind farm opens تم نشره الجمعة 24 نيسان / أبريل 2020 09:22 مساءً", "2020-04-24"),
        ("Wind farm opens 1 تشرين الثاني 2020", "2020-11-01"),
        ("Wind farm opens 12 AĞUSTOS 2021", "2021-08-12"),
        ("Wind farm opens 3 Μαΐου 2022", "2022-05-03"),
        ("Wind farm opens 5 دسامبر 2019", "2019-12-05"),
        # day and month in either order, only where one of them is over 12
        ("Wind farm opens 22/11/2020 - 04:30 - Source: an agency", "2020-11-22"),
        ("Wind farm opens 11/22/2020", "2020-11-22"),
        ("Wind farm opens 05/06/2020", None),
    ],
)
def test_dateline_day_in_more_forms(text: str, expected: str | None) -> None:
    assert dateline_day(text, "Wind farm opens") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a date split over elements, a time of day between its pieces
        (
            "<h1>Wind farm opens</h1><span>Jan 04</span><span>09:34</span><span>2021</span>"
            "<p>The text.</p>",
            "2021-01-04",
        ),
        # the only text between a back link and the headline: the page's own day
        ("<a>Back</a><div><span>06.12.2022</span></div><h1>Wind farm opens</h1>", "2022-12-06"),
        # a date line beside the article's reading time, above or under the headline
        (
            "<div>Dec 12, 2025</div><div>4 min read</div><h1>Wind farm opens</h1>",
            "2025-12-12",
        ),
        (
            f"<h1>Wind farm opens</h1>{_TEASER}<p>By A. Writer</p><p>Dec 17, 2025</p>"
            "<p>6 min read</p>",
            "2025-12-17",
        ),
        # under the headline in an element whose class names a date, after a teaser
        (f'<h1>Wind farm opens</h1>{_TEASER}<p class="post-date">2/24/2026</p>', "2026-02-24"),
        # a day written day or month first counts only as the dateline: a related story's
        # teaser further on is written the same way
        (f"<h1>Wind farm opens</h1>{_TEASER}<span>14/08/2021</span>", None),
        ("<h1>Wind farm opens</h1><p>22/11/2020 - 04:30</p>", "2020-11-22"),
    ],
)
def test_publication_day_shown_in_the_header(body: str, expected: str | None) -> None:
    assert _without_markup(body) == expected


def test_publication_day_dateline_before_a_labelled_date_further_on() -> None:
    """The dateline under the headline wins over a date labelled "published" further on (a
    study the article cites); an inferred day labelled far down is not read."""
    body = (
        "<h1>Wind farm opens</h1><p>July 1, 2023</p>"
        + _TEASER * 4
        + "<p>The analysis, published online Feb. 16, 2023, by the</p>"
    )
    assert _without_markup(body) == "2023-07-01"
    photo = (
        f"<h1>Wind farm opens</h1><p>September 17, 2019</p>{_TEASER * 3}<p>Datum: 31/08/2019</p>"
    )
    assert _without_markup(photo) == "2019-09-17"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ('<link rel="canonical" href="https://example.org/news/29-10-2021">', "2021-10-29"),
        (
            '<link href="https://example.org/news/item-29.10.2021.html" rel="canonical">',
            "2021-10-29",
        ),
        ('<link rel="canonical" href="https://example.org/news/05-06-2021">', None),
        ('<link rel="alternate" href="https://example.org/news/29-10-2021">', None),
    ],
)
def test_publication_day_from_a_day_first_address(link: str, expected: str | None) -> None:
    """Without a day in the markup, a day written day first in the page's canonical address,
    where the order is certain."""
    html = f"<html><head>{link}</head><body><h1>Wind farm opens</h1><p>Text.</p></body></html>"
    page = page_text(lxml_html.fromstring(html), "Wind farm opens")
    assert publication_day(None, html, page) == expected
    assert publication_day("2021-10-30", html, page) == "2021-10-30"
