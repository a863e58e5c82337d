"""Tests of the metadata helpers: authors as people, the full headline, dates never guessed."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params

from copydesk.extract import extract
from copydesk.extraction.authors import (
    byline,
    byline_or_metadata,
    labelled_byline,
    people,
    with_marks,
)
from copydesk.extraction.metadata import page_metadata
from copydesk.extraction.near import page_text
from copydesk.extraction.title import headline, strip_site_name


@pytest.mark.parametrize(
    ("raw", "site", "url", "expected"),
    [
        ("Foster, Sophie", None, None, ["Sophie Foster"]),
        ("Sophie Foster, Sophie-Foster", None, None, ["Sophie Foster"]),
        (
            "The Washington Times https; Www Washingtontimes Com",
            "The Washington Times",
            "https://www.washingtontimes.com/news/x",
            [],
        ),
        ("Rob Picheta; CNN", "CNN", "https://edition.cnn.com/x", ["Rob Picheta"]),
        ("By Jane Porter and John Smith", None, None, ["Jane Porter", "John Smith"]),
        ("Fiona Bornhöft und Mariam Hofbeck", None, None, ["Fiona Bornhöft", "Mariam Hofbeck"]),
        ("Staff; National Desk; Redaktion", None, None, []),
        ("Anna Kubišta / Petr Novák", None, None, ["Anna Kubišta", "Petr Novák"]),
        ("Von Roland Brockmann", None, None, ["Roland Brockmann"]),
        ("山田太郎、佐藤花子", None, None, ["山田太郎", "佐藤花子"]),
        ("Bergportal GmbH; Nordex SE; TOUR Magazin; Redacción EC", None, None, []),
        ("Art Edwards says; Posted; No Author; Фото из Инстаграма", None, None, []),
        ("Newsdesk; Zvg", None, None, []),
        # news agencies are no people (docs/devsets.md); a surname that spells one is
        ("Agencia EFE; dpa; AFP", None, None, []),
        ("PTI; BNS; Europa Press; Agência Brasil", None, None, []),
        # a blog platform's subdomain is the blogger's handle; a site's own host is the site
        ("surfpat", None, "https://surfpat.wordpress.com/2016/11/01/x/", ["surfpat"]),
        ("Solarfarm", None, "https://www.solarfarm.example/2022/x", []),
        # a desk named after a short host or site; the site's name cut in two
        ("GZT Sport; Jane Porter", None, "https://www.gzt.example/x", ["Jane Porter"]),
        ("Jobs; Hire", "Jobs & Hire", "https://www.jobsnhire.example/x", []),
        # a wire credit and a byline's role are no people
        ("Gazette Wire; Jane Porter; Chief Correspondent", None, None, ["Jane Porter"]),
        ("Ap Dijksterhuis", None, None, ["Ap Dijksterhuis"]),
        # a reading-time or update label run into the byline, a byline's lead word
        ("Sarah Yang Last Updated on March 3", None, None, ["Sarah Yang"]),
        (
            "durch Yirou Chen; AUTOR/IN Julius Richter; ~ Cem Basman",
            None,
            None,
            ["Yirou Chen", "Julius Richter", "Cem Basman"],
        ),
        (
            "Isabel Caro; Rocío Latorre y José Miguel Wilson Tiempo de lectura",
            None,
            None,
            ["Isabel Caro", "Rocío Latorre", "José Miguel Wilson"],
        ),
        # a field naming a country is an organisation's address, not a byline
        ("Olympia-Verlag GmbH; Nürnberg, Germany", None, None, []),
        ("Kirche; Leben; Münster; Deutschland", None, None, []),
        # a person's own site is named after them; a one-word host name is the site's
        (
            "Wolfgang Michal",
            "wolfgangmichal.de",
            "https://www.wolfgangmichal.de/x",
            ["Wolfgang Michal"],
        ),
        ("Solarserver", None, "https://www.solarserver.de/x", []),
        ("Campo Grande News", "Campo Grande News", "https://www.campograndenews.com.br/x", []),
        # a byline's role, in brackets, after a rank or as a field of its own, names no one
        ("Jane Porter, Print Managing Editor", None, None, ["Jane Porter"]),
        ("Lena Probe (Content Manager)", None, None, ["Lena Probe"]),
        ("Karl Muster Senior Autos Reporter", None, None, ["Karl Muster"]),
        ("Pat Probe, Home and Digital Security Expert", None, None, ["Pat Probe"]),
        ("Eva Probe, Co-founder and Chief Architect", None, None, ["Eva Probe"]),
        ("Cort Probe; Home; Digital Security Expert", None, None, ["Cort Probe"]),
        # degrees and credentials are no people and no part of the name
        ("Dana Probe, MS, RD, FAND", None, None, ["Dana Probe"]),
        ("Article by Eva Probe RN; BSN", None, None, ["Eva Probe"]),
        ("Ma Long", None, None, ["Ma Long"]),
        ("LD", None, None, ["LD"]),  # alone, capitals are a journalist's initials
        ("Shelby Probe, DVM Reviewed by Molly Muster", None, None, ["Shelby Probe"]),
        ("Karl Muster Founder", None, None, ["Karl Muster"]),
        ("Eiliger Reporter", None, None, ["Eiliger Reporter"]),  # a role alone: a pseudonym
        # a date's words, a page's buttons and labels, a host name: none
        ("July; Mar; Share; About the Author; View more posts", None, None, []),
        ("Jane Porter December", None, None, ["Jane Porter"]),
        ("Jane Porter • March", None, None, ["Jane Porter"]),
        ("Updated March", None, None, []),
        ("April Ryan", None, None, ["April Ryan"]),
        ("Recipe by Jane Porter", None, None, ["Jane Porter"]),
        ("Gazette Desk / gazette.in / Updated:", None, None, []),
        ("Medically reviewed by Jane Porter", None, None, []),
        # a blog on a blog platform named after its blogger is the blogger's; another is not
        (
            "Jana Beispiel",
            "Jana Beispiel",
            "https://janabeispiel2.substack.com/p/x",
            ["Jana Beispiel"],
        ),
        ("Das Nachtblatt", "Das Nachtblatt", "https://nachtblatt.wordpress.com/2016/x/", []),
        # a name that is the host's is the site's when the field names a person too
        ("Jane Porter; Gazette Lines", None, "https://www.gazettelines.example/x", ["Jane Porter"]),
        # one word among people named in full is a place or an outlet run into the list
        ("Karl M. Muster, Lisbon, Eva Probe", None, None, ["Karl M. Muster", "Eva Probe"]),
        (
            "Von Jana Probe, Karl Muster und Eva Probe, GZT",
            None,
            None,
            ["Jana Probe", "Karl Muster", "Eva Probe"],
        ),
        ("Jana Probe; Karl", None, None, ["Jana Probe", "Karl"]),
        # three or more capitals beside a full name are an outlet's acronym; alone, initials
        ("Jana Probe; GZTN", None, None, ["Jana Probe"]),
        ("GZB", None, None, ["GZB"]),
        # a Korean byline's outlet and title; desks and updates in more languages
        ("가나신문=홍길동 기자", None, None, ["홍길동"]),
        ("Redação; Redactie; दिल्ली ब्यूरो; Gazette News Service", None, None, []),
        ("Jana Probe Uppdaterad 3 mars 2020", None, None, ["Jana Probe"]),
        # a host's label is read without its hyphen ("gazette-lines.example")
        (
            "Jane Porter; Gazette Lines",
            None,
            "https://www.gazette-lines.example/x",
            ["Jane Porter"],
        ),
        (None, None, None, []),
    ],
)
def test_people(raw: str | None, site: str | None, url: str | None, expected: list[str]) -> None:
    assert people(raw, site, url) == expected


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        (
            "短缺药品保供稳价 全力保障临床用药需求-新华网",
            "新华网",
            None,
            "短缺药品保供稳价 全力保障临床用药需求",
        ),
        ("米朝首脳直通電話の成否 ：日本経済新聞", "日本経済新聞", None, "米朝首脳直通電話の成否"),
        ("記事の見出し｜朝日新聞デジタル", "朝日新聞デジタル", None, "記事の見出し"),
        ("Headline of the day * Gazette", "Gazette", None, "Headline of the day"),
        ("Headline of the day / Gazette", "Gazette", None, "Headline of the day"),
        ("Headline of the day · Gazette", "Gazette", None, "Headline of the day"),
        (
            "Anticorrupción decidirá si recurre » Local » Noticias",
            None,
            None,
            ("Anticorrupción decidirá si recurre"),
        ),
    ],
)
def test_site_affixes_in_every_script(
    title: str, site: str | None, url: str | None, expected: str
) -> None:
    assert strip_site_name(title, site, url) == expected


def _tree(head: str, body: str) -> object:
    return lxml_html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def test_headline_is_the_h1_the_title_tags_contain() -> None:
    tree = _tree(
        "<title>'The American friends': New files expose a spy operation -- Sott.net</title>",
        "<h1>Sott.net</h1><h1>'The American friends': New files expose a spy operation</h1>",
    )
    # trafilatura cut the <title> at the colon; the <h1> gives it whole, without the site
    got = headline(tree, "'The American friends'", "Sott.net", "https://www.sott.net/a")
    assert got == "'The American friends': New files expose a spy operation"


def test_headline_keeps_the_title_when_no_h1_matches() -> None:
    tree = _tree("<title>Flood barrier approved | Gazette</title>", "<h1>Gazette</h1>")
    assert headline(tree, "Flood barrier approved | Gazette", "Gazette", None) == (
        "Flood barrier approved"
    )


@pytest.mark.parametrize(
    ("head", "h1", "expected"),
    [
        # kicker and screen-reader separator inside the <h1>: the headline is the rest
        (
            "<title>Klimaschutz: Bohren, bis es heiß wird | Zeit</title>",
            '<span class="article-heading__kicker">Klimaschutz</span>'
            '<span class="visually-hidden">: </span><span>Bohren, bis es heiß wird</span>',
            "Bohren, bis es heiß wird",
        ),
        (
            "<title>Daten von Rheinmetall gehackt - Interne Unterlagen im Netz</title>",
            '<span class="dachzeile">Interne Unterlagen im Netz</span> '
            '<span class="headline">Daten von Rheinmetall gehackt</span>',
            "Daten von Rheinmetall gehackt",
        ),
        # the title tags put a kicker and a colon before the <h1>
        (
            "<title>Siemens und die Kohlemine Adani: Kaeser verarscht Neubauer - taz.de</title>",
            "Kaeser verarscht Neubauer",
            "Kaeser verarscht Neubauer",
        ),
        # an <h1> naming the site inside the headline is still the headline
        (
            "<title>Wie die Taz entstand: Eine Zeitung von unten | taz.de</title>",
            "Wie die Taz entstand: Eine Zeitung von unten",
            "Wie die Taz entstand: Eine Zeitung von unten",
        ),
    ],
)
def test_headline_without_kicker(head: str, h1: str, expected: str) -> None:
    tree = _tree(head, f"<h1>{h1}</h1>")
    title = tree.xpath("//title")[0].text  # type: ignore[attr-defined]
    assert headline(tree, title, "taz.de", "https://www.taz.de/x") == expected


def test_headline_without_the_sites_name_in_the_h1() -> None:
    tree = _tree(
        "<title>Best UK Art Exhibitions 2025</title>"
        '<meta property="og:site_name" content="Artlyst">',
        "<h1>Critics’ Choice: Best UK Art Exhibitions 2025 – Artlyst</h1>",
    )
    got = headline(tree, "Critics’ Choice: Best UK Art Exhibitions 2025 – Artlyst", None, None)
    assert got == "Critics’ Choice: Best UK Art Exhibitions 2025"


def test_a_title_the_title_tags_do_not_carry_yields_to_them() -> None:
    # trafilatura may read a section's name ("Aktuelle") where the tags name the article
    tree = _tree(
        "<title>Reparaturcafé am 31. Januar: Stadt Ahlen</title>"
        '<meta property="og:title" content="Reparaturcafé am 31. Januar">',
        "<h2>Aktuelle</h2>",
    )
    assert headline(tree, "Aktuelle", None, None) == "Reparaturcafé am 31. Januar"
    # a title that holds the tags' text is kept
    assert headline(tree, "Reparaturcafé am 31. Januar", None, None) == (
        "Reparaturcafé am 31. Januar"
    )


def test_headline_is_not_the_sites_tagline() -> None:
    tree = _tree(
        "<title>Meta-Programming In Emacs | Emacspeak</title>",
        "<h1>EMACSPEAK The Complete Audio Desktop</h1>",
    )
    got = headline(tree, "Meta-Programming In Emacs | Emacspeak", "Emacspeak", None)
    assert got == "Meta-Programming In Emacs"


PAGE = """<html lang="en"><head><title>Council votes on the bridge</title></head><body>
<article><h1>Council votes on the bridge</h1>{paragraphs}</article></body></html>"""


def test_a_date_found_only_in_the_text_is_left_empty() -> None:
    paragraphs = "".join(
        f"<p>Paragraph {i} of the story about the bridge, which the council debated at length "
        f"before the vote; the plan dates from March 3, 1995 and was revised since (word1995).</p>"
        for i in range(6)
    )
    result = extract(PAGE.format(paragraphs=paragraphs), url="https://gazette.example/bridge")
    assert result.published is None  # htmldate's text search would say 1995-03-03
    assert result.published_guess is None  # nor is it a guess: a day inside a sentence


def _after_teaser(date_line: str) -> str:
    """The story's paragraphs with ``date_line`` after a teaser, away from the headline."""
    teaser = "<p>" + "The council debated the bridge at length before the vote. " * 4 + "</p>"
    return (
        teaser
        + f"<p>{date_line}</p>"
        + "".join(
            f"<p>Paragraph {i} of the story about the bridge, which the council debated at length "
            f"before the vote.</p>"
            for i in range(6)
        )
    )


