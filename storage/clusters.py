"""Cluster bookkeeping in the corpus: rewriting assignments, fingerprints, consistency checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from storage.corpus import Corpus, Reassignment
from storage.summaries import SummaryProblem, rebuild_sql, summary_problems

__all__ = [
    "PARAMS_KEY",
    "ClusterProblem",
    "apply_assignment_stream",
    "apply_assignments",
    "article_texts",
    "cluster_problems",
    "cluster_summary",
    "dedup_rows",
    "deferred_count",
    "rebuild_summaries",
    "replace_fingerprints",
    "stale_summaries",
]


#: The `meta` key holding the dedup parameters the stored fingerprints were made with.
PARAMS_KEY = "dedup_params"


@dataclass(frozen=True)
class ClusterProblem:
    """One article row that breaks the cluster invariants."""

    id: int
    duplicate_of: int | None
    problem: str  # "copy_of_copy" | "no_relation" | "relation_on_canonical" | "self_copy"


_PROBLEMS_SQL = """
SELECT a.id, a.duplicate_of, 'copy_of_copy' FROM articles a
  JOIN articles c ON c.id = a.duplicate_of WHERE c.duplicate_of IS NOT NULL
UNION ALL
SELECT id, duplicate_of, 'no_relation' FROM articles
  WHERE duplicate_of IS NOT NULL AND relation IS NULL
UNION ALL
SELECT id, duplicate_of, 'relation_on_canonical' FROM articles
  WHERE duplicate_of IS NULL AND relation IS NOT NULL
