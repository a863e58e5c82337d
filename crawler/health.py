"""Source health: challenge and consent pages, silent sources, sharp drops in volume."""

from __future__ import annotations

import re
from statistics import median

from storage.discovery import SourceRun

__all__ = ["assess", "challenge_kind"]

# Patterns are lower-case; they are matched against the lower-cased head of the page.
_CHALLENGE = re.compile(
    rb"cf-browser-verification|cf_chl_|challenge-platform|just a moment\.\.\.|"
    rb"checking your browser|attention required!? \| cloudflare|ddos-guard|"
    rb"please enable (?:javascript and )?cookies|are you a robot|captcha-delivery|"
    rb"px-captcha|access denied</title>|verify you are human",
)
_CONSENT = re.compile(
    rb"consent\.(?:google|yahoo|cookiebot)|<title>[^<]*(?:cookie|consent|privacy choices)"
    rb"[^<]*</title>|before you continue to|we value your privacy</",
)

#: A source whose documents changed but that found less than this share of its usual
#: volume (the median of its last finished crawls) has dropped sharply.
DROP_RATIO = 0.2
#: Volume checks need this many earlier crawls, with at least this median.
MIN_HISTORY = 3
MIN_USUAL = 10


def challenge_kind(body: bytes) -> str | None:
    """``challenge`` or ``consent`` when a 2xx page is a bot wall or cookie wall, else None."""
    # Lower-case once and match case-sensitive patterns: re.I over 20 KB costs ~6x more.
    head = body[:20000].lower()
    if _CHALLENGE.search(head):
        return "challenge"
    if _CONSENT.search(head) and len(body) < 60000:
        return "consent"
    return None


def assess(run: SourceRun, history: list[int]) -> SourceRun:
    """Flag a source that yields nothing, is walled, or found far less than usual.

    ``history`` holds the ``found`` counts of the source's earlier finished crawls (newest
    first). A source whose feeds and sitemaps all answered 304 is healthy: nothing changed.
    """
    problems: list[dict[str, str]] = []
    walled = sum(run.dropped.get(k, 0) for k in ("challenge", "consent"))
    if walled:
        problems.append({"flag": "walled", "detail": f"{walled} challenge or consent pages"})
    if run.found == 0 and run.unchanged == 0:
        read = run.feeds_read + run.sitemaps_read + run.sections_read
        detail = f"{read} feeds/sitemaps/sections read, {run.errors} errors"
        problems.append({"flag": "empty", "detail": f"no article URLs found ({detail})"})
    if run.unchanged == 0 and len(history) >= MIN_HISTORY:
        usual = median(history)
        if usual >= MIN_USUAL and run.found < DROP_RATIO * usual:
            problems.append(
                {"flag": "volume_drop", "detail": f"found {run.found}, usually {usual:g}"}
            )
    run.problems = problems
    run.health = "broken" if problems else "ok"
    return run