def test_a_date_line_near_the_headline_is_a_guess_not_the_pages_date() -> None:
    paragraphs = _after_teaser("Mardi 12 mars 2024")
    result = extract(PAGE.format(paragraphs=paragraphs), url="https://gazette.example/bridge")
    assert result.published is None  # the page states no date of its own
    assert result.published_guess == "2024-03-12"


def test_a_date_labelled_as_the_publication_is_the_pages_own() -> None:
    paragraphs = _after_teaser("Mise en ligne 12 mars 2024")
    result = extract(PAGE.format(paragraphs=paragraphs), url="https://gazette.example/bridge")
    assert result.published == "2024-03-12"  # "posted on": the page states it
    assert result.published_guess is None


def test_the_day_shown_under_the_headline_wins_over_a_modified_day() -> None:
    head = '<meta property="article:modified_time" content="2024-03-20T09:00:00+01:00">'
    paragraphs = "<p>By Gazette staff</p><p>12.03.2024, 08:15</p>" + "".join(
        f"<p>Paragraph {i} of the story about the bridge, which the council debated at length "
        f"before the vote.</p>"
        for i in range(6)
    )
    html = PAGE.format(paragraphs=paragraphs).replace("</head>", head + "</head>")
    result = extract(html, url="https://gazette.example/bridge")
    assert result.published == "2024-03-12"


