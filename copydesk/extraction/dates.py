"""Publication time of a page: htmldate's day, made precise by the page's own timestamps.

The instant is kept with the offset the page states (``2025-03-10T00:50:00+02:00``): its first ten
characters are the local day, which converting to UTC would move for anything published near
midnight. Storage orders articles by the instant itself.
"""

from __future__ import annotations

import re
from datetime import datetime

from copydesk.extraction.near import PageText

__all__ = ["MONTH_NAMES", "dateline_day", "guessed_day", "published_timestamp"]

# Where pages state their publication instant: OpenGraph/article meta, schema.org JSON-LD and
# microdata, and <time> elements marked as the publication time.
_META = re.compile(
    r"<meta\b[^>]*?(?:property|name|itemprop)\s*=\s*[\"']?"
    r"(?:article:published_time|og:published_time|datePublished|pubdate|publish-date|"
    r"parsely-pub-date|sailthru\.date|dc\.date\.issued)[\"']?[^>]*>",
    re.I,
)
_CONTENT = re.compile(r"\bcontent\s*=\s*[\"']([^\"']+)[\"']", re.I)
_JSONLD = re.compile(r"\"datePublished\"\s*:\s*\"([^\"]+)\"")
_TIME = re.compile(
    r"<time\b[^>]*?(?:itemprop\s*=\s*[\"']datePublished[\"']|\bpubdate\b)[^>]*?"
    r"datetime\s*=\s*[\"']([^\"']+)[\"']|<time\b[^>]*?datetime\s*=\s*[\"']([^\"']+)[\"'][^>]*?"
    r"(?:itemprop\s*=\s*[\"']datePublished[\"']|\bpubdate\b)",
    re.I,
)


# Any <time datetime>: read only for the local form of a moment stated in UTC elsewhere.
_ANY_TIME = re.compile(r"<time\b[^>]*?datetime\s*=\s*[\"']([^\"']+)[\"']", re.I)


def _instants(html: str) -> list[datetime]:
    found: list[str] = []
    for tag in _META.finditer(html):
        content = _CONTENT.search(tag.group(0))
        if content:
            found.append(content.group(1))
    found.extend(_JSONLD.findall(html))
    found.extend(a or b for a, b in _TIME.findall(html))
    return _parsed(found)


def _parsed(found: list[str]) -> list[datetime]:
    out = []
    for value in found:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        # a time was given, not just a day, and its offset: a naive time's zone is unknown
        if len(value.strip()) > 10 and parsed.tzinfo is not None:
            out.append(parsed)
    return out


def published_timestamp(day: str | None, html: str | bytes) -> str | None:
    """``day`` (YYYY-MM-DD from htmldate) as an ISO timestamp with the page's own offset when
    the page states the time and its offset.

    The page's own stated instant is used only when it falls on the same day (in its own time
    zone) as the date htmldate chose, so a modified date or a related story's date never wins;
    when the page gives that instant in UTC and the same moment at a local offset elsewhere,
    the local one is kept (and its day). Without one, the day is returned unchanged.
    """
    if not day:
        return None
    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    for instant in _instants(text):
        if instant.date().isoformat() == day[:10]:
            if not instant.utcoffset():
                instant = _local(instant, _parsed(_ANY_TIME.findall(text)) + _instants(text))
            return instant.replace(microsecond=0).isoformat()
    return day


def _local(instant: datetime, instants: list[datetime]) -> datetime:
    """``instant`` as the page states it in its own time zone: a page giving the same moment in
    UTC (a meta tag) and at its local offset (a ``<time>`` element, JSON-LD) published it on
    the local day."""
    for other in instants:
        if other.utcoffset() and other == instant:
            return other
    return instant


