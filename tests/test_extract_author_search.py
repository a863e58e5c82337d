"""`page_author` finds what trafilatura's `extract_author` finds, without copying the page."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html
from trafilatura.metadata import extract_author

from copydesk.extract import _parse
from copydesk.extraction.metadata import page_author

_PAGES = {
    "byline class": '<p class="byline">By Jane Porter</p>',
    "rel author": '<p>Story by <a rel="author" href="/jp">Jane Porter</a></p>',
    "itemprop": '<span itemprop="author">Jane Porter</span>',
    "author tag": "<author>Jane Porter</author>",
    "data-testid": '<div data-testid="AuthorCard">Jane Porter</div>',
    "data-component": '<section data-component="Byline">Jane Porter</section>',
    "author-name class": '<strong class="post-author-name">Jane Porter</strong>',
    "id": '<h4 id="authorbox">Jane Porter</h4>',
    "chinese editor": '<span class="zuozhe">王伟</span>',
    "last resort": '<em class="Writer-x writer">Jane Porter</em>',
    # elements trafilatura deletes first: inside a comment list, a <time>, a <figure>
    "in comments": '<div class="comments"><span class="author">A Reader</span></div>'
    '<p class="byline">By Jane Porter</p>',
    "in comment list id": '<div id="comment-list"><span class="author">A Reader</span></div>',
    "in figure": '<figure><span class="author">Photographer</span></figure>',
    "figure credit": '<div data-component="Figure"><span class="author">Photo</span></div>'
    '<span class="author">Jane Porter</span>',
    # a deleted element inside the byline: its tail joins the text before it
    "time inside": '<p class="byline">By Jane Porter<time>3 May</time>, Rome</p>',
    "date inside": '<div class="author">Jane <span class="date">today</span>Porter</div>',
    "nested deletions": '<div class="author">By <span class="meta-date">x<time>y</time></span>'
    "<time>z</time>Jane Porter <span class='print'>Print</span>and Al Bo</div>",
    # too short or too long: the next candidate
    "too short": '<span class="author">JP</span><p class="byline">By Jane Porter</p>',
    "too long": '<div class="author">' + "word " * 40 + '</div><a rel="author">Jane Porter</a>',
    "none": "<p>No one signs this.</p>",
    "rel child": "<div><rel>me</rel>Jane Porter</div>",
    "class title": '<div class="title"><span class="author">Not Me</span></div>',
}


@pytest.mark.parametrize("name", sorted(_PAGES))
def test_page_author_is_trafilaturas(name: str) -> None:
    page = f"<html><head><title>T</title></head><body><h1>Headline</h1>{_PAGES[name]}</body></html>"
    for tree in (_parse(page), lxml_html.fromstring(page)):
        before = lxml_html.tostring(tree)
        assert page_author(tree) == extract_author(tree)
        assert lxml_html.tostring(tree) == before  # the page is left as it was


def test_page_author_on_a_fragment_and_a_second_root() -> None:
    fragment = lxml_html.fromstring('<div><p class="byline">By Jane Porter</p></div>')
    assert page_author(fragment) == extract_author(fragment) == "Jane Porter"
    two_roots = _parse(
        "<html><body><p>Text</p></body></html><html><body><div class='author-info'>"
        "Author Jane Porter</div></body></html>"
    )
    assert two_roots is not None
    assert page_author(two_roots) == extract_author(two_roots)
