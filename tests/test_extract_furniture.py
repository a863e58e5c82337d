"""The four reference articles rendered into WordPress-style news templates with furniture set
inside the article body: none of it may come out, and the copy must.

The seeds' text is read from the shared directory at test time (never committed); the test
skips when it is absent.
"""

from __future__ import annotations

import html as html_lib
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from copydesk.extract import Extraction, NotAnArticle, extract, text_length
from copydesk.extraction import cleanup
from copydesk.extraction.blocks import Block
from copydesk.extraction.cleanup import clean_blocks, furniture_reason

SHARED = Path(
    os.environ.get("COPYDESK_SHARED", Path(__file__).resolve().parents[1].parent / "shared")
)
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))

# Furniture set into the body (one kind a line), in several languages.
INJECTED = [
    "© 2023, GDC. © GDC and Unauthorized use and/or duplication of this material without "
    "express and written permission from this site’s author and/or owner is strictly prohibited. "
    "Excerpts and links may be used, provided that full and clear credit is given with "
    "appropriate and specific direction to the original content.",
    "To suggest a correction or clarification, write to us here",
    "You can also highlight the text and press Ctrl + Enter",
    "THIS CONTENT IS RESERVED FOR SUBSCRIBERS ONLY",
    "Unlimited online access to 60 local news sites from just $1.99 a month.",
    "사진 크게보기",
    "Click to enlarge",
    "Photo: Reuters",
    "Box aufklappen Box zuklappen",
    "Copyright 2023 The Daily Example. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed.",
    "Haben Sie einen Fehler gefunden? Markieren Sie den Text und drücken Sie Strg + Enter.",
    "Exklusiv für Abonnenten",
    "Fotostrecke",
    "Lesen Sie auch:",
    "À lire aussi",
    "Inhaltsverzeichnis",
    "Titelbild: Jane Porter",
    "ESCUCHA ESTA NOTA AQUÍ",
    "See more photos:",
    "関連記事",
    "2018/6/19 5:50",
]
# What marks a line as furniture in the output (the seeds carry some of their own).
MARKERS = [
    "©",
    "Unauthorized use",
    "To suggest a correction",
    "highlight the text and press",
    "RESERVED FOR SUBSCRIBERS",
    "Unlimited online access",
    "사진 크게보기",
    "Click to enlarge",
    "Photo: Reuters",
    "aufklappen",
    "zuklappen",
    "All rights reserved",
    "Fehler gefunden",
    "Abonnenten",
    "Fotostrecke",
    "Lesen Sie auch",
    "lire aussi",
    "Inhaltsverzeichnis",
    "Titelbild",
    "ESCUCHA ESTA NOTA",
    "See more photos",
    "関連記事",
    "2018/6/19",
    "Leave a Reply",
    "Be the first to comment",
    "Akismet",
    "comment data is processed",
    "Show More",
    "2 min read",
]
_SOFT = "\u00ad"
_ZERO_WIDTH = "\u200b"
_WORD = re.compile(r"\w+")


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.replace(_SOFT, "").replace(_ZERO_WIDTH, "").lower()))


def _seed(path: Path) -> tuple[str, list[str]]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    if lines[0] == "News Feed":  # seed 002 opens with its section label
        lines = lines[1:]
    first = lines[0]
    if len(first) < 160 and not first.endswith("."):
        return first, lines[1:]
    return "Report from the front near Bakhmut", lines


def _hyphenate(text: str) -> str:
    """Soft hyphens and zero-width spaces inside long words, as CMSs leave them."""
    return re.sub(r"\b(\w{5})(\w{4,})\b", rf"\1{_SOFT}\2", text, count=3).replace(
        " the ", f" the{_ZERO_WIDTH} ", 1
    )


