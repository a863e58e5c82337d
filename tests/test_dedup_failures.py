"""The four failure classes of issue #16 on small hand-written pages: compilation pages,
teasers, chrome-heavy junk pages and write-throughs."""

from __future__ import annotations

import dataclasses
import itertools
import json

import pytest

from copydesk.bench.dedup_sets import load_bodies
from copydesk.dedup import Deduper, DedupParams, Fingerprint, ParamsMismatch, fingerprint
from tests.test_dedup_core import PARAS
from tests.test_dedup_sets import WCXB, needs_wcxb

P = DedupParams()
NO_LEAD = dataclasses.replace(P, lead_bands=0)

WIRE = PARAS  # the Maine storm story of test_dedup_core
OTHER = [
    "A federal judge in Texas on Monday blocked a new state law that would have required "
    "online retailers to verify the age of every customer buying kitchen knives.",
    "The ruling by U.S. District Judge Alan Ortiz came two days before the law was to take "
    "effect, after a trade group of cutlery makers sued the state in March.",
    "Ortiz wrote that lawmakers had offered no evidence that the sales posed a danger to "
    "minors and that the checks would burden millions of adult shoppers across the country.",
    "The state attorney general's office said it would appeal to the Fifth Circuit, where a "
    "panel of three judges could reinstate the law while the case goes on.",
    "Retailers had warned that the rule would force them to collect copies of driver's "
    "licenses, raising the risk of data breaches for customers in every state.",
]
CHROME = [
    "Enter City and State or Zip Code",
    "72°F Partly Cloudy",
    "1 / 19",
    "Print",
    "Next",
    "Share this story on Facebook",
    "Sign up for our newsletter",
]


def text(*parts: str) -> str:
    return "\n\n".join(parts)


def cluster_of(pages: dict[str, str], published: list[str]) -> dict[str, str]:
    """Assign pages in `published` order (their publication order); name -> canonical name."""
    dd = Deduper(P)
    names = list(pages)
    for name in published:
        k = names.index(name)
        dd.assign(k, fingerprint(pages[name], P), ("", f"2024-01-01T00:00:{k:02d}+00:00", k))
    final = {a.key: a.duplicate_of for a in dd.recluster()}
    return {n: names[final[k] if final[k] is not None else k] for k, n in enumerate(names)}


STORIES = {
    "wire": text(*WIRE),
    "wire_copy": text("By Pat Reporter, Associated Press", *WIRE, "Copyright 2024 AP."),
    "other": text(*OTHER),
    "other_copy": text("From Reuters", *OTHER[:4]),
}


@pytest.mark.parametrize("other_paras", [5, 3], ids=["whole", "first-half"])
@pytest.mark.parametrize("page_first", [True, False])
def test_a_compilation_page_does_not_merge_two_stories(page_first: bool, other_paras: int) -> None:
    """The page carries the wire story whole and the other story whole or its first half."""
    page = text(*CHROME[:3], *WIRE, *CHROME[3:5], *OTHER[:other_paras], *CHROME[5:])
    pages = {"page": page, **STORIES} if page_first else {**STORIES, "page": page}
    for perm in itertools.islice(itertools.permutations(pages), 0, None, 17):
        got = cluster_of(pages, list(perm))
        assert got["wire"] == got["wire_copy"]
        assert got["other"] == got["other_copy"]
        assert got["wire"] != got["other"]
    if not page_first:  # published after both stories, it joins neither
        got = cluster_of(pages, list(pages))
        assert got["page"] == "page"


def test_a_teaser_joins_its_story() -> None:
    teaser = text(*WIRE[:3], "Read more")
    assert 80 <= len(teaser.split()) <= 150
    for published in (["wire", "teaser", "wire_copy"], ["teaser", "wire", "wire_copy"]):
        pages = {"teaser": teaser, "wire": STORIES["wire"], "wire_copy": STORIES["wire_copy"]}
        got = cluster_of(pages, published)
        assert got["teaser"] == got["wire"] == got["wire_copy"]


