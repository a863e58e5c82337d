"""Pages that are not articles however much text they have: link lists and giants."""

from __future__ import annotations

import random

import pytest

from copydesk.extract import ExtractOptions, NotAnArticle, extract

WORDS = "harbour council ferry budget school river bridge museum market rail storm".split()  # noqa: SIM905


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "."


def article(paragraphs: int, extra: str = "") -> str:
    rng = random.Random(paragraphs)
    body = "".join(f"<p>{' '.join(sentence(rng) for _ in range(8))}</p>" for _ in range(paragraphs))
    return (
        "<html><head><title>A story</title>"
        '<meta property="og:type" content="article"></head>'
        f"<body><article><h1>A story</h1>{body}</article>{extra}</body></html>"
    )


def test_a_page_of_10000_links_is_not_an_article() -> None:
    links = "".join(
        f'<li><a href="/2025/10/02/story-{i}.html">Story number {i} of the day in town</a></li>'
        for i in range(10_000)
    )
    page = f"<html><head><title>Archive</title></head><body><ul>{links}</ul></body></html>"
    with pytest.raises(NotAnArticle) as info:
        extract(page, "http://a.test/archive.html")
    assert info.value.reason == "link_list"


def test_an_article_with_a_big_menu_is_still_an_article() -> None:
    menu = "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(300))
    result = extract(article(6, f"<nav><ul>{menu}</ul></nav>"), "http://a.test/2025/10/a.html")
    assert len(result.text) > 1000


def test_an_article_on_a_page_of_a_thousand_links_is_still_an_article() -> None:
    """The link share is read in the page's main text (the blocks trafilatura keeps), not in
    the whole page."""
    menu = "".join(
        f'<li><a href="/s/{i}">Section number {i} of the site and its pages</a></li>'
        for i in range(1200)
    )
    result = extract(article(6, f"<nav><ul>{menu}</ul></nav>"), "http://a.test/2025/10/a.html")
    assert len(result.text) > 1000


def teaser_page(items: int) -> str:
    """A section front: each headline (a link) followed by a line of summary."""
    rng = random.Random(items)
    teasers = "".join(
        f'<p><a href="/2025/10/02/story-{i}.html">Story number {i} of the day in town</a>: '
        f"{sentence(rng)}</p>"
        for i in range(items)
    )
    return f"<html><head><title>News</title></head><body><main>{teasers}</main></body></html>"


@pytest.mark.parametrize("classify_blocks", [True, False])
def test_a_listing_of_teasers_is_a_link_list_whatever_the_classifier_keeps(
    classify_blocks: bool,
) -> None:
    """The verdict is taken before the classifier: a retrained model cannot change it."""
    with pytest.raises(NotAnArticle) as info:
        extract(
            teaser_page(1100),
            "http://a.test/news.html",
            ExtractOptions(classify_blocks=classify_blocks),
        )
    assert info.value.reason == "link_list"


def test_text_over_the_cap_is_too_long() -> None:
    page = article(60)
    assert len(extract(page, "http://a.test/2025/10/a.html").text) > 20_000
    with pytest.raises(NotAnArticle) as info:
        extract(page, "http://a.test/2025/10/a.html", ExtractOptions(max_chars=20_000))
    assert info.value.reason == "too_long"
