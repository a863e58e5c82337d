"""URL hygiene and URL-shape classification: canonical URLs, article/section/other, traps."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urldefrag, urlsplit

from courlan import normalize_url
from w3lib.url import safe_url_string, url_query_cleaner

__all__ = [
    "SESSION_PARAMS",
    "canonicalize",
    "classify",
    "date_in_url",
    "is_listing",
    "page_number",
    "trap_reason",
]

#: Query parameters that carry a session, never content (trackers are removed by courlan).
SESSION_PARAMS = ("jsessionid", "phpsessid", "sid", "sessionid", "session_id", "aspsessionid")
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.I)

#: Path segments naming a listing of articles rather than an article.
LISTING_SEGMENTS = frozenset(
    {
        "tag", "tags", "category", "categories", "section", "sections", "topic", "topics",
        "author", "authors", "autor", "archive", "archives", "page", "series", "keyword",
        "keywords", "label", "labels", "theme", "themes", "rubrik", "rubrique", "dossier",
        "byline", "contributors", "columnists",
    }
)  # fmt: skip
#: Path segments of pages that are neither articles nor lists of them.
OTHER_SEGMENTS = frozenset(
    {
        "login", "logout", "signin", "signup", "register", "account", "subscribe",
        "subscription", "newsletter", "newsletters", "search", "cart", "checkout", "shop",
        "wp-admin", "wp-login.php", "wp-json", "feed", "feeds", "rss", "privacy", "terms",
        "cookies", "cookie-policy", "contact", "about", "about-us", "impressum", "imprint",
        "advertise", "careers", "jobs", "help", "faq", "print", "share", "comments", "amp",
        "cdn-cgi", "static", "assets",
    }
)  # fmt: skip
#: Path segments and query keys of calendars and date pickers, which never end.
CALENDAR_WORDS = frozenset(
    {"calendar", "calendars", "kalender", "agenda", "events", "event-calendar", "ical"}
)
CALENDAR_KEYS = frozenset(
    {"date", "day", "month", "year", "week", "cal", "calendar", "from", "to", "end"}
)
FACET_KEYS = frozenset(
    {"sort", "order", "orderby", "filter", "facet", "view", "display", "format", "limit",
     "per_page", "replytocom", "share", "print", "output", "lang", "mode", "layout"}
)  # fmt: skip
PAGE_KEYS = frozenset({"page", "pg", "paged", "start", "offset"})
FILE_EXTENSIONS = frozenset(
    {
        ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".css", ".js", ".xml",
        ".rss", ".atom", ".json", ".zip", ".gz", ".mp3", ".mp4", ".mov", ".avi", ".doc",
        ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".ics", ".txt", ".ico", ".woff", ".woff2",
    }
)  # fmt: skip
PAGE_EXTENSIONS = (".html", ".htm", ".shtml", ".php", ".asp", ".aspx", ".jsp", ".cms")

_YEAR = re.compile(r"^(19|20)\d\d$")
_MONTH = re.compile(r"^(0?[1-9]|1[0-2])$")
_DAY = re.compile(r"^(0?[1-9]|[12]\d|3[01])$")
_ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)")
_LONG_NUMBER = re.compile(r"\d{4,}")
_ID = re.compile(r"(?:^|[-_])\d{3,}(?:$|[-_])")
#: Path segments that introduce a single article.
ARTICLE_SEGMENTS = frozenset(
    {"article", "articles", "story", "stories", "post", "posts", "a", "p", "item", "artikel"}
)
_WORD_SPLIT = re.compile(r"[-_+.]+")


@functools.lru_cache(maxsize=16384)
def canonicalize(url: str) -> str:
    """A URL's canonical form: lower-case scheme and host, no default port, no fragment,
    no tracking or session parameters, sorted query (courlan + w3lib).

    Memoised (a bounded LRU cache): the spider canonicalizes each article URL when it finds
    it and again when it builds the request, and the extraction pipeline once more when the
    page declares its own URL as canonical; each costs ~45 µs.
    """
    url = safe_url_string(url.strip())
    url = _PATH_SESSION.sub("", url)
    sessions = [k for k in _keys_raw(url) if k.lower() in SESSION_PARAMS]
    if sessions:
        url = url_query_cleaner(url, sessions, remove=True, unique=False, keep_fragments=True)
    url = normalize_url(url)
    return urldefrag(url)[0]


def _segments(path: str) -> list[str]:
    return [s for s in path.lower().split("/") if s]


def _stem(segment: str) -> str:
    for ext in PAGE_EXTENSIONS:
        if segment.endswith(ext):
            return segment[: -len(ext)]
    return segment


def _date_prefix(segments: list[str]) -> tuple[int, int]:
    """Where a /YYYY/MM/DD date path starts in the segments and how many parts it has."""
    for i, seg in enumerate(segments):
        if _YEAR.match(seg):
            n = 1
            if i + 1 < len(segments) and _MONTH.match(segments[i + 1]):
                n = 2
                if i + 2 < len(segments) and _DAY.match(segments[i + 2]):
                    n = 3
            return i, n
    return -1, 0


def date_in_url(url: str) -> str | None:
    """The publication day a URL shows (/2025/03/11/slug or 2025-03-11) as ``YYYY-MM-DD``."""
    segments = _segments(urlsplit(url).path)
    start, n = _date_prefix(segments)
    parts: tuple[str, str, str] | None = None
    if n == 3 and start + 3 < len(segments):
        parts = (segments[start], segments[start + 1], segments[start + 2])
    else:
        match = _ISO_DATE.search(urlsplit(url).path)
        if match:
            parts = (match.group(1), match.group(2), match.group(3))
    if parts is None:
        return None
    try:
        day = datetime(int(parts[0]), int(parts[1]), int(parts[2]), tzinfo=UTC)
    except ValueError:
        return None
    return day.date().isoformat()


def trap_reason(url: str, max_page: int = 10, now: datetime | None = None) -> str | None:
    """Why following a URL would lead into a crawler trap, or None.

    Calendars (calendar paths, date-picker parameters, years far from now), faceted URLs
    (sort/filter parameters, many parameters), endless pagination (page > ``max_page``),
    session ids, and looping or overlong paths.
    """
    parts = urlsplit(url)
    segments = _segments(parts.path)
    query = parse_qsl(parts.query, keep_blank_values=True)
    keys = [k.lower() for k, _ in query]
    if len(url) > 400 or len(segments) > 10:
        return "overlong"
    if len(segments) != len(set(segments)) and len(segments) - len(set(segments)) >= 2:
        return "loop"
    if any(word in CALENDAR_WORDS for word in segments) or CALENDAR_KEYS & set(keys):
        return "calendar"
    if ";" in parts.path and _PATH_SESSION.search(parts.path):
        return "session"
    if any(k in SESSION_PARAMS for k in keys):
        return "session"
    if FACET_KEYS & set(keys) or len(keys) > 3:
        return "faceted"
    this_year = (now or datetime.now(UTC)).year
    start, n = _date_prefix(segments)
    if n and not 1995 <= int(segments[start]) <= this_year + 1:
        return "calendar"
    page = _page_number(segments, query)
    if page is not None and page > max_page:
        return "pagination"
    return None


def page_number(url: str) -> int | None:
    """The page number of a paginated listing URL (``/page/3/``, ``?page=3``), or None."""
    parts = urlsplit(url)
    return _page_number(_segments(parts.path), parse_qsl(parts.query))


def _page_number(segments: list[str], query: list[tuple[str, str]]) -> int | None:
    for key, value in query:
        if key.lower() in PAGE_KEYS and value.isdigit():
            return int(value)
    for i, seg in enumerate(segments[:-1]):
        if seg in ("page", "p", "seite", "pagina") and segments[i + 1].isdigit():
            return int(segments[i + 1])
    return None


def is_listing(url: str) -> bool:
    """Whether a URL is surely a listing (homepage, tag, category, author, date archive, page)."""
    parts = urlsplit(url)
    segments = _segments(parts.path)
    if not segments:
        return True
    if any(seg in LISTING_SEGMENTS for seg in segments):
        return True
    keys = {k.lower() for k, _ in parse_qsl(parts.query)}
    if keys & PAGE_KEYS and _page_number(segments, parse_qsl(parts.query)) is not None:
        return True
    start, n = _date_prefix(segments)
    # a date archive: the path ends with the date (/2025/ /2025/03/ /2025/03/11/)
    return n > 0 and start + n == len(segments)


def classify(url: str, link_text: str | None = None) -> str:
    """``article``, ``section`` or ``other`` from the URL's shape (and the link's text).

    Articles have a slug of three or more words, a long numeric id, or a date path followed
    by a slug; sections are the homepage, listing paths (tag, category, author, archives,
    pagination) and short word-only paths (``/world/``, ``/news/business/``); files, feeds,
    accounts, search and legal pages are ``other``. A long link text (six words or more)
    makes an otherwise unclassifiable URL an article.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "other"
    segments = _segments(parts.path)
    last = segments[-1] if segments else ""
    suffix = "." + last.rsplit(".", 1)[1] if "." in last else ""
    if suffix in FILE_EXTENSIONS:
        return "other"
    if any(seg in OTHER_SEGMENTS for seg in segments) or (parts.query and "s" in _keys(url)):
        return "other"
    if not segments and {"p", "id", "story", "article"} & _keys(url):
        return "article"  # /?p=123: a WordPress post by id
    if is_listing(url):
        return "section"
    stem, named = _stem(last), last
    if stem in ("index", "default", "home") and len(segments) > 1:
        stem = named = segments[-2]
    words = [w for w in _WORD_SPLIT.split(stem) if w]
    start, n = _date_prefix(segments)
    if n >= 2 and start + n < len(segments):
        return "article"
    if len(words) >= 3 or _LONG_NUMBER.search(stem) or _ID.search(stem):
        return "article"
    if stem != named and stem not in ("index", "default", "home"):
        return "article"  # a page file (/world/strike-ends.html)
    if len(segments) >= 2 and segments[-2] in ARTICLE_SEGMENTS and stem:
        return "article"  # /article/abc, /story/quake
    if len(segments) <= 2 and not any(c.isdigit() for c in "".join(segments)):
        if link_text and len(link_text.split()) >= 6 and len(segments) == 2:
            return "article"
        return "section"
    if link_text and len(link_text.split()) >= 6:
        return "article"
    return "other"


def _keys_raw(url: str) -> list[str]:
    return [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]


def _keys(url: str) -> set[str]:
    return {k.lower() for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
