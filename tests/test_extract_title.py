"""Tests of the headline rules on small handmade pages: which heading is the headline, and what
of the title tags is the site's rather than the article's."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from copydesk.extraction.segment import segment
from copydesk.extraction.title import heading_before, headline, strip_site_name


def _tree(head: str, body: str) -> object:
    return lxml_html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def _title(tree: object) -> str:
    return tree.xpath("//title")[0].text  # type: ignore[attr-defined,no-any-return]


def _headline(head: str, body: str, site: str | None = None, url: str | None = None) -> str | None:
    """The headline of a page whose title tag is the title trafilatura found."""
    tree = _tree(head, body)
    return headline(tree, _title(tree), site, url)


LD = '<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{}"}}</script>'


def test_the_h1_the_json_ld_headline_names_wins_over_the_seo_title() -> None:
    tree = _tree(
        "<title>Harbour Plan Explained | Gazette</title>"
        '<meta property="og:title" content="Harbour Plan Explained">'
        + LD.format("Why the town wants a second harbour \\u2013 and who pays"),
        "<h1>Why the town wants a second harbour – and who pays</h1>",
    )
    got = headline(tree, "Harbour Plan Explained", "Gazette", None)
    assert got == "Why the town wants a second harbour – and who pays"


def test_an_h1_the_title_tags_word_differently_is_the_headline() -> None:
    # the social title says most of the <h1>'s words in another order
    got = _headline(
        "<title>Heat pump in an old house - when it pays | Heizblog</title>",
        "<h1>Does a heat pump pay in an old house?</h1>",
        "Heizblog",
    )
    assert got == "Does a heat pump pay in an old house?"


@pytest.mark.parametrize(
    ("h1", "expected"),
    [
        # the tags cut the headline short: the <h1> is whole
        (
            "Cells plant triples its capacity in Tennessee",
            "Cells plant triples its capacity in Tennessee",
        ),
        # the <h1> sets a kicker element before the tags' headline
        (
            "<span>Press release of the health office</span><span>:</span>"
            "Cells plant triples its capacity",
            "Cells plant triples its capacity",
        ),
        # a quotation in the <h1>'s own text is part of the headline
        (
            '"Pure joy": Cells plant triples its capacity',
            '"Pure joy": Cells plant triples its capacity',
        ),
    ],
)
def test_an_h1_holding_the_title_tags(h1: str, expected: str) -> None:
    got = _headline(
        "<title>Cells plant triples its capacity - Battery Post</title>",
        f"<h1>{h1}</h1>",
        "Battery Post",
    )
    assert got == expected


def test_subtitle_byline_date_and_styles_inside_the_h1_are_not_the_headline() -> None:
    got = _headline(
        "<title>Keep our lakes clean - Sailing blog</title>",
        "<h1><style>.x{color:red}</style>Keep our lakes clean "
        '<span class="entry-subtitle">A plea to the weekend crowds</span>'
        '<h4 class="author">Posted by Ann on <time>23 February 2020</time></h4></h1>',
    )
    assert got == "Keep our lakes clean"


def test_the_sites_or_a_sections_name_in_an_h1_is_not_the_headline() -> None:
    got = _headline(
        "<title>Liver ragout with apple, onion and mashed potatoes | Love goes through the "
        "stomach</title>",
        "<h1>Love goes through the stomach</h1>",
    )
    assert got == "Liver ragout with apple, onion and mashed potatoes"
    # a lesser heading the title tags hold whole is the headline
    got = _headline(
        "<title>Mag.de | Culture | Literature | Book of the week: The 1619 Project</title>",
        "<h1>Literature</h1><h2>Book of the week: The 1619 Project</h2>",
        "Mag.de",
    )
    assert got == "Book of the week: The 1619 Project"


def test_a_headline_after_the_site_and_section_in_the_title_is_kept() -> None:
    got = _headline(
        "<title>www.office.de: The Office / Speeches / Speech of the president at the "
        "convention of the state parliaments</title>",
        "<h1>Navigation</h1><h1>Speech of the president at the convention of the state "
        "parliaments</h1>",
        None,
        "https://www.office.de/a",
    )
    assert got == "Speech of the president at the convention of the state parliaments"


def test_a_site_name_cut_out_of_the_title_is_not_trusted() -> None:
    # trafilatura takes a title's part holding a dot for the site's name
    got = _headline(
        "<title>[Review] Love is War - Longing by R. K. Lilley</title>",
        "",
        "Longing by R. K. Lilley",
    )
    assert got == "[Review] Love is War - Longing by R. K. Lilley"
    # ... and a site name that is the title itself
    got = _headline(
        "<title>Results: regional meeting, 19.5.2007</title>",
        "",
        "Results: regional meeting, 19.5.2007",
    )
    assert got == "Results: regional meeting, 19.5.2007"


def test_a_leading_date_is_not_part_of_the_headline() -> None:
    got = _headline(
        "<title>23.01.2022 - Wierer wins the last race - Biathlon Valley</title>",
        "<h1>23.01.2022 - Wierer wins the last race</h1>",
        "Biathlon Valley",
    )
    assert got == "Wierer wins the last race"


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        # a site's name in its own script after a Chinese headline
        (
            "武汉的声音：有英勇的你，才有英雄的城！-新华网",
            None,
            None,
            "武汉的声音：有英勇的你，才有英雄的城！",
        ),
        # the sections a breadcrumb sets after the site's name
        (
            "Fehlfunktionen.de » Blog Archiv » Podcasts in Plex einbinden",
            None,
            "https://fehlfunktionen.de/x",
            "Podcasts in Plex einbinden",
        ),
        # a headline that names the site within a longer phrase is not the site
        (
            "Outdoor news - High-resolution snow maps on Summitbook.ch",
            None,
            "https://www.summitbook.ch/x",
            "Outdoor news - High-resolution snow maps on Summitbook.ch",
        ),
    ],
)
def test_site_affixes(title: str, site: str | None, url: str | None, expected: str) -> None:
    assert strip_site_name(title, site, url) == expected


LEAD_PAGE = """<html><body><ul><li>Home</li><li>Malaga, the lively city</li></ul>
<h2>General</h2><h2>Malaga, the lively city</h2><div>3 March 2021</div>
<p>Malaga is the second city of Andalusia and far more than a beach.</p>
<h2>Where to eat</h2><p>Tapas bars line the old town's streets.</p></body></html>"""


