"""Publication time of a page: htmldate's day, made precise by the page's own timestamps.

The instant is kept with the offset the page states (``2025-03-10T00:50:00+02:00``): its first ten
characters are the local day, which converting to UTC would move for anything published near
midnight. Storage orders articles by the instant itself.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection
from datetime import datetime, timedelta

from copydesk.extraction.near import PageText

__all__ = [
    "MONTH_NAMES",
    "dateline_day",
    "guessed_day",
    "publication_day",
    "published_timestamp",
    "shown_day",
    "stated_days",
]

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
    return _parsed(_published_values(html))


def _published_values(html: str) -> list[str]:
    """The values the page's markup gives as its publication time, as written."""
    found: list[str] = []
    for tag in _META.finditer(html):
        content = _CONTENT.search(tag.group(0))
        if content:
            found.append(content.group(1))
    found.extend(_JSONLD.findall(html))
    found.extend(a or b for a, b in _TIME.findall(html))
    return found


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
    r"|(?<!\d)(?P<y4>(?:19|20)\d\d)-(?P<m4>\d\d)-(?P<d4>\d\d)(?!\d)"
    # year first with the signs for year, month and day (Chinese, Japanese, Korean)
    r"|(?<!\d)(?P<y5>(?:19|20)\d\d)\s?[年년]\s?(?P<m5>\d{1,2})\s?[月월]\s?(?P<d5>\d{1,2})\s?[日일]",
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
    for suffix in ("", "2", "3", "4", "5"):
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


# The day a page shows as its publication beside its headline: a date on a short line of its
# own, labelled as the publication ("Veröffentlicht am", "Erschienen am", "Pressemitteilung
# vom", "Published", "Mise en ligne") anywhere near the headline, or unlabelled just before or
# after it (a dateline, a date under the byline). A date labelled as an update
# ("Aktualisiert", "Updated", "Letzte Änderung", "mis à jour") or a print date ("Ausdruck vom")
# is never the publication.
_PUBLISHED_LABEL = re.compile(
    r"ver[öo]ffentlicht|erschienen|erstellt am|publiziert|pressemitteilung|"
    r"pressemeldung|published|posted|mise en ligne|publi[ée]|publicado|pubblicato|"
    r"gepubliceerd|опубликовано|\bdatum(?::|\s*$)",
    re.I,
)
_UPDATE_LABEL = re.compile(
    r"aktualisiert|update|ge[äa]ndert|[äa]nderung|mis à jour|actualiz|aggiornat|bijgewerkt|"
    r"обновлено|revis|ausdruck|gedruckt|printed|abgerufen|accessed|retrieved",
    re.I,
)
_SHOWN_BEFORE = 20
_SHOWN_AFTER = 400
_SHOWN_REST = 40  # characters of a date line besides the date (a label, a time, a place)
# the credit line of an embedded post ("— Name (@handle)"): the date under it is the post's
_EMBED = re.compile(r"\(@\w+\)")
_DIGIT = re.compile(r"\d")


def shown_day(
    page: PageText | None,
    published: Collection[str] = (),
    modified: Collection[str] = (),
    labelled_only: bool = False,
) -> str | None:
    """The publication day a page shows beside its headline (YYYY-MM-DD), or None.

    The nearest date line (a short run whose date is most of it) labelled as the publication
    within the guess window of :func:`guessed_day`; else the nearest unlabelled one at most
    ``_SHOWN_AFTER`` characters after the headline (or right above it, ``_SHOWN_BEFORE``).
    Never a date labelled as an update, a date under an embedded post's credit, nor a day
    the page's markup gives as a modification (``modified``) and not as the publication
    (``published``; see :func:`stated_days`). An unlabelled
    date counts only beside the headline's ``<h1>`` (else its first place): a repeat of the
    headline's text in a list of related stories sits beside their dates. With
    ``labelled_only``, only a labelled one or a dateline: an unlabelled date line starting at
    most ``_AFTER_HEADLINE`` characters after the headline, with no sentence between.
    """
    return _pick(_shown(page), published, modified, labelled_only)


