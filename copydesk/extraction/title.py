"""The page's full headline: its <h1> when the title tags agree, without "| Site" affixes."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from copydesk.extraction.segment import PageBlock

__all__ = ["heading_before", "headline", "site_keys", "squash", "strip_site_name"]

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
    # a part that names the site within a longer phrase is a headline ("Hochauflösende
    # Schneekarten auf Gipfelbuch.ch"), one that starts with the name is the site's
    return bool(keys) and any(
        squashed.startswith(key)
        or (key in squashed and len(squashed) <= 2 * len(key))
        or (len(squashed) >= 4 and squashed in key)
        for key in keys
    )


_CJK_RUN = re.compile(rf"[{_CJK}]{{2,}}")
_CJK_SITE = re.compile(rf"^[{_CJK}]{{2,6}}$")  # "新华网", "人民日报": a site name in its script


def _is_cjk_site(part: str, rest: str) -> bool:
    """``part``, set after ``rest``, is a short name in Chinese, Japanese or Korean script
    after a longer headline ("…的城！-新华网")."""
    return bool(_CJK_SITE.match(part.strip())) and len(rest) >= 2 * len(part.strip())


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
            _is_site(part, keys)
            or (crumb and len(part.split()) <= _CRUMB_WORDS)
            or (":" not in match.group(0) and _is_cjk_site(part, title[: match.start()]))
        ):
            break
        end = match.start()
    first = separators[0]
    if first.end() < end and _is_site(title[: first.start()], keys):
        start = first.end()
        # then the sections a breadcrumb sets before the headline ("Site » Blog Archiv » …")
        for match in separators[1:]:
            crumb = "»" in match.group(0) or "›" in match.group(0)
            if match.end() >= end or not crumb:
                break
            if len(title[start : match.start()].split()) > _CRUMB_WORDS:
                break
            start = match.end()
    stripped = title[start:end].strip()
    return stripped if len(stripped) >= 3 else title


_H1 = "//h1"
_H2 = "//h2"
_HEADINGS = 3  # of each level: the headline comes before the page's other headings
_MAX_HEADLINE = 300
# Parts of an <h1> that are not the headline: the kicker (overline) above it, the subline
# below it, and the separators between them shown only to screen readers.
_KICKER = re.compile(
    r"kicker|overline|dachzeile|roofline|topline|eyebrow|titleheader|spitzmarke|subline", re.I
)
# ... and what a template sets inside it beside the headline: its subtitle, byline and date
_BESIDE = re.compile(r"subtitle|byline|author|dateline", re.I)
_HIDDEN = re.compile(r"hidden|sr-only|screen-reader|colon|dash", re.I)
# a heading only screen readers see (the site's name set as the page's first <h1>)
_HIDDEN_HEADING = re.compile(r"hide|hidden|sr-only|screen-reader|visually-hidden|aural", re.I)
_PUNCTUATION = re.compile(r"^[\W_]*$")
_UNSEEN = frozenset({"style", "script", "noscript", "template", "time"})
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.I)
# the page's navigation trail, which may set the article's name as an <h1> of its own
_TRAIL = re.compile(r"breadcrumb", re.I)
_EDGE_MARKS = re.compile(r"^[\s:|\-–—·•/]+|[\s:|\-–—·•/]+$")


def _text(element: Any) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _unseen(element: Any) -> bool:
    """``element`` is not shown: a style sheet or script, or hidden by its attributes (an
    editor's button set inside the heading with ``display: none``)."""
    return (
        element.tag in _UNSEEN
        or element.get("hidden") is not None
        or bool(_DISPLAY_NONE.search(element.get("style") or ""))
    )


def _headline_text(h1: Any, skip: Any = None) -> tuple[str, bool]:
    """The ``<h1>``'s text without its kicker and subline elements, and whether it had any;
    ``skip``: an element of it left out too."""
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
            if child is skip or _unseen(child) or _BESIDE.search(cls):
                pass  # a style sheet, the subtitle, byline or date set inside the heading
            elif _KICKER.search(cls):
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


def _set_apart(heading: Any, text: str, stated: list[str], tags: list[str]) -> str | None:
    """``heading`` without its first or last element (a kicker, label or subline set inside
    it: "<span>Place</span> Headline", "Headline <span>Subscribers</span>") when a stated
    title, or a part of one, says exactly the rest. None: no such rest."""
    children = [c for c in heading if isinstance(c.tag, str) and not _unseen(c)]
    if not children:
        return None
    ends = []
    if not (heading.text or "").strip():
        ends.append(children[0])
    if not (children[-1].tail or "").strip() and children[-1] not in ends:
        ends.append(children[-1])
    if not ends:
        return None
    said = {squash(part) for s in stated for part in (s, *_parts(s))}
    for end in ends:
        rest = _EDGE_MARKS.sub("", _headline_text(heading, skip=end)[0])
        key = squash(rest)
        if (
            key in said
            and key != squash(text)
            and len(rest.split()) >= _CRUMB_WORDS
            and not _is_section(key, tags)
        ):
            return rest
    return None


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


_LD_HEADLINE = re.compile(r'"headline"\s*:\s*"((?:[^"\\]|\\.)*)"')
_WORD = re.compile(r"\w{4,}")  # a word that says something ("der", "the", "im" do not)
_DATE_PREFIX = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\s+[-–—|:]\s+")
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\. ")  # "R. K. Lilley", not "e.V. - News"
# a date set as a heading: "Samstag, 9. September 2017", "01.02.2022"
_DATE_LINE = re.compile(
    r"^\W*(?:\w+,?\s+)?\d{1,2}\.?\s+\w+\.?\s+\d{4}\W*$|^\W*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\W*$"
)
_SHORTEST = 3  # squashed characters
_OVERLAP = 0.5  # share of the shorter text's words the other one has too
_MIN_OVERLAP_WORDS = 3


def _ld_headlines(tree: Any) -> list[str]:
    """The ``headline`` values of the page's JSON-LD (read by pattern: no JSON parse)."""
    out = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        for match in _LD_HEADLINE.finditer(script):
            try:
                text = json.loads(f'"{match.group(1)}"')
            except ValueError:
                continue
            text = " ".join(html.unescape(text).split())
            if squash(text):
                out.append(text)
    return out


def _title_tags(tree: Any) -> list[str]:
    """The page's og:title, twitter:title and ``<title>``, as they are."""
    tags: list[str] = []
    for path in (
        "//meta[@property='og:title']/@content",
        "//meta[@name='twitter:title']/@content",
        "//head/title",
    ):
        for found in tree.xpath(path)[:1]:
            tags.append(" ".join((found if isinstance(found, str) else _text(found)).split()))
    return [t for t in tags if squash(t)]


def _trusted_site_name(site_name: str | None, title: str | None) -> str | None:
    """``site_name`` unless it is the page's title or a phrase cut out of it (trafilatura
    takes a title's part holding a dot for the site: "Sehnsucht von R. K. Lilley")."""
    if not site_name:
        return None
    key = squash(site_name)
    if title and squash(title) and squash(title) in key:  # the title, or holds it
        return None
    if _INITIAL.search(site_name):  # a person's initials: a headline's words
        return None
    return site_name


def _parts(tag: str) -> list[str]:
    """``tag`` cut at its separators other than colons ("Headline | Section | Site")."""
    cuts = [m for m in _SEPARATORS.finditer(tag) if ":" not in m.group(0)]
    bounds = [0, *(x for m in cuts for x in (m.start(), m.end())), len(tag)]
    return [tag[bounds[i] : bounds[i + 1]].strip() for i in range(0, len(bounds), 2)]


def _is_section(key: str, tags: list[str]) -> bool:
    """``key`` is a whole part of a title tag that is neither its first nor its longest: the
    site's or a section's name ("Rezept mit Äpfeln | Liebe geht durch den Magen",
    "GALORE.de | Kultur | Literatur | …"), not the headline after them ("Site / Reden / Rede
    von …", "Kicker - „Zitat …“")."""
    for tag in tags:
        parts = [squash(part) for part in _parts(tag)]
        parts = [part for part in parts if part]
        if key in parts[1:] and key != parts[0] and len(key) < max(map(len, parts)):
            return True
    return False


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _overlap(a: str, b: str) -> bool:
    """``a`` and ``b`` share most of the words of the shorter one (two wordings of one
    headline: "Eignet sich eine Wärmepumpe im Altbau?" / "Wärmepumpe im Altbau - Wann …")."""
    wa, wb = _words(a), _words(b)
    common = len(wa & wb)
    return common >= 2 and common >= _OVERLAP * min(len(wa), len(wb))


def _confirmed(
    text: str,
    stated: list[str],
    tags: list[str],
    shortest: float,
    after_kicker: bool,
    strict: bool = False,
    elements: frozenset[str] = frozenset(),
) -> str | None:
    """``text`` (a heading) as the headline when the page's stated titles confirm it: one
    equals it, holds it (unless it is short: a section's name), or says most of it in other
    words; a title that ends the heading after a kicker is the headline without the kicker.
    ``strict``: only a title, or a whole part of one, that equals it (a lesser heading);
    ``elements``: the squashed texts of the heading's elements. None: not confirmed."""
    key = squash(text)
    keys = [squash(s) for s in stated]
    if key in keys:
        return text
    if strict:  # a whole part of a title: "Site | Section | Headline", "Kicker: Headline"
        parts = {
            squash(part) for state in stated for part in (*_parts(state), *_SEPARATORS.split(state))
        }
        return text if key in parts and len(key) >= shortest else None
    holders = [k for k in keys if key in k]
    if holders and (
        after_kicker
        or len(key) >= shortest
        # a short heading inside a title's words ("What are Leadership Styles? …"), not one
        # that ends it (the site's place: "… 写真1枚 国際ニュース：AFPBB News") or is a part
        or (
            len(text.split()) >= _CRUMB_WORDS
            and not any(k.endswith(key) for k in holders)
            and not _is_section(key, tags)
        )
    ):
        return text
    names = {squash(part) for tag in tags for part in _parts(tag)[1:]}
    for state, k in zip(stated, keys, strict=True):
        if len(k) >= max(_SHORTEST, 0.3 * len(key)) and k in key:
            # the heading holds the title: the title after a kicker element ("<span>Kicker</span>:
            # Title") or before the site's name in an element (a link home) is the headline;
            # a title cut short of the heading ("Headline in" / "Headline") or after words of
            # the heading's own text ('"Quote": Title') is not
            kicker = key[: -len(k)] if key.endswith(k) else ""
            after = key[len(k) :] if key.startswith(k) else ""
            if (kicker and kicker in elements) or (after in elements and after in names):
                return state
            return text
    if len(text.split()) >= _MIN_OVERLAP_WORDS and any(_overlap(text, s) for s in stated):
        return text
    return None


_LEAD_GAP = 300  # characters of byline, date and teaser between a headline and its text
_LEAD_HEADINGS = frozenset({"h1", "h2"})


def heading_before(blocks: Sequence[PageBlock], first: str | None) -> str | None:
    """The ``<h1>`` or ``<h2>`` just before the article's text (or opening it): ``blocks``
    are the page's blocks in page order, ``first`` the text of the article's first block.
    None: no such heading within a byline's and a date's length of the text."""
    if not first:
        return None
    start = first[:60]
    found = [i for i, block in enumerate(blocks) if block.text.startswith(start)]
    # a link list (the sidebar's "Recent posts") may name the article before its text does
    index = next((i for i in found if blocks[i].kind != "item"), found[0] if found else None)
    if index is None:
        return None
    gap = 0
    for block in reversed(blocks[: index + 1]):
        if block.kind == "head" and block.element.tag in _LEAD_HEADINGS:
            return str(block.text)
        if block is not blocks[index]:
            gap += len(block.text)
        if gap > _LEAD_GAP:
            return None
    return None


def headline(
    tree: Any,
    title: str | None,
    site_name: str | None = None,
    url: str | None = None,
    lead: str | None = None,
) -> str | None:
    """The article's headline: the first ``<h1>`` that the page's stated titles (title tags,
    JSON-LD ``headline``) confirm — the whole headline, whatever affixes, cuts or other
    wording the tags have; without the kicker or subline elements it may hold —, else
    ``title`` without the site's name. ``tree`` is the page's lxml tree (None: ``title``
    alone). ``lead``: the heading just before the article's text (`heading_before`), the
    headline when no stated title confirms one."""
    site_name = _trusted_site_name(site_name, title)
    if tree is None:
        return _without_date(strip_site_name(title, site_name, url))
    tags = _title_tags(tree)
    # a title that no title tag contains nor is contained in (a section's or breadcrumb's
    # name from JSON-LD: "Aktuelle", "Medienmitteilungen"), or that names the site, yields
    # to the page's title tags
    key = squash(title or "")
    site = site_keys(site_name, url)
    if tags and key and not any(key in squash(t) or squash(t) in key for t in tags):
        title = tags[0]
    elif tags and key and _is_site(title or "", site):
        title = max(tags, key=len)
    stripped = strip_site_name(title, site_name, url)
    stated = [" ".join(c.split()) for c in [title or "", *tags] if c]
    stated += [strip_site_name(c, site_name, url) or "" for c in stated]
    headlines = _ld_headlines(tree)
    stated += headlines
    shortest = 0.5 * len(squash(stripped or ""))  # not a kicker or a section name
    # the name the page declares for itself (trafilatura's site name may be a title's part)
    declared = next(iter(tree.xpath("//meta[@property='og:site_name']/@content")), None)
    if lead and not tags and not headlines and _is_lead(lead, site, tags):
        # no title tags: trafilatura's title is a heading it chose, and the one opening the
        # article's text is the better guess
        return _without_date(lead)
    sections: set[str] = set()  # headings that name the site or a section
    # the <h1>s first; then, when none is the headline, a lesser heading that a stated title
    # equals or has as a whole part (a template that sets its logo or section in the <h1>)
    h1s = tree.xpath(_H1)[:_HEADINGS]
    trail = [element for element in h1s if _in_trail(element)]
    passes = (
        ([e for e in h1s if e not in trail], False),
        ([e for e in tree.xpath(_H2)[:_HEADINGS] if not _in_trail(e)], True),
        # an <h1> in the breadcrumb trail names the article where no heading shown with it does
        (trail, False),
    )
    for headings, strict in passes:
        for element in headings:
            text, kicker = _headline_text(element)
            text = _without_site_suffix(text, declared)  # "Headline – Artlyst"
            key = squash(text)
            if (
                _HIDDEN_HEADING.search(element.get("class") or "")
                or len(text) > _MAX_HEADLINE
                or len(key) < _SHORTEST
                # the site's logo or tagline ("EMACSPEAK The Complete Audio Desktop"), not a
                # headline that names the site ("Día de la Madre: Trome celebró …")
                or any(key in k or key.startswith(k) for k in site)
            ):
                continue
            if _is_section(key, tags) and key not in {squash(s) for s in tags[:1] + headlines}:
                sections.add(key)  # the site's or a section's name, set after the headline
                continue
            rest = _set_apart(element, text, stated, tags)
            if rest:
                return _without_date(rest)
            # the title tags put a kicker before a short headline: "Siemens und Adani: Kaeser …"
            after_kicker = kicker or any(_after_colon(c, text) for c in stated)
            elements = frozenset(
                squash(_headline_text(e)[0])
                for e in element.iterdescendants()
                if isinstance(e.tag, str)
            )
            found = _confirmed(text, stated, tags, shortest, after_kicker, strict, elements)
            if found:
                return _without_date(found)
    # the heading before the text, unless the title tags name another story (a ticker's
    # heading set above the article)
    if lead and _is_lead(lead, site, tags) and (not tags or any(_related(lead, t) for t in tags)):
        return _without_date(lead)
    return _without_date(_without_parts(stripped, sections))


def _in_trail(heading: Any) -> bool:
    """``heading`` is set inside the page's breadcrumb trail (or its navigation)."""
    return any(
        parent.tag == "nav"
        or _TRAIL.search(f"{parent.get('class') or ''} {parent.get('id') or ''}")
        for parent in heading.iterancestors()
    )


def _tokens(text: str) -> set[str]:
    """``text``'s words of four letters and more, and its pairs of Chinese, Japanese or Korean
    characters (scripts without spaces)."""
    pairs = {
        m.group(0)[i : i + 2] for m in _CJK_RUN.finditer(text) for i in range(len(m.group(0)) - 1)
    }
    return _words(text) | pairs


def _related(a: str, b: str) -> bool:
    """``a`` and ``b`` share a word: they may name the same story."""
    return bool(_tokens(a) & _tokens(b))


def _without_parts(title: str | None, names: set[str]) -> str | None:
    """``title`` without its last parts that are one of ``names`` (squashed)."""
    while title and names:
        parts = _parts(title)
        if len(parts) < 2 or squash(parts[-1]) not in names:
            break
        cut = [m for m in _SEPARATORS.finditer(title) if ":" not in m.group(0)][-1]
        title = title[: cut.start()].strip()
    return title


def _is_lead(text: str, site: set[str], tags: list[str]) -> bool:
    """``text``, the heading before the article's text, can be its headline: not the site's
    or a section's name, not a single word ("Allgemein"), not a date ("Samstag, 9. September
    2017")."""
    key = squash(text)
    return (
        len(text.split()) >= _CRUMB_WORDS
        and len(text) <= _MAX_HEADLINE
        and not _DATE_LINE.search(text)
        and not any(key in k or key.startswith(k) for k in site)
        and not _is_section(key, tags)
    )


def _without_date(text: str | None) -> str | None:
    """``text`` without a leading date set apart ("23.01.2022 - Headline")."""
    if not text:
        return text
    cut = _DATE_PREFIX.sub("", text)
    return cut if len(squash(cut)) >= _SHORTEST else text
