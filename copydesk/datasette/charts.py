"""Small inline SVG charts for the corpus front page (no JavaScript, no network)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

__all__ = ["OTHER", "TOTAL", "DailyCount", "bin_of", "bin_width", "volume_charts"]

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
_W, _H = 880, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 12, 58


@dataclass(frozen=True)
class DailyCount:
    """Articles (and how many are copies) one series had on one day: a site, or `TOTAL` for
    all sites together."""

    day: str
    site: str
    articles: int
    copies: int


TOTAL = ""
OTHER = "other sites"
OTHER_COLOUR = "#bab0ac"
#: Bin widths by the longest range (in days) they are used for.
BIN_WIDTHS = ((120, "day"), (3 * 366, "week"), (None, "month"))


def bin_width(first: str, last: str) -> str:
    """'day', 'week' or 'month': bars narrow enough to read over the range first..last."""
    days = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    for limit, width in BIN_WIDTHS:
        if limit is None or days <= limit:
            return width
    raise AssertionError("unreachable")


def bin_of(day: str, width: str) -> str:
    """The first day of the bin of ``width`` that ``day`` falls in."""
    if width == "day":
        return day
    when = date.fromisoformat(day)
    if width == "week":
        return (when - timedelta(days=when.weekday())).isoformat()
    return when.replace(day=1).isoformat()


def _bins(first: str, last: str, width: str) -> list[str]:
    """Every bin from first to last, empty ones included (a gap in a crawl shows)."""
    out: list[str] = []
    when = date.fromisoformat(bin_of(first, width))
    end = date.fromisoformat(last)
    while when <= end:
        out.append(when.isoformat())
        if width == "day":
            when += timedelta(days=1)
        elif width == "week":
            when += timedelta(days=7)
        else:
            when = (when.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def _label(bin_day: str, width: str) -> str:
    return bin_day[:7] if width == "month" else bin_day


def volume_charts(
    counts: Sequence[DailyCount], first: str, last: str, sites: Sequence[str]
) -> tuple[Markup, Markup, list[tuple[str, str]], str]:
    """The stacked articles chart (``sites`` in order, then all others), the copies-share
    chart, the legend (name, colour) and the bin width, over first..last.

    "Other sites" are the `TOTAL` counts less those of ``sites``; without `TOTAL` counts
    the chart shows ``sites`` alone."""
    width = bin_width(first, last)
    bins = _bins(first, last, width)
    index = {b: i for i, b in enumerate(bins)}
    series = [*sites, OTHER]
    colour = {site: PALETTE[i % len(PALETTE)] for i, site in enumerate(sites)}
    colour[OTHER] = OTHER_COLOUR
    stacks = [dict.fromkeys(series, 0) for _ in bins]
    totals = [[0, 0] for _ in bins]
    has_total = any(c.site == TOTAL for c in counts)
    bin_index: dict[str, int | None] = {}
    for c in counts:
        i = bin_index.get(c.day, -1)
        if i == -1:
            i = bin_index[c.day] = index.get(bin_of(c.day, width))
        if i is None:
            continue
        if c.site == TOTAL or not has_total:
            totals[i][0] += c.articles
            totals[i][1] += c.copies
        if c.site != TOTAL:
            stacks[i][c.site if c.site in colour else OTHER] += c.articles
    if has_total:
        for stack, total in zip(stacks, totals, strict=True):
            stack[OTHER] = total[0] - sum(stack[site] for site in sites)
    ymax = _nice_max(max((t[0] for t in totals), default=0))
    plot_h, step, bar = _bar_geometry(len(bins))
    labels = [_label(b, width) for b in bins]
    body: list[str] = []
    share_body: list[str] = []
    for i, b in enumerate(bins):
        x = _LEFT + step * i + (step - bar) / 2
        y = float(_TOP + plot_h)
        for name in series:
            n = stacks[i][name]
            if not n:
                continue
            h = plot_h * n / ymax
            y -= h
            who = name
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour[name]}" data-site="{escape(who)}">'
                f"<title>{escape(_label(b, width))} {escape(who)}: {n} articles</title></rect>"
            )
        articles, copies = totals[i]
        share = 100.0 * copies / articles if articles else 0.0
        h = plot_h * share / 100
        share_body.append(
            f'<rect x="{x:.1f}" y="{_TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'class="share"><title>{escape(_label(b, width))}: {copies} of {articles} articles '
            f"are copies ({share:.0f}%)</title></rect>"
        )
    per = f"Articles per {width}"
    legend = [(name, colour[name]) for name in series if name != OTHER or has_total]
    return (
        _frame(f"{per} by site", body, labels, ymax, ""),
        _frame(f"Share of articles that are copies, per {width}", share_body, labels, 100, "%"),
        legend,
        width,
    )


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
