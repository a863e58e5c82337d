"""Split annotated pages into training and held-out parts by a hash of their site."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

__all__ = ["HELDOUT_PERCENT", "site_of", "site_split"]

#: Share of sites (by hash of the host) whose pages are held out of block-classifier training.
HELDOUT_PERCENT = 20


def site_of(url: str | None) -> str:
    """The URL's host, lower-cased, without ``www.``."""
    return (urlsplit(url or "").hostname or "").lower().removeprefix("www.")


def site_split(url: str | None, heldout_percent: int = HELDOUT_PERCENT) -> str:
    """``"heldout"`` or ``"train"`` from a hash of the URL's site, so a site is all on one side.

    Splitting by site rather than by page keeps one template from being seen in training and
    then scored as if it were new.
    """
    site = site_of(url)
    bucket = int(hashlib.sha256(site.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "heldout" if bucket < heldout_percent else "train"