def test_the_heading_before_the_articles_text() -> None:
    blocks = segment(lxml_html.fromstring(LEAD_PAGE))
    first = "Malaga is the second city of Andalusia and far more than a beach."
    assert heading_before(blocks, first) == "Malaga, the lively city"
    # an article opening with its headline: the headline; a menu item naming it is passed by
    assert heading_before(blocks, "Malaga, the lively city") == "Malaga, the lively city"
    assert heading_before(blocks, "Not on the page") is None


def test_without_title_tags_the_heading_before_the_text_wins() -> None:
    tree = lxml_html.fromstring(LEAD_PAGE)
    # trafilatura's title is the first heading it saw
    assert headline(tree, "General", None, None, "Malaga, the lively city") == (
        "Malaga, the lively city"
    )
    # a date set as a heading is no headline
    assert headline(tree, "General", None, None, "Samstag, 9. September 2017") == "General"


def test_a_hidden_h1_naming_the_site_is_not_the_headline() -> None:
    tree = _tree(
        "<title>動画：少女らによる攻撃で31人死亡\u3000写真1枚\u3000国際ニュース：Wire News</title>"
        '<meta property="og:title" content="動画：少女らによる攻撃で31人死亡">',
        '<h1 class="hide-text">国際ニュース：Wire News</h1>'
        '<h1 class="title">動画：少女らによる攻撃で31人死亡</h1>',
    )
    assert (
        headline(tree, "動画：少女らによる攻撃で31人死亡", None, None)
        == "動画：少女らによる攻撃で31人死亡"
    )


