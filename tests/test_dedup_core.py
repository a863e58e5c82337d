"""Core wire-copy detection behaviour on small hand-written stories."""

from __future__ import annotations

import pickle

import pytest

from copydesk.dedup import Deduper, DedupParams, Fingerprint, ParamsMismatch, fingerprint

P = DedupParams()

WIRE = "\n\n".join(
    [
        "A powerful storm swept across the northern coast of Maine on Tuesday, knocking out "
        "power to more than 40,000 homes and flooding low-lying roads near Portland harbor.",
        "Governor Janet Mills declared a state of emergency and asked residents to stay off the "
        "roads until crews could clear fallen trees and downed lines across the region.",
        "The National Weather Service said winds gusted to 70 miles per hour at Rockland, where "
        "several fishing boats broke loose from their moorings and drifted onto the rocks.",
        "Utility company Central Maine Power said it had sent 300 line workers into the hardest "
        "hit areas and expected most customers to be restored by Thursday evening.",
        "Schools in Knox and Waldo counties were closed on Wednesday, and the ferry service to "
        "Vinalhaven and North Haven was suspended until the seas calm down, officials said.",
    ]
)
PARAS = WIRE.split("\n\n")
TRIMMED = "By Pat Reporter, Associated Press\n\nPORTLAND, Maine (AP) — " + "\n\n".join(PARAS[:3])
LOCAL = "\n\n".join(
    [*PARAS[:2], "In our town, the library on Elm Street opened as a warming center.", *PARAS[2:]]
)
CREDITED = WIRE + "\n\nCopyright 2024 The Associated Press. All rights reserved."

SAME_EVENT = [
    "Residents along the Maine coast spent Wednesday cleaning up after a fierce nor'easter "
    "toppled trees, swamped docks and left tens of thousands in the dark.",
    "The storm that battered New England this week was the strongest in a decade, meteorologists "
    "said, as linemen worked through the night to reconnect rural customers.",
    "Fishermen in Rockland counted their losses on Wednesday after the gale tore boats from their "
    "moorings; several hulls lay splintered against the breakwater by morning.",
    "Maine's governor toured flooded neighborhoods in Portland and promised state aid for towns "
    "whose roads and culverts washed out during Tuesday's storm.",
]

TEMPLATE_A = (
    "Acme Corp reported third-quarter revenue of $4.2 billion on Thursday, up 12 percent from a "
    "year earlier, and earnings of 85 cents a share. Chief executive John Smith said demand in "
    "Europe stayed strong. Analysts polled by FactSet had expected revenue of $4.1 billion. "
    "Shares of Acme rose 3 percent in after-hours trading in New York."
)
TEMPLATE_B = (
    "Globex Inc reported third-quarter revenue of $7.9 billion on Thursday, up 4 percent from a "
    "year earlier, and earnings of 31 cents a share. Chief executive Mary Jones said demand in "
    "Asia stayed strong. Analysts polled by Zacks had expected revenue of $7.6 billion. "
    "Shares of Globex rose 6 percent in after-hours trading in Tokyo."
)


def fp(text: str) -> Fingerprint:
    return fingerprint(text, P)


def order(n: int) -> tuple[str, str, int]:
    return ("", f"2024-01-01T00:00:{n:02d}+00:00", n)


def test_copies_join_the_wire_story() -> None:
    dd = Deduper(P)
    assert dd.assign(1, fp(WIRE), order(1))[0].duplicate_of is None
    for key, text in [(2, TRIMMED), (3, LOCAL), (4, CREDITED), (5, WIRE)]:
        a = dd.assign(key, fp(text), order(key))[0]
        assert a.duplicate_of == 1, (key, a)
    assert dd.assign(6, fp(WIRE), order(6))[0].relation == "exact"
    assert dd.assign(7, fp(TRIMMED), order(7))[0].relation in ("near", "contained")
    assert len(dd) == 7


def test_same_event_reports_stay_apart() -> None:
    dd = Deduper(P)
    dd.assign(0, fp(WIRE), order(0))
    for k, text in enumerate(SAME_EVENT, start=1):
        assert dd.assign(k, fp(text), order(k))[0].duplicate_of is None


def test_template_stories_stay_apart() -> None:
    dd = Deduper(P)
    dd.assign(1, fp(TEMPLATE_A), order(1))
    assert dd.assign(2, fp(TEMPLATE_B), order(2))[0].duplicate_of is None