@needs_wcxb
def test_a_teaser_joins_a_long_story_on_real_text() -> None:
    """A teaser (first paragraphs, 80-150 words, "Read more") of a 1,500+ word WCXB story
    shares under a tenth of its shingles: the lead bands propose the pair, the lead confirms.
    In any order: published first, the teaser is the canonical its story joins."""
    bodies, _ = load_bodies(WCXB, min_words=1500)
    checked = missed_without_lead = 0
    for paras in bodies[:12]:
        lead: list[str] = []
        while sum(len(p.split()) for p in lead) < 80:
            lead.append(paras[len(lead)])
        if sum(len(p.split()) for p in lead) > 150:
            continue
        teaser = fingerprint(text(*lead, "Read more"), P)
        if teaser.n_shingles < P.min_shingles:  # headings left out: too little prose to join
            continue
        # without the lead bands, is the teaser proposed against its story at all?
        alone = Deduper(NO_LEAD)
        alone.assign(0, fingerprint(text(*paras), NO_LEAD), ("", "2024-01-01T00:00:00+00:00", 0))
        late = ("", "2024-01-01T00:00:01+00:00", 1)
        teaser_alone = alone.assign(1, fingerprint(text(*lead, "Read more"), NO_LEAD), late)
        missed_without_lead += teaser_alone[0].duplicate_of is None
        story_copy = text("By Pat Reporter, Associated Press", *paras[:-1])
        pages = {"teaser": text(*lead, "Read more"), "story": text(*paras), "copy": story_copy}
        for published in (["story", "teaser", "copy"], ["teaser", "copy", "story"]):
            got = cluster_of(pages, published)
            assert got["teaser"] == got["story"] == got["copy"], published
        checked += 1
    assert checked >= 3
    assert missed_without_lead >= 5  # the lead bands are what join these teasers


def test_a_junk_page_joins_nothing() -> None:
    lede = " ".join(WIRE[0].split()[:20])
    junk = text(*CHROME, lede, *CHROME[::-1], "Advertisement", "Related Content")
    junk_other = text(*CHROME, " ".join(OTHER[0].split()[:20]), *CHROME[::-1])
    pages = {"junk": junk, "junk_other": junk_other, **STORIES}
    for published in (list(pages), list(reversed(pages))):
        got = cluster_of(pages, published)
        assert got["junk"] == "junk" and got["junk_other"] == "junk_other"
        assert sum(v == "junk" for v in got.values()) == 1


def test_a_write_through_joins_its_earlier_version() -> None:
    early = text(*WIRE[:4])
    later = text(
        "UPDATE: Power was back on for most homes by Wednesday night, the utility said.",
        WIRE[0].replace("40,000", "52,000"),
        WIRE[2],
        WIRE[1],
        WIRE[3],
        WIRE[4],
    )
    got = cluster_of(
        {"early": early, "later": later, "other": STORIES["other"]}, ["early", "later", "other"]
    )
    assert got["later"] == "early" and got["other"] == "other"


def test_chrome_lines_leave_the_fingerprint_and_old_fingerprints_are_refused() -> None:
    body = text(*WIRE)
    with_chrome = text(CHROME[0], *WIRE[:2], *CHROME[1:5], *WIRE[2:], CHROME[5])
    assert fingerprint(with_chrome, P).signature == fingerprint(body, P).signature
    assert fingerprint(with_chrome, P).text_hash != fingerprint(body, P).text_hash
    v2 = DedupParams(version=2, shingling="word3-nfkc-lower")
    with pytest.raises(ParamsMismatch, match="recluster --rebuild"):
        P.check_compatible(v2.to_json())
    v3 = {k: v for k, v in json.loads(P.to_json()).items() if not k.startswith("lead_")}
    v3["version"] = 3  # before the lead signature
    with pytest.raises(ParamsMismatch, match="recluster --rebuild"):
        P.check_compatible(json.dumps(v3))
    v4 = dataclasses.replace(P, version=4)  # before the quote flags
    with pytest.raises(ParamsMismatch, match="recluster --rebuild"):
        P.check_compatible(v4.to_json())
    old_blob = b"CDF1" + fingerprint(body, P).to_bytes()[4:]
    with pytest.raises(ValueError, match="recluster --rebuild"):
        Fingerprint.from_bytes(old_blob)


