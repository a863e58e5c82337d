"""Datasette hooks: corpus metadata, the wire-story page, front-page charts, cell links."""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Request, Response
from markupsafe import Markup, escape

from copydesk.datasette.charts import DailyCount, articles_per_day_chart, duplicate_share_chart
from copydesk.wirediff import AlignedRow, align_copies, diff_paragraphs, paragraphs
from storage.datasette_meta import (
    CHART_DAILY_SQL,
    WIRE_CLUSTER_SQL,
    WIRE_ROOT_SQL,
    is_corpus,
    metadata,
)

__all__ = [
    "extra_template_vars",
    "get_metadata",
    "register_routes",
    "render_cell",
    "wire_path",
]

logger = logging.getLogger(__name__)

PLUGIN = "copydesk.datasette"
_LINK_COLUMNS = ("wire_story", "cluster_id")
_known_corpora: set[str] = set()


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


def wire_path(datasette: Any, database: str, story_id: int) -> str:
    """The URL path of the wire-story page of the cluster holding article ``story_id``."""
    return str(datasette.urls.path(f"/{quote(database)}/-/wire/{int(story_id)}"))


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> Any:
    names = corpus_names(datasette)
    return copy.deepcopy(metadata(names)) if names else {}


@hookimpl
def render_cell(value: Any, column: str, database: str, datasette: Any) -> Any:
    if column in _LINK_COLUMNS and isinstance(value, int) and database in corpus_names(datasette):
        href = wire_path(datasette, database, value)
        return Markup(f'<a href="{escape(href)}" title="Wire-story page">{value}</a>')
    return None


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [(r"^/(?P<database>[^/]+)/-/wire/(?P<story_id>\d+)$", wire_page)]


@hookimpl
def extra_template_vars(
    view_name: str, database: str | None, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]] | None:
    if view_name not in ("database", "index"):
        return None

    async def charts() -> dict[str, Any]:
        names = corpus_names(datasette)
        if view_name == "database":
            names = [name for name in names if name == database]
        out = []
        for name in names[:3]:
            rows = await datasette.get_database(name).execute(CHART_DAILY_SQL)
            counts = [DailyCount(r["day"], r["site"], r["articles"], r["copies"]) for r in rows]
            if not counts:
                continue
            per_day, legend = articles_per_day_chart(counts)
            out.append(
                {
                    "database": name,
                    "per_day": per_day,
                    "legend": legend,
                    "share": duplicate_share_chart(counts),
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


async def wire_page(datasette: Any, request: Request) -> Response:
    """Every outlet's copy of one wire story side by side, with its changes highlighted."""
    name = request.url_vars["database"]
    story_id = int(request.url_vars["story_id"])
    try:
        db = datasette.get_database(name)
    except KeyError as exc:
        raise NotFound(f"Database not found: {name}") from exc
    await datasette.ensure_permissions(request.actor, [("view-database", name), "view-instance"])
    if name not in corpus_names(datasette):
        raise NotFound(f"{name} is not a Copydesk corpus")
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
