"""Canonical-anchored clustering of fingerprints: exact, near and contained copies."""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from copydesk.dedup.entities import FingerprintLookup, InMemorySketches, RecentSketches
from copydesk.dedup.fingerprint import (
    QUOTE_BIT,
    SIG_BITS,
    SIG_MASK,
    Fingerprint,
    decode_many,
    decode_signatures,
    pack16,
    share_run,
    signature_prefix,
)
from copydesk.dedup.index import (
    BandIndex,
    Column,
    RunBuilder,
    band_coefficients,
    band_keys,
    composite,
)
from copydesk.dedup.order import UNDATED, instant_us, instants_us
from copydesk.dedup.params import DedupParams

logger = logging.getLogger(__name__)

#: (published ISO or "", fetched_at ISO, key). Dated articles sort before undated ones (an undated
#: page never becomes canonical over a dated copy); then by published instant, first fetched, key.
OrderKey = tuple[str, str, int]
#: A batch of `Corpus.dedup_orders`: rows of (id, published_us, fetched_us, duplicate_of), and
#: {id: (published, fetched_at)} for the rows with a NULL instant (to be parsed here).
OrderBatch = tuple[
    Sequence[tuple[int, int | None, int | None, int | None]],
    Mapping[int, tuple[str | None, str]],
]
#: Batches of (article id, fingerprint blob) in id order, or a function of the first id wanted
#: that returns them.
FingerprintBatches = Iterable[Sequence[tuple[int, bytes]]]
Fingerprints = FingerprintBatches | Callable[[int], FingerprintBatches]

#: b-bit minwise hashing (Li & König): the index and the verifier keep the low 15 bits of each
#: MinHash value (the corpus keeps all 32) beside its quote flag (`pack16`). Two different
#: values agree on them by chance with probability 2**-15, which `_verify` subtracts from the
#: agreement rate.
_CHANCE = 2.0**-SIG_BITS
#: A match with under this share of the other's shingles is a part of it (see `_part_of`).
_PART = 0.8
#: `_canon` of a copy whose canonical left the window: it is no candidate any more.
EVICTED = -2
#: With a window, the index is compacted each time its horizon moved on by this share of it.
SLACK = 0.125


#: Offsets the seed of the lead bands' coefficients from the main bands'.
_LEAD_SALT = 0x1EAD


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two packed signatures (`pack16`) agree, quote flags aside."""
    return ((a ^ b) & np.uint16(SIG_MASK)) == 0


def _estimate(a: np.ndarray, b: np.ndarray, na: int, nb: int) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set) estimated from two packed MinHash signatures
    (`pack16`) of sets of `na` and `nb` shingles; chance agreement of 15-bit values
    subtracted."""
    eq = float(np.count_nonzero(_same(a, b))) / len(a)
    j = max(0.0, (eq - _CHANCE) / (1.0 - _CHANCE))
    inter = j * (na + nb) / (1.0 + j)
    return j, min(1.0, inter / min(na, nb))


@dataclass(frozen=True)
class Assignment:
    """Where one article belongs.

    `similarity`: estimated Jaccard with the canonical. `containment`: estimated share of the
    shorter of the two documents' shingles that the other one contains.
    """

    key: int
    duplicate_of: int | None
    relation: str | None  # "exact" | "near" | "contained" | None
    similarity: float | None
    containment: float | None
    #: Published before the window's horizon: not compared, not indexed (see `Deduper`).
    deferred: bool = False


@dataclass(frozen=True)
class _Verdict:
    match: bool
    relation: str | None
    similarity: float
    containment: float