def _pick(
    candidates: list[tuple[bool, int, str, bool]],
    published: Collection[str],
    modified: Collection[str],
    labelled_only: bool,
) -> str | None:
    """The nearest labelled candidate, else the nearest unlabelled one (only a dateline with
    ``labelled_only``), leaving out the days given as a modification only."""
    kept = [c for c in candidates if c[2] not in modified or c[2] in published]
    labelled = [(distance, day) for is_labelled, distance, day, _ in kept if is_labelled]
    plain = [
        (distance, day)
        for is_labelled, distance, day, dateline in kept
        if not is_labelled and (dateline or not labelled_only)
    ]
    best = labelled or plain
    return min(best, key=lambda c: c[0])[1] if best else None  # the first of equals


def _shown(page: PageText | None) -> list[tuple[bool, int, str, bool]]:
    """(labelled, distance, day, dateline) of each date line :func:`shown_day` may take, in
    page order."""
    if page is None or not page.headline:
        return []
    h1 = {(start, start + len(run)) for start, run, in_h1 in page.runs if in_h1}
    main = [place for place in page.headline if place in h1 and page.headline.count(place) > 1]
    beside = PageText(runs=page.runs, headline=main or page.headline[:1])
    starts = [start for start, _, _ in page.runs]
    indices: set[int] = set()  # only the runs within reach of a place of the headline
    for first, last in page.headline:
        low = bisect_left(starts, first - _GUESS_BEFORE - _GUESS_LINE)
        indices.update(range(low, bisect_right(starts, last + _GUESS_AFTER)))
    found = []
    for i in sorted(indices):
        start, run, _ = page.runs[i]
        if len(run) > _GUESS_LINE or not _DIGIT.search(run):
            continue
        match = _DATELINE.search(run)
        day = _day(match) if match else None
        if match is None or day is None or len(run) - len(match.group(0)) > _SHOWN_REST:
            continue
        before = page.runs[i - 1][1] if i else ""
        label = before[-30:] + " " + run[: match.start()]
        if _UPDATE_LABEL.search(label) or _EMBED.search(before):
            continue
        end = start + len(run)
        if _PUBLISHED_LABEL.search(label):
            distance = page.distance(start, end, _GUESS_BEFORE, _GUESS_AFTER)
            if distance is not None:
                found.append((True, distance, day, False))
            continue
        distance = beside.distance(start, end, 0, _SHOWN_AFTER)
        if distance is not None:
            found.append((False, distance, day, _dateline(page, i, distance)))
            continue
        # above the headline: a dateline, or the day the page was viewed (in the header)
        distance = beside.distance(start, end, _SHOWN_BEFORE, 0)
        if distance is not None:
            found.append((False, distance + _SHOWN_BEFORE, day, _marked(page, start)))
    return found


# The class or id of an element holding a date ("published-date", "post-date", "dateline",
# "entry-meta", "timestamp"), as htmldate's cues read them.
_DATE_CLASS = re.compile(r"date|datum|time|publi|posted|fecha|meta", re.I)
_MARK_LEVELS = 3  # the date's own element and two around it


def _marked(page: PageText, start: int) -> bool:
    """Whether the run at ``start`` sits in an element whose class or id names a date: the
    element whose text starts last at or before it, or one of its parents."""
    index = bisect_right(page.elements, start, key=lambda item: item[0]) - 1
    element = page.elements[index][1] if index >= 0 else None
    for _ in range(_MARK_LEVELS):
        if element is None:
            return False
        if _DATE_CLASS.search(f"{element.get('class', '')} {element.get('id', '')}"):
            return True
        element = element.getparent()
    return False


