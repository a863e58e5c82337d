"""Datasette hooks: corpus metadata, the reading pages (article, search, site, wire story),
front-page charts, cell links."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import NotFound, Request, Response
from markupsafe import Markup, escape

from copydesk.datasette.charts import DailyCount, volume_charts
from copydesk.wirediff import AlignedRow, align_copies, diff_paragraphs, paragraphs
from storage.datasette_meta import (
    ALSO_RAN_SQL,
    ARTICLE_SQL,
    ARTICLES_COUNT_SQL,
    CHART_DAILY_SQL,
    CHART_RANGE_SQL,
    CHART_TOP_SITES_SQL,
    COUNTED_TABLES,
    SEARCH_FLOOR_SQL,
    SEARCH_PAGE_SQL,
    SITE_DAILY_SQL,
    SITE_LATEST_SQL,
    SITE_TOTALS_SQL,
    SOURCE_HEALTH_SQL,
    WIRE_CLUSTER_SQL,
    WIRE_ROOT_SQL,
    articles_hint,
    is_corpus,
    metadata,
)

__all__ = [
    "extra_template_vars",
    "get_metadata",
    "register_routes",
    "render_cell",
    "startup",
    "wire_path",
]

logger = logging.getLogger(__name__)

PLUGIN = "copydesk.datasette"
_LINK_COLUMNS = ("wire_story", "cluster_id")
_ARTICLE_LINK_TABLES = ("articles", "articles_view", None)  # None: canned queries
_known_corpora: set[str] = set()
#: path -> (when read, about how many articles); re-read after `_SIZE_TTL` seconds.
_sizes: dict[str, tuple[float, int]] = {}
_SIZE_TTL = 60.0
#: Sites drawn in their own colour on the charts; the rest are stacked as "other sites".
TOP_SITES = 8
SEARCH_PAGE_SIZE = 30
#: Best-first search ranks the newest this many matches (ranking all matches of a common word
#: would take seconds at a million articles).
BEST_WINDOW = 5000
SITE_LATEST = 30


def corpus_names(datasette: Any) -> list[str]:
    """Names of the attached databases that are Copydesk corpora."""
    names = []
    for name, db in datasette.databases.items():
        path = getattr(db, "path", None)
        if not path or db.is_memory:
            continue
        if path in _known_corpora or is_corpus(path):
            _known_corpora.add(path)
            names.append(name)
    return names


def corpus_sizes(datasette: Any) -> dict[str, int]:
    """Name -> about how many articles, of each attached corpus (re-read once a minute)."""
    out = {}
    now = time.monotonic()
    for name in corpus_names(datasette):
        path = datasette.databases[name].path
        seen = _sizes.get(path)
        if seen is None or now - seen[0] > _SIZE_TTL:
            seen = _sizes[path] = (now, articles_hint(path))
        out[name] = seen[1]
    return out


def wire_path(datasette: Any, database: str, story_id: int) -> str:
    """The URL path of the wire-story page of the cluster holding article ``story_id``."""
    return str(datasette.urls.path(f"/{quote(database)}/-/wire/{int(story_id)}"))


def article_path(datasette: Any, database: str, article_id: int) -> str:
    """The URL path of an article's reading page."""
    return str(datasette.urls.path(f"/{quote(database)}/-/article/{int(article_id)}"))


def site_path(datasette: Any, database: str, site: str) -> str:
    """The URL path of a site's page."""
    return str(datasette.urls.path(f"/{quote(database)}/-/site/{quote(site, safe='')}"))


def search_path(datasette: Any, database: str) -> str:
    return str(datasette.urls.path(f"/{quote(database)}/-/search"))


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> Any:
    sizes = corpus_sizes(datasette)
    # Built afresh on every call (datasette may merge other metadata into what it gets):
    # much cheaper than copying a cached one, and datasette asks several hundred times a page.
    return metadata(sizes) if sizes else {}