def test_the_date_printed_with_the_headline_is_the_pages_own() -> None:
    paragraphs = "<p>Gazette staff, 12.03.2024</p>" + "".join(
        f"<p>Paragraph {i} of the story about the bridge, which the council debated at length "
        f"before the vote.</p>"
        for i in range(6)
    )
    result = extract(PAGE.format(paragraphs=paragraphs), url="https://gazette.example/bridge")
    assert result.published == "2024-03-12"
    assert result.published_guess is None  # only where no date is stated


_META_PAGE = """<html lang="en"><head><title>Storm closes the harbour - Coast Gazette</title>
<meta property="og:image" content="https://gazette.example/storm.jpg">
<meta name="description" content="The harbour closed for a day.">
<link rel="canonical" href="https://gazette.example/news/storm"></head>
<body><div class="entry-meta"><a href="/category/weather/">Weather</a>
<a href="/tag/storms/">Storms</a></div>
<h1>Storm closes the harbour</h1><p class="byline">By Jane Porter</p>
<p>Published <time datetime="2023-09-17T00:50:00+02:00">17 September 2023</time></p>
<p>The harbour closed for a day as the storm passed over the coast.</p>
<div class="comments"><span class="author">Some Reader</span></div></body></html>"""


@pytest.mark.parametrize("url", [None, "https://gazette.example/news/storm?ref=x"])
def test_page_metadata_is_trafilaturas_without_categories(url: str | None) -> None:
    tree = lxml_html.fromstring(_META_PAGE)
    before = lxml_html.tostring(tree)
    ours = page_metadata(tree, url, set_date_params(False))
    assert lxml_html.tostring(tree) == before  # the page's tree is left as it was
    theirs = extract_metadata(tree, url, set_date_params(False))
    stored = ("title", "author", "url", "hostname", "date", "sitename", "description", "image")
    for name in (*stored, "tags", "language"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.author == "Jane Porter"
    assert ours.tags == ["Storms"]
    assert theirs.categories and not ours.categories  # never stored: not searched for


_HEAD = "<html><body><nav>Home News Sport</nav>"
_TEXT = "<p>" + "The council debated the bridge at length before the vote. " * 3 + "</p>"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # an element marked as the author's, its date left out
        (
            '<h1>Council votes on the bridge</h1><p class="byline">By <a rel="author">Jane '
            "Porter</a> Thursday, November 3, 2022</p>",
            ["Jane Porter"],
        ),
        ('<h1>Council votes on the bridge</h1><span class="author vcard">marc</span>', ["marc"]),
        # "By X and Y", "Von X, Y und Z" in plain lines near the headline
        (
            "<h1>Council votes on the bridge</h1><p>By Jane Porter and John Smith</p>",
            ["Jane Porter", "John Smith"],
        ),
        (
            '<h1>Council votes on the bridge</h1><div class="meta">Ein Artikel von <b>Pamela '
            "Sladky</b> | 27.01.2022 - 12:45</div>",
            ["Pamela Sladky"],
        ),
        (
            '<div class="meta">Posted on September 21, 2020 by Adi Tzlil</div>'
            "<h1>Council votes on the bridge</h1>",
            ["Adi Tzlil"],
        ),
        # a column's, a blog post's intro; what follows the name on its line is no name
        (
            "<h1>Council votes on the bridge</h1><p><strong>Eine Kolumne von Jana Beispiel"
            "</strong></p>",
            ["Jana Beispiel"],
        ),
        (
            "<h1>Council votes on the bridge</h1><p>Ein Interview von Karl Muster mit Eva "
            "Probe</p>",
            ["Karl Muster"],
        ),
        (
            '<h1>Council votes on the bridge</h1><p class="date">Erstellt von Fabio am Dienstag '
            "6. Mai 2014</p>",
            ["Fabio"],
        ),
        (
            '<h1>Council votes on the bridge</h1><div class="entry-meta">von <span class="author'
            ' vcard"><a href="/author/pat/">Pat_Probe</a></span> Veröffentlicht am 3. März 2020'
            "</div>",
            ["Pat_Probe"],
        ),
        # desks and agencies are no people, a date's label is no name
        (
            '<h1>Council votes on the bridge</h1><p class="author">Redaktion</p><p>Von dpa</p>',
            [],
        ),
        (
            '<h1>Council votes on the bridge</h1><div class="authorWrapper"><span>Stand: </span>'
            "<span>20. April 2020, 14:57 Uhr</span></div>",
            [],
        ),
        # a sentence starting "Von", a commenter, a byline far from the headline: none
        ("<h1>Council votes on the bridge</h1><p>Von morgen an gilt der Plan</p>", []),
        (
            '<h1>Council votes on the bridge</h1><div class="comments"><span class="comment-'
            'author">Some Reader</span></div>',
            [],
        ),
        (f"<h1>Council votes on the bridge</h1>{_TEXT * 5}<p>By Jane Porter</p>", []),
        # a post's data line gives its poster's handle as written; a plain "by" line does not
        (
            '<h1>Council votes on the bridge</h1><p class="meta">Posted in News by janeprobe '
            "on March 3, 2019</p>",
            ["janeprobe"],
        ),
        (
            "<h1>Council votes on the bridge</h1><p>Verfasst von: probe_jana | 31. Dezember "
            "2008</p>",
            ["probe_jana"],
        ),
        ("<h1>Council votes on the bridge</h1><p>Written by hand on the bridge</p>", []),
        ("<h1>Council votes on the bridge</h1><p>Painted by janeprobe</p>", []),
    ],
)
def test_byline_near_the_headline(body: str, expected: list[str]) -> None:
    tree = lxml_html.fromstring(f"{_HEAD}{body}</body></html>")
    assert byline(page_text(tree, "Council votes on the bridge")) == expected