def test_no_chaining() -> None:
    a_text = "\n\n".join(PARAS[:3])
    other = "\n\n".join([*SAME_EVENT, TEMPLATE_A])
    b_text = a_text + "\n\n" + other  # B contains A and C
    c_text = other
    dd = Deduper(P)
    dd.assign(1, fp(b_text), order(1))
    assert dd.assign(2, fp(a_text), order(2))[0].duplicate_of == 1
    # C, unrelated to A, is also contained in B: B is a compilation page (issue #16), not a
    # story: C does not join it and A is released from it.
    changed = {x.key: x.duplicate_of for x in dd.assign(3, fp(c_text), order(3))}
    assert changed == {3: None, 2: None}
    # Now with A as the canonical: C must not join through B.
    dd2 = Deduper(P)
    dd2.assign(1, fp(a_text), order(1))
    dd2.assign(2, fp(b_text), order(2))
    c = dd2.assign(3, fp(c_text), order(3))[0]
    assert c.duplicate_of in (None, 2)
    labels = {x.key: x.duplicate_of for x in dd2.recluster()}
    assert not (labels[3] == 1 or (labels[3] is not None and labels[labels[3]] == 1))


def test_older_copy_becomes_canonical() -> None:
    dd = Deduper(P)
    dd.assign(10, fp(WIRE), ("2024-01-02T10:00:00+00:00", "2024-01-02T11:00:00", 10))
    dd.assign(11, fp(CREDITED), ("2024-01-02T12:00:00+00:00", "2024-01-02T12:05:00", 11))
    out = dd.assign(12, fp(TRIMMED), ("2024-01-02T09:00:00+00:00", "2024-01-03T00:00:00", 12))
    assert out[0].key == 12 and out[0].duplicate_of is None
    changed = {a.key: a.duplicate_of for a in out[1:]}
    assert changed == {10: 12, 11: 12}
    assert dd.copies == 2
    dd.recluster()
    assert dd.copies == 2


def test_undated_never_canonical_over_dated() -> None:
    dd = Deduper(P)
    dd.assign(1, fp(WIRE), ("", "2020-01-01T00:00:00", 1))
    out = dd.assign(2, fp(CREDITED), ("2024-05-01T00:00:00Z", "2024-05-02T00:00:00", 2))
    assert out[0].duplicate_of is None
    assert [(a.key, a.duplicate_of) for a in out[1:]] == [(1, 2)]


def test_recluster_is_order_independent() -> None:
    texts = [WIRE, TRIMMED, LOCAL, CREDITED, TEMPLATE_A, TEMPLATE_B, *SAME_EVENT]
    orders = {k: order(k) for k in range(len(texts))}
    results = []
    for perm in (
        list(range(len(texts))),
        list(reversed(range(len(texts)))),
        [3, 1, 0, 2, 5, 4, 9, 8, 7, 6],
    ):
        dd = Deduper(P)
        for k in perm:
            dd.assign(k, fp(texts[k]), orders[k])
        results.append(sorted((a.key, a.duplicate_of) for a in dd.recluster()))
    assert results[0] == results[1] == results[2]
    assert dict(results[0])[1] == 0


def test_load_rebuilds_from_blobs() -> None:
    dd = Deduper(P)
    rows = []
    for k, text in enumerate([WIRE, TEMPLATE_A, TRIMMED]):
        f = fp(text)
        a = dd.assign(k, f, order(k))[0]
        rows.append((k, Fingerprint.from_bytes(f.to_bytes()), order(k), a.duplicate_of))
    dd2 = Deduper(P)
    dd2.load(rows)
    assert len(dd2) == 3
    assert dd2.assign(9, fp(CREDITED), order(9))[0].duplicate_of == 0


def test_fingerprint_roundtrip_and_pickle() -> None:
    f = fp(WIRE)
    b = f.to_bytes()
    assert Fingerprint.from_bytes(b) == f
    assert pickle.loads(pickle.dumps(f)) == f
    assert len(b) < 512 + 5 * P.entity_k + 40
    assert fp(WIRE.upper()).text_hash == f.text_hash
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(b[:-1])


def test_params_mismatch_refused() -> None:
    stored = DedupParams(num_perm=64, bands=32).to_json()
    with pytest.raises(ParamsMismatch, match="recluster --rebuild"):
        P.check_compatible(stored)
    P.check_compatible(DedupParams(containment_threshold=0.7).to_json())
    assert DedupParams.from_json(P.to_json()) == P
    dd = Deduper(P)
    with pytest.raises(ValueError):
        dd.assign(1, fingerprint(WIRE, DedupParams(num_perm=64, bands=32)), order(1))