def _row_id(row: Any) -> int | None:
    try:
        value = row["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, int) else None


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    if database not in corpus_names(datasette):
        return None
    if column in _LINK_COLUMNS and isinstance(value, int):
        href = wire_path(datasette, database, value)
        return Markup(f'<a href="{escape(href)}" title="Wire-story page">{value}</a>')
    if column == "title" and table in _ARTICLE_LINK_TABLES and isinstance(value, str):
        article_id = _row_id(row)
        if article_id is not None:
            href = article_path(datasette, database, article_id)
            return Markup(f'<a href="{escape(href)}" title="Read the article">{escape(value)}</a>')
    if column in ("site", "first_publisher") and isinstance(value, str) and value:
        href = site_path(datasette, database, value)
        return Markup(f'<a href="{escape(href)}" title="Site page">{escape(value)}</a>')
    return None


@hookimpl
def startup(datasette: Any) -> None:
    for name in corpus_names(datasette):
        db = datasette.get_database(name)
        db.table_counts = _summary_counts(db)


def _summary_counts(db: Any) -> Callable[..., Awaitable[dict[str, int | None]]]:
    """A replacement for datasette's ``Database.table_counts`` of a corpus.

    Datasette counts every table on the index and database pages, with a time limit that
    cannot stop SQLite's ``count(*)`` of a table: counting the search index's shadow tables
    of a million articles takes seconds. Articles are counted from the per-site totals, the
    small tables of `COUNTED_TABLES` as datasette does, the others not at all (datasette
    shows no count, as when its time limit cuts a count short).
    """

    async def table_counts(limit: int = 10) -> dict[str, int | None]:
        counts: dict[str, int | None] = dict.fromkeys(await db.table_names())
        for table in counts:
            sql = ARTICLES_COUNT_SQL if table == "articles" else f"select count(*) from [{table}]"
            if table != "articles" and table not in COUNTED_TABLES:
                continue
            try:
                counts[table] = (await db.execute(sql, custom_time_limit=limit)).first()[0]
            except (QueryInterrupted, sqlite3.DatabaseError):
                counts[table] = None
        return counts

    return table_counts


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [
        (r"^/(?P<database>[^/]+)/-/wire/(?P<story_id>\d+)$", wire_page),
        (r"^/(?P<database>[^/]+)/-/article/(?P<article_id>\d+)$", article_page),
        (r"^/(?P<database>[^/]+)/-/search$", search_page),
        (r"^/(?P<database>[^/]+)/-/site/(?P<site>[^/]+)$", site_page),
    ]


def _day_arg(request: Request, name: str) -> str | None:
    value = request.args.get(name) or ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


async def _range(db: Any, request: Request) -> tuple[str, str, str, str] | None:
    """(since, until, first, last): the asked-for day range clipped to the days the corpus
    covers; None for an empty corpus."""
    first, last = (await db.execute(CHART_RANGE_SQL)).first() or (None, None)
    if not first or not last:
        return None
    since = max(_day_arg(request, "since") or first, first)
    until = min(_day_arg(request, "until") or last, last)
    if since > until:
        since, until = first, last
    return since, until, first, last


def _shortcuts(first: str, last: str) -> list[tuple[str, str, str]]:
    """(label, since, until) of the quick range links."""
    end = date.fromisoformat(last)
    out = []
    for label, days in (("last 30 days", 30), ("last 90 days", 90), ("last year", 365)):
        since = max((end - timedelta(days=days - 1)).isoformat(), first)
        out.append((label, since, last))
    out.append(("everything", first, last))
    return out


async def _charts(db: Any, request: Request, site: str | None = None) -> dict[str, Any] | None:
    span = await _range(db, request)
    if span is None:
        return None
    since, until, first, last = span
    window = {"since": since, "until": until}
    if site is None:
        top = [
            r["site"] for r in await db.execute(CHART_TOP_SITES_SQL, {**window, "top": TOP_SITES})
        ]
        rows = await db.execute(CHART_DAILY_SQL, {**window, "sites": json.dumps(top)})
    else:
        top = [site]
        rows = await db.execute(SITE_DAILY_SQL, {**window, "site": site})
    counts = [DailyCount(r["day"], r["series"], r["articles"], r["copies"]) for r in rows]
    per_bin, share, legend, width = volume_charts(counts, since, until, top)
    return {
        "per_bin": per_bin,
        "share": share,
        "legend": legend,
        "width": width,
        "since": since,
        "until": until,
        "first": first,
        "last": last,
        "shortcuts": _shortcuts(first, last),
    }


@hookimpl
def extra_template_vars(
    view_name: str, database: str | None, request: Request | None, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]] | None:
    if view_name not in ("database", "index") or request is None:
        return None

    async def charts() -> dict[str, Any]:
        names = corpus_names(datasette)
        if view_name == "database":
            names = [name for name in names if name == database]
        out = []
        for name in names[:3]:
            chart = await _charts(datasette.get_database(name), request)
            if chart is None:
                continue
            out.append(
                {
                    "database": name,
                    "search_url": search_path(datasette, name),
                    "action": datasette.urls.path("/")
                    if view_name == "index"
                    else datasette.urls.database(name),
                    **chart,
                }
            )
        return {"copydesk_charts": out}

    return charts


