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
# Arabic (the Levantine names and the ones taken from the Latin, which pages often give side by
# side: "24 نيسان / أبريل 2020"), Persian, Turkish and Greek (the genitive, as dates write it);
# a name of two words is written with "_".
_MONTHS.update(
    (name.replace("_", " "), number)
    for number, names in enumerate(
        (
            "كانون_الثاني يناير ژانویه ocak ιανουαρίου",
            "شباط فبراير فوریه şubat φεβρουαρίου",
            "آذار مارس mart μαρτίου",
            "نيسان أبريل ابريل آوریل nisan απριλίου",
            "أيار مايو مه mayıs μαΐου",
            "حزيران يونيو يونيه ژوئن haziran ιουνίου",
            "تموز يوليو يوليه ژوئیه temmuz ιουλίου",
            "آب أغسطس اغسطس اوت ağustos αυγούστου",
            "أيلول سبتمبر سپتامبر eylül σεπτεμβρίου",
            "تشرين_الأول أكتوبر اكتوبر اکتبر ekim οκτωβρίου",
            "تشرين_الثاني نوفمبر نوامبر kasım νοεμβρίου",
            "كانون_الأول ديسمبر دسامبر aralık δεκεμβρίου",
        ),
        start=1,
    )
    for name in names.split()
)


def _month(name: str) -> int:
    """The number of a month named as `_DATELINE` matched it (in any case; a Turkish dotless
    "ı" matches "I", which lowers to "i")."""
    name = name.lower()
    return _MONTHS.get(name) or _MONTHS.get(name.replace("i", "ı"), 0)