def _body(lines: list[str]) -> list[str]:
    """The seed's lines with the injected furniture spread through them, the first paragraph
    repeated at the end and the whole text appended once more as one line."""
    out: list[str] = []
    step = max(1, len(lines) // len(INJECTED))
    pending = list(INJECTED)
    for i, line in enumerate(lines):
        out.append(_hyphenate(line))
        if i % step == step - 1 and pending:
            out.append(pending.pop(0))
    out.extend(pending)
    out.append(lines[0])
    out.append(" ".join(lines))
    return out


def _p(lines: list[str]) -> str:
    return "\n".join(f"<p>{html_lib.escape(line)}</p>" for line in lines)


HEAD = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title} | The Daily Example</title><meta property="og:type" content="article">
<meta property="og:site_name" content="The Daily Example">
<meta name="author" content="Jane Porter">
<meta property="article:published_time" content="2023-09-17T00:50:00+02:00"></head>"""
NAV = """<header class="site-header"><nav><a href="/">Home</a> <a href="/world">World</a>
<a href="/politics">Politics</a> <a href="/subscribe">Subscribe</a></nav></header>"""
SIDEBAR = """<aside class="widget-area"><h3>Most read</h3><ul><li><a href="/a">Markets slide as
rates rise</a></li><li><a href="/b">Storm closes the coast road</a></li></ul></aside>"""


def _wordpress(title: str, body: list[str]) -> str:
    return (
        HEAD.format(lang="en-US", title=html_lib.escape(title))
        + f"""<body class="single single-post">{NAV}<div id="primary" class="content-area">
<main id="main"><article class="post type-post hentry"><header class="entry-header">
<h1 class="entry-title">{html_lib.escape(title)}</h1><div class="entry-meta">By
<span class="author vcard">Jane Porter</span> · <time class="entry-date published"
datetime="2023-09-17T00:50:00+02:00">September 17, 2023</time></div></header>
<div class="entry-content">{_p(body)}</div><footer class="entry-footer">Tags:
<a href="/tag/ukraine">Ukraine</a></footer></article>
<div id="comments"><h3 id="reply-title">Leave a Reply</h3><form><textarea></textarea></form>
</div></main></div>{SIDEBAR}<footer class="site-footer">© 2023 The Daily Example</footer>
</body></html>"""
    )


def _newspaper_theme(title: str, body: list[str]) -> str:
    half = len(body) // 2
    return (
        HEAD.format(lang="en", title=html_lib.escape(title))
        + f"""<body>{NAV}<div class="td-main-content"><div class="td-post-header">
<h1 class="td-post-title">{html_lib.escape(title)}</h1><span class="td-post-author-name">
Jane Porter</span></div><div class="td-post-content tagdiv-type">
<figure class="wp-block-image"><img src="/img/1.jpg" alt=""><figcaption>Photo: Reuters
</figcaption></figure>{_p(body[:half])}
<div class="wp-block-image"><a href="/img/2.jpg">사진 크게보기</a></div>
{_p(body[half:])}</div><div class="td-related"><h4>Related posts</h4><a href="/c">Another
story about the war</a></div></div>{SIDEBAR}</body></html>"""
    )


def _german_box(title: str, body: list[str]) -> str:
    third = len(body) // 3
    return (
        HEAD.format(lang="de", title=html_lib.escape(title))
        + f"""<body>{NAV}<main><article class="article"><h1>{html_lib.escape(title)}</h1>
<div class="article-body">{_p(body[:third])}<div class="infobox"><button>Box aufklappen
</button><button>Box zuklappen</button><p>{html_lib.escape(body[0])}</p></div>
{_p(body[third:])}<div class="paywall"><p>Exklusiv für Abonnenten</p></div></div>
</article></main>{SIDEBAR}</body></html>"""
    )


def _plain_container(title: str, body: list[str]) -> str:
    return (
        HEAD.format(lang="en", title=html_lib.escape(title))
        + f"""<body><div id="page"><div class="container"><div class="row"><div class="col-8">