STATEMENT = [
    "We know many of you were frustrated by the boil-water notice this week, and we share that "
    "frustration. Our crews worked through the night to repair the broken main on Harbor Street, "
    "and testing by the state laboratory has now confirmed that the water is safe to drink again "
    "across the whole service area.",
    "We are also reviewing how we told customers about the notice. Too many people learned about "
    "it from neighbours rather than from us, and that is not acceptable. Starting next month, "
    "every household will be able to sign up for text alerts, and we will publish test results "
    "on our website within hours.",
    "We are grateful for the patience of the families, schools and businesses who had to boil "
    "their water or buy bottled water, and we will credit every account for the days the notice "
    "was in effect.",
]
#: A local station's report: its own lede and close around the statement, set as a block in
#: quotation marks after a lead-in.
QUOTING = [
    "The boil-water notice that covered most of Easton since Monday was lifted on Thursday "
    "afternoon, the Easton Water Authority said.",
    "In a blog post, the authority's director, Maria Gonzalez, wrote:",
    *(f"“{p}" for p in STATEMENT[:-1]),
    f"“{STATEMENT[-1]}”",
    "About 18,000 customers were under the notice after a 60-year-old main broke on Harbor "
    "Street early Monday, flooding two blocks and cutting water pressure across the east side.",
]
#: A newspaper's own report quoting the same statement, its first paragraph inline.
QUOTING_TOO = [
    "Easton residents can drink their tap water again after four days of boiling it, but some "
    "said they heard about the notice far too late.",
    f"“{STATEMENT[0][:-1]},” Maria Gonzalez, director of the Easton Water Authority, wrote on "
    "Thursday.",
    f"“{STATEMENT[1]}",
    f"“{STATEMENT[2]}”",
    "Karen Whitfield, who runs a day care on Elm Street, said she found out on Tuesday morning "
    "from a parent. “Nobody called us,” she said.",
]


def test_reports_quoting_one_statement_stay_apart_and_a_copy_still_joins() -> None:
    """Two reports carry the same long statement (two thirds of each text): they stay apart
    in any order, while a wire copy of one, sharing the quotation and the prose around it
    (with straight quotation marks), joins it. Without the quotation rule the reports merge."""
    pages = {
        "report": text(*QUOTING),
        "other_report": text(*QUOTING_TOO),
        "copy": text("By Pat Reporter, Associated Press", *QUOTING).replace("“", '"'),
    }
    for perm in itertools.permutations(pages):
        got = cluster_of(pages, list(perm))
        assert got["copy"] == got["report"] != got["other_report"], perm
        assert got["other_report"] == "other_report"
    plain = dataclasses.replace(P, quote_prose_min=0.0)
    dd = Deduper(plain)
    for k, name in enumerate(("report", "other_report")):
        dd.assign(k, fingerprint(pages[name], plain), ("", f"2024-01-01T00:00:0{k}+00:00", k))
    assert dd.recluster()[1].duplicate_of == 0  # the case the rule is for


def test_quote_flags_mark_signature_values_from_quotations() -> None:
    quoting = fingerprint(text(*QUOTING), P)
    straight = fingerprint(text(*QUOTING).replace("“", '"').replace("”", '"'), P)
    assert quoting.signature == straight.signature
    assert (quoting.quote_flags == straight.quote_flags).all()
    assert 0.4 < quoting.quote_flags.mean() < 0.95  # most of the text is the statement
    assert not fingerprint(text(*WIRE), P).quote_flags.any()
    # German and French marks; a quotation left open ends with its paragraph
    german = fingerprint(text(*(f"„{p}“" for p in STATEMENT)), P)
    french = fingerprint(text(*(f"« {p} »" for p in STATEMENT)), P)
    open_ended = fingerprint(text(*(f"“{p}" for p in STATEMENT)), P)
    for fp in (german, french, open_ended):
        assert fp.quote_flags.all()