#: Month names and abbreviations in the languages above, as a regular expression alternation.
MONTH_NAMES = _MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATELINE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>(?:19|20)\d\d)(?!\d)"
    # the month's name, or two names for it ("نيسان / أبريل")
    rf"|(?<!\d)(?P<d2>\d{{1,2}})\.?\s(?:de\s)?(?P<m2>{_MONTH})\.?(?:\s?/\s?(?:{_MONTH}))?"
    r"\s(?:de\s)?(?P<y2>(?:19|20)\d\d)(?!\d)"
    rf"|\b(?P<m3>{_MONTH})\.?\s(?P<d3>\d{{1,2}}),?\s(?P<y3>(?:19|20)\d\d)(?!\d)"
    r"|(?<!\d)(?P<y4>(?:19|20)\d\d)-(?P<m4>\d\d)-(?P<d4>\d\d)(?!\d)"
    # year first with the signs for year, month and day (Chinese, Japanese, Korean)
    r"|(?<!\d)(?P<y5>(?:19|20)\d\d)\s?[年년]\s?(?P<m5>\d{1,2})\s?[月월]\s?(?P<d5>\d{1,2})\s?[日일]"
    # day and month in either order ("22/11/2020", "11/22/2020"): see `_day`
    r"|(?<![\d/-])(?P<a6>\d{1,2})(?P<s6>[/-])(?P<b6>\d{1,2})(?P=s6)(?P<y6>(?:19|20)\d\d)(?![\d/-])",
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
    if groups.get("y6"):  # day and month in either order: only where one of them is over 12
        first, second = int(groups["a6"]), int(groups["b6"])
        if first > 12 >= second:
            groups.update(d6=str(first), m6=str(second))
        elif second > 12 >= first or first == second:
            groups.update(d6=str(second), m6=str(first))
        else:
            return None
    for suffix in ("", "2", "3", "4", "5", "6"):
        if groups.get(f"y{suffix}"):
            month = groups[f"m{suffix}"]
            number = int(month) if month.isdigit() else _month(month)
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
    r"gepubliceerd|опубликовано|\bdatum(?::|\s*$)|نشر|yayınlan|δημοσιεύ",
    re.I,
)
_UPDATE_LABEL = re.compile(
    r"aktualisiert|update|ge[äa]ndert|[äa]nderung|mis à jour|actualiz|aggiornat|bijgewerkt|"
    r"обновлено|revis|ausdruck|gedruckt|printed|abgerufen|accessed|retrieved|تحديث|تعديل|"
    r"güncellen|ενημερώ",
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
    ``labelled_only``, only a labelled one or one in the article's header: an unlabelled date
    line starting at most ``_AFTER_HEADLINE`` characters after the headline with no sentence
    between (a dateline), one in an element whose class or id names a date, one beside a
    reading time ("6 min read"), or the date alone right before the headline. Such a header
    date nearer the headline than any labelled one is taken before it (a date labelled
    "published" further on is often a study's or a source's). A day written day or month
    first ("22/11/2020") is read only where one of the two is over 12, and only in the
    header: further on it is as often a related story's.
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
    # a dateline nearer the headline than any labelled date is the header's own
    datelines = [(d, day) for is_labelled, d, day, dateline in kept if dateline and not is_labelled]
    best = labelled + datelines if labelled else plain
    return min(best, key=lambda c: c[0])[1] if best else None  # the first of equals


def _shown(page: PageText | None) -> list[tuple[bool, int, str, bool]]:
    """(labelled, distance, day, in the header) of each date line :func:`shown_day` may take,
    in page order (the cost: the short runs near the headline, as before; for a date line
    beside it at most three following runs, two neighbours and three attribute reads)."""
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
        end = start + len(run)
        match = _DATELINE.search(run)
        if match is None and len(run) <= _PIECE:  # a date split over elements
            run, end = _joined(page.runs, i)
            match = _DATELINE.search(run)
        day = _day(match) if match else None
        if match is None or day is None or len(run) - len(match.group(0)) > _SHOWN_REST:
            continue
        before = page.runs[i - 1][1] if i else ""
        label = before[-30:] + " " + run[: match.start()]
        if _UPDATE_LABEL.search(label) or _EMBED.search(before):
            continue
        # a day whose order was inferred ("14/08/2021") only as the dateline: a related
        # story's teaser or a photo's "Datum: 31/08/2019" further on is written the same way
        inferred = bool(match.group("y6"))
        if _PUBLISHED_LABEL.search(label):
            distance = page.distance(start, end, _GUESS_BEFORE, _GUESS_AFTER)
            if distance is not None and not (inferred and distance > _AFTER_HEADLINE):
                found.append((True, distance, day, False))
            continue
        distance = beside.distance(start, end, 0, _SHOWN_AFTER)
        if distance is not None:
            dateline = _dateline(page, i, distance) or _marked(page, start) or _meta(page, i)
            if dateline or not inferred:
                found.append((False, distance, day, dateline))
            continue
        # above the headline: a dateline, or the day the page was viewed (in the header)
        distance = beside.distance(start, end, _SHOWN_BEFORE, 0)
        if distance is not None:
            dateline = _marked(page, start) or _meta(page, i) or _just_above(beside, i, run, match)
            if dateline or not inferred:
                found.append((False, distance + _SHOWN_BEFORE, day, dateline))
    return found


# A date split over elements (``<span>Jan 04</span><span>09:34</span><span>2021</span>``):
# short runs, read together; a time of day between them is left out.
_PIECE = 12
_PIECES = 4
_CLOCK = re.compile(r"\d\d?:\d\d(?::\d\d)?(?:\s?[ap]\.?m\.?)?", re.I)


def _joined(runs: list[tuple[int, str, bool]], index: int) -> tuple[str, int]:
    """The text of the short runs from ``runs[index]`` on (at most ``_PIECES``, each at most
    ``_PIECE`` characters, times of day left out), and where the last of them ends."""
    start, run, _ = runs[index]
    parts, end = [run], start + len(run)
    for offset, piece, _ in runs[index + 1 : index + _PIECES]:
        if len(piece) > _PIECE:
            break
        end = offset + len(piece)
        if not _CLOCK.fullmatch(piece):
            parts.append(piece)
    return " ".join(parts), end


def _just_above(page: PageText, index: int, run: str, match: re.Match[str]) -> bool:
    """Whether the date line ``run`` at ``page.runs[index]`` (its date ``match``) is the run
    right before a place of the headline in ``page`` and holds nothing but the date and a time
    of day: a header's "today" has a weekday, or the menu between it and the headline."""
    if index + 1 >= len(page.runs) or page.runs[index + 1][0] not in {a for a, _ in page.headline}:
        return False
    rest = _CLOCK.sub("", run[: match.start()] + run[match.end() :])
    return not _WORD.search(rest)


_WORD = re.compile(r"\w")

# A reading time ("6 min read", "4 Min. Lesezeit", "5 min de lecture", "Reading time: 3
# minutes"): the line of an article's header that gives its date, author and length.
_READING_TIME = re.compile(
    r"^\W*\d+\s?(?:min|minutes?|minuten|minuti|minutos)\.?\s(?:de\s|di\s)?"
    r"(?:read|lesezeit|lesedauer|lecture|lettura|lectura|leitura|leestijd)\b"
    r"|^\W*(?:reading time|lesezeit|lesedauer|temps de lecture|tiempo de lectura)\b",
    re.I,
)


def _meta(page: PageText, index: int) -> bool:
    """Whether the date line at ``page.runs[index]`` sits beside a reading time (the run
    before or after it): the article header's line of date, author and length."""
    return any(
        0 <= i < len(page.runs)
        and len(page.runs[i][1]) <= _GUESS_LINE
        and _READING_TIME.search(page.runs[i][1]) is not None
        for i in (index - 1, index + 1)
    )


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
    its publication ("Veröffentlicht am", "Pressemitteilung vom") or one in the article's
    header (see :func:`shown_day`) is taken, else a day written day first in the page's
    canonical address ("/meldungen/29-10-2021", which htmldate does not read); another
    unlabelled date line is left to :func:`guessed_day`.
    """
    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    values = _published_values(text)
    local = {instant.date().isoformat() for instant in _parsed(values) if instant.utcoffset()}
    if day and len(local) == 1 and day not in local:
        day = local.pop()  # the instant stated at the page's own offset is on its local day
    candidates = _shown(page)
    if not candidates:  # the modification is looked for only where the page shows a date
        return day or _url_day(text)
    published, modified = _days(values), _days(_modified_values(text))
    return (
        _pick(candidates, published, modified, labelled_only=day is None) or day or _url_day(text)
    )


# The page's address as it states it (htmldate reads a day in the URL written year first; a
# day written day first, "/meldungen/29-10-2021", only here).
_CANONICAL = re.compile(
    r"<link\b[^>]*?\brel\s*=\s*[\"']?canonical[^>]*?\bhref\s*=\s*[\"']([^\"']+)"
    r"|<link\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"'][^>]*?\brel\s*=\s*[\"']?canonical",
    re.I,
)
_URL_DAY = re.compile(
    r"/(?:[^/?#]*?[-_])?(?P<a6>\d\d)(?P<s6>[-_.])(?P<b6>\d\d)(?P=s6)(?P<y6>(?:19|20)\d\d)"
    r"(?=[/?#._-]|$)"
)


def _url_day(html: str) -> str | None:
    """The day written day (or month) first in the page's canonical address, where the order
    is certain (see `_day`), or None."""
    link = _CANONICAL.search(html)
    match = _URL_DAY.search(link.group(1) or link.group(2)) if link else None
    return _day(match) if match else None