def test_the_visible_byline_stands_in_when_the_metadata_names_no_one() -> None:
    paragraphs = '<p class="entry-content__names">Von Tobias Kuske</p>' + "".join(
        f"<p>Paragraph {i} of the story about the bridge, which the council debated at length "
        f"before the vote.</p>"
        for i in range(6)
    )
    page = PAGE.format(paragraphs=paragraphs)
    result = extract(page, url="https://gazette.example/bridge")
    assert result.authors == ["Tobias Kuske"]
    with_meta = page.replace("</title>", '</title><meta name="author" content="Jane Porter">')
    assert extract(with_meta, url="https://gazette.example/bridge").authors == ["Tobias Kuske"]
    shown = with_meta.replace("Paragraph 5 of", "Jane Porter on")  # the page shows her too
    assert extract(shown, url="https://gazette.example/bridge").authors == ["Jane Porter"]


@pytest.mark.parametrize(
    ("metadata", "shown", "expected"),
    [
        ([], ["Tobias Kuske"], ["Tobias Kuske"]),
        (["Todd"], ["Todd Bates"], ["Todd Bates"]),  # the first name in full
        (["ThE PaiN"], ["ThE_PaiN"], ["ThE_PaiN"]),  # as the page writes it
        (["Ally Mutnick"], ["ALLY MUTNICK"], ["Ally Mutnick"]),  # not shouted
        (["Rodolfo Costa"], ["Rodolfo Costa Brasília"], ["Rodolfo Costa"]),  # a dateline city
        (["Jane Porter"], ["John Smith"], ["Jane Porter"]),  # the metadata otherwise
        (["Jane Porter"], [], ["Jane Porter"]),
        # the byline names a co-author the metadata left out, in full; not a one-word "name"
        (["Jane Porter"], ["Jane Porter", "John Smith"], ["Jane Porter", "John Smith"]),
        (["Carla Ruiz"], ["Carla Ruiz", "Territorio"], ["Carla Ruiz"]),
        # the metadata adds an editor the byline does not name
        (
            ["Dora Editor", "Jane Porter", "John Smith"],
            ["Jane Porter", "John Smith"],
            ["Jane Porter", "John Smith"],
        ),
        (["Dora Editor", "Jane Porter"], ["Jane Porter"], ["Dora Editor", "Jane Porter"]),
    ],
)
def test_byline_or_metadata(metadata: list[str], shown: list[str], expected: list[str]) -> None:
    assert byline_or_metadata(metadata, shown) == expected


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        # the page shows the metadata's person: the metadata
        (["Jane Porter"], ["Jane Porter"]),
        # the page never shows the metadata's person (the account that uploaded it): the byline
        (["Dora Uploader"], ["Karl Muster", "Eva Probe"]),
    ],
)
def test_the_byline_wins_over_people_the_page_never_shows(
    metadata: list[str], expected: list[str]
) -> None:
    body = (
        "<h1>Council votes on the bridge</h1><p>Von Karl Muster und Eva Probe</p>"
        f"{_TEXT}<p>Jane Porter reported from the council.</p>"
    )
    page = page_text(lxml_html.fromstring(f"{_HEAD}{body}</body></html>"), None)
    shown = byline(page)
    assert shown == ["Karl Muster", "Eva Probe"]
    assert byline_or_metadata(metadata, shown, page) == expected
    # a one-word or lower-case byline does not outweigh the metadata
    assert byline_or_metadata(["Dora Uploader"], ["Sourdough"], page) == ["Dora Uploader"]
    assert byline_or_metadata(["Dora Uploader"], ["Eva Probe", "colony sims"], page) == [
        "Dora Uploader"
    ]


