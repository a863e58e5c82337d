"""The SQLite corpus: opening it, writing batches of articles, reading them back; all its SQL."""

from __future__ import annotations

import errno
import json
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlite_utils import Database

from storage.migrations import migrate
from storage.summaries import rebuild_sql

__all__ = [
    "DEDUP_ORDERS_SQL",
    "DEFAULT_DB",
    "Corpus",
    "CorpusError",
    "NewArticle",
    "Reassignment",
    "StoredFingerprint",
    "check_corpus",
    "default_db_path",
    "is_disk_full",
    "utcnow",
]

DEFAULT_DB = "corpus.db"
T = TypeVar("T")

#: What dedup rebuilds its index from: an article's order instants and cluster, read from the
#: `articles_dedup_order` index alone (no article text is read).
DEDUP_ORDERS_SQL = (
    "SELECT id, published_us, fetched_us, duplicate_of "
    "FROM articles INDEXED BY articles_dedup_order ORDER BY id"
)


class CorpusError(Exception):
    """The corpus cannot be opened or is inconsistent with what is asked of it."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error says the disk (or the corpus's size limit) is full."""
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def check_corpus(path: str | os.PathLike[str]) -> None:
    """Open (creating if need be) and close the corpus at ``path``: a folder that cannot be
    made or a file that is not a corpus raises :class:`CorpusError` saying so."""
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorpusError(
            f"cannot create the corpus folder {folder}: {exc.strerror or exc}; set COPYDESK_DB "
            "to a path in a folder you can write"
        ) from exc
    try:
        Corpus(path).close()
    except OSError as exc:
        raise CorpusError(f"cannot open corpus {path}: {exc.strerror or exc}") from exc


def default_db_path(setting: str | os.PathLike[str] | None = None) -> Path:
    """The corpus path: an explicit setting, else ``$COPYDESK_DB``, else ``./corpus.db``."""
    return Path(setting or os.environ.get("COPYDESK_DB") or DEFAULT_DB)


def utcnow() -> str:
    """Current UTC time as ISO 8601 with seconds precision, the corpus's timestamp format."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class NewArticle:
    """One article page to store, with its dedup decision already made."""

    id: int
    url: str
    canonical_url: str
    site: str
    text: str
    fetched_at: str
    text_hash: str
    source: str | None = None
    title: str | None = None
    published: str | None = None
    published_guess: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    crawl_id: int | None = None
    duplicate_of: int | None = None
    relation: str | None = None
    similarity: float | None = None
    containment: float | None = None
    extractor_version: str | None = None
    fingerprint: bytes | None = None
    html_zlib: bytes | None = None
    encoding: str | None = None
    content_type: str | None = None
    status: int | None = None
    #: Older than the dedup window when stored: not compared yet (`recluster --window`).
    dedup_deferred: bool = False

    def article_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "site": self.site,
            "source": self.source,
            "title": self.title,
            "text": self.text,
            "published": self.published,
            "published_guess": self.published_guess,
            "authors": json.dumps(self.authors, ensure_ascii=False),
            "language": self.language,
            "site_name": self.site_name,
            "description": self.description,
            "tags": json.dumps(self.tags, ensure_ascii=False),
            "image": self.image,
            "word_count": len(self.text.split()),
            "text_hash": self.text_hash,
            "fetched_at": self.fetched_at,
            "crawl_id": self.crawl_id,
            "duplicate_of": self.duplicate_of,
            "relation": self.relation,
            "similarity": self.similarity,
            "containment": self.containment,
            "extractor_version": self.extractor_version,
            "dedup_deferred": 1 if self.dedup_deferred else None,
        }


@dataclass(frozen=True)
class Reassignment:
    """A stored article whose cluster assignment changed (e.g. an older copy became canonical)."""

    id: int
    duplicate_of: int | None
    relation: str | None
    similarity: float | None
    containment: float | None


@dataclass(frozen=True)
class StoredFingerprint:
    """What dedup needs to rebuild its index for one stored article."""

    id: int
    fingerprint: bytes
    published: str | None
    fetched_at: str
    duplicate_of: int | None


def in_chunks(values: Iterable[str], size: int) -> Iterator[tuple[list[str], str]]:
    """``values`` without repeats, ``size`` at a time, each with its ``?,?,...`` placeholders."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        yield chunk, ",".join("?" * len(chunk))


