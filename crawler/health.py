"""Source health: challenge and consent pages, silent sources, sharp drops in volume."""

from __future__ import annotations

from statistics import median

from copydesk.reasons import Reason
from storage.discovery import SourceRun

__all__ = ["assess", "challenge_kind"]

# Plain substrings of the lower-cased head of a page: `in` is a fast byte search, where a
# regex alternation over 20 KB costs ~0.4 ms a page on the crawl's main thread.
_CHALLENGE_MARKERS = (
    b"cf-browser-verification",
    b"cf_chl_",
    b"challenge-platform",
    b"just a moment...",
    b"checking your browser",
    b"| cloudflare",
    b"ddos-guard",
    b"please enable cookies",
    b"please enable javascript and cookies",
    b"are you a robot",
    b"captcha-delivery",
    b"px-captcha",
    b"access denied</title>",
    b"verify you are human",
)
_CONSENT_MARKERS = (
    b"consent.google",
    b"consent.yahoo",
    b"consent.cookiebot",
    b"before you continue to",
    b"we value your privacy</",
)
_CONSENT_TITLE_WORDS = (b"cookie", b"consent", b"privacy choices")

#: A source whose documents changed but that found less than this share of its usual
#: volume (the median of its last finished crawls) has dropped sharply.
DROP_RATIO = 0.2
#: Volume checks need this many earlier crawls, with at least this median.
MIN_HISTORY = 3
MIN_USUAL = 10


def challenge_kind(body: bytes) -> Reason | None:
    """``challenge`` or ``consent`` when a 2xx page is a bot wall or cookie wall, else None."""
    head = body[:20000].lower()
    if any(marker in head for marker in _CHALLENGE_MARKERS):
        return Reason.CHALLENGE
    if len(body) < 60000 and (
        any(marker in head for marker in _CONSENT_MARKERS) or _consent_title(head)
    ):
        return Reason.CONSENT
    return None


def _consent_title(head: bytes) -> bool:
    start = head.find(b"<title")
    if start < 0:
        return False
    end = head.find(b"</title>", start)
    title = head[start : end if end >= 0 else start + 300]
    return any(word in title for word in _CONSENT_TITLE_WORDS)


def assess(run: SourceRun, history: list[int]) -> SourceRun:
    """Flag a source whose callbacks raised, that yields nothing, is walled, or found far
    less than usual.

    ``history`` holds the ``found`` counts of the source's earlier finished crawls (newest
    first). A source whose feeds and sitemaps all answered 304 is healthy: nothing changed.
    """
    problems: list[dict[str, str]] = []
    if run.crashed:
        problems.append({"flag": "crashed", "detail": f"{run.crashed} callbacks raised"})
    walled = sum(run.dropped.get(k, 0) for k in (Reason.CHALLENGE, Reason.CONSENT))
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