class Deduper:
    """Clusters articles so that every copy is verified against its cluster's canonical.

    A new article's LSH candidates are mapped to their canonicals and only canonicals are
    verified, so A≈B≈C never puts unrelated A and C together.

    Signatures are datasketch MinHashes (`DedupParams.scheme`); the LSH index is copydesk's own
    `BandIndex` (sorted uint64 runs, ~0.53 KB per article at 64 bands) rather than datasketch's
    `MinHashLSH` (dicts of lists, ~3.3 KB per article), to stay near the 1 KB/article budget.

    With a `window` (microseconds), the index is bounded in publication time. An article's time
    is its publication instant, or its fetch instant when that is earlier (a page dated in the
    future) or the page is undated. The horizon is the newest time seen minus the window: an
    article older than the horizon is not compared nor indexed (its assignment says
    `deferred`; `recluster_window` places it later), and articles that fall behind the horizon
    stop being candidates at once and leave memory when the index is compacted, each time the
    horizon moved on by `SLACK` of the window. The newest time seen, not the clock, sets the
    horizon: a backfill of an old year into a fresh corpus is compared within its own weeks,
    and a crawl that stops for a month does not find its index empty when it starts again.
    """

    def __init__(
        self,
        params: DedupParams | None = None,
        lookup: FingerprintLookup | None = None,
        recent: int = 4096,
        window: int | None = None,
        slack: float = SLACK,
    ) -> None:
        """`lookup(key)` returns a stored article's fingerprint: with it, name/number sketches
        of all but the `recent` last assigned articles are read back from storage when needed
        instead of being held in memory (see `RecentSketches`). `window`: the publication
        window of the index in microseconds (None: unbounded)."""
        if window is not None and window <= 0:
            raise ValueError(f"dedup window must be positive, got {window} µs; omit it for none")
        self.window = window
        self.slack = slack
        #: The newest article time indexed (None before the first one).
        self.newest: int | None = None
        self._compacted_at: int | None = None
        #: Articles dropped from the index by compaction, and articles deferred, so far.
        self.evicted = 0
        self.deferred = 0
        self.params = params or DedupParams()
        p = self.params
        self._coefs = band_coefficients(p.bands, p.seed)
        self._lead_coefs = band_coefficients(p.lead_bands, p.seed + _LEAD_SALT)
        self._index = BandIndex(p.bands + p.lead_bands)
        self._keys = Column(np.int64)
        self._sig = Column(np.uint16, (p.num_perm,))
        self._lead = Column(np.uint16, (p.lead_perm,))
        self._nsh = Column(np.uint32)
        self._thash = Column(np.uint64)
        self._lookup = lookup
        self._sketches: InMemorySketches | RecentSketches = (
            InMemorySketches(p.entity_k, p.run_perm)
            if lookup is None
            else RecentSketches(p.entity_k, lookup, recent, p.run_perm)
        )
        self._pub = Column(np.int64)
        self._fetch = Column(np.int64)
        self._canon = Column(np.int64)
        #: canonical -> members that joined it as a part (shorter, "contained"): the hub check
        #: compares a new part with them. Holds articles assigned since the index was built.
        self._parts: dict[int, list[int]] = {}
        #: canonicals found to be compilation pages: nothing joins them as a part any more.
        self._hubs: set[int] = set()
        self._new_hubs: list[int] = []
        #: copies found to hold a second story beside their canonical: to be re-placed.
        self._exposed: list[int] = []
        #: How many indexed articles are copies (point at another canonical), counting those
        #: a window's compaction dropped since.
        self.copies = 0

    def __len__(self) -> int:
        return len(self._keys)

    def _set_canon(self, i: int, c: int) -> None:
        """Point article i at canonical c (i itself: canonical; -1: undecided); counts copies."""
        before = int(self._canon[i])
        self.copies += (c >= 0 and c != i) - (before not in (-1, i))
        self._canon.set(i, c)

    # ---- the window ----------------------------------------------------------------------
    @property
    def horizon(self) -> int | None:
        """The oldest article time compared (None: no window, or nothing indexed yet)."""
        if self.window is None or self.newest is None:
            return None
        return self.newest - self.window

    def _advance(self, t: int) -> None:
        """Note an indexed article's time; compact when the horizon moved far enough."""
        if t >= UNDATED or (self.newest is not None and t <= self.newest):
            return
        self.newest = t
        h = self.horizon
        assert h is not None and self.window is not None
        if self._compacted_at is None:
            self._compacted_at = h
        elif h - self._compacted_at >= self.slack * self.window:
            self.compact()

    def _times(self, ids: np.ndarray) -> np.ndarray:
        return np.minimum(self._pub.take(ids), self._fetch.take(ids))

    def _in_window(self, ids: np.ndarray) -> np.ndarray:
        h = self.horizon
        return ids if h is None or len(ids) == 0 else ids[self._times(ids) >= h]

    def compact(self) -> None:
        """Drop the articles behind the horizon from memory and rebuild the LSH index from the
        others; copies whose canonical is dropped stop being candidates (`EVICTED`)."""
        h = self.horizon
        if h is None:
            return
        self._compacted_at = h
        n = len(self)
        keep = np.flatnonzero(np.minimum(self._pub.all(), self._fetch.all()) >= h)
        if len(keep) == n:
            return
        moved = np.full(n, -1, np.int64)
        moved[keep] = np.arange(len(keep))
        old = self._canon.all()[keep]
        canon = np.where(old >= 0, moved[np.maximum(old, 0)], EVICTED)
        canon[canon < 0] = EVICTED
        for name in ("_keys", "_sig", "_lead", "_nsh", "_thash", "_pub", "_fetch"):
            setattr(self, name, getattr(self, name).kept(keep))
        self._canon = Column(np.int64)
        self._canon.extend(canon)
        self._sketches.compact(keep, moved)
        self._parts = {
            int(moved[c]): [int(moved[m]) for m in ms if moved[m] >= 0]
            for c, ms in self._parts.items()
            if moved[c] >= 0
        }
        self._hubs = {int(moved[c]) for c in self._hubs if moved[c] >= 0}
        self.evicted += n - len(keep)
        self._reindex()

    def _reindex(self) -> None:
        """A new LSH index of every article held (after a compaction)."""
        p = self.params
        self._index = BandIndex(p.bands + p.lead_bands)
        builder = RunBuilder(len(self) * (p.bands + p.lead_bands))
        for ci, chunk in enumerate(self._sig.chunks):
            start = ci << 14
            rows = min(len(chunk), len(self) - start)
            live = np.flatnonzero(self._nsh.chunks[ci][:rows] > 0)
            if len(live):
                keys = self._band_keys(chunk[live], self._lead.chunks[ci][live])
                builder.add(composite(keys, live + start))
        self._index.add_runs(builder.runs())

    def nbytes(self) -> int:
        """Bytes held in the Deduper's arrays (columns and LSH index)."""
        cols = [
            self._keys,
            self._sig,
            self._lead,
            self._nsh,
            self._thash,
            self._pub,
            self._fetch,
            self._canon,
        ]
        return sum(c.nbytes() for c in cols) + self._sketches.nbytes() + self._index.nbytes()

    # ---- storage -------------------------------------------------------------------------
    def _append(self, key: int, fp: Fingerprint, pub: int, fetch: int, canon: int) -> int:
        i = self._keys.append(key)
        self._sig.append(pack16(fp.sig, fp.quote_flags))
        self._lead.append(fp.lead16)
        self._nsh.append(fp.n_shingles)
        self._thash.append(int(fp.text_hash[:16], 16))
        self._sketches.append(i, key, fp)
        self._pub.append(pub)
        self._fetch.append(fetch)
        self._canon.append(i if canon < 0 else canon)
        return i

    def _check_fp(self, fp: Fingerprint) -> None:
        p = self.params
        if len(fp.signature) != 4 * p.num_perm or len(fp.lead) != 2 * p.lead_perm:
            raise ValueError(
                f"fingerprint has {len(fp.signature) // 4} permutations and a lead of "
                f"{len(fp.lead) // 2}, params say {p.num_perm} and {p.lead_perm}; "
                "re-fingerprint with these params (`copydesk recluster --rebuild`)"
            )

    def _order(self, i: int) -> tuple[int, int, int]:
        return (int(self._pub[i]), int(self._fetch[i]), int(self._keys[i]))

    # ---- decisions -----------------------------------------------------------------------
    def _entities_agree(self, a: int, b: int) -> bool:
        p = self.params
        ka, va, _ = self._sketches.get(a, int(self._keys[a]))
        kb, vb, _ = self._sketches.get(b, int(self._keys[b]))
        la, lb = len(ka), len(kb)
        if la == 0 or lb == 0:
            return True
        tau = np.uint32(0xFFFFFFFF)
        if la == p.entity_k:
            tau = min(tau, ka[-1])
        if lb == p.entity_k:
            tau = min(tau, kb[-1])
        _, ia, ib = np.intersect1d(ka, kb, assume_unique=True, return_indices=True)
        keep = ka[ia] <= tau
        n = int(keep.sum())
        if n < p.entity_min_common:
            return True
        same = int((va[ia[keep]] == vb[ib[keep]]).sum())
        return same >= p.entity_agreement * n

    def _verify(self, new: int, canon: int) -> _Verdict:
        p = self.params
        if int(self._thash[new]) == int(self._thash[canon]):
            return _Verdict(True, "exact", 1.0, 1.0)
        na, nb = int(self._nsh[new]), int(self._nsh[canon])
        if min(na, nb) < max(1, p.min_shingles):  # too little prose: identical text only
            return _Verdict(False, None, 0.0, 0.0)
        j, c = _estimate(self._sig[new], self._sig[canon], na, nb)
        whole = c >= p.containment_threshold
        if not whole and min(na, nb) <= p.lead_shingles < max(na, nb):
            # A teaser: the shorter text, short enough to be all lead, may be the other's lead.
            lead = min(na, p.lead_shingles), min(nb, p.lead_shingles)
            c = max(c, _estimate(self._lead[new], self._lead[canon], *lead)[1])
        if (
            c < p.containment_threshold
            or (whole and self._quotation_only(new, canon, j))
            or not self._entities_agree(new, canon)
        ):
            return _Verdict(False, None, j, c)
        return _Verdict(True, "near" if j >= p.near_threshold else "contained", j, c)

    def _quotation_only(self, a: int, b: int, j: float) -> bool:
        """Whether what a and b share is mostly a quotation both carry rather than their prose:
        the shingles they share outside quotations are under `quote_prose_min` of the smaller
        one's own (unquoted) prose. Two reports quoting one statement share the statement; a
        copy shares the prose around it too.

        Shares are estimated from the signatures: a value agreeing in both is a shared shingle,
        quoted when its quote flag is set in either; the flags set in one signature estimate
        the share of that text in quotations.

        When they share enough, they must also share a run of `run_words` words outside
        quotations (fingerprint version 6): reports quoting one statement share, beside it, only
        short stock phrases ("said in a statement on"); a copy shares long runs of its prose.
        The run signatures are read back (from storage, with a lookup) only here."""
        p = self.params
        if p.quote_prose_min <= 0:  # the rule is off
            return False
        sa, sb = self._sig[a], self._sig[b]
        same = _same(sa, sb)
        quoted_a, quoted_b = (sa & np.uint16(QUOTE_BIT)) != 0, (sb & np.uint16(QUOTE_BIT)) != 0
        m = int(np.count_nonzero(same))
        mq = int(np.count_nonzero(same & (quoted_a | quoted_b)))
        if mq == 0 or m == 0:
            return False
        na, nb = int(self._nsh[a]), int(self._nsh[b])
        k = len(sa)
        shared_prose = j * (na + nb) / (1.0 + j) * (m - mq) / m
        prose = min(
            na * (1.0 - np.count_nonzero(quoted_a) / k), nb * (1.0 - np.count_nonzero(quoted_b) / k)
        )
        if shared_prose < p.quote_prose_min * max(prose, 1.0):
            return True
        runs_a = self._sketches.get(a, int(self._keys[a]))[2]
        runs_b = self._sketches.get(b, int(self._keys[b]))[2]
        return runs_a is not None and runs_b is not None and not share_run(runs_a, runs_b)

    def _part_of(self, i: int, c: int, v: _Verdict) -> bool:
        """Whether i matched c as a part of it: i is not exact and has under `_PART` of c's
        shingles (so most of c is something else: the rest of a story, or another one)."""
        return v.relation != "exact" and int(self._nsh[i]) < _PART * int(self._nsh[c])

    def _compilation(self, i: int, verdicts: list[tuple[int, _Verdict]]) -> bool:
        """Whether i carries two stories: two canonicals it holds (each matched as a part of
        i, or with `part_min` of its own shingles in i: the first half of a story), each
        `part_share` of i or more, are apart (`_apart`) and sit in parts of i that do not
        overlap much (together at most 1 + `part_share` of i)."""
        p = self.params
        held = [
            (c, share)
            for c, v in verdicts
            if ((v.match and self._part_of(c, i, v)) or v.containment >= p.part_min)
            and (share := self._share(c, i, v)) >= p.part_share
        ]
        return any(
            sa + sb <= 1.0 + p.part_share and self._apart(a, b)
            for (a, sa), (b, sb) in itertools.combinations(held, 2)
        )

    def _apart(self, a: int, b: int) -> bool:
        """Whether a and b are two stories, not versions of one: they share under
        `apart_max` of the shorter one's shingles (rewrites of one story share more)."""
        return self._verify(a, b).containment < self.params.apart_max

    def _share(self, a: int, b: int, v: _Verdict) -> float:
        """Estimated share of b's shingles that a holds (from the verdict of a against b)."""
        nb = int(self._nsh[b])
        return v.containment * min(int(self._nsh[a]), nb) / nb if nb else 0.0

    def _splits(self, i: int, c: int, v: _Verdict, parts: Sequence[int]) -> bool:
        """Whether i shows page c to hold two stories: i covers `part_share` of c or more and
        so does one of `parts`, apart from i (`_apart`), elsewhere in c."""
        p = self.params
        mine = self._share(i, c, v)
        if mine < p.part_share:
            return False
        for m in parts:
            theirs = self._share(m, c, self._verify(m, c))
            if mine + theirs <= 1.0 + p.part_share and self._apart(i, m):
                return True
        return False

    def _fits_parts(self, i: int, c: int) -> bool:
        """A new part i of canonical c must not sit beside an unrelated part elsewhere in c:
        two stories contained in c side by side make c a compilation page (a hub)."""
        return not self._splits(
            i, c, self._verify(i, c), [m for m in self._parts.get(c, ()) if m != i]
        )

    def _release_hubs(self) -> list[Assignment]:
        """Parts that joined a canonical since found to be a compilation page are re-placed,
        and so are copies found to be compilation pages."""
        out: list[Assignment] = []
        while self._exposed:  # it stands alone: the second story it carries is newer
            m = self._exposed.pop()
            self._set_canon(m, m)
            out.append(self._assignment(m, None))
        while self._new_hubs:
            parts = sorted(self._parts.pop(self._new_hubs.pop(), []), key=self._order)
            for m in parts:
                self._set_canon(m, -1)
            for m in parts:
                out.extend(self._reassign(m))
        return out

    def _join(self, i: int, c: int, v: _Verdict) -> None:
        self._set_canon(i, c)
        if self._part_of(i, c, v):
            self._parts.setdefault(c, []).append(i)

    def _candidates(
        self, i: int, keys: np.ndarray, assigned_only: bool
    ) -> tuple[list[int], list[int]]:
        """(canonicals of i's LSH candidates, candidates that are copies holding their
        canonical as a part: pages that may carry a second story)."""
        ids = self._index.query(keys)
        if len(ids) == 0:
            return [], []
        ids = np.unique(ids)
        ids = self._in_window(ids[ids != i])
        canons = self._canon.take(ids)
        placed = canons >= 0
        wide = placed & (canons != ids)
        wide[wide] = self._nsh.take(canons[wide]) < _PART * self._nsh.take(ids[wide])
        if assigned_only or self.window is not None:
            canons = canons[placed]
        return sorted(set(self._in_window(np.unique(canons)).tolist()) - {i}), ids[wide].tolist()

    def _exposes(self, i: int, m: int) -> bool:
        """Whether i shows page m, a copy of canonical c that holds c as a part, to carry a
        second story: i holds `part_min` of itself in m, over `part_share` of m, beside c."""
        p = self.params
        c = int(self._canon[m])
        v = self._verify(i, m)
        if v.containment < p.part_min:
            return False
        mine = self._share(i, m, v)
        theirs = self._share(c, m, self._verify(c, m))
        return mine >= p.part_share and mine + theirs <= 1.0 + p.part_share and self._apart(i, c)

    def _best(
        self, i: int, canons: list[int], pages: Sequence[int] = ()
    ) -> tuple[int, _Verdict] | None:
        p = self.params
        mine = self._order(i)
        for m in pages:
            if self._order(m) < mine and m not in self._hubs and self._exposes(i, m):
                self._hubs.add(m)
                self._exposed.append(m)
        verdicts = [(c, self._verify(i, c)) for c in canons]
        matches = [(c, v) for c, v in verdicts if v.match]
        for c, v in verdicts:  # i sits beside a part of page c, not in it: c carries two stories
            if (
                not v.match
                and v.containment >= p.part_min
                and c in self._parts
                and c not in self._hubs
                and self._splits(i, c, v, self._parts[c])
            ):
                self._hubs.add(c)
                self._new_hubs.append(c)
        if self._compilation(i, verdicts):
            return None
        best: tuple[tuple[float, ...], int, _Verdict] | None = None
        for c, v in matches:
            if c in self._hubs and v.relation != "exact":  # a compilation page: no copy joins
                continue
            if self._part_of(i, c, v) and not self._fits_parts(i, c):
                if c not in self._hubs:
                    self._hubs.add(c)
                    self._new_hubs.append(c)
                continue
            rank = (
                v.relation == "exact",
                v.containment,
                v.similarity,
                *(-x for x in self._order(c)),
            )
            if best is None or rank > best[0]:
                best = (rank, c, v)
        return None if best is None else (best[1], best[2])

    def _keys_of(self, fp: Fingerprint) -> np.ndarray:
        return self._band_keys(pack16(fp.sig, fp.quote_flags)[None, :], fp.lead16[None, :])[0]

    def _band_keys(self, sig16: np.ndarray, lead16: np.ndarray) -> np.ndarray:
        """(n, bands + lead_bands) LSH keys of packed signatures (`pack16`, quote flags left
        out) and lead signatures: the main bands, then the lead bands."""
        p = self.params
        main = band_keys(sig16 & np.uint16(SIG_MASK), p.bands, p.rows, self._coefs)
        lead = band_keys(lead16, p.lead_bands, 2, self._lead_coefs)
        return np.concatenate([main, lead], axis=1)

    def _assignment(self, i: int, v: _Verdict | None) -> Assignment:
        c = int(self._canon[i])
        key = int(self._keys[i])
        if c == i or v is None:
            return Assignment(key, None, None, None, None)
        return Assignment(key, int(self._keys[c]), v.relation, v.similarity, v.containment)

    # ---- public API ----------------------------------------------------------------------
    def assign(self, key: int, fp: Fingerprint, order: OrderKey) -> list[Assignment]:
        """Decide where a new article belongs and index it.

        Element 0 is the new article; the rest are existing articles whose assignment changed
        (when the new article is older than canonicals it matches, it takes their clusters over).
        Only canonicals are verified against, so copies never chain.
        """
        self._check_fp(fp)
        return self._place(key, fp, instant_us(order[0]), instant_us(order[1]), defer=True)

    def _place(
        self, key: int, fp: Fingerprint, pub: int, fetch: int, defer: bool
    ) -> list[Assignment]:
        if self.window is not None:
            t = min(pub, fetch)
            h = self.horizon
            if defer and h is not None and t < h:
                self.deferred += 1
                return [Assignment(key, None, None, None, None, deferred=True)]
            self._advance(t)
        i = self._append(key, fp, pub, fetch, -1)
        keys = self._keys_of(fp)
        canons, pages = self._candidates(i, keys, False) if fp.n_shingles else ([], [])
        if fp.n_shingles:
            self._index.add(i, keys)
        mine = self._order(i)
        older = [c for c in canons if self._order(c) < mine]
        found = self._best(i, older, pages)
        released = self._release_hubs()
        if found is not None:
            self._join(i, found[0], found[1])
            return [self._assignment(i, found[1]), *released]
        self._set_canon(i, i)
        out = [self._assignment(i, None), *released]
        newer = [c for c in canons if self._order(c) > mine and self._verify(i, c).match]
        if not newer:
            return out
        # The new article is older than canonicals it matches: it takes those clusters over, as
        # `recluster` would. Their members are re-verified against it; misfits are re-placed.
        members = sorted({m for c in newer for m in self._members(c)}, key=self._order)
        for c in newer:
            self._parts.pop(c, None)
        orphans: list[int] = []
        for m in members:
            mv = self._verify(m, i)
            part = mv.match and self._part_of(m, i, mv)
            if mv.match and not (part and (i in self._hubs or not self._fits_parts(m, i))):
                self._join(m, i, mv)
                out.append(self._assignment(m, mv))
            elif part and i not in self._hubs:
                self._hubs.add(i)
                self._new_hubs.append(i)
                self._set_canon(m, -1)
                orphans.append(m)
            else:
                self._set_canon(m, -1)
                orphans.append(m)
        out.extend(self._release_hubs())
        for m in orphans:
            if int(self._canon[m]) < 0:
                out.extend(self._reassign(m))
        return out

    def _members(self, c: int) -> list[int]:
        found = [c]
        for ci, chunk in enumerate(self._canon.chunks):
            hits = np.flatnonzero(chunk == c)
            found.extend(int(h) + (ci << 14) for h in hits if int(h) + (ci << 14) < len(self))
        return sorted(set(found))

    def _reassign(self, i: int) -> list[Assignment]:
        """Place article i again (element 0) and re-place the parts of compilation pages
        this reveals (the rest)."""
        canons, pages = self._candidates(i, self._stored_keys(i), True)
        found = self._best(i, [c for c in canons if self._order(c) < self._order(i)], pages)
        if found is None:
            self._set_canon(i, i)
            mine = self._assignment(i, None)
        else:
            self._join(i, found[0], found[1])
            mine = self._assignment(i, found[1])
        return [mine, *self._release_hubs()]

    def _stored_keys(self, i: int) -> np.ndarray:
        return self._band_keys(self._sig[i][None, :], self._lead[i][None, :])[0]

    @property
    def stored_prefix(self) -> int | None:
        """How much of each stored fingerprint blob `load_stored` needs: the header and
        signature when name/number sketches are read back through the lookup, else all of it
        (None)."""
        p = self.params
        return signature_prefix(p.num_perm, p.lead_perm) if self._lookup is not None else None

    def load(
        self,
        docs: Iterable[tuple[int, Fingerprint | bytes, OrderKey, int | None]],
        batch: int = 8192,
    ) -> None:
        """Rebuild from stored (key, fingerprint or its blob, order, duplicate_of) rows."""
        loader = _Loader(self)
        rows: list[tuple[int, Fingerprint | bytes, OrderKey, int | None]] = []
        for row in itertools.chain(docs, [None]):
            if row is not None:
                rows.append(row)
                if len(rows) < batch:
                    continue
            if rows:
                loader.add(
                    np.fromiter((r[0] for r in rows), np.int64, len(rows)),
                    [fp if isinstance(fp, bytes) else fp.to_bytes() for _, fp, _, _ in rows],
                    instants_us([r[2][0] for r in rows]),
                    instants_us([r[2][1] for r in rows]),
                    np.fromiter((-1 if r[3] is None else r[3] for r in rows), np.int64, len(rows)),
                )
            rows = []
        loader.finish()

    def load_stored(
        self,
        orders: Iterable[OrderBatch],
        fingerprints: Fingerprints,
    ) -> None:
        """Rebuild from a corpus: `orders` and `fingerprints` are batches of id-ordered rows
        as `Corpus.dedup_orders()` and `Corpus.fingerprint_batches(self.stored_prefix)` yield
        them. Articles without a fingerprint are not indexed. `fingerprints` may be a function
        of the first article id wanted, called once the orders are read: with a window, only
        the articles within it (from the newest stored time) are loaded.

        Rows become numpy columns a batch at a time and the LSH index is built as one sorted
        run, so a rebuild costs a few microseconds per article, SQLite read included.
        """
        sources: list[object] = [orders] if callable(fingerprints) else [orders, fingerprints]
        try:
            with _gc_paused():
                self._load_stored(orders, fingerprints, sources)
        finally:  # stop read-ahead threads when a batch was refused
            for source in sources:
                close = getattr(source, "close", None)
                if close is not None:
                    close()

    def _load_stored(
        self, orders: Iterable[OrderBatch], fingerprints: Fingerprints, sources: list[object]
    ) -> None:
        ids, pub, fetch, dup = _order_arrays(orders)
        if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():
            raise ValueError("order rows must come in increasing id order")
        outside = np.zeros(0, np.int64)
        if self.window is not None and len(ids):
            t = np.minimum(pub, fetch)
            dated = t[t < UNDATED]
            if len(dated):
                self.newest = max(int(dated.max()), self.newest or int(dated.max()))
                self._compacted_at = self.horizon
                inside = t >= self.newest - self.window
                outside = ids[~inside]
                ids, pub, fetch, dup = ids[inside], pub[inside], fetch[inside], dup[inside]
        if callable(fingerprints):
            fingerprints = fingerprints(int(ids[0]) if len(ids) else 0)
            sources.append(fingerprints)
        loader = _Loader(self, capacity=len(ids))
        orphans = 0
        for rows in fingerprints:
            article_ids, blobs = zip(*rows, strict=True)
            keys = np.array(article_ids, np.int64)
            pos = np.minimum(np.searchsorted(ids, keys), max(len(ids) - 1, 0))
            found = (ids[pos] == keys) if len(ids) else np.zeros(len(keys), bool)
            if not found.all():
                lost = keys[~found]
                orphans += len(lost) - int(np.isin(lost, outside).sum())
                blobs = tuple(b for b, ok in zip(blobs, found.tolist(), strict=True) if ok)
                keys, pos = keys[found], pos[found]
            if len(keys):
                loader.add(keys, blobs, pub[pos], fetch[pos], dup[pos])
        if orphans:
            logger.warning("%d fingerprints belong to no stored article; not indexed", orphans)
        loader.finish()

    def recluster(self) -> list[Assignment]:
        """Rebuild every cluster in OrderKey order; the result does not depend on insertion order.

        Returns the assignment of every indexed article, in OrderKey order.
        """
        n = len(self)
        if n == 0:
            return []
        order = np.lexsort((self._keys.all(), self._fetch.all(), self._pub.all()))
        for i in range(n):
            self._canon.set(i, -1)
        self.copies = 0
        self._parts.clear()
        self._hubs.clear()
        self._exposed.clear()
        nsh = self._nsh.all()
        out: dict[int, Assignment] = {}
        for i in order.tolist():
            if nsh[i] == 0:
                self._set_canon(i, i)
                out[int(self._keys[i])] = self._assignment(i, None)
                continue
            for a in self._reassign(i):  # later entries re-place parts of compilation pages
                out[a.key] = a
        return [out[int(k)] for k in self._keys.all()[order]]

    def recluster_window(
        self,
        orders: Iterable[OrderBatch],
        read: Callable[[list[int]], Iterable[tuple[int, bytes]]],
        batch: int = 2048,
    ) -> Iterator[Assignment]:
        """Cluster a corpus afresh in publication order with a sliding index: each article is
        compared with the canonicals published within the window before it, and articles leave
        memory as the window moves on, so memory follows the window, not the corpus.

        `orders` are `Corpus.dedup_orders()` batches; `read(ids)` returns the full fingerprint
        blobs of those articles (any order; articles without one are left out, as in
        `recluster`). This Deduper must be empty and have a window. Assignments come in the
        order they are made: a later one for the same key replaces an earlier one.
        """
        if self.window is None or len(self):
            raise ValueError("recluster_window needs an empty Deduper with a window")
        ids, pub, fetch, _ = _order_arrays(orders)
        order = np.lexsort((ids, fetch, pub))
        for start in range(0, len(order), batch):
            pos = order[start : start + batch]
            blobs = dict(read(ids[pos].tolist()))
            for k in pos.tolist():
                blob = blobs.get(int(ids[k]))
                if blob is None:
                    continue
                fp = Fingerprint.from_bytes(blob)
                self._check_fp(fp)
                yield from self._place(int(ids[k]), fp, int(pub[k]), int(fetch[k]), defer=False)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: a rebuild allocates millions of short-lived row
    tuples and no cycles, and the collections they trigger cost ~20% of its time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _int_column(values: tuple[int | None, ...], default: int) -> np.ndarray:
    if None not in values:
        return np.array(values, np.int64)
    return np.fromiter((default if v is None else v for v in values), np.int64, len(values))