class Corpus:
    """A corpus database, migrated on open, in WAL mode so readers never block the writer.

    ``run_migrations=False`` is for a second connection to a corpus already open (and so
    migrated) in this process, such as :meth:`read_ahead`'s reader.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, create: bool = True, run_migrations: bool = True
    ) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise CorpusError(f"no corpus at {self.path} (run a crawl or `copydesk demo` first)")
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.enable_wal()
            # WAL + NORMAL: a committed transaction survives a killed process; only an OS crash
            # or power loss can lose the last few commits.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            if run_migrations:
                migrate(self.db)
        except sqlite3.DatabaseError as exc:
            raise CorpusError(f"cannot open corpus {self.path}: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    # -- articles -------------------------------------------------------------------------------

    def max_article_id(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """The subset of ``urls`` already stored as an article's URL or canonical URL (here,
        or in a remote writer's corpus that confirmed it to this crawl shard)."""
        found: set[str] = set()
        for chunk, marks in in_chunks(urls, 300):
            sql = (
                f"SELECT url FROM articles WHERE url IN ({marks}) "
                f"UNION SELECT canonical_url FROM articles WHERE canonical_url IN ({marks}) "
                f"UNION SELECT url FROM handoff_stored WHERE url IN ({marks})"
            )
            found.update(row[0] for row in self.db.execute(sql, chunk * 3))
        return found

    def article_urls(self) -> Iterator[str]:
        """Every stored article's URL and canonical URL (a URL may come twice), and the URLs
        a remote writer confirmed stored."""
        for url, canonical_url in self.db.execute("SELECT url, canonical_url FROM articles"):
            yield url
            if canonical_url != url:
                yield canonical_url
        for (url,) in self.db.execute("SELECT url FROM handoff_stored"):
            yield url

    def write(
        self, articles: Sequence[NewArticle], reassignments: Sequence[Reassignment] = ()
    ) -> None:
        """Store a batch of articles and cluster changes in one transaction."""
        if not articles and not reassignments:
            return
        with self.db.atomic():
            self.db.table("articles").insert_all(
                (a.article_row() for a in sorted(articles, key=lambda a: a.id)),
                batch_size=500,
            )
            self._insert_pages_and_fingerprints(articles)
            self.db.conn.executemany(
                "UPDATE articles SET duplicate_of = ?, relation = ?, similarity = ?, "
                "containment = ? WHERE id = ?",
                [
                    (r.duplicate_of, r.relation, r.similarity, r.containment, r.id)
                    for r in reassignments
                ],
            )

    #: Set in ``meta`` while :meth:`bulk_load` runs: a corpus that still has it was left
    #: half-built (its indexes, search index, summaries or triggers may be missing).
    BULK_LOAD_MARK = "bulk_load_unfinished"

    def bulk_load(
        self,
        batches: Iterable[Sequence[NewArticle]],
        progress: Callable[[str], None] = lambda _: None,
    ) -> int:
        """Fill an empty corpus with many articles fast; the number of articles stored.

        ``write`` keeps every index, the search index and the summaries row by row, which is
        what a crawl needs; for millions of articles (``copydesk bench browse``) that costs
        most of the time. Here the indexes and triggers on ``articles`` are dropped, the rows
        inserted one transaction per batch, and then the indexes are made again, the search
        index and the summaries rebuilt once, and the triggers put back, exactly as the
        migrations made them. Only for a new corpus no other process writes; while it runs,
        ``meta`` holds :attr:`BULK_LOAD_MARK`, so a load that was killed can be told apart
        from a finished one (throw such a corpus away).
        """
        if self.count_articles():
            raise CorpusError(f"bulk_load needs an empty corpus; {self.path} has articles")
        self.set_meta(self.BULK_LOAD_MARK, utcnow())
        schema = list(
            self.db.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'articles' "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid"
            )
        )
        for kind, name, _ in schema:
            self.db.execute(f"DROP {kind.upper()} {name}")
        columns = list(NewArticle(0, "", "", "", "", "", "").article_row())
        insert = (
            f"INSERT INTO articles ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        stored = 0
        for batch in batches:
            with self.db.atomic():
                self.db.conn.executemany(insert, [tuple(a.article_row().values()) for a in batch])
                self._insert_pages_and_fingerprints(batch)
            stored += len(batch)
            progress(f"{stored:,} articles inserted")
        for kind, name, sql in schema:
            if kind == "index":
                progress(f"making index {name}")
                with self.db.atomic():
                    self.db.execute(sql)
        progress("building the search index")
        with self.db.atomic():
            self.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
        progress("building the summaries")
        with self.db.atomic():
            for statement in rebuild_sql():
                self.db.execute(statement)
        with self.db.atomic():
            for kind, _, sql in schema:
                if kind == "trigger":
                    self.db.execute(sql)
            self.db.execute("DELETE FROM meta WHERE key = ?", [self.BULK_LOAD_MARK])
        return stored

    def _insert_pages_and_fingerprints(self, articles: Sequence[NewArticle]) -> None:
        """The raw pages and fingerprints of ``articles`` that have them (inside the caller's
        transaction)."""
        self.db.table("pages").insert_all(
            (
                {
                    "article_id": a.id,
                    "html_zlib": a.html_zlib,
                    "encoding": a.encoding,
                    "content_type": a.content_type,
                    "status": a.status,
                }
                for a in articles
                if a.html_zlib is not None
            ),
            batch_size=500,
        )
        self.db.table("fingerprints").insert_all(
            (
                {"article_id": a.id, "fingerprint": a.fingerprint}
                for a in articles
                if a.fingerprint is not None
            ),
            batch_size=500,
        )

    def delete_articles(self, ids: Sequence[int]) -> None:
        """Remove articles (with their pages and fingerprints) in one transaction; the
        summaries and the search index follow through their triggers."""
        with self.db.atomic():
            for table, column in (("pages", "article_id"), ("fingerprints", "article_id")):
                self.db.conn.executemany(
                    f"DELETE FROM {table} WHERE {column} = ?", [(i,) for i in ids]
                )
            self.db.conn.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in ids])

    def set_cache_mb(self, megabytes: int) -> None:
        """Give this connection's page cache ``megabytes`` (bulk writes of big corpora)."""
        self.db.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")

    def fingerprints(self) -> Iterator[StoredFingerprint]:
        """Every stored fingerprint in id order, for rebuilding the dedup index."""
        sql = (
            "SELECT a.id, f.fingerprint, a.published, a.fetched_at, a.duplicate_of "
            "FROM fingerprints f JOIN articles a ON a.id = f.article_id ORDER BY a.id"
        )
        for row in self.db.execute(sql):
            yield StoredFingerprint(*row)

    def dedup_orders(
        self, batch: int = 8192
    ) -> Iterator[tuple[list[tuple[Any, ...]], dict[int, tuple[str | None, str]]]]:
        """Every article's (id, published_us, fetched_us, duplicate_of) in id order, ``batch``
        rows at a time, for rebuilding the dedup index.

        The instants are UTC microseconds (`storage.migrations.UNDATED` when missing) read
        from the ``articles_dedup_order`` index, so no article text is read. With each batch
        comes ``{id: (published, fetched_at)}`` for its rows whose instants are NULL (a shape
        the SQL does not read), looked up by id.
        """
        cursor = self.db.execute(DEDUP_ORDERS_SQL)
        while rows := cursor.fetchmany(batch):
            unread = [r[0] for r in rows if r[1] is None or r[2] is None]
            yield rows, (self._order_strings(unread) if unread else {})

    def _order_strings(self, ids: list[int]) -> dict[int, tuple[str | None, str]]:
        found: dict[int, tuple[str | None, str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, published, fetched_at FROM articles WHERE id IN ({marks})"
            found.update((i, (p, f)) for i, p, f in self.db.execute(sql, chunk))
        return found

    def fingerprint_batches(
        self, prefix: int | None = None, batch: int = 8192, first_id: int = 0
    ) -> Iterator[list[tuple[int, bytes]]]:
        """Every (article_id, fingerprint blob) in id order from ``first_id`` on, ``batch``
        rows at a time; with ``prefix``, only each blob's first ``prefix`` bytes."""
        blob = "fingerprint" if prefix is None else f"substr(fingerprint, 1, {int(prefix)})"
        cursor = self.db.execute(
            f"SELECT article_id, {blob} FROM fingerprints WHERE article_id >= ? "
            "ORDER BY article_id",
            [first_id],
        )
        while rows := cursor.fetchmany(batch):
            yield rows

    def fingerprints_of(self, ids: Sequence[int]) -> list[tuple[int, bytes]]:
        """(article_id, fingerprint blob) of those of ``ids`` that have one, in no set order."""
        found: list[tuple[int, bytes]] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT article_id, fingerprint FROM fingerprints WHERE article_id IN ({marks})"
            found.extend((int(i), bytes(b)) for i, b in self.db.execute(sql, chunk))
        return found

    def read_ahead(self, read: Callable[[Corpus], Iterator[T]], depth: int = 4) -> Iterator[T]:
        """What ``read(corpus)`` yields, read from now on by a thread with a connection of its
        own, up to ``depth`` items ahead: SQLite reads while the caller works on what came
        before. An exception in the reader is raised to the caller; ``close()`` (or dropping
        the iterator) stops the reader."""
        return _ReadAhead(self.path, read, depth)

    def fingerprint(self, article_id: int) -> bytes | None:
        """One article's stored fingerprint blob (the dedup index reads sketches back)."""
        row = self.db.execute(
            "SELECT fingerprint FROM fingerprints WHERE article_id = ?", [article_id]
        ).fetchone()
        return None if row is None else bytes(row[0])

    def article(self, article_id: int) -> dict[str, Any] | None:
        rows = list(self.db.table("articles").rows_where("id = ?", [article_id]))
        return rows[0] if rows else None

    def count_articles(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    # -- crawls ---------------------------------------------------------------------------------

    def start_crawl(self, spider: str, args: Mapping[str, Any]) -> int:
        """A new ``crawls`` row; unfinished rows of earlier runs are marked ``killed`` (the
        corpus lock says no other crawl is running, so they ended without finishing)."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE crawls SET finish_reason = 'killed' WHERE finish_reason IS NULL"
            )
            cursor = self.db.execute(
                "INSERT INTO crawls (spider, args, started_at) VALUES (?, ?, ?)",
                [spider, json.dumps(dict(args), sort_keys=True, default=str), utcnow()],
            )
        return int(cursor.lastrowid or 0)

    def finish_crawl(
        self,
        crawl_id: int,
        *,
        finish_reason: str,
        pages_fetched: int,
        articles_stored: int,
        duplicates: int,
        dropped: Mapping[str, int],
        errors: int,
        stats: Mapping[str, Any],
    ) -> None:
        with self.db.atomic():
            self.db.execute(
                "UPDATE crawls SET finished_at = ?, finish_reason = ?, pages_fetched = ?, "
                "articles_stored = ?, duplicates = ?, dropped = ?, errors = ?, stats = ? "
                "WHERE id = ?",
                [
                    utcnow(),
                    finish_reason,
                    pages_fetched,
                    articles_stored,
                    duplicates,
                    json.dumps(dict(dropped), sort_keys=True),
                    errors,
                    json.dumps(dict(stats), sort_keys=True, default=str),
                    crawl_id,
                ],
            )

    @property
    def reserve_path(self) -> Path:
        return self.path.with_name(self.path.name + ".reserve")

    def reserve_space(self, size: int) -> None:
        """Hold ``size`` bytes of disk in ``<corpus>.reserve``, released by
        :meth:`release_space` when the disk fills so the run can still record how it ended."""
        try:
            with open(self.reserve_path, "wb") as file:
                file.write(b"\0" * size)
                file.flush()
                os.fsync(file.fileno())
        except OSError as exc:
            self.release_space()
            if not is_disk_full(exc):
                raise

    def release_space(self) -> None:
        self.reserve_path.unlink(missing_ok=True)

    def last_crawl(self) -> dict[str, Any] | None:
        rows = list(self.db.table("crawls").rows_where(order_by="id desc", limit=1))
        return rows[0] if rows else None

    def summary(self) -> dict[str, int]:
        """Counts for a one-line report: articles, canonical articles, copies, sites."""
        row = self.db.execute(
            "SELECT COUNT(*), SUM(duplicate_of IS NULL), SUM(duplicate_of IS NOT NULL), "
            "COUNT(DISTINCT site) FROM articles"
        ).fetchone()
        return {
            "articles": row[0] or 0,
            "canonical": row[1] or 0,
            "duplicates": row[2] or 0,
            "sites": row[3] or 0,
        }


class _ReadAhead(Iterator[T]):
    """The iterator behind `Corpus.read_ahead`."""

    def __init__(self, path: Path, read: Callable[[Corpus], Iterator[T]], depth: int) -> None:
        self._items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(
            target=self._reader, args=(path, read), name="corpus-read-ahead", daemon=True
        )
        self._thread.start()

    def _put(self, kind: str, value: Any) -> bool:
        """Queue one message unless the consumer has left; whether it was queued."""
        while not self._stop.is_set():
            try:
                self._items.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _reader(self, path: Path, read: Callable[[Corpus], Iterator[T]]) -> None:
        try:
            with Corpus(path, create=False, run_migrations=False) as corpus:
                for item in read(corpus):
                    if not self._put("item", item):
                        return
            self._put("end", None)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put("error", exc)

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        kind, value = self._items.get()
        if kind == "item":
            return cast(T, value)
        self.close()
        if kind == "error":
            raise value
        raise StopIteration

    def close(self) -> None:
        self._done = True
        self._stop.set()
        self._thread.join()

    def __del__(self) -> None:
        self._stop.set()