def test_a_name_cut_before_its_last_vowel_sign_gets_it_back() -> None:
    body = "<h1>Council votes on the bridge</h1><p>राम कुमारी</p>"
    page = page_text(lxml_html.fromstring(f"{_HEAD}{body}</body></html>"), None)
    assert with_marks(["राम कुमार", "Jane Porter"], page) == ["राम कुमारी", "Jane Porter"]
    assert with_marks(["Jane Porter"], None) == ["Jane Porter"]


_STORY = "<h1>Council votes on the bridge</h1>" + _TEXT * 3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a credit line after the article, on its own or run on from a label element
        (f"{_STORY}<p>Text: Jana Beispiel</p>", ["Jana Beispiel"]),
        (
            f"{_STORY}<p>The council meets again in May.<br><strong>Text:</strong> Jana "
            "Beispiel</p><p><strong>Fotos:</strong> Karl Muster, Eva Probe</p>",
            ["Jana Beispiel"],
        ),
        (f"{_STORY}<p>Autorin: Jana Beispiel Fotos: Karl Muster</p>", ["Jana Beispiel"]),
        (f"{_STORY}<p>Words: Jane Porter and John Smith</p>", ["Jane Porter", "John Smith"]),
        # the post's own data line after it
        (
            f'{_STORY}<p class="postmetadata">Von Jan Probe am <a href="/2013/08/07/">7. August '
            "2013</a></p>",
            ["Jan Probe"],
        ),
        (f'{_STORY}<p class="postmetadata">Von morgen an gilt der Plan</p>', []),
        # an author box: the one person all author links after the headline name
        (
            f'{_STORY}<div class="author-box"><a rel="author" href="/author/pat/">Pat</a>'
            '<p>Pat writes about bridges.</p></div><a rel="author" href="/author/pat/">Pat</a>',
            ["Pat"],
        ),
        # several people's links, a commenter, a label with no name, a desk: none
        (
            f'{_STORY}<a rel="author" href="/a/">Jane Porter</a> <a rel="author" href="/b/">'
            "John Smith</a>",
            [],
        ),
        (
            f'{_STORY}<div id="comments"><p>Autor: Some Reader</p><a rel="author">Some '
            "Reader</a></div>",
            [],
        ),
        (f"{_STORY}<p>Text: 12. März 2024</p><p>Autor: Redaktion</p>", []),
        # a credit line before the headline is the previous story's
        (f"<p>Text: Jana Beispiel</p>{_STORY}", []),
    ],
)
def test_labelled_byline_after_the_article(body: str, expected: list[str]) -> None:
    tree = lxml_html.fromstring(f"{_HEAD}{body}</body></html>")
    assert labelled_byline(page_text(tree, "Council votes on the bridge")) == expected


def test_a_credit_line_after_the_article_stands_in_when_nothing_else_names_anyone() -> None:
    paragraphs = "".join(
        f"<p>Paragraph {i} of the story about the bridge, which the council debated at length "
        f"before the vote.</p>"
        for i in range(6)
    )
    page = PAGE.format(paragraphs=paragraphs + "<p><b>Text:</b> Jana Beispiel</p>")
    assert extract(page, url="https://gazette.example/bridge").authors == ["Jana Beispiel"]
    with_meta = page.replace("</title>", '</title><meta name="author" content="Jane Porter">')
    assert extract(with_meta, url="https://gazette.example/bridge").authors == ["Jane Porter"]
