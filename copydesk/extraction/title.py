"""The page's full headline: its <h1> when the title tags agree, without "| Site" affixes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

__all__ = ["headline", "site_keys", "squash", "strip_site_name"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_SEPARATORS = re.compile(
    r"\s+(?:[|\-–—:·»•~*/]|--|···|\.\.\.)\s+|\s*[|·»•｜]\s*|\s*::?\s+|\s*[：]\s*"
    rf"|\s*-\s*(?=[{_CJK}])|(?<=[{_CJK}])\s*-\s*|\s*_\s*(?=[{_CJK}])"
)
_NON_ALNUM = re.compile(r"\W+")
_HOST_NOISE = frozenset({"www", "com", "org", "net", "co", "uk", "de", "fr", "io", "news", "blog"})


def squash(text: str) -> str:
    """Lower-cased letters and digits only."""
    return _NON_ALNUM.sub("", text.lower())


def site_keys(site_name: str | None, url: str | None) -> set[str]:
    """Squashed forms naming the site: its name and the distinctive labels of its host."""
    keys = set()
    if site_name and len(squash(site_name)) >= 3:
        keys.add(squash(site_name))
    if url:
        host = urlsplit(url).hostname or ""
        keys.update(
            label for label in host.split(".") if len(label) >= 4 and label not in _HOST_NOISE
        )
    return keys


def _is_site(part: str, keys: set[str]) -> bool:
    squashed = squash(part)
    if not squashed:
        return True
    return bool(keys) and any(
        key in squashed or (len(squashed) >= 4 and squashed in key) for key in keys
    )


_CRUMB_WORDS = 2  # a breadcrumb's parts are section names of a word or two


def strip_site_name(
    title: str | None, site_name: str | None = None, url: str | None = None
) -> str | None:
    """``title`` without leading/trailing parts that name the site (by site name or host name)."""
    if not title:
        return title
    separators = list(_SEPARATORS.finditer(title))
    if not separators:
        return title
    keys = site_keys(site_name, url)
    start, end = 0, len(title)
    # Trailing parts first ("Headline - Section | Site", "Headline » Local » News"), then one
    # leading part ("Site: Headline").
    for match in reversed(separators):
        part = title[match.end() : end]
        crumb = "»" in match.group(0) or "›" in match.group(0)
        if match.start() >= end or not (
            _is_site(part, keys) or (crumb and len(part.split()) <= _CRUMB_WORDS)
        ):
            break
        end = match.start()
    first = separators[0]
    if first.end() < end and _is_site(title[: first.start()], keys):
        start = first.end()
    stripped = title[start:end].strip()
    return stripped if len(stripped) >= 3 else title


_H1 = "//h1"
_MAX_HEADLINE = 300
# Parts of an <h1> that are not the headline: the kicker (overline) above it, the subline
# below it, and the separators between them shown only to screen readers.
_KICKER = re.compile(
    r"kicker|overline|dachzeile|roofline|topline|eyebrow|titleheader|spitzmarke|subline", re.I
)
_HIDDEN = re.compile(r"hidden|sr-only|screen-reader|colon|dash", re.I)
_PUNCTUATION = re.compile(r"^[\W_]*$")


def _text(element: Any) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _headline_text(h1: Any) -> tuple[str, bool]:
    """The ``<h1>``'s text without its kicker and subline elements, and whether it had any."""
    parts: list[str] = []
    kicker = False

    def walk(element: Any) -> None:
        nonlocal kicker
        for child in element:
            if not isinstance(child.tag, str):
                if child.tail:
                    parts.append(child.tail)
                continue
            cls = child.get("class") or ""
            if _KICKER.search(cls):
                kicker = True
            elif not (_HIDDEN.search(cls) and _PUNCTUATION.match(_text(child))):
                if child.text:
                    parts.append(child.text)
                walk(child)
            if child.tail:
                parts.append(child.tail)

    if h1.text:
        parts.append(h1.text)
    walk(h1)
    return " ".join(" ".join(parts).split()), kicker


def _without_site_suffix(text: str, declared: str | None) -> str:
    """``text`` without a last part that is exactly the site's declared name."""
    separators = list(_SEPARATORS.finditer(text))
    if declared and separators and squash(text[separators[-1].end() :]) == squash(declared):
        return text[: separators[-1].start()].strip()
    return text


def _after_colon(longer: str, shorter: str) -> bool:
    """``longer`` is a kicker, a colon and ``shorter`` ("Kicker: A headline of words")."""
    if len(shorter.split()) < 2 or not longer.endswith(shorter):  # one word: a section
        return False
    head = longer[: -len(shorter)].rstrip()
    return len(head) > 1 and head[-1] in ":："


def headline(
    tree: Any, title: str | None, site_name: str | None = None, url: str | None = None
) -> str | None:
    """The article's headline: the first ``<h1>`` that the page's title tags contain (the
    whole headline, whatever affixes or cuts the tags have; without the kicker or subline
    elements it may hold), else ``title`` without the site's name. ``tree`` is the page's lxml
    tree (None: ``title`` alone)."""
    if tree is None:
        return strip_site_name(title, site_name, url)
    tags: list[str] = []
    for path in (
        "//meta[@property='og:title']/@content",
        "//meta[@name='twitter:title']/@content",
        "//head/title",
    ):
        for found in tree.xpath(path)[:1]:
            tags.append(" ".join((found if isinstance(found, str) else _text(found)).split()))
    tags = [t for t in tags if squash(t)]
    # a title that no title tag contains nor is contained in (a section's or breadcrumb's
    # name from JSON-LD: "Aktuelle", "Medienmitteilungen") yields to the page's title tags
    key = squash(title or "")
    if tags and key and not any(key in squash(t) or squash(t) in key for t in tags):
        title = tags[0]
    stripped = strip_site_name(title, site_name, url)
    candidates = [" ".join(c.split()) for c in [title or "", *tags] if c]
    keys = [squash(c) for c in candidates]
    site = site_keys(site_name, url)
    shortest = 0.5 * len(squash(stripped or ""))  # not a kicker or a section name
    # the name the page declares for itself (trafilatura's site name may be a title's part)
    declared = next(iter(tree.xpath("//meta[@property='og:site_name']/@content")), None)
    for h1 in tree.xpath(_H1)[:3]:
        text, kicker = _headline_text(h1)
        text = _without_site_suffix(text, declared)  # "Headline – Artlyst"
        key = squash(text)
        # the title tags put a kicker before a short headline: "Siemens und Adani: Kaeser …"
        after_kicker = kicker or any(
            _after_colon(strip_site_name(c, site_name, url) or "", text) for c in candidates
        )
        if (
            len(text) <= _MAX_HEADLINE
            and len(key) >= (3 if after_kicker else max(3, shortest))
            # the site's logo or tagline ("EMACSPEAK The Complete Audio Desktop"), not a
            # headline that names the site ("Día de la Madre: Trome celebró …")
            and not any(key in k or key.startswith(k) for k in site)
            and any(key in k for k in keys)
        ):
            return text
    return stripped
