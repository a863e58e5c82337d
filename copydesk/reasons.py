"""Why a page or URL is not stored: the one vocabulary of rejection reasons, each lasting or not.

A *lasting* rejection stands: the URL is recorded in ``discoveries`` and not fetched again for
``COPYDESK_RETRY_REJECTED_DAYS`` (the page is not HTML, is gone, is not an article...). A
passing one (a server error, a bot wall, a topic crawl's off-topic article) may be fetched
again by the next run. Every component raises or reports one of these; the value is the stat
key (``copydesk/dropped/<value>``) and the ``discoveries.outcome`` of a lasting rejection.
Reasons of feeds and sitemaps (``feed_<why>``, ``sitemap_<why>``) and of HTTP statuses other
than 404 and 410 (``http_<status>``) form families, all passing: see :func:`is_lasting`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FAMILIES", "LASTING", "Reason", "UnknownReason", "family_reason", "is_lasting"]


class UnknownReason(ValueError):
    """A reason outside the vocabulary: add it to :class:`Reason`, saying whether it lasts."""


class Reason(StrEnum):
    """A rejection reason; ``lasting`` says whether the URL is left alone by later runs."""

    lasting: bool

    def __new__(cls, value: str, lasting: bool) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.lasting = lasting
        return member

    # What the page turned out to be, once fetched: lasting.
    NOT_HTML = "not_html", True
    HTTP_404 = "http_404", True
    HTTP_410 = "http_410", True
    EMPTY = "empty", True
    UNPARSABLE = "unparsable", True
    NOT_ARTICLE_TYPE = "not_article_type", True  # the page-type gate: product, forum, listing
    NO_TEXT = "no_text", True
    TOO_SHORT = "too_short", True
    PAGE_TOO_LARGE = "page_too_large", True  # over the per-page byte budget, before parsing
    TOO_MANY_ELEMENTS = "too_many_elements", True  # over the element budget, before parsing
    LINK_LIST = "link_list", True  # 1,000+ links holding half the text: a list of links
    TOO_LONG = "too_long", True  # more text than COPYDESK_MAX_CHARS: a dump, not an article
    # Announced or found but not asked for: lasting.
    LISTING = "listing", True
    OUTSIDE_WINDOW = "outside_window", True  # lasting, but a wider window asks again
    # A feed's or sitemap's entry that cannot be asked for (counted, never fetched): lasting.
    BAD_SCHEME = "bad_scheme", True  # not http(s): mailto:, javascript:...
    BAD_URL = "bad_url", True  # not a well-formed URL
    BAD_ENTRY = "bad_entry", True  # an entry the parser cannot read at all
    # May change by the next run: passing.
    CHALLENGE = "challenge", False  # a bot wall instead of the page
    CONSENT = "consent", False  # a cookie wall instead of the page
    HOMEPAGE_NOT_HTML = "homepage_not_html", False
    OFF_TOPIC = "off_topic", False  # depends on the topic crawl's query
    ALREADY_STORED = "already_stored", False  # nothing to remember: the article is stored
    INTEGRITY = "integrity", False  # the corpus refused the row
    PAGE_TIMEOUT = "page_timeout", False  # over the per-page time budget in a worker
    PAGE_MEMORY = "page_memory", False  # over the worker's memory budget
    EXTRACT_ERROR = "extract_error", False  # an unexpected error on this page (a bug: logged)
    WORKER_DIED = "worker_died", False  # its worker died twice while extracting it
    DISK_FULL = "disk_full", False  # not stored: the disk filled and the crawl stopped
    HANDOFF_FAILED = "handoff_failed", False  # the hand-off Redis went away (multi-machine)


#: Prefixes of reasons built from another vocabulary (a feed's or sitemap's parse error, an
#: HTTP status); all passing.
FAMILIES = ("feed_", "sitemap_", "http_")

#: The reasons that stop a URL from being fetched again (``discoveries.outcome`` values).
LASTING: tuple[str, ...] = tuple(reason.value for reason in Reason if reason.lasting)


def _member(value: str) -> Reason | None:
    member = Reason._value2member_map_.get(value)
    return member if isinstance(member, Reason) else None


def family_reason(prefix: str, why: str | int) -> str:
    """``feed_bad_xml``, ``http_503``: a reason of a family (a member when one is named so)."""
    if prefix not in FAMILIES:
        raise UnknownReason(f"{prefix!r} is not a reason family; use one of {FAMILIES}")
    value = f"{prefix}{why}"
    return _member(value) or value


def is_lasting(reason: str) -> bool:
    """Whether ``reason`` stops its URL from being fetched again; raises for unknown reasons."""
    member = _member(reason)
    if member is not None:
        return member.lasting
    if reason.startswith(FAMILIES):
        return False
    raise UnknownReason(
        f"unknown rejection reason {reason!r}: add it to copydesk.reasons.Reason, "
        "saying whether it lasts"
    )
