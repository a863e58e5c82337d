"""Fingerprint version 6: texts that share a quotation must also share a run of
`DedupParams.run_words` words outside quotations (issue #16), on hand-written texts."""

from __future__ import annotations

import dataclasses
import itertools
import json
import struct

import pytest

from copydesk.dedup import Deduper, DedupParams, Fingerprint, ParamsMismatch, fingerprint
from copydesk.dedup.fingerprint import EMPTY_RUN, decode_many, decode_signatures, share_run
from tests.test_dedup_failures import STATEMENT, text

P = DedupParams()

#: A report on a statement: its own lede, the statement quoted whole, a closing line.
REPORT = text(
    "The boil-water notice that covered most of Easton since Monday was lifted on Thursday "
    "afternoon, the Easton Water Authority said in a statement.",
    "About 18,000 customers were under the notice after a 60-year-old main broke on Harbor "
    "Street early Monday, flooding two blocks.",
    *(f"“{p}”" for p in STATEMENT),
    "Customers who have questions about the notice can call the authority's hotline, the "
    "statement said.",
)
#: Another outlet's report on the same statement, written from the same facts: its prose
#: shares many short phrases with the first ("the Easton Water Authority said in a
#: statement", "a 60-year-old main on Harbor Street early Monday") but no run of 16 words.
OTHER_REPORT = text(
    "The Easton Water Authority said in a statement on Thursday afternoon that the boil-water "
    "notice was lifted.",
    "The notice that covered most of Easton since Monday followed a break in a 60-year-old main "
    "on Harbor Street early Monday.",
    *(f"“{p}”" for p in STATEMENT),
    "About 18,000 customers were under the notice, and customers who have questions can call "
    "the authority's hotline, the statement said.",
)
#: A wire copy of the first report: a byline, straight quotation marks, the same text.
COPY = text("By Pat Reporter, Associated Press", REPORT.replace("“", '"').replace("”", '"'))
PAGES = {"report": REPORT, "other_report": OTHER_REPORT, "copy": COPY}


def clusters(params: DedupParams, names: list[str], **kw: object) -> dict[str, str]:
    """Assign PAGES in `names` order; name -> canonical name after a recluster."""
    dd = Deduper(params, **kw)  # type: ignore[arg-type]
    for k, name in enumerate(names):
        dd.assign(k, fingerprint(PAGES[name], params), ("", f"2024-01-01T00:00:0{k}+00:00", k))
    final = {a.key: a.duplicate_of for a in dd.recluster()}
    return {n: names[final[k] if final[k] is not None else k] for k, n in enumerate(names)}


@pytest.mark.parametrize("names", list(itertools.permutations(PAGES)))
def test_reports_sharing_a_statement_and_short_phrases_stay_apart_a_copy_joins(
    names: tuple[str, ...],
) -> None:
    got = clusters(P, list(names))
    assert got["copy"] == got["report"] != got["other_report"]
    assert got["other_report"] == "other_report"


def test_without_the_run_rule_the_reports_merge() -> None:
    """The case is one version 5 let through: the reports share enough unquoted phrases to pass
    `quote_prose_min`; a run of one word (any shared word) stands for no run rule."""
    got = clusters(dataclasses.replace(P, run_words=1), ["report", "other_report"])
    assert got["other_report"] == "report"


def test_run_signatures_are_read_back_from_storage_for_the_quotation_check() -> None:
    """With a lookup and a ring of one, the canonical's run signature comes from storage."""
    stored = {k: fingerprint(PAGES[n], P).to_bytes() for k, n in enumerate(PAGES)}
    dd = Deduper(P, lookup=stored.get, recent=1)
    for k in range(len(PAGES)):
        dd.assign(k, Fingerprint.from_bytes(stored[k]), ("", f"2024-01-01T00:00:0{k}+00:00", k))
    final = [a.duplicate_of for a in dd.recluster()]
    assert final == [None, None, 0]
    assert dd._sketches.lookups > 0


def test_run_signature_marks_runs_outside_quotations_only() -> None:
    report, other, copy = (fingerprint(PAGES[n], P) for n in ("report", "other_report", "copy"))
    assert len(report.run_sig) == P.run_perm
    assert share_run(report.run_sig, copy.run_sig)
    assert not share_run(report.run_sig, other.run_sig)
    # a text that is all quotation has no run: it shares none, not even with itself
    quoted_only = fingerprint(text(*(f"“{p}”" for p in STATEMENT)), P)
    assert (quoted_only.run_sig == EMPTY_RUN).all()
    assert not share_run(quoted_only.run_sig, quoted_only.run_sig)
    assert (fingerprint("", P).run_sig == EMPTY_RUN).all()


def test_version_6_blobs_round_trip_and_version_5_blobs_are_refused() -> None:
    fp = fingerprint(REPORT, P)
    blob = fp.to_bytes()
    assert Fingerprint.from_bytes(blob) == fp
    d = decode_many([blob], P.num_perm, P.entity_k, P.lead_perm, P.run_perm)
    assert (d.runs[0] == fp.run_sig).all()
    assert (d.entity_keys[0, : len(fp.ent_keys)] == fp.ent_keys).all()
    # the blob version 5 wrote: magic CDF2, a header without the run count, no runs
    v5_head = struct.Struct("<4sHBBI16s").pack(
        b"CDF2",
        P.num_perm,
        len(fp.ent_values),
        P.lead_perm,
        fp.n_shingles,
        bytes.fromhex(fp.text_hash),
    )
    v5 = v5_head + fp.signature + fp.lead + fp.quoted + fp.entity_keys + fp.entity_values
    message = r"not a version 6 copydesk fingerprint .*run `copydesk recluster --rebuild`"
    with pytest.raises(ValueError, match=message):
        Fingerprint.from_bytes(v5)
    with pytest.raises(ValueError, match=message):
        decode_signatures([v5], P.num_perm, P.lead_perm)
    # the parameters a version 5 corpus stored: no run fields
    v5_params = {k: v for k, v in dataclasses.asdict(P).items() if not k.startswith("run_")}
    v5_params["version"] = 5
    with pytest.raises(ParamsMismatch, match="recluster --rebuild"):
        P.check_compatible(json.dumps(v5_params))


def test_run_params_are_checked() -> None:
    with pytest.raises(ValueError, match="run_perm"):
        DedupParams(run_perm=0)
    with pytest.raises(ValueError, match="run_words"):
        DedupParams(run_words=0)