<h1>{html_lib.escape(title)}</h1><div class="story">{_p(body)}</div></div>
<div class="col-4">{SIDEBAR}</div></div></div></div></body></html>"""
    )


TEMPLATES: dict[str, Callable[[str, list[str]], str]] = {
    "wordpress": _wordpress,
    "newspaper-theme": _newspaper_theme,
    "german-box": _german_box,
    "plain-container": _plain_container,
}

pytestmark = pytest.mark.skipif(not SEEDS, reason="no seeds in ../shared/seeds")


@pytest.fixture(scope="module", params=[p.name for p in SEEDS] or ["none"])
def seed(request: pytest.FixtureRequest) -> tuple[str, list[str]]:
    return _seed(SHARED / "seeds" / request.param)


_CREDIT = re.compile(r"\([^()]*/[^()]*\)\s*$")  # "(REUTERS/Stringer)": a photo caption


def _copy(lines: list[str]) -> list[str]:
    """The seed's lines that are article copy (not its own furniture or photo captions), long
    enough to find."""
    return [
        line
        for line in lines
        if len(line) >= 60
        and not _CREDIT.search(line)
        and not any(m.lower() in line.lower() for m in MARKERS)
    ]


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_no_furniture_survives(seed: tuple[str, list[str]], template: str) -> None:
    title, lines = seed
    page = TEMPLATES[template](title, _body(lines))
    result: Extraction = extract(page, url="https://daily.example/2023/09/17/bakhmut")
    leaked = [m for m in MARKERS if m.lower() in result.text.lower()]
    assert not leaked, f"{template}: furniture kept: {leaked}"
    assert _SOFT not in result.text and _ZERO_WIDTH not in result.text
    keys = [_key(p) for p in result.paragraphs]
    long_keys = [k for k in keys if len(k) >= 80]  # a short line (a heading) may recur
    assert len(long_keys) == len(set(long_keys)), "a paragraph is repeated"
    flat = " ".join(keys)
    lost = [line for line in _copy(lines) if _key(line) not in flat]
    assert not lost, f"{template}: copy lines lost: {lost}"
    assert result.published == "2023-09-17T00:50:00+02:00"  # the page's own offset and day
    assert result.title == title


@pytest.mark.parametrize("line", INJECTED)
def test_each_injected_line_is_furniture(line: str) -> None:
    assert furniture_reason(line) is not None


# Lines each rule matches, some only through IGNORECASE's extra letters (İ, ı, ſ, K).
MATCHED_BY_RULES = [
    *INJECTED,
    "İmage: AFP",
    "Share on Facebook",
    "ſhare this article",
    "Download our app for the latest news",
    "Follow her on Instagram",
    "Tweet | Email | Print",
    "LinKedIn",
    "Sponsored content: a word from our partner",
    "(Partner content)",
    "Log in",
    "Photo credıt: Jane Doe",
    "ſign up for our newsletter",
    "Subscribe to our newsletter for the latest updates",
    "Copyright 2024 Example Media",
    "This article originally appeared in The Conversation.",
    "Contact the author at jane@example.com",
    "Follow us on Facebook, Instagram and TikTok to stay up to date.",
    "As an Amazon Associate we earn from qualifying purchases.",
    "Support independent journalism today",
    "Found a typo? Let us know",
    "Already a subscriber? Log in",
    "Leave a comment",
    "Cancel reply",
    "Tutti i diritti riservati",
    "The council met on Tuesday to discuss the budget for next year.",
    "Weitere Informationen zum Coronavirus in Thüringen:",
    "Leer también: Las cinco claves del presupuesto",
    "See also the report of the council, which said the plan had failed.",
    "小javascript:void(0)javascript:void(0)",
    "เรื่องที่เกี่ยวข้อง ลืออุ้ม อ.สุรชัย ผู้ลี้ภัยหายจากที่พัก 12 วันแล้ว",
]


@pytest.mark.parametrize(
    "line",
    [
        "See also the report of the council, which said the plan had failed.",
        "Weitere Informationen gibt es bei der Stadt.",
        "In 2018/6/19 the council met again.",
    ],
)
def test_copy_that_opens_like_a_pointer_is_kept(line: str) -> None:
    assert furniture_reason(line) is None


@pytest.mark.parametrize("line", MATCHED_BY_RULES)
def test_cues_never_hide_a_rule_that_matches(line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The substring cues that let a block skip a rule's patterns agree with the patterns."""
    with_cues = furniture_reason(line)
    cleanup.is_furniture.cache_clear()
    monkeypatch.setattr(cleanup, "_CUES", {})
    try:
        assert furniture_reason(line) == with_cues
    finally:
        cleanup.is_furniture.cache_clear()


