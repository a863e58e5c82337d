"""Discovery records, rejected URLs, per-source crawl counts and HTTP validators: their SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.corpus import Corpus, NewArticle, Reassignment, utcnow

__all__ = ["HANDED_OFF", "STORED", "Discovery", "DiscoveryStore", "SourceRun", "Validators"]

#: ``discoveries.outcome`` of a URL stored as an article (other outcomes are lasting rejection
#: reasons, ``copydesk/reasons.py``).
STORED = "stored"
#: ``discoveries.outcome`` of an article handed off to a writer (``COPYDESK_HANDOFF``) and not
#: confirmed yet: not a rejection, so the next run fetches it again unless the writer confirms.
HANDED_OFF = "handed_off"


@dataclass
class Discovery:
    """How one URL was found, and what became of it (:data:`STORED`, :data:`HANDED_OFF` or a
    rejection reason)."""

    url: str
    outcome: str
    source: str | None = None
    via: str | None = None
    found_in: str | None = None
    seen_at: str | None = None
    title: str | None = None
    published: str | None = None
    lastmod: str | None = None
    keywords: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    article_id: int | None = None
    crawl_id: int | None = None
    relevance: float | None = None
    query: str | None = None

    @classmethod
    def from_dict(
        cls, url: str, outcome: str, discovery: Mapping[str, Any], **kw: Any
    ) -> Discovery:
        """From a spider's discovery dict (via, from, seen_at, title, published, lastmod...)."""
        known = {"via", "from", "seen_at", "title", "published", "lastmod", "keywords"}
        keywords = discovery.get("keywords") or []
        return cls(
            url=url,
            outcome=outcome,
            via=discovery.get("via"),
            found_in=discovery.get("from"),
            seen_at=discovery.get("seen_at"),
            title=discovery.get("title"),
            published=discovery.get("published"),
            lastmod=discovery.get("lastmod"),
            keywords=[str(k) for k in keywords] if isinstance(keywords, list) else [],
            meta={k: v for k, v in discovery.items() if k not in known},
            **kw,
        )


@dataclass(frozen=True)
class Validators:
    """What a server said about a feed or sitemap, for the next conditional GET."""

    url: str
    etag: str | None
    last_modified: str | None
    children: tuple[str, ...] = ()


@dataclass
class SourceRun:
    """One source's counts and health in one crawl."""

    source: str
    health: str = "ok"
    problems: list[dict[str, str]] = field(default_factory=list)
    feeds_read: int = 0
    sitemaps_read: int = 0
    sections_read: int = 0
    unchanged: int = 0
    found: int = 0
    requested: int = 0
    new: int = 0
    duplicates: int = 0
    skipped: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    #: Callbacks (feed, sitemap, section, article parsing) that raised instead of returning.
    crashed: int = 0


def _since(max_age_days: float) -> str:
    """The oldest ``outcome_at`` that is within ``max_age_days`` days of now."""
    return (datetime.now(UTC) - timedelta(days=max_age_days)).isoformat(timespec="seconds")