def test_signatures_are_datasketch_minhashes() -> None:
    """The signature is datasketch's MinHash (2.0 default scheme) of the 32-bit shingle hashes."""
    import operator

    import numpy as np
    from datasketch import MinHash

    from copydesk.dedup.fingerprint import _coefs, _mix, _token_hashes

    c = _coefs(P.num_perm, P.seed)
    tokens = [t.lower() for t in __import__("re").findall(r"\w{1,40}", WIRE)]
    th, _ = _token_hashes(tokens, c)
    sh = th[:-2] * c.shingle[0] + th[1:-1] * c.shingle[1] + th[2:] * c.shingle[2]
    hashes = np.unique(_mix(sh) >> np.uint64(32))
    m = MinHash(num_perm=P.num_perm, seed=P.seed, hashfunc=operator.index)
    assert m.scheme == "affine32"
    m.update_batch(hashes.tolist())
    f = fp(WIRE)
    assert f.n_shingles == len(hashes)
    assert (f.sig == m.hashvalues).all()


def test_bulk_load_matches_one_by_one() -> None:
    texts = [WIRE, TRIMMED, "", "One two", TEMPLATE_A, TEMPLATE_B, LOCAL, *SAME_EVENT]
    fps = [fp(t) for t in texts]
    rows = [(k, f, order(k), None) for k, f in enumerate(fps)]
    one = Deduper(P)
    for k, f, o, _ in rows:
        one.assign(k, f, o)
    bulk = Deduper(P)
    bulk.load([(k, f.to_bytes(), o, d) for k, f, o, d in rows], batch=3)
    assert len(bulk) == len(one)
    for name in ("_sig", "_nsh", "_thash", "_pub", "_fetch"):
        assert (getattr(bulk, name).all() == getattr(one, name).all()).all(), name
    for i in range(len(one)):
        for a, b in zip(bulk._sketches.get(i, i), one._sketches.get(i, i), strict=True):
            assert (a == b).all()
    assert [(a.key, a.duplicate_of) for a in bulk.recluster()] == [
        (a.key, a.duplicate_of) for a in one.recluster()
    ]
    with pytest.raises(ValueError, match="re-fingerprint"):
        Deduper(DedupParams(num_perm=64, bands=32)).load([(1, fps[0].to_bytes(), order(1), None)])


def test_band_index_directory_finds_what_brute_force_finds() -> None:
    import numpy as np

    from copydesk.dedup import index

    rng = np.random.default_rng(3)
    # Like band_keys, a key identifies its band (here: its low 3 bits).
    keys = (rng.integers(0, 2**13, size=(6000, 8)) * 8 + np.arange(8)).astype(np.uint32)
    idx = index.BandIndex(8, buffer_size=64, directory_min=2000)
    idx.add_many(np.arange(3000), keys[:3000])
    for d in range(3000, 6000):
        idx.add(d, keys[d])
    assert any(r.directory is not None for r in idx.runs)
    assert any(r.directory is None for r in idx.runs)
    for q in rng.integers(0, 6000, size=50).tolist():
        expected = np.flatnonzero((keys == keys[q][None, :]).any(axis=1))
        assert np.array_equal(np.unique(idx.query(keys[q])), expected)


def test_sketches_read_back_from_storage_give_the_same_clusters() -> None:
    """A Deduper that keeps only recent sketches and looks the rest up agrees with one that
    keeps them all, including the template veto that needs the names and numbers."""
    texts = [WIRE, TRIMMED, TEMPLATE_A, TEMPLATE_B, LOCAL, *SAME_EVENT, WIRE + " Extra line."]
    fps = {k: fp(t) for k, t in enumerate(texts)}
    stored = {k: f.to_bytes() for k, f in fps.items()}
    asked: list[int] = []

    def lookup(key: int) -> bytes | None:
        asked.append(key)
        return stored.get(key)

    full, lean = Deduper(P), Deduper(P, lookup=lookup, recent=1)
    for k in reversed(range(len(texts))):  # newest first: older articles take clusters over
        assert lean.assign(k, fps[k], order(k)) == full.assign(k, fps[k], order(k))
    assert lean.recluster() == full.recluster()
    assert asked, "the lookup was never used"
    assert lean.nbytes() < full.nbytes()
