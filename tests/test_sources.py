from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import SourcesError, load_sources, parse_url_arg, site_of


def test_site_of_drops_www_and_default_port() -> None:
    assert site_of("https://www.Example.com/a") == "example.com"
    assert site_of("http://example.com:80/") == "example.com"
    assert site_of("http://127.0.0.1:8123/feed") == "127.0.0.1:8123"


def test_url_arg_groups_comma_separated_urls_by_site() -> None:
    sources = parse_url_arg("http://a.test/feed.xml, http://b.test/,http://a.test/sitemap.xml")
    assert [(s.name, s.urls) for s in sources] == [
        ("a.test", ("http://a.test/feed.xml", "http://a.test/sitemap.xml")),
        ("b.test", ("http://b.test/",)),
    ]


@pytest.mark.parametrize("value", ["", "ftp://a.test/x", "not a url"])
def test_url_arg_rejects_bad_urls(value: str) -> None:
    with pytest.raises(SourcesError):
        parse_url_arg(value)


def test_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nname = "A"\nhomepage = "http://a.test/"\n'
        '[[source]]\nfeeds = ["http://b.test/rss"]\nsitemaps = ["http://b.test/s.xml"]\n'
    )
    a, b = load_sources(path)
    assert (a.name, a.homepage, a.feeds) == ("A", "http://a.test/", ())
    assert (b.name, b.feeds, b.sitemaps) == (
        "b.test",
        ("http://b.test/rss",),
        ("http://b.test/s.xml",),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "one or more [[source]]"),
        ("[[source]]\nname = 'x'\n", "homepage, feeds or sitemaps"),
        ("[[source]]\nfeeds = 'http://a.test/rss'\n", "lists of URLs"),
        ("[[source]]\nhomepage = 'http://a.test/'\ncolour = 1\n", "unknown keys"),
        ("[[source]\n", "not valid TOML"),
        (
            "[[source]]\nname='x'\nhomepage='http://a.test/'\n"
            "[[source]]\nname='x'\nhomepage='http://b.test/'\n",
            "duplicate source name",
        ),
    ],
)
def test_sources_file_errors_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(SourcesError, match=message.replace("[", r"\[")):
        load_sources(path)


def test_missing_sources_file(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="does not exist"):
        load_sources(tmp_path / "nope.toml")


def test_sources_file_search_templates(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nhomepage = "https://wp.test/"\nsearch = ["https://wp.test/?s={q}&feed=rss2"]\n',
        encoding="utf-8",
    )
    (source,) = load_sources(path)
    assert source.search == ("https://wp.test/?s={q}&feed=rss2",)
    path.write_text(
        '[[source]]\nhomepage = "https://wp.test/"\nsearch = ["https://wp.test/?s=x"]\n',
        encoding="utf-8",
    )
    with pytest.raises(SourcesError, match=r"\{q\}"):
        load_sources(path)