# -- the wire-story page ------------------------------------------------------------------------


@dataclass
class Outlet:
    """One column of the wire-story page."""

    article: dict[str, Any]
    canonical: bool
    offset: str
    counts: dict[str, int]


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def _offset(first: datetime | None, when: datetime | None, date_only: bool) -> str:
    if first is None or when is None:
        return ""
    seconds = (when - first).total_seconds()
    if seconds <= 0:
        return "first" if seconds == 0 else ""
    if date_only or seconds >= 2 * 86400:
        days = seconds / 86400
        return f"+{days:.0f} day{'s' if round(days) != 1 else ''}"
    if seconds >= 3600:
        return f"+{seconds / 3600:.1f} h"
    return f"+{seconds / 60:.0f} min"


async def _corpus_db(datasette: Any, request: Request) -> tuple[str, Any]:
    """The corpus database a page asks for, once the actor may read it."""
    name = request.url_vars["database"]
    try:
        db = datasette.get_database(name)
    except KeyError as exc:
        raise NotFound(f"Database not found: {name}") from exc
    await datasette.ensure_permissions(request.actor, [("view-database", name), "view-instance"])
    if name not in corpus_names(datasette):
        raise NotFound(f"{name} is not a Copydesk corpus")
    return name, db


async def wire_page(datasette: Any, request: Request) -> Response:
    """Every outlet's copy of one wire story side by side, with its changes highlighted."""
    name, db = await _corpus_db(datasette, request)
    story_id = int(request.url_vars["story_id"])
    root_row = (await db.execute(WIRE_ROOT_SQL, {"id": story_id})).first()
    if root_row is None:
        raise NotFound(f"No article {story_id}")
    root = root_row[0]
    members = [dict(row) for row in await db.execute(WIRE_CLUSTER_SQL, {"root": root})]
    canonical, copies = members[0], members[1:]
    base = paragraphs(canonical["text"] or "")
    copy_paragraphs = [paragraphs(c["text"] or "") for c in copies]
    rows: list[AlignedRow] = align_copies(base, copy_paragraphs)

    seen = [_when(m["seen"]) for m in members]
    known = [s for s in seen if s is not None]
    first = min(known) if known else None
    date_only = any(len(m["seen"] or "") <= 10 for m in members)
    outlets = [
        Outlet(
            canonical,
            True,
            _offset(first, seen[0], date_only),
            {"paragraphs": len(base)},
        )
    ]
    for member, when, paras in zip(copies, seen[1:], copy_paragraphs, strict=True):
        counts = {"unchanged": 0, "edited": 0, "added": 0, "removed": 0}
        for para in diff_paragraphs(base, paras):
            counts[para.kind] += 1
        outlets.append(Outlet(member, False, _offset(first, when, date_only), counts))
    first_outlet = min(
        range(len(members)), key=lambda i: (seen[i] is None, seen[i] or datetime.max, i)
    )
    context = {
        "database": name,
        "story_id": root,
        "title": canonical["title"] or f"Article {root}",
        "outlets": outlets,
        "rows": rows,
        "first_site": members[first_outlet]["site"],
        "sites": len({m["site"] for m in members}),
        "copies_url": datasette.urls.path(f"/{quote(name)}/article_copies?id={root}"),
        "article_url": datasette.urls.row(name, "articles", str(root)),
        "css_url": datasette.urls.static_plugins(PLUGIN, "copydesk.css"),
    }
    html = await datasette.render_template("copydesk_wire.html", context, request=request)
    return Response.html(html)