UNION ALL
SELECT id, duplicate_of, 'self_copy' FROM articles WHERE duplicate_of = id
ORDER BY 1
"""


def cluster_problems(corpus: Corpus) -> list[ClusterProblem]:
    """Rows violating the cluster invariants (empty when the corpus is consistent).

    Every copy points straight at its cluster's canonical article (never at another copy) and
    records its relation; a canonical article has neither duplicate_of nor relation.
    """
    return [ClusterProblem(*row) for row in corpus.db.execute(_PROBLEMS_SQL)]


def stale_summaries(corpus: Corpus) -> list[SummaryProblem]:
    """Rows of the browse summaries (per-site per-day counts, wire stories) that differ from
    the articles; empty when the triggers kept them right."""
    return summary_problems(corpus.db.conn)


def rebuild_summaries(corpus: Corpus) -> None:
    """Refill the browse summaries from the articles, in one transaction."""
    with corpus.db.atomic():
        for statement in rebuild_sql():
            corpus.db.execute(statement)


def cluster_summary(corpus: Corpus) -> dict[str, int]:
    """Counts: articles, canonical articles, clusters with copies, copies (and per relation)."""
    row = corpus.db.execute(
        "SELECT COUNT(*), SUM(duplicate_of IS NULL), COUNT(DISTINCT duplicate_of), "
        "SUM(duplicate_of IS NOT NULL), SUM(relation = 'exact'), SUM(relation = 'near'), "
        "SUM(relation = 'contained') FROM articles"
    ).fetchone()
    keys = ("articles", "canonical", "clusters_with_copies", "copies", "exact", "near", "contained")
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}


def _differs(old: tuple[Any, ...] | None, a: Reassignment) -> bool:
    """Whether `a` changes a stored (duplicate_of, relation, similarity, containment) row;
    similarity and containment when they differ by more than 1e-9 (estimates stored as
    floats)."""
    if old is None:
        return False
    if (old[0], old[1]) != (a.duplicate_of, a.relation):
        return True
    for x, y in ((old[2], a.similarity), (old[3], a.containment)):
        if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-9):
            return True
    return False


_UPDATE_ASSIGNMENT = (
    "UPDATE articles SET duplicate_of = ?, relation = ?, similarity = ?, containment = ? "
    "WHERE id = ?"
)


def apply_assignments(corpus: Corpus, assignments: Iterable[Reassignment]) -> int:
    """Write the assignments that differ from the stored ones, in one transaction.

    Returns the number of rows changed.
    """
    current = {
        row[0]: row[1:]
        for row in corpus.db.execute(
            "SELECT id, duplicate_of, relation, similarity, containment FROM articles"
        )
    }
    changed = [a for a in assignments if _differs(current.get(a.id), a)]
    if changed:
        with corpus.db.atomic():
            corpus.db.conn.executemany(
                _UPDATE_ASSIGNMENT,
                [(a.duplicate_of, a.relation, a.similarity, a.containment, a.id) for a in changed],
            )
    return len(changed)


def apply_assignment_stream(
    corpus: Corpus, assignments: Iterable[Reassignment], batch: int = 500
) -> int:
    """Write assignments as they come (a later one for an id replaces an earlier one), with
    only `batch` of them in memory, then clear every ``dedup_deferred`` flag: one transaction.

    For a windowed recluster, whose assignments are made while the corpus is read. Returns
    the number of row writes that changed a row.
    """
    changed = 0
    with corpus.db.atomic():
        for chunk in _chunks(assignments, batch):
            last = {a.id: a for a in chunk}
            marks = ",".join("?" * len(last))
            current = {
                row[0]: row[1:]
                for row in corpus.db.execute(
                    "SELECT id, duplicate_of, relation, similarity, containment FROM articles "
                    f"WHERE id IN ({marks})",
                    list(last),
                )
            }
            rows = [
                (a.duplicate_of, a.relation, a.similarity, a.containment, a.id)
                for a in last.values()
                if _differs(current.get(a.id), a)
            ]
            corpus.db.conn.executemany(_UPDATE_ASSIGNMENT, rows)
            changed += len(rows)
        corpus.db.execute(
            "UPDATE articles SET dedup_deferred = NULL WHERE dedup_deferred IS NOT NULL"
        )
    return changed


def _chunks(items: Iterable[Reassignment], size: int) -> Iterator[list[Reassignment]]:
    chunk: list[Reassignment] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def deferred_count(corpus: Corpus) -> int:
    """Articles stored with dedup deferred (older than the window) and not reclustered since."""
    row = corpus.db.execute(
        "SELECT COUNT(*) FROM articles INDEXED BY articles_dedup_deferred "
        "WHERE dedup_deferred IS NOT NULL"
    ).fetchone()
    return int(row[0])


def article_texts(corpus: Corpus, batch: int = 1000) -> Iterator[list[tuple[int, str, str | None]]]:
    """(id, text, title) of every article in id order, in lists of up to `batch` rows."""
    last = 0
    while True:
        rows = corpus.db.execute(
            "SELECT id, text, title FROM articles WHERE id > ? ORDER BY id LIMIT ?", [last, batch]
        ).fetchall()
        if not rows:
            return
        yield [(int(r[0]), r[1], r[2]) for r in rows]
        last = int(rows[-1][0])


def replace_fingerprints(
    corpus: Corpus, rows: Sequence[tuple[int, bytes]], params_json: str
) -> None:
    """Replace every stored fingerprint and the parameters they were made with, atomically."""
    with corpus.db.atomic():
        corpus.db.execute("DELETE FROM fingerprints")
        corpus.db.conn.executemany(
            "INSERT INTO fingerprints (article_id, fingerprint) VALUES (?, ?)", rows
        )
        corpus.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [PARAMS_KEY, params_json],
        )


def dedup_rows(corpus: Corpus) -> Iterator[tuple[int, bytes, tuple[str, str, int], int | None]]:
    """(id, fingerprint blob, (published or "", fetched_at, id), duplicate_of) in id order.

    The shape `copydesk.dedup.Deduper.load` takes.
    """
    for fp in corpus.fingerprints():
        yield fp.id, fp.fingerprint, (fp.published or "", fp.fetched_at, fp.id), fp.duplicate_of