def _dateline(page: PageText, index: int, gap: int) -> bool:
    """Whether the date line at ``page.runs[index]``, ``gap`` characters after the headline,
    is its dateline: it starts at most ``_AFTER_HEADLINE`` characters after the headline,
    and what lies between is a few words without a sentence (a place, a byline)."""
    if gap > _AFTER_HEADLINE:
        return False
    start = page.runs[index][0]
    between = []
    for offset, run, _ in reversed(page.runs[max(0, index - _DATELINE_WORDS) : index]):
        if offset < start - gap:
            break
        between.append(run)
    text = " ".join(reversed(between)) + " "
    return len(text.split()) <= _DATELINE_WORDS and not _SENTENCE.search(text)


# Where pages state a modification: OpenGraph/article meta, schema.org JSON-LD and microdata.
_MODIFIED_META = re.compile(
    r"<meta\b[^>]*?(?:property|name|itemprop)\s*=\s*[\"']?"
    r"(?:article:modified_time|og:updated_time|dateModified|last-modified)[\"']?[^>]*>",
    re.I,
)
_MODIFIED_JSONLD = re.compile(r"\"dateModified\"\s*:\s*\"([^\"]+)\"")
_MODIFIED_TIME = re.compile(
    r"<time\b[^>]*?itemprop\s*=\s*[\"']dateModified[\"'][^>]*?datetime\s*=\s*[\"']([^\"']+)"
    r"|<time\b[^>]*?datetime\s*=\s*[\"']([^\"']+)[\"'][^>]*?itemprop\s*=\s*[\"']dateModified",
    re.I,
)
_ISO_DAY = re.compile(r"\s*((?:19|20)\d\d)-(\d\d?)-(\d\d?)")


def stated_days(html: str) -> tuple[set[str], set[str]]:
    """The days (YYYY-MM-DD) the page's markup gives as its publication and as its
    modification: each as written, and for a moment stated in UTC also the days 14 hours
    either side (its local day may be either)."""
    return _days(_published_values(html)), _days(_modified_values(html))


def _modified_values(html: str) -> list[str]:
    """The values the page's markup gives as its modification time, as written (each
    pattern only where its telling word is in the page: most pages have none)."""
    found: list[str] = []
    if "odified" in html or "pdated" in html or "ODIFIED" in html:
        for tag in _MODIFIED_META.finditer(html):
            content = _CONTENT.search(tag.group(0))
            if content:
                found.append(content.group(1))
    if "dateModified" in html:
        found.extend(_MODIFIED_JSONLD.findall(html))
        found.extend(a or b for a, b in _MODIFIED_TIME.findall(html))
    return found


def _days(values: list[str]) -> set[str]:
    out = set()
    for value in values:
        match = _ISO_DAY.match(value)
        if match:
            out.add(f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}")
    for instant in _parsed(values):
        if not instant.utcoffset():  # stated in UTC: the local day is within 14 hours of it
            out.update((instant + timedelta(hours=h)).date().isoformat() for h in (-14, 14))
    return out


def publication_day(day: str | None, html: str | bytes, page: PageText | None) -> str | None:
    """The page's publication day: the one it shows beside its headline (:func:`shown_day`)
    when there is one, else ``day`` (htmldate's, from the markup and URL), or the day of the
    publication instant the markup states at a local offset where ``day`` differs from it.

    Where the markup and the shown date disagree, the reader sees the shown one: the markup's
    is often a modification, a UTC instant whose day differs from the local one, or a day
    written month first. Where the markup and URL give no day, only a date the page labels as
    its publication ("Veröffentlicht am", "Pressemitteilung vom") or its dateline (right
    under the headline) is taken; another unlabelled date line is left to
    :func:`guessed_day`.
    """
    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    values = _published_values(text)
    local = {instant.date().isoformat() for instant in _parsed(values) if instant.utcoffset()}
    if day and len(local) == 1 and day not in local:
        day = local.pop()  # the instant stated at the page's own offset is on its local day
    candidates = _shown(page)
    if not candidates:  # the modification is looked for only where the page shows a date
        return day
    published, modified = _days(values), _days(_modified_values(text))
    return _pick(candidates, published, modified, labelled_only=day is None) or day