# -- reading pages ------------------------------------------------------------------------------


def _json_list(value: str | None) -> list[str]:
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return []
    return [str(i) for i in items] if isinstance(items, list) else []


def local_time(value: str | None) -> str:
    """A stored timestamp as the outlet's local time, e.g. '3 March 2025, 14:05 (UTC+01:00)';
    a bare date as '3 March 2025'; anything else as it is."""
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    day = f"{when.day} {when:%B %Y}"
    if len(value) <= 10:
        return day
    offset = when.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""
    return f"{day}, {when:%H:%M}{zone}"


def _common(datasette: Any, name: str) -> dict[str, Any]:
    return {
        "database": name,
        "database_url": datasette.urls.database(name),
        "search_url": search_path(datasette, name),
        "css_url": datasette.urls.static_plugins(PLUGIN, "copydesk.css"),
    }


def _listing(datasette: Any, name: str, row: Any) -> dict[str, Any]:
    """One article in a list: its link, site page and when."""
    item = dict(row)
    item["href"] = article_path(datasette, name, item["id"])
    item["site_href"] = site_path(datasette, name, item["site"]) if item.get("site") else None
    item["when"] = local_time(item.get("published") or item.get("fetched_at"))
    return item


async def article_page(datasette: Any, request: Request) -> Response:
    """One article as a reader wants it, with the outlets that also ran it."""
    name, db = await _corpus_db(datasette, request)
    article_id = int(request.url_vars["article_id"])
    row = (await db.execute(ARTICLE_SQL, {"id": article_id})).first()
    if row is None:
        raise NotFound(f"No article {article_id}")
    article = dict(row)
    root = article["duplicate_of"] or article_id
    also = [
        _listing(datasette, name, r)
        for r in await db.execute(ALSO_RAN_SQL, {"root": root, "id": article_id})
    ]
    for item in also:
        item["role"] = "original" if item["duplicate_of"] is None else (item["relation"] or "copy")
    context = {
        **_common(datasette, name),
        "article": article,
        "title": article["title"] or article["url"],
        "authors": _json_list(article["authors"]),
        "tags": _json_list(article["tags"]),
        "when": local_time(article["published"]),
        "fetched": local_time(article["fetched_at"]),
        "paragraphs": paragraphs(article["text"] or ""),
        "site_url": site_path(datasette, name, article["site"]),
        "also": also,
        "wire_url": wire_path(datasette, name, root) if also else None,
        "row_url": datasette.urls.row(name, "articles", str(article_id)),
        "json_url": datasette.urls.row(name, "articles", str(article_id)) + ".json",
    }
    html = await datasette.render_template("copydesk_article.html", context, request=request)
    return Response.html(html)


def _snippet_html(snippet: str | None) -> Markup:
    """An FTS snippet with its 0x02/0x03 markers as <mark> elements, the rest escaped."""
    text = str(escape(snippet or ""))
    return Markup(text.replace("\x02", "<mark>").replace("\x03", "</mark>"))


