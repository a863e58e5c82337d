"""Wire-copy detection: fingerprints, a compact LSH index and canonical-anchored clustering."""

from __future__ import annotations

from copydesk.dedup.cluster import Assignment, Deduper, OrderKey
from copydesk.dedup.fingerprint import Fingerprint, fingerprint
from copydesk.dedup.params import DedupParams, ParamsMismatch

__all__ = [
    "Assignment",
    "DedupParams",
    "Deduper",
    "Fingerprint",
    "OrderKey",
    "ParamsMismatch",
    "fingerprint",
]