def _order_arrays(orders: Iterable[OrderBatch]) -> tuple[np.ndarray, ...]:
    """(ids, published, fetched, duplicate_of or -1) of every order row, as int64 arrays."""
    batches = [_order_columns(rows) for rows in orders]
    if not batches:
        return tuple(np.zeros(0, np.int64) for _ in range(4))
    return tuple(np.concatenate(c) for c in zip(*batches, strict=True))


def _order_columns(batch: OrderBatch) -> tuple[np.ndarray, ...]:
    """(ids, published, fetched, duplicate_of or -1) of a batch of order rows, as int64."""
    rows, strings = batch
    ids, pub_us, fetch_us, dup = zip(*rows, strict=True)
    pub, fetch = _int_column(pub_us, UNDATED), _int_column(fetch_us, UNDATED)
    for k, (i, p, f, _) in enumerate(rows):
        if p is None or f is None:
            published, fetched_at = strings[i]
            if p is None:
                pub[k] = instant_us(published or "")
            if f is None:
                fetch[k] = instant_us(fetched_at or "")
    return np.array(ids, np.int64), pub, fetch, _int_column(dup, -1)


class _Loader:
    """Appends stored articles to a Deduper a batch at a time, then indexes them at once.

    With a `capacity` (an upper bound on the articles to come), index entries are written
    straight into one preallocated array and sorted in place (`RunBuilder`): no whole-index
    temporaries, which at a million articles would be 512 MB each.
    """

    def __init__(self, dd: Deduper, capacity: int | None = None) -> None:
        self.dd = dd
        self.start = len(dd)
        self.builder = RunBuilder((capacity or 0) * (dd.params.bands + dd.params.lead_bands))
        self.dups: list[np.ndarray] = []

    def add(
        self,
        keys: np.ndarray,
        blobs: Sequence[bytes],
        pub: np.ndarray,
        fetch: np.ndarray,
        dup: np.ndarray,
    ) -> None:
        dd, p = self.dd, self.dd.params
        sigs = decode_signatures(blobs, p.num_perm, p.lead_perm)
        live = np.flatnonzero(sigs.n_shingles > 0)
        band = dd._band_keys(sigs.sig16[live], sigs.lead16[live])
        self.builder.add(composite(band, live + len(dd)))
        self.dups.append(dup)
        dd._keys.extend(keys)
        dd._sig.extend(sigs.sig16)
        dd._lead.extend(sigs.lead16)
        dd._nsh.extend(sigs.n_shingles)
        dd._thash.extend(sigs.text_hash64)
        if isinstance(dd._sketches, InMemorySketches):
            dd._sketches.extend(
                keys, decode_many(blobs, p.num_perm, p.entity_k, p.lead_perm, p.run_perm)
            )
        dd._pub.extend(pub)
        dd._fetch.extend(fetch)

    def finish(self) -> None:
        """Index what was added and point every loaded copy at its canonical."""
        dd, start = self.dd, self.start
        n = len(dd) - start
        if n == 0:
            return
        dd._index.add_runs(self.builder.runs())
        all_keys = dd._keys.all()
        by_key = np.argsort(all_keys, kind="stable")
        sorted_keys = all_keys[by_key]
        dk = np.concatenate(self.dups)
        pos = np.minimum(np.searchsorted(sorted_keys, dk), len(sorted_keys) - 1)
        valid = (dk >= 0) & (sorted_keys[pos] == dk)
        lost = (dk >= 0) & ~valid
        canon = np.where(valid, by_key[pos], np.arange(start, start + n))
        if dd.window is not None:  # a canonical behind the horizon: its copies are no candidates
            canon[lost] = EVICTED
            dd.copies += int(lost.sum())
        elif lost.any():
            logger.warning("%d duplicate_of keys not loaded; treated as canonical", int(lost.sum()))
        dd._canon.extend(canon.astype(np.int64))
        dd.copies += int(valid.sum())
        if dd.window is not None:  # what was loaded sets the horizon; older ones leave
            t = np.minimum(dd._pub.all(), dd._fetch.all())
            dated = t[t < UNDATED]
            if len(dated):
                dd.newest = max(int(dated.max()), dd.newest or int(dated.max()))
                dd.compact()