def test_a_long_repeat_of_the_article_is_dropped() -> None:
    paragraphs = [
        f"Paragraph {i} says something different about the council's plan." * 2 for i in range(8)
    ]
    blocks = [Block("p", p) for p in paragraphs] + [Block("p", " ".join(paragraphs))]
    assert [b.text for b in clean_blocks(blocks)] == paragraphs


@pytest.mark.parametrize("count", [200, 20_000])
def test_a_page_of_one_letter_paragraphs_is_not_an_article(count: int) -> None:
    """``<p>w</p>`` repeated inside a declared ``<article>`` is text but no copy: the article
    minimum counts distinct paragraphs."""
    page = (
        '<html><head><title>Junk</title><meta property="og:type" content="article"></head>'
        "<body><article><h1>A headline over nothing</h1>" + "<p>w</p>" * count + "</article>"
        "</body></html>"
    )
    with pytest.raises(NotAnArticle, match=r"too_short|no_text"):
        extract(page, url="https://daily.example/2023/09/17/junk")


def test_text_length_is_fair_to_dense_scripts() -> None:
    assert text_length("abc") == 3
    assert text_length("日本語") == 9
    assert text_length("한국어") == 6
    assert text_length("ภาษาไทย") == 7


def test_a_short_japanese_article_is_kept() -> None:
    body = "".join(
        f"<p>{s}</p>"
        for s in (
            "政府は十七日、新しい経済対策を閣議決定した。",
            "総額は約十兆円で、物価高への対応が柱となる。",
            "与党は今週中にも補正予算案を国会に提出する方針だ。",
            "野党は財源の説明が不十分だとして反発している。",
            "首相は記者団に対し、早期の成立を目指す考えを示した。",
            "対策には低所得世帯への給付金や、電気・ガス料金の補助の延長が盛り込まれた。",
            "経済界からは歓迎の声が上がる一方、効果を疑問視する専門家もいる。",
            "日銀は来週の会合で、対策の影響も踏まえて景気判断を示す見通しだ。",
        )
    )
    page = (
        '<html lang="ja"><head><title>経済対策を閣議決定</title></head><body><article>'
        f"<h1>経済対策を閣議決定</h1>{body}</article></body></html>"
    )
    result = extract(page, url="https://news.example.jp/a/1")
    assert len(result.text) < 400 <= text_length(result.text)


class _KeepsNothing:
    """A block model that keeps no block (what the shipped one does on some real pages)."""

    keep_threshold = 0.5

    def probability(self, rows: object) -> object:
        import numpy as np

        return np.zeros(len(rows))  # type: ignore[arg-type]

    keep_probability = probability