# The date a page prints with its headline (a dateline, "Pressemitteilung vom 25. Januar 2022",
# "Datum: 18.10.2021", "Mise en ligne 23 mai 2019") is the page's own statement, not a guess from
# its text; it is read only right after the headline.
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "januar january janvier enero gennaio janeiro januari jänner jan января січня stycznia",
            "februar february février fevrier febrero febbraio fevereiro februari feb "
            "февраля лютого lutego",
            "märz maerz march mars marzo março maart mar марта березня marca",
            "april avril abril aprile apr апреля квітня kwietnia",
            "mai may mayo maggio maio mei мая травня maja",
            "juni june juin junio giugno junho jun июня червня czerwca",
            "juli july juillet julio luglio julho jul июля липня lipca",
            "august août aout agosto augustus aug августа серпня sierpnia",
            "september septembre septiembre settembre setembro sep sept сентября вересня września",
            "oktober october octobre octubre ottobre outubro okt oct октября жовтня października",
            "november novembre noviembre novembro nov ноября листопада listopada",
            "dezember december décembre decembre diciembre dicembre dezembro dez dec "
            "декабря грудня grudnia",
        ),
        start=1,
    )
    for name in names.split()
}
#: Month names and abbreviations in the languages above, as a regular expression alternation.
MONTH_NAMES = _MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATELINE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>(?:19|20)\d\d)(?!\d)"
    rf"|(?<!\d)(?P<d2>\d{{1,2}})\.?\s(?:de\s)?(?P<m2>{_MONTH})\.?\s(?:de\s)?(?P<y2>(?:19|20)\d\d)(?!\d)"
    rf"|\b(?P<m3>{_MONTH})\.?\s(?P<d3>\d{{1,2}}),?\s(?P<y3>(?:19|20)\d\d)(?!\d)"
    r"|(?<!\d)(?P<y4>(?:19|20)\d\d)-(?P<m4>\d\d)-(?P<d4>\d\d)(?!\d)",
    re.I,
)
# A dateline starts within a few words after the headline ("Datum: ", "Hamburg, ", a byline);
# a date further on, or after a sentence, is in the article's text.
_AFTER_HEADLINE = 80
_DATELINE_WORDS = 10
_SENTENCE = re.compile(r"[a-zà-ÿ][.;!?]\s|,\s\w+\s\w+\s\w+\s")


def dateline_day(text: str, headline: str | None) -> str | None:
    """The day printed right after ``headline`` in the page's ``text`` (YYYY-MM-DD), or None."""
    if not headline or len(headline) < 10:
        return None
    start = text.find(headline)
    if start < 0:
        return None
    window = text[start + len(headline) : start + len(headline) + _AFTER_HEADLINE + 30]
    match = _DATELINE.search(window)
    if match is None or match.start() > _AFTER_HEADLINE:
        return None
    before = window[: match.start()]
    if len(before.split()) > _DATELINE_WORDS or _SENTENCE.search(before):
        return None
    return _day(match)


def _day(match: re.Match[str]) -> str | None:
    """The day (YYYY-MM-DD) a `_DATELINE` match names, or None when it is no calendar day."""
    groups = match.groupdict()
    for suffix in ("", "2", "3", "4"):
        if groups[f"y{suffix}"]:
            month = groups[f"m{suffix}"]
            number = int(month) if month.isdigit() else _MONTHS[month.lower()]
            try:
                day = datetime(int(groups[f"y{suffix}"]), number, int(groups[f"d{suffix}"]))
            except ValueError:
                return None
            return day.date().isoformat()
    return None


# A guess (never the page's ``published``): a day printed on a line of its own, or nearly
# ("Mise en ligne 23 mai 2019", "Zurück zum Newsroom 06.12.2022", "15 августа 2016, 13:43"),
# near the headline: within this many characters of the page's text before the headline's
# start or after its end. A day inside a longer run of text (a sentence of the article, a
# related story's teaser) is never read, nor a bare year ("word1995", "© 2021").
_GUESS_BEFORE = 200
_GUESS_AFTER = 1200
_GUESS_LINE = 100


def guessed_day(page: PageText | None) -> str | None:
    """A day the page prints near its headline on a short line of its own (YYYY-MM-DD), or None.

    A guess, for pages that state no date in their markup, URL or dateline: the nearest such
    day before the headline's start or after its end (the ``<h1>``, or the headline's text
    where the page repeats it; ``page`` from :func:`copydesk.extraction.near.page_text`).
    Never stored as ``published``.
    """
    if page is None:
        return None
    best: tuple[int, str] | None = None
    for start, run, _ in page.runs:
        if len(run) > _GUESS_LINE:
            continue
        match = _DATELINE.search(run)
        day = _day(match) if match else None
        if day is None:
            continue
        distance = page.distance(start, start + len(run), _GUESS_BEFORE, _GUESS_AFTER)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, day)
    return best[1] if best else None
