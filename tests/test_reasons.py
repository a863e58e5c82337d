"""One vocabulary of rejection reasons: every reason a component can emit is classified, and
a page the page-type gate rejects is not fetched again by the next crawl."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from copydesk.demo.server import SiteServer
from copydesk.reasons import FAMILIES, LASTING, Reason, UnknownReason, family_reason, is_lasting
from crawler.health import challenge_kind
from crawler.rejections import Rejected
from storage.discovery import HANDED_OFF, STORED

from .conftest import REPO, crawl, rows
from .fixtures.web.newsweb import Article, article_html

#: Calls whose first argument is a rejection reason.
_EMITTERS = {"drop", "reject", "_drop", "NotAnArticle", "Rejected"}


def _reason_arguments() -> Iterator[tuple[str, int, ast.expr]]:
    for package in ("copydesk", "crawler", "pipelines"):
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _EMITTERS:
                    yield f"{path.relative_to(REPO)}", node.lineno, node.args[0]


def test_every_reason_a_component_emits_comes_from_the_vocabulary() -> None:
    """No reason is typed as a bare string: each is a Reason member or a family's reason."""
    seen = 0
    for where, line, argument in _reason_arguments():
        seen += 1
        if isinstance(argument, ast.Attribute):
            assert isinstance(argument.value, ast.Name) and argument.value.id == "Reason", (
                where,
                line,
            )
        elif isinstance(argument, ast.Call):
            assert getattr(argument.func, "id", "") == "family_reason", (where, line)
        else:  # a variable passing a reason on (checked where it was made)
            assert isinstance(argument, ast.Name), (where, line, ast.dump(argument))
    assert seen >= 15


def test_nothing_raises_a_bare_drop_item() -> None:
    for package in ("crawler", "pipelines"):
        for path in (REPO / package).rglob("*.py"):
            if path.name == "rejections.py":
                continue
            assert "DropItem(" not in path.read_text(encoding="utf-8"), path


def test_the_outcomes_of_stored_and_handed_off_urls_are_not_reasons() -> None:
    """``discoveries.outcome`` holds one of these or a lasting reason: they must not collide."""
    for outcome in (STORED, HANDED_OFF):
        with pytest.raises(UnknownReason):
            is_lasting(outcome)


def test_every_reason_is_classified() -> None:
    for reason in Reason:
        assert isinstance(reason.lasting, bool)
        assert is_lasting(reason) is reason.lasting
        assert is_lasting(reason.value) is reason.lasting
    assert set(LASTING) == {r.value for r in Reason if r.lasting}
    # the page-type gate's reason lasts; names nothing emits are gone
    assert Reason.NOT_ARTICLE_TYPE in LASTING
    assert "not_article" not in LASTING and "listing_page" not in LASTING
    assert challenge_kind(b"<title>Just a moment...</title> cf_chl_opt") is Reason.CHALLENGE
    # families: an HTTP status is lasting only when gone; feed and sitemap errors pass
    assert family_reason("http_", 404) is Reason.HTTP_404
    assert family_reason("http_", 503) == "http_503" and not is_lasting("http_503")
    assert all(not is_lasting(f"{prefix}bad_xml") for prefix in FAMILIES)
    with pytest.raises(UnknownReason):
        is_lasting("not_article")
    with pytest.raises(UnknownReason):
        family_reason("page_", "x")


def test_rejected_carries_its_reason() -> None:
    drop = Rejected(Reason.NOT_ARTICLE_TYPE, "http://a.test/shop", "schema.org Product")
    assert drop.reason == "not_article_type" and drop.lasting
    assert str(drop) == "not_article_type: http://a.test/shop (schema.org Product)"
    assert not Rejected(Reason.OFF_TOPIC, "http://a.test/x").lasting
    with pytest.raises(UnknownReason):
        Rejected("listing_page", "http://a.test/x")


_PRODUCT = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Waterproof Hiking Boot - Shop</title><meta property="og:type" content="product">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product",
"name": "Waterproof Hiking Boot"}</script></head><body><main><h1>Waterproof Hiking Boot</h1>
<p>Our best-selling hiking boot keeps your feet dry on long days in the hills. The upper is
made of full-grain leather with a breathable waterproof membrane.</p>
<p>The boot comes in eight sizes and two widths, weighs six hundred grams per boot and comes
with a two-year guarantee against manufacturing faults of any kind.</p></main></body></html>
"""
_FORUM = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Ferry timetable changes? - Harbour Forum</title>
<script type="application/ld+json">{"@context": "https://schema.org",
"@type": "DiscussionForumPosting", "headline": "Ferry timetable changes?"}</script>
</head><body><main><h1>Ferry timetable changes?</h1>
<p>Does anyone know whether the winter timetable for the harbour ferry has been published
yet? Last year it changed in October and nobody was told until the week before.</p>
<p>Reply: I asked at the ticket office and they said it would be out at the end of the month,
with fewer crossings on Sundays and an earlier last boat on weekdays.</p></main></body></html>
"""


@pytest.mark.slow
def test_gated_pages_are_not_fetched_again(tmp_path: Path) -> None:
    """A feed announcing two articles, a product page and a forum thread: the gate rejects the
    last two, which the next crawl skips without fetching, counting them as skipped."""
    root = tmp_path / "web"
    articles = [
        Article(
            "one",
            f"/news/2025/10/0{i}/harbour-story-number-{i}.html",
            f"Story {i}",
            f"2025-10-0{i}",
            "news",
        )
        for i in (1, 2)
    ]
    pages = {a.path: article_html(a) for a in articles}
    pages["/shop/waterproof-hiking-boot-model-x.html"] = _PRODUCT
    pages["/forum/ferry-timetable-changes-this-winter.html"] = _FORUM
    for path, html in pages.items():
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text(html, encoding="utf-8")
    items = "".join(
        f"<item><title>{p.rsplit('/', 1)[1]}</title><link>{{{{base}}}}{p}</link>"
        "<pubDate>Thu, 02 Oct 2025 09:00:00 +0000</pubDate></item>"
        for p in pages
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'
    (root / "feed.xml").write_text(feed, encoding="utf-8")
    gated = [path for path in pages if not path.startswith("/news/")]
    db = tmp_path / "corpus.db"
    with SiteServer({"one": root}) as server:
        first = crawl(db, url=server.url("one", "/feed.xml"))
        assert first.returncode == 0, first.log[-3000:]
        assert first.stats.get("copydesk/dropped/not_article_type") == 2, first.stats
        assert all(server.hits[("one", p)] == 1 for p in gated), server.hits
        rejected = rows(db, "SELECT url, outcome FROM discoveries WHERE outcome != 'stored'")
        assert sorted(r["outcome"] for r in rejected) == ["not_article_type"] * 2

        # the feed changes (else it is not read again: a 304), announcing the same four pages
        (root / "feed.xml").write_text(feed.replace("<channel>", "<channel><ttl>5</ttl>"))
        second = crawl(db, url=server.url("one", "/feed.xml"))
        assert second.returncode == 0, second.log[-3000:]
        assert all(server.hits[("one", p)] == 1 for p in gated), server.hits  # not fetched
        assert second.stats.get("copydesk/skipped/already_rejected") == 2, second.stats
        assert "0 new articles, 0 copies, 4 skipped" in second.log, second.log[-2000:]