def test_trafilatura_text_is_kept_when_the_classifier_keeps_too_little(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import copydesk.extract as module

    page = (Path(__file__).parent / "fixtures" / "extract" / "news_article.html").read_text(
        encoding="utf-8"
    )
    monkeypatch.setattr(module, "_block_model", lambda: _KeepsNothing())
    result = extract(page, url="https://gazette.example/news/flood-barrier")
    assert result.paragraphs[0].startswith("The river council voted on Tuesday")


def test_trafilatura_fallback_containers_become_blocks() -> None:
    """trafilatura's fallback extractors return the page's own <div>s: their text is kept."""
    from lxml import etree

    from copydesk.extraction.blocks import from_trafilatura

    body = etree.fromstring(
        "<div><div><head>Headline</head><div>( Pescasseroli, 14 January )<p>First paragraph."
        "</p>Loose text.<p>Second paragraph.</p></div></div></div>"
    )
    assert [(b.kind, b.text) for b in from_trafilatura(body)] == [
        ("head", "Headline"),
        ("p", "( Pescasseroli, 14 January )"),
        ("p", "First paragraph."),
        ("p", "Loose text."),
        ("p", "Second paragraph."),
    ]


def test_a_short_article_that_says_so_is_kept() -> None:
    body = (
        "<p>The council closed the coast road on Sunday after a landslide near the harbour.</p>"
        "<p>Engineers will inspect the cliff on Monday; a diversion runs through the town.</p>"
    )
    page = (
        '<html lang="en"><head><title>Coast road closed</title>'
        '<meta property="og:type" content="article"></head><body><article>'
        f"<h1>Coast road closed</h1>{body}</article></body></html>"
    )
    result = extract(page, url="https://gazette.example/news/coast-road")
    assert 150 <= len(result.text) < 400


@pytest.mark.parametrize(
    "block",
    [
        "Military reports advances on flanks of BakhmutShare on X",  # sticky bar, no space
        "Military reports advances on flanks of Bakhmut | Share on X",
        "Share this article: Military reports advances on flanks of Bakhmut",
    ],
)
def test_the_headline_joined_to_a_share_label_is_dropped_anywhere(block: str) -> None:
    title = "Military reports advances on flanks of Bakhmut"
    body = [Block("p", f"Paragraph {k} of the story, long enough to be copy.") for k in range(6)]
    assert clean_blocks([*body, Block("p", block)], title) == body


def test_the_headline_inside_a_sentence_is_kept() -> None:
    title = "Military reports advances on flanks of Bakhmut"
    block = Block("p", f"{title}, the Eastern Command spokesperson said on Sunday.")
    assert clean_blocks([Block("p", "x " * 40), block], title)[1:] == [block]


def test_a_one_sentence_post_whose_url_names_the_story_is_kept() -> None:
    """A post of a sentence or two is kept when its markup says article and its URL names one
    dated story; the same page elsewhere (no date, no id in the path) is still too short."""
    page = (
        '<html lang="de"><head><title>Monstergespräche #3</title>'
        '<meta property="og:type" content="article"></head><body><article>'
        "<h1>Monstergespräche #3</h1><p>M: Wer rutscht als nächstes auf dem Glatteis aus? "
        "Ich: Ich wette, dass du das bist. …Paff. Aua. M: Gewonnen!</p></article></body></html>"
    )
    result = extract(page, url="https://diary.example/2009/12/23/monstergespraeche-3/")
    assert 100 <= len(result.text) < 150
    with pytest.raises(NotAnArticle, match=r"too_short|no_text"):
        extract(page, url="https://diary.example/monstergespraeche-3/")


def test_a_long_text_is_kept_on_an_undeclared_page_whose_url_names_the_story(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No og:type, no schema.org type, and the classifier keeps nothing: trafilatura's long
    text is the article when the URL names one story (a date or an 8+ digit id)."""
    import copydesk.extract as module

    sentences = [
        f"The harbour board reported on Monday that cargo volume rose for the {n}th month, "
        "helped by two new rail shuttles to inland terminals."
        for n in range(4, 14)
    ]
    page = (
        "<html><head><title>Harbour volume at a record</title></head><body>"
        "<h1>Harbour volume at a record</h1>"
        + "".join(f"<p>{s}</p>" for s in sentences)
        + "</body></html>"
    )
    monkeypatch.setattr(module, "_block_model", lambda: _KeepsNothing())
    for url in (
        "https://port.example/news/120200622120908039/harbour-volume",
        "https://port.example/2020/06/22/harbour-volume",
    ):
        assert extract(page, url=url).paragraphs[0] == sentences[0]
    for url in ("https://port.example/news/harbour-volume", "https://port.example/2020/06/"):
        with pytest.raises(NotAnArticle, match=r"too_short|no_text"):
            extract(page, url=url)