class DiscoveryStore:
    """Reads and writes the discovery tables of an open :class:`Corpus`."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.db = corpus.db

    def store_articles(
        self,
        articles: Sequence[NewArticle],
        reassignments: Sequence[Reassignment],
        discoveries: Sequence[Discovery],
    ) -> None:
        """Articles, their cluster changes and their discovery rows in one transaction: a
        killed crawl never leaves an article without its discovery row."""
        with self.db.atomic():
            self.corpus.write(articles, reassignments)
            self.record(discoveries)

    # -- discoveries ----------------------------------------------------------------------------

    def record(self, discoveries: Sequence[Discovery]) -> None:
        """Upsert discovery rows: first sighting kept, latest outcome and sighting updated."""
        if not discoveries:
            return
        now = utcnow()
        sql = (
            "INSERT INTO discoveries (url, article_id, source, via, found_in, first_seen, "
            "last_seen, title, published, lastmod, keywords, meta, crawl_id, outcome, outcome_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET last_seen = excluded.last_seen, "
            "published = COALESCE(excluded.published, discoveries.published), "
            "outcome = excluded.outcome, outcome_at = excluded.outcome_at, "
            "crawl_id = excluded.crawl_id, "
            "article_id = COALESCE(excluded.article_id, discoveries.article_id)"
        )
        rows = [
            (
                d.url,
                d.article_id,
                d.source,
                d.via,
                d.found_in,
                d.seen_at or now,
                now,
                d.title,
                d.published,
                d.lastmod,
                json.dumps(d.keywords, ensure_ascii=False),
                json.dumps(d.meta, ensure_ascii=False, sort_keys=True, default=str),
                d.crawl_id,
                d.outcome,
                now,
            )
            for d in discoveries
        ]
        scored = [(d.relevance, d.query, d.article_id) for d in discoveries if d.query]
        with self.db.atomic():
            self.db.conn.executemany(sql, rows)
            if scored:
                self.db.conn.executemany(
                    "UPDATE articles SET relevance = ?, query = ? WHERE id = ?", scored
                )

    def rejected(
        self, urls: Iterable[str], reasons: Iterable[str], max_age_days: float
    ) -> dict[str, tuple[str, str | None]]:
        """URLs rejected for one of ``reasons`` within the last ``max_age_days`` days, with
        the reason and the publication date known when they were rejected."""
        wanted = list(dict.fromkeys(urls))
        reasons = list(reasons)
        if not wanted or not reasons or max_age_days <= 0:
            return {}
        since = _since(max_age_days)
        found: dict[str, tuple[str, str | None]] = {}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            sql = (
                "SELECT url, outcome, published FROM discoveries "
                f"WHERE url IN ({','.join('?' * len(chunk))}) "
                f"AND outcome IN ({','.join('?' * len(reasons))}) AND outcome_at >= ?"
            )
            for url, outcome, published in self.db.execute(sql, [*chunk, *reasons, since]):
                found[url] = (outcome, published)
        return found

    def rejected_urls(self, reasons: Iterable[str], max_age_days: float) -> Iterator[str]:
        """Every URL rejected for one of ``reasons`` within the last ``max_age_days`` days."""
        reasons = list(reasons)
        if not reasons or max_age_days <= 0:
            return
        since = _since(max_age_days)
        sql = (
            "SELECT url FROM discoveries "
            f"WHERE outcome IN ({','.join('?' * len(reasons))}) AND outcome_at >= ?"
        )
        for (url,) in self.db.execute(sql, [*reasons, since]):
            yield url

    def discovery(self, url: str) -> dict[str, Any] | None:
        rows = list(self.db.table("discoveries").rows_where("url = ?", [url]))
        return rows[0] if rows else None

    # -- conditional GET ------------------------------------------------------------------------

    def validators(self, url: str) -> Validators | None:
        row = self.db.execute(
            "SELECT url, etag, last_modified, children FROM http_cache WHERE url = ?", [url]
        ).fetchone()
        if row is None:
            return None
        return Validators(row[0], row[1], row[2], tuple(json.loads(row[3] or "[]")))

    def save_validators(self, validators: Iterable[Validators]) -> None:
        now = utcnow()
        rows = [
            {
                "url": v.url,
                "etag": v.etag,
                "last_modified": v.last_modified,
                "children": json.dumps(list(v.children)),
                "checked_at": now,
            }
            for v in validators
        ]
        if rows:
            with self.db.atomic():
                self.db.table("http_cache").upsert_all(rows, pk="url")

    # -- per-source counts and health -----------------------------------------------------------

    def record_sources(self, crawl_id: int, runs: Iterable[SourceRun]) -> None:
        rows = [
            {
                "crawl_id": crawl_id,
                "source": r.source,
                "health": r.health,
                "problems": json.dumps(r.problems, ensure_ascii=False),
                "feeds_read": r.feeds_read,
                "sitemaps_read": r.sitemaps_read,
                "sections_read": r.sections_read,
                "unchanged": r.unchanged,
                "found": r.found,
                "requested": r.requested,
                "new": r.new,
                "duplicates": r.duplicates,
                "skipped": r.skipped,
                "dropped": json.dumps(r.dropped, sort_keys=True),
                "errors": r.errors,
            }
            for r in runs
        ]
        if rows:
            with self.db.atomic():
                self.db.table("crawl_sources").upsert_all(rows, pk=("crawl_id", "source"))

    def found_history(self, source: str, before_crawl: int, limit: int = 10) -> list[int]:
        """Articles found for a source in its last finished crawls whose documents changed."""
        sql = (
            "SELECT cs.found FROM crawl_sources cs JOIN crawls c ON c.id = cs.crawl_id "
            "WHERE cs.source = ? AND cs.crawl_id < ? AND c.finish_reason = 'finished' "
            "AND cs.unchanged = 0 ORDER BY cs.crawl_id DESC LIMIT ?"
        )
        return [int(row[0] or 0) for row in self.db.execute(sql, [source, before_crawl, limit])]

    def source_runs(self, crawl_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.table("crawl_sources").rows_where("crawl_id = ?", [crawl_id], order_by="source")
        )
