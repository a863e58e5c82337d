from __future__ import annotations

from copydesk.wirediff import align_copies, diff_paragraphs, diff_words, paragraphs

BASE = [
    "CALDER BAY (AP) — Dockworkers walked off the job on Tuesday.",
    "Forty ships were stuck offshore as the strike began.",
    "The union said talks on automation had collapsed.",
    "Talks are set to resume next week.",
]


def test_paragraphs_split_on_blank_lines() -> None:
    assert paragraphs("a\n\nb\n\n\n\nc\n") == ["a", "b", "c"]


def test_unchanged_edited_added_removed() -> None:
    copy = [
        BASE[0],
        "Forty cargo ships were stuck offshore as the strike began.",
        "Local shops said deliveries were already late.",
        BASE[2],
    ]
    kinds = [(d.kind, d.base_index) for d in diff_paragraphs(BASE, copy)]
    assert kinds == [
        ("unchanged", 0),
        ("edited", 1),
        ("added", None),
        ("unchanged", 2),
        ("removed", 3),
    ]
    edited = diff_paragraphs(BASE, copy)[1]
    assert [s.text.strip() for s in edited.segments if s.kind == "ins"] == ["cargo"]


def test_word_diff_marks_insertions_and_deletions() -> None:
    segments = diff_words("the strike began on Tuesday", "the strike started on Tuesday")
    assert {(s.kind, s.text.strip()) for s in segments if s.kind != "same"} == {
        ("del", "began"),
        ("ins", "started"),
    }
    assert "".join(s.text for s in segments if s.kind != "del") == "the strike started on Tuesday"


def test_align_copies_gives_one_cell_per_copy_and_insertion_rows() -> None:
    trimmed = BASE[:2]
    local = [BASE[0], "A local paragraph about the harbour.", *BASE[1:]]
    rows = align_copies(BASE, [trimmed, local])
    assert all(len(row.cells) == 2 for row in rows)
    insertions = [row for row in rows if row.base_index is None]
    assert len(insertions) == 1
    assert [d.kind for d in insertions[0].cells[1]] == ["added"]
    last = next(row for row in rows if row.base_index == 3)
    assert [d.kind for d in last.cells[0]] == ["removed"]
    assert [d.kind for d in last.cells[1]] == ["unchanged"]


def test_word_diff_reconstructs_both_texts_with_single_spaces() -> None:
    cases = [
        (
            "Thousands of dockworkers walked off the job at the port",
            "Thousands of dock workers went on strike at the port",
        ),
        ("a b c", "x a b c y"),
        ("a b", "c d"),
        ("", "x y"),
        ("x  y", ""),
        ("the strike began", "the strike began"),
    ]
    for base, other in cases:
        segments = diff_words(base, other)
        assert "".join(s.text for s in segments if s.kind != "ins") == " ".join(base.split())
        assert "".join(s.text for s in segments if s.kind != "del") == " ".join(other.split())
    # Changed words are compared whole: a reworded phrase is one deletion and one insertion.
    changed = [s for s in diff_words(*cases[0]) if s.kind != "same"]
    assert [(s.kind, s.text.strip()) for s in changed] == [
        ("del", "dockworkers walked off the job"),
        ("ins", "dock workers went on strike"),
    ]
