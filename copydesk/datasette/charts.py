"""Small inline SVG charts for the corpus front page (no JavaScript, no network)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["DailyCount", "articles_per_day_chart", "duplicate_share_chart"]

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
MAX_DAYS = 90
_W, _H = 880, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 12, 58


@dataclass(frozen=True)
class DailyCount:
    """Articles (and how many are copies) one site published on one day."""

    day: str
    site: str
    articles: int
    copies: int


def _days(counts: Sequence[DailyCount]) -> list[str]:
    return sorted({c.day for c in counts})[-MAX_DAYS:]


def _frame(title: str, body: Iterable[str], labels: list[str], ymax: float, unit: str) -> Markup:
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    parts = [
        f'<svg class="copydesk-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {_W} {_H}" width="100%" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):
        value = ymax * k / 4
        y = _TOP + plot_h - plot_h * k / 4
        text = f"{value:.0f}{unit}" if unit else f"{value:g}"
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{text}</text>'
        )
    parts.extend(body)
    step = plot_w / max(len(labels), 1)
    every = max(1, len(labels) // 15)
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = _LEFT + step * (i + 0.5)
        y = _TOP + plot_h + 10
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" transform="rotate(-40 {x:.1f} {y:.1f})" '
            f'text-anchor="end" class="tick">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar_geometry(days: int) -> tuple[float, float, float]:
    """Plot height, the distance between bars and a bar's width for ``days`` bars."""
    plot_w = _W - _LEFT - _RIGHT
    step = plot_w / max(days, 1)
    return float(_H - _TOP - _BOTTOM), step, max(step * 0.7, 1.0)


def _nice_max(value: float) -> float:
    if value <= 4:
        return 4
    step = 10 ** (len(str(int(value))) - 1)
    for mult in (1, 2, 2.5, 5, 10):
        top = step * mult
        if top >= value:
            return top
    return step * 10


def articles_per_day_chart(counts: Sequence[DailyCount]) -> tuple[Markup, list[tuple[str, str]]]:
    """A stacked bar chart of articles per day by site, and its legend (site, colour)."""
    days = _days(counts)
    sites = sorted({c.site for c in counts})
    colour = {site: PALETTE[i % len(PALETTE)] for i, site in enumerate(sites)}
    by_day: dict[str, list[DailyCount]] = {day: [] for day in days}
    for c in counts:
        if c.day in by_day:
            by_day[c.day].append(c)
    ymax = _nice_max(max((sum(c.articles for c in v) for v in by_day.values()), default=0))
    plot_h, step, bar = _bar_geometry(len(days))
    body: list[str] = []
    for i, day in enumerate(days):
        y = float(_TOP + plot_h)
        for c in sorted(by_day[day], key=lambda c: c.site):
            h = plot_h * c.articles / ymax
            y -= h
            x = _LEFT + step * i + (step - bar) / 2
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour[c.site]}" data-site="{escape(c.site)}">'
                f"<title>{escape(day)} {escape(c.site)}: {c.articles} articles</title></rect>"
            )
    svg = _frame("Articles per day per site", body, days, ymax, "")
    return svg, [(site, colour[site]) for site in sites]


def duplicate_share_chart(counts: Sequence[DailyCount]) -> Markup:
    """Bars of the share of each day's articles that copy another article, in percent."""
    days = _days(counts)
    totals = {day: [0, 0] for day in days}
    for c in counts:
        if c.day in totals:
            totals[c.day][0] += c.articles
            totals[c.day][1] += c.copies
    plot_h, step, bar = _bar_geometry(len(days))
    body: list[str] = []
    for i, day in enumerate(days):
        articles, copies = totals[day]
        share = 100.0 * copies / articles if articles else 0.0
        h = plot_h * share / 100
        x = _LEFT + step * i + (step - bar) / 2
        body.append(
            f'<rect x="{x:.1f}" y="{_TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'class="share"><title>{escape(day)}: {copies} of {articles} articles are copies '
            f"({share:.0f}%)</title></rect>"
        )
    return _frame("Share of articles that are copies, per day", body, days, 100, "%")
