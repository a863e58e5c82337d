"""Sources to crawl: parsed from `-a url=...` arguments or a `sources.toml` file."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["Source", "SourcesError", "load_sources", "parse_url_arg", "site_of"]


class SourcesError(ValueError):
    """A sources file or URL argument cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Source:
    """One site to crawl: where its articles are announced."""

    name: str
    homepage: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    #: Plain URLs given on the command line whose kind (homepage, feed, sitemap) is found by
    #: looking at the response.
    urls: tuple[str, ...] = field(default=())
    #: Search URL templates with ``{q}`` (a search feed or results page), for topic crawls.
    search: tuple[str, ...] = ()


@functools.lru_cache(maxsize=4096)
def site_of(url: str) -> str:
    """The site a URL belongs to: its host (without ``www.``) and non-default port.

    Memoised (bounded): the spider asks it of each page's URL and the extraction pipeline
    again, with the page's declared canonical URL, which is mostly the same string.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port and parts.port != default:
        return f"{host}:{parts.port}"
    return host


def _check_url(url: str, where: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise SourcesError(f"{where}: {url!r} is not a well-formed URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourcesError(f"{where}: {url!r} is not an http(s) URL")
    return url


def parse_url_arg(value: str | Iterable[str]) -> list[Source]:
    """Sources from ``-a url=A,B`` (comma or whitespace separated), one per site."""
    items = [value] if isinstance(value, str) else list(value)
    urls = [u for item in items for u in item.replace(",", " ").split() if u]
    if not urls:
        raise SourcesError("url: give at least one URL, e.g. -a url=https://example.com/feed.xml")
    by_site: dict[str, list[str]] = {}
    for url in urls:
        by_site.setdefault(site_of(_check_url(url, "url")), []).append(url)
    return [Source(name=site, urls=tuple(group)) for site, group in by_site.items()]


def load_sources(path: str | Path) -> list[Source]:
    """Sources from a TOML file of ``[[source]]`` tables.

    Keys: name, homepage, feeds, sitemaps, and search (URL templates with ``{q}``).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesError(f"sources file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"sources file {path} is not valid TOML: {exc}") from exc
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{path}: expected one or more [[source]] tables")
    sources: list[Source] = []
    names: set[str] = set()
    for number, entry in enumerate(entries, 1):
        where = f"{path}: source #{number}"
        if not isinstance(entry, dict):
            raise SourcesError(f"{where} is not a table")
        unknown = set(entry) - {"name", "homepage", "feeds", "sitemaps", "search"}
        if unknown:
            raise SourcesError(f"{where}: unknown keys {sorted(unknown)}")
        homepage = entry.get("homepage")
        feeds = entry.get("feeds", [])
        sitemaps = entry.get("sitemaps", [])
        search = entry.get("search", [])
        for value in (feeds, sitemaps, search):
            if not (isinstance(value, list) and all(isinstance(u, str) for u in value)):
                raise SourcesError(
                    f"{where}: feeds, sitemaps and search are lists of URLs in quotes, e.g. "
                    f'feeds = ["https://example.com/feed.xml"], not {value!r}'
                )
        if homepage is not None and not isinstance(homepage, str):
            raise SourcesError(f"{where}: homepage is a URL in quotes, not {homepage!r}")
        if not isinstance(entry.get("name", ""), str):
            raise SourcesError(f"{where}: name is a string in quotes, not {entry['name']!r}")
        for template in search:
            if "{q}" not in template:
                raise SourcesError(f"{where}: search URL {template!r} has no {{q}} placeholder")
        if not (homepage or feeds or sitemaps):
            raise SourcesError(f"{where}: give a homepage, feeds or sitemaps")
        name = str(entry.get("name") or site_of(homepage or (feeds + sitemaps)[0]))
        if name in names:
            raise SourcesError(f"{where}: duplicate source name {name!r}")
        names.add(name)
        sources.append(
            Source(
                name=name,
                homepage=_check_url(homepage, where) if homepage else None,
                feeds=tuple(_check_url(u, where) for u in feeds),
                sitemaps=tuple(_check_url(u, where) for u in sitemaps),
                search=tuple(_check_url(u, where) for u in search),
            )
        )
    return sources