async def search_page(datasette: Any, request: Request) -> Response:
    """Full-text search with highlighted snippets, best matches or newest first."""
    name, db = await _corpus_db(datasette, request)
    q = (request.args.get("q") or "").strip()
    order = request.args.get("order") or "best"
    if order not in SEARCH_PAGE_SQL:
        order = "best"
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    results: list[dict[str, Any]] = []
    error = None
    windowed = False
    if q:
        params = {
            "q": q,
            "floor": 0,
            "limit": SEARCH_PAGE_SIZE + 1,
            "offset": (page - 1) * SEARCH_PAGE_SIZE,
        }
        try:
            if order == "best":
                floor = (
                    await db.execute(SEARCH_FLOOR_SQL, {"q": q, "window": BEST_WINDOW - 1})
                ).first()
                if floor is not None:
                    params["floor"] = floor[0]
                    windowed = True
            rows = await db.execute(SEARCH_PAGE_SQL[order], params)
        except Exception as exc:  # FTS5 syntax errors come back as sqlite3.OperationalError
            error = f'{exc}. Search takes words, "a phrase", OR, NOT and prefix*.'
            rows = []
        for r in rows:
            item = _listing(datasette, name, r)
            item["snippet"] = _snippet_html(item["snippet"])
            results.append(item)
    more = len(results) > SEARCH_PAGE_SIZE
    base = search_path(datasette, name)

    def link(**changes: Any) -> str:
        args = {"q": q, "order": order, "page": page, **changes}
        return base + "?" + "&".join(f"{k}={quote(str(v))}" for k, v in args.items())

    context = {
        **_common(datasette, name),
        "q": q,
        "order": order,
        "page": page,
        "error": error,
        "windowed": windowed,
        "best_window": f"{BEST_WINDOW:,}",
        "results": results[:SEARCH_PAGE_SIZE],
        "first_number": (page - 1) * SEARCH_PAGE_SIZE + 1,
        "next_url": link(page=page + 1) if more else None,
        "prev_url": link(page=page - 1) if page > 1 else None,
        "best_url": link(order="best", page=1),
        "newest_url": link(order="newest", page=1),
        "canned_url": datasette.urls.path(f"/{quote(name)}/search")
        + "?"
        + "&".join(f"{k}={quote(v)}" for k, v in (("q", q), ("since", ""), ("until", ""))),
    }
    html = await datasette.render_template("copydesk_search.html", context, request=request)
    return Response.html(html)


async def site_page(datasette: Any, request: Request) -> Response:
    """One site: volume over time, crawl health and its latest articles."""
    name, db = await _corpus_db(datasette, request)
    site = request.url_vars["site"]
    totals = dict((await db.execute(SITE_TOTALS_SQL, {"site": site})).first() or {})
    latest = [
        _listing(datasette, name, r)
        for r in await db.execute(SITE_LATEST_SQL, {"site": site, "limit": SITE_LATEST})
    ]
    if not latest:
        raise NotFound(f"No articles from {site}")
    chart = await _charts(db, request, site=site)
    sources = sorted({r["source"] for r in latest if r.get("source")})
    health = []
    for source in sources:
        for r in await db.execute(SOURCE_HEALTH_SQL, {"source": source}):
            item = dict(r)
            item["problems"] = [
                p.get("flag", str(p)) if isinstance(p, dict) else str(p)
                for p in json.loads(item["problems"] or "[]")
            ]
            health.append(item)
    flags = []
    last_day = totals.get("last_day")
    overall_last = chart["last"] if chart else None
    if last_day and overall_last and last_day < overall_last:
        quiet = (date.fromisoformat(overall_last) - date.fromisoformat(last_day)).days
        if quiet >= 2:
            flags.append(f"no article for {quiet} days before the corpus's latest day")
    flags.extend(f"{h['source']}: {h['health']}" for h in health if h["health"] != "ok")
    context = {
        **_common(datasette, name),
        "site": site,
        "totals": totals,
        "chart": chart,
        "action": site_path(datasette, name, site),
        "latest": latest,
        "health": health,
        "flags": flags,
        "table_url": datasette.urls.table(name, "articles") + f"?site={quote(site)}",
        "days_url": datasette.urls.table(name, "site_days") + f"?site={quote(site)}",
    }
    html = await datasette.render_template("copydesk_site.html", context, request=request)
    return Response.html(html)
