"""The ``DropItem`` of an expected rejection, carrying its reason from :mod:`copydesk.reasons`."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from copydesk.reasons import is_lasting

__all__ = ["Rejected"]


class Rejected(DropItem):
    """A page or article not stored, for ``reason`` (a :class:`copydesk.reasons.Reason`).

    ``lasting`` says whether the URL is left alone by later runs. An unknown reason raises
    :class:`copydesk.reasons.UnknownReason`: a new reason must be classified first.
    """

    def __init__(self, reason: str, url: str, detail: str = "", log_level: str = "DEBUG") -> None:
        self.lasting = is_lasting(reason)
        super().__init__(f"{reason}: {url}{f' ({detail})' if detail else ''}", log_level)
        self.reason = str(reason)