def test_a_link_home_inside_the_h1_is_not_part_of_the_headline() -> None:
    got = _headline(
        "<title>Prosecutors weigh an appeal in Madrid » Local » Island Daily</title>"
        '<meta name="twitter:title" content="Prosecutors weigh an appeal in Madrid">',
        '<h1><span>Prosecutors weigh an appeal in Madrid</span><a href="/">Island Daily</a></h1>',
    )
    assert got == "Prosecutors weigh an appeal in Madrid"


def test_an_element_hidden_inside_the_h1_is_not_part_of_the_headline() -> None:
    got = _headline(
        "<title>Choir sings for the harbour | Gazette</title>",
        "<h1><span>Choir sings for the harbour "
        '<a href="/edit" style="display: none">Open editor</a></span></h1>',
        "Gazette",
    )
    assert got == "Choir sings for the harbour"


@pytest.mark.parametrize(
    ("h1", "expected"),
    [
        # a place set as a kicker before the headline, which a title tag states alone
        (
            "<span>Frain</span> Fire in a house: five people rehoused",
            "Fire in a house: five people rehoused",
        ),
        # a label after it
        (
            'Fire in a house: five people rehoused <span class="label">Subscribers</span>',
            "Fire in a house: five people rehoused",
        ),
        # a subline after it, which the title tag sets apart with a dash
        ("Fire in a house <span>Five people rehoused in the village</span>", "Fire in a house"),
    ],
)
def test_an_element_the_title_tags_set_apart_is_not_part_of_the_headline(
    h1: str, expected: str
) -> None:
    tree = _tree(
        "<title>Edition Plain | Fire in a house: five people rehoused</title>"
        '<meta property="og:title" content="Fire in a house - Five people rehoused in the village">'
        + LD.format("Frain | Fire in a house: five people rehoused"),
        f"<h1>{h1}</h1>",
    )
    assert headline(tree, _title(tree)) == expected


def test_a_site_name_holding_the_title_is_not_the_sites() -> None:
    # trafilatura's site name is the title tag's first parts ("Headline | Section")
    tree = _tree(
        "<title>Beheading in the name of the prophet | World | Politics | Weekly</title>",
        "<h1>Beheading in the name of the prophet</h1>",
    )
    got = headline(
        tree,
        "Beheading in the name of the prophet",
        "Beheading in the name of the prophet | World | Politics",
    )
    assert got == "Beheading in the name of the prophet"


def test_an_h1_in_the_breadcrumb_trail_yields_to_the_heading_shown() -> None:
    head = (
        '<title>Singer and actor split: "Never again"</title>'
        '<meta property="og:title" content="&quot;Never again&quot;: Singer and actor split">'
    )
    trail = (
        '<ol class="breadcrumbs"><li>News</li>'
        '<li><h1>Singer and actor split: "Never again"</h1></li></ol>'
    )
    got = _headline(
        head, f'{trail}<h1>Tonight</h1><h2>"Never again": Singer and actor split</h2>', "Tonight"
    )
    assert got == '"Never again": Singer and actor split'
    # ... but names the article where no heading shown says a title's whole part
    got = _headline(head, f"{trail}<h2>What they said</h2>")
    assert got == 'Singer and actor split: "Never again"'


def test_the_heading_before_the_text_naming_another_story_is_not_the_headline() -> None:
    tree = _tree(
        "<title>Emergency protocol on a bus of the west line - City</title>"
        '<meta property="og:title" content="Emergency protocol on a bus of the west line">',
        "",
    )
    ticker = "Subscribe to the paper at home: call 425-0101"
    got = headline(tree, "Emergency protocol on a bus of the west line", None, None, ticker)
    assert got == "Emergency protocol on a bus of the west line"
    # a heading before the text that shares the story's words is still taken
    lead = "Bus of the west line stopped after an emergency"
    assert headline(tree, "Emergency protocol on a bus of the west line", None, None, lead) == lead
