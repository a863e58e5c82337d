"""Parameters that define wire-copy fingerprints and the copy/not-copy decision."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

#: Fields that change the fingerprint bytes; a change requires re-fingerprinting stored articles.
FINGERPRINT_FIELDS = (
    "version",
    "num_perm",
    "seed",
    "scheme",
    "shingling",
    "entity_k",
    "lead_perm",
    "lead_shingles",
    "run_words",
    "run_perm",
)
#: Signature schemes this version can make (the first is the default).
SCHEMES = ("datasketch-affine32", "mulshift64")
#: Shingle sources this version can make (the first is the default; "word3-nfkc-lower": every
#: token of the text, as fingerprint version 2 did).
SHINGLINGS = ("word3-nfkc-lower-prose", "word3-nfkc-lower")


class ParamsMismatch(ValueError):
    """Stored fingerprints were made with parameters that differ from this run's."""


@dataclass(frozen=True)
class DedupParams:
    """Everything that defines a fingerprint (first block) and how copies are decided (second).

    Thresholds (second block) can change without re-fingerprinting: a `recluster` is enough.
    """

    version: int = 6
    num_perm: int = 128
    seed: int = 1
    #: What makes the signatures. "datasketch-affine32": `datasketch.MinHash(num_perm, seed)`
    #: with datasketch 2.0's default `affine32` permutations, fed 32-bit shingle hashes
    #: (uint32 values, as `LeanMinHash` stores them). "mulshift64": copydesk 0.1's own 64-bit
    #: multiply-shift permutations, kept for comparison only.
    scheme: str = "datasketch-affine32"
    #: NFKC, lower-cased `\w+` tokens (max 40 chars, digits kept) of prose lines only (8 or
    #: more tokens, or 5 or more ending like a sentence: page chrome such as "Print", "1 / 19"
    #: or "Enter City and State or Zip Code" is left out), word 3-gram shingles hashed to 64
    #: bits (splitmix64 of a multiply-add over code points), top 32 bits for datasketch.
    shingling: str = "word3-nfkc-lower-prose"
    #: bottom-k size of the name/number sketch (context-keyed, see `fingerprint`).
    entity_k: int = 128
    #: lead signature: a MinHash of `lead_perm` 16-bit values over the first `lead_shingles`
    #: prose shingles, so that a teaser (a story's first paragraphs) is proposed against and
    #: checked on the story's lead, which the whole-text signature cannot see.
    lead_perm: int = 16
    lead_shingles: int = 150
    #: run signature (version 6): a MinHash of `run_perm` values over the runs of `run_words`
    #: consecutive prose words none of which is inside a quotation. Two texts whose shared
    #: signature values include quoted ones (the `quote_prose_min` check) must also agree on a
    #: run value, i.e. share such a run: reports quoting one statement and sharing only short
    #: stock phrases stay apart, a copy shares long runs of its own prose. Stored with the blob
    #: and read back only for the pairs that reach that check (not held in the index).
    run_words: int = 16
    run_perm: int = 64

    # --- decision (no re-fingerprint needed) ---
    #: estimated share of the shorter document's shingles found in the canonical.
    containment_threshold: float = 0.6
    #: estimated Jaccard at or above which a copy is called "near" rather than "contained".
    near_threshold: float = 0.5
    #: where names/numbers sit in the same context in both texts, the share that must agree.
    entity_agreement: float = 0.85
    #: fewer aligned name/number contexts than this: no veto (not enough evidence).
    entity_min_common: int = 4
    #: a document with fewer prose shingles than this (~words) only joins identical text.
    min_shingles: int = 75
    #: two texts whose shared shingles lie mostly in quotations are no copies when the
    #: shingles they share outside quotations are under this share of the smaller one's own
    #: (unquoted) prose: reports quoting one statement (fingerprint version 5 flags quotations).
    #: Since version 6 they must also share a run of `run_words` words outside quotations.
    #: 0 turns both checks off.
    quote_prose_min: float = 0.3
    #: share of a page two unrelated stories must each cover to make it a compilation page.
    part_share: float = 0.1
    #: share of a story's shingles a page must hold to count as carrying (part of) it there.
    part_min: float = 0.4
    #: two stories on one page share under this share of the shorter one's shingles (more:
    #: versions of one story, as rewrites covering different halves of it are).
    apart_max: float = 0.1
    #: LSH banding over the first bands*rows permutations.
    bands: int = 64
    rows: int = 2
    #: LSH bands (two values each) over the lead signature, beside the main bands.
    lead_bands: int = 8

    def __post_init__(self) -> None:
        if self.num_perm <= 0 or self.num_perm % 8:
            raise ValueError(f"num_perm must be a positive multiple of 8, got {self.num_perm}")
        if self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"bands*rows ({self.bands}*{self.rows}) exceeds num_perm ({self.num_perm}); "
                "lower bands or rows"
            )
        if not 0.0 < self.containment_threshold <= 1.0:
            raise ValueError("containment_threshold must be in (0, 1]")
        if self.shingling not in SHINGLINGS or self.scheme not in SCHEMES:
            raise ValueError(
                f"unsupported shingling/scheme {self.shingling!r}/{self.scheme!r}; "
                f"this version supports one of {SHINGLINGS} with one of {SCHEMES}"
            )
        if not 0 < self.entity_k <= 255:
            raise ValueError("entity_k must be in 1..255")
        if not 0 < self.lead_perm <= 255 or 2 * self.lead_bands > self.lead_perm:
            raise ValueError(
                f"lead_perm must be in 1..255 and hold lead_bands two-value bands, got "
                f"lead_perm={self.lead_perm}, lead_bands={self.lead_bands}; lower lead_bands"
            )
        if self.lead_shingles <= 0:
            raise ValueError("lead_shingles must be positive")
        if self.run_words < 1 or not 0 < self.run_perm <= min(255, self.num_perm):
            raise ValueError(
                f"run_words must be positive and run_perm in 1..min(255, num_perm), got "
                f"run_words={self.run_words}, run_perm={self.run_perm}"
            )

    @property
    def shingle_size(self) -> int:
        return 3

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, s: str) -> DedupParams:
        data = json.loads(s)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParamsMismatch(f"unknown dedup parameters {unknown}; upgrade copydesk")
        return cls(**data)

    def check_compatible(self, stored_json: str) -> None:
        """Raise ParamsMismatch when fingerprints stored with `stored_json` cannot be used here.

        Only fingerprint-defining fields matter; different thresholds are fine (recluster).
        """
        stored = json.loads(stored_json)
        mine = asdict(self)
        diffs = [f"{k}={stored.get(k)!r}" for k in FINGERPRINT_FIELDS if stored.get(k) != mine[k]]
        if diffs:
            theirs = ", ".join(diffs)
            ours = ", ".join(f"{k}={mine[k]!r}" for k in FINGERPRINT_FIELDS if f"{k}=" in theirs)
            raise ParamsMismatch(
                f"fingerprints were stored with {theirs}, this run uses {ours}; "
                "run `copydesk recluster --rebuild` to re-fingerprint the corpus"
            )
