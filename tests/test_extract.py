"""Tests of copydesk.extract and its clean-up rules on small hand-written pages."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from copydesk.extract import EXTRACTOR_VERSION, Extraction, ExtractOptions, NotAnArticle, extract
from copydesk.extraction.blocks import Block
from copydesk.extraction.cleanup import clean_blocks, is_furniture, trim_sentences
from copydesk.extraction.gate import page_signals
from copydesk.extraction.title import strip_site_name

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
ARTICLE_URL = "https://gazette.example/news/flood-barrier"


@pytest.fixture(scope="module")
def article_html() -> str:
    return (FIXTURES / "news_article.html").read_text(encoding="utf-8")


def test_extracts_clean_article(article_html: str) -> None:
    result = extract(article_html, url=ARTICLE_URL)
    assert result.title == "River council approves new flood barrier"
    assert result.authors == ["Jane Porter"]
    assert result.published == "2024-03-05T09:30:00+00:00"  # the meta tag's full timestamp
    assert result.language == "en"
    assert result.site_name == "Example Gazette"
    assert result.extractor_version == EXTRACTOR_VERSION
    paragraphs = result.paragraphs
    assert paragraphs[0].startswith("The river council voted on Tuesday")
    assert paragraphs[-1].startswith("The council said it would publish")
    assert len(paragraphs) == 5
    for furniture in ("Read more", "newsletter", "All rights reserved", "Photo:"):
        assert furniture not in result.text


def test_without_cleanup_the_furniture_is_there(article_html: str) -> None:
    options = ExtractOptions(cleanup=False, classify_blocks=False)
    raw = extract(article_html, url=ARTICLE_URL, options=options)
    assert raw.paragraphs[0] == "River council approves new flood barrier"
    assert "Read more: Residents count the cost" in raw.text
    assert "Sign up for our morning newsletter" in raw.text
    assert "© 2024 Example Gazette" in raw.text


def test_same_result_from_bytes_and_picklable(article_html: str) -> None:
    from_str = extract(article_html, url=ARTICLE_URL)
    from_bytes = extract(article_html.encode("utf-8"), url=ARTICLE_URL)
    assert from_str == from_bytes
    assert pickle.loads(pickle.dumps(from_str)) == from_str
    assert isinstance(from_str.to_dict()["authors"], list)


def test_product_page_is_not_an_article() -> None:
    html = (FIXTURES / "product_page.html").read_text(encoding="utf-8")
    with pytest.raises(NotAnArticle) as info:
        extract(html, url="https://shop.example/boot")
    assert info.value.reason == "not_article_type"


def test_short_or_empty_pages_are_rejected() -> None:
    with pytest.raises(NotAnArticle, match="empty"):
        extract(b"   ")
    with pytest.raises(NotAnArticle) as info:
        extract("<html><body><p>Just one short line.</p></body></html>")
    assert info.value.reason in {"too_short", "no_text"}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Sign up for our newsletter and get the best stories in your inbox.", "newsletter"),
        ("Enter your email address", "newsletter"),
        ("Read more: Residents count the cost of the winter floods", "teaser"),
        ("Related: Ten things to know about the new barrier", "teaser"),
        ("You may also like", "teaser"),
        ("Share on Facebook", "share"),
        ("Facebook Twitter Email Print", "share"),
        ("Download our free app for breaking news alerts", "share"),
        ("Photo: Tom Baker/Example Gazette", "caption"),
        ("Workers at the site on Monday. (Photo by Ann Lee/Getty Images)", "caption"),
        ("© 2024 Example Gazette. All rights reserved.", "copyright"),
        ("This article was originally published on The Conversation.", "copyright"),
        ("By Jane Porter and Tom Baker", "byline"),
        ("Published March 5, 2024", "byline"),
        ("Tags: floods, council, river", "byline"),
        ("Jane Porter can be reached at jane@example.com.", "contact"),
        ("Sign up for Proof Points and other Hechinger newsletters.", "newsletter"),
        ("Join Our Genius Newsletter", "newsletter"),
        ("You may be interested in the following topics as well:", "teaser"),
        ("Follow us", "share"),
        ("Feature image by Girlfriend Collective, all other images via brands", "caption"),
        (
            "Catch up on NBC Select's in-depth coverage of tech and tools, wellness and more, and "
            "follow us on Facebook, Instagram, Twitter and TikTok to stay up to date.",
            "follow",
        ),
        ("Tried this Recipe? Pin it for Later! Mention @AFarmgirlsKitchen", "follow"),
        ("Did you make one of my recipes? Please take a moment to leave a star rating.", "follow"),
        (
            "As an Amazon Associate we earn from qualifying purchases. We also may use affiliate "
            "links in our posts, as well. Thanks!",
            "disclosure",
        ),
        (
            "Products are chosen independently by our editors. Purchases made through our links "
            "may earn us a commission.",
            "disclosure",
        ),
        (
            "We may be compensated when you click on a link, when an application is approved, "
            "or when an account is opened.",
            "disclosure",
        ),
        ("Advertisement", "label"),
        ("GitHub Actions analytics - what's actually happening (Sponsored)", "label"),
        ("Register", "label"),
        ("This story is funded by readers like you", "appeal"),
        ("Support independent journalism: become a member today.", "appeal"),
    ],
)
def test_furniture_rules(text: str, rule: str) -> None:
    assert is_furniture(text) == rule


@pytest.mark.parametrize(
    "text",
    [
        "More people are prioritising health over intensity this year, the survey found.",
        "Share one thing that you wish people knew about you, the coach told the players.",
        "By Functionality",
        "Subscribers to the scheme will pay less, the council said, and the newsletter "
        "that residents receive will explain how the new charges are calculated for each "
        "household in the lower town and along the eastern bank of the river, which flooded "
        "twice last winter.",
        "Brokers will earn a commission of two per cent on every sale, the regulator said.",
        "Fans can follow the band on Instagram for news of the tour, its manager said.",
        "Residents were asked to register their cars with the council by Friday.",
        "Advertisement spending fell by a fifth last year.",
        "I also identified 28 newsletters, a small subset of the newsletters I subscribe to.",
    ],
)
def test_copy_is_not_furniture(text: str) -> None:
    assert is_furniture(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a credit line run into the copy
            "Feature image by Girlfriend Collective, all other images via brands mentioned. "
            "The brand uses organic cotton and recycled polyester in most of its range, and it "
            "publishes a list of the factories that make its clothes, which few rivals do.",
            "The brand uses organic cotton and recycled polyester in most of its range, and it "
            "publishes a list of the factories that make its clothes, which few rivals do.",
        ),
        (  # a sign-up prompt at the end of a credit paragraph
            "This story about tutoring effectiveness was written by Jill Barshay and produced by "
            "The Hechinger Report, a nonprofit, independent news organization focused on "
            "inequality and innovation in education, with support from readers and foundations "
            "across the country. Sign up for Proof Points and other Hechinger newsletters.",
            "This story about tutoring effectiveness was written by Jill Barshay and produced by "
            "The Hechinger Report, a nonprofit, independent news organization focused on "
            "inequality and innovation in education, with support from readers and foundations "
            "across the country.",
        ),
        (  # copy that mentions an agency or a sign-up is left alone
            "Getty Images took a different approach. It trained its model on its own archive. "
            "Travellers can sign up for fare alert emails as well.",
            "Getty Images took a different approach. It trained its model on its own archive. "
            "Travellers can sign up for fare alert emails as well.",
        ),
    ],
)
def test_furniture_sentences_are_trimmed_from_the_ends(text: str, expected: str) -> None:
    assert trim_sentences(text) == expected


def test_cleanup_drops_disclosures_and_trims_credits(article_html: str) -> None:
    extra = (
        "<p>As an Amazon Associate we earn from qualifying purchases. We also may use affiliate"
        " links in our posts, as well. Thanks!</p>"
        "<p>Photo by Ann Lee. The river burst its banks twice last winter, flooding more than"
        " three hundred homes in the lower town and closing the main bridge for a week while"
        " engineers checked its foundations for damage, and the council has since spent most"
        " of its reserves on pumps and sandbags.</p>"
    )
    html = article_html.replace("</article>", extra + "</article>", 1)
    options = ExtractOptions(classify_blocks=False)  # trafilatura keeps both; cleanup decides
    raw = extract(
        html, url=ARTICLE_URL, options=ExtractOptions(classify_blocks=False, cleanup=False)
    )
    assert "Amazon Associate" in raw.text and "Photo by Ann Lee" in raw.text
    result = extract(html, url=ARTICLE_URL, options=options)
    assert "Amazon Associate" not in result.text and "Photo by" not in result.text
    assert "The river burst its banks twice last winter" in result.text


def test_headline_repeated_in_body_is_dropped_only_near_the_top() -> None:
    title = "Council approves barrier"
    blocks = [Block("head", "Council approves barrier"), Block("p", "Body text.")]
    blocks += [Block("p", f"Paragraph {i}.") for i in range(3)]
    blocks.append(Block("p", "Council approves barrier"))
    dropped: list[str] = []
    kept = clean_blocks(blocks, title, on_drop=lambda reason, _block: dropped.append(reason))
    assert dropped == ["headline"]
    assert kept[0].text == "Body text."
    assert kept[-1].text == "Council approves barrier"


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        (
            "Flood barrier approved | Example Gazette",
            "Example Gazette",
            None,
            "Flood barrier approved",
        ),
        (
            "Example Gazette: Flood barrier approved",
            "Example Gazette",
            None,
            "Flood barrier approved",
        ),
        (
            "Flood barrier approved - News - Gazette",
            None,
            "https://www.gazette.example/x",
            "Flood barrier approved - News",
        ),
        (
            "Review - The Shure MV7",
            "Podcastle",
            "https://podcastle.ai/blog",
            "Review - The Shure MV7",
        ),
        ("No separator here", "Example Gazette", None, "No separator here"),
    ],
)
def test_strip_site_name(title: str, site: str | None, url: str | None, expected: str) -> None:
    assert strip_site_name(title, site, url) == expected


def test_recirculation_boxes_are_pruned(article_html: str) -> None:
    boxes = (
        '<div class="story-read-also"><p>Read also: Mayor opens the new bridge over the river'
        " after three long years of works and delays</p></div>"
        '<section id="more-on-this-topic"><ul><li>Storm season: what the forecasters expect for'
        " the coming months on the coast</li></ul></section>"
    )
    html = article_html.replace("</article>", boxes + "</article>", 1)
    assert boxes in html
    result = extract(html, url=ARTICLE_URL)
    assert result.paragraphs == extract(article_html, url=ARTICLE_URL).paragraphs
    assert "Mayor opens" not in result.text and "forecasters" not in result.text


def test_page_signals() -> None:
    news = '<meta property="og:type" content="article"><script>{"@type": "Product"}</script>'
    assert page_signals(news).not_article_reason is None  # an article claim wins
    forum = '<script type="application/ld+json">{"@type": ["DiscussionForumPosting"]}</script>'
    assert page_signals(forum).not_article_reason == "schema.org DiscussionForumPosting"
    assert page_signals("<html></html>", "https://x.example/tag/floods/").url_hint == "/tag/"
    assert page_signals("<html></html>", "https://x.example/news?page=3").url_hint
    # WordPress's permalink of one post, not a page of a listing
    assert page_signals("<html></html>", "https://x.example/?p=31228").url_hint is None
    # a URL that names one story: a date with a slug after it, or an 8+ digit id
    for story in ("/2009/12/23/monster-talk/", "/2020-06/harbour", "/News/120200622120908039/x"):
        assert page_signals("<html></html>", "https://x.example" + story).story_url
    for other in ("/2020/06/", "/news/harbour", "/item/1234567", "/tag/2020/06/22/x"):
        assert not page_signals("<html></html>", "https://x.example" + other).story_url


def test_extraction_is_a_plain_dataclass() -> None:
    result = Extraction(text="a\n\nb")
    assert result.paragraphs == ["a", "b"]
