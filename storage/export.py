"""Export the corpus to files: seed-format text files, JSON Lines or CSV, with a manifest.

File names are ``NNN_<16 hex>.txt``: ``NNN`` is the article's running number in the export
(articles ordered by id, i.e. the order the crawls stored them; at least three digits) and the
hex digits are the start of the SHA-256 of the article's canonical URL. A text file holds the
title, a blank line, then the paragraphs separated by blank lines, with no newline after the
last paragraph (the layout of the reference articles). The same corpus and options always give
byte-identical files; ``manifest.json`` lists every file with its URL, site, date and SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "FORMATS",
    "MANIFEST",
    "MANIFEST_FORMAT",
    "ExportError",
    "ExportOptionError",
    "ExportOptions",
    "ExportResult",
    "article_text",
    "count_articles",
    "export",
    "url_hash",
]

ExportFormat = Literal["txt", "jsonl", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("txt", "jsonl", "csv")
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "copydesk-export/1"
_BULK_NAMES = {"jsonl": "articles.jsonl", "csv": "articles.csv"}
_OUR_FILE = re.compile(r"^(\d{3,}_[0-9a-f]{16}\.txt|articles\.jsonl|articles\.csv)$")

_COLUMNS = (
    "id",
    "url",
    "canonical_url",
    "site",
    "site_name",
    "title",
    "published",
    "published_guess",
    "language",
    "authors",
    "tags",
    "description",
    "duplicate_of",
    "relation",
    "similarity",
    "word_count",
    "fetched_at",
    "text",
)


class ExportError(Exception):
    """The export cannot be done as asked (bad query, a file it would overwrite, no corpus)."""


class ExportOptionError(ExportError):
    """An export option is invalid (a date that is not a date...): a usage error."""


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how."""

    format: ExportFormat = "txt"
    since: str | None = None
    until: str | None = None
    sites: tuple[str, ...] = ()
    query: str | None = None
    include_duplicates: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ExportOptionError(
                f"unknown format {self.format!r}; use one of {', '.join(FORMATS)}"
            )
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not _is_date(value):
                raise ExportOptionError(
                    f"--{name} {value!r} is not a date; use YYYY, YYYY-MM, YYYY-MM-DD or an "
                    "ISO 8601 time such as 2025-03-11T08:00:00+00:00"
                )
        if self.since and self.until and self.since[:10] > self.until[:10]:
            raise ExportOptionError(f"--since {self.since} is after --until {self.until}")
        if any(not site.strip() for site in self.sites):
            raise ExportOptionError("--site needs a site name such as www.example.com")
        if self.query is not None and not self.query.strip():
            raise ExportOptionError("--query needs search words (FTS5 syntax)")


_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2}(?:[T ]\d{2}:\d{2}.*)?)?)?$")


def _is_date(value: str) -> bool:
    """Whether ``value`` is a date prefix that compares correctly with stored dates."""
    if not _DATE.match(value):
        return False
    padded = value + "-01-01"[len(value) - 4 :] if len(value) < 10 else value
    try:
        datetime.fromisoformat(padded.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@dataclass
class ExportResult:
    """What an export did."""

    articles: int
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def url_hash(canonical_url: str) -> str:
    """The first 16 hex digits of the SHA-256 of a canonical URL (UTF-8)."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def article_text(title: str | None, text: str) -> str:
    """An article in the seed layout: title, blank line, paragraphs separated by blank lines.

    Line breaks inside a paragraph (captions, addresses) stay single newlines, as in the
    reference articles; there is no newline after the last paragraph.
    """
    paragraphs = []
    for block in re.split(r"\n[ \t\r]*\n", text):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines:
            paragraphs.append("\n".join(lines))
    if title and title.strip():
        paragraphs.insert(0, " ".join(line.strip() for line in title.splitlines() if line.strip()))
    return "\n\n".join(paragraphs)


def _where(options: ExportOptions) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if not options.include_duplicates:
        clauses.append("duplicate_of is null")
    if options.since:
        clauses.append("published >= ?")
        params.append(options.since)
    if options.until:
        # Inclusive: --until 2025-03-11 keeps 2025-03-11T18:00.
        clauses.append("substr(published, 1, ?) <= ?")
        params += [len(options.until), options.until]
    if options.sites:
        clauses.append(f"site in ({','.join('?' * len(options.sites))})")
        params += list(options.sites)
    if options.query:
        clauses.append("id in (select rowid from articles_fts where articles_fts match ?)")
        params.append(options.query)
    return (" where " + " and ".join(clauses)) if clauses else "", params


def _connect(db_path: Path) -> sqlite3.Connection:
    if not db_path.exists():
        raise ExportError(f"no corpus at {db_path}")
    try:
        conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("select 1 from articles limit 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ExportError(
            f"{db_path} is not a readable Copydesk corpus ({exc}); check the path given "
            "with --db or COPYDESK_DB"
        ) from exc
    return conn


def count_articles(db_path: Path, options: ExportOptions) -> int:
    """How many articles an export with these options writes."""
    conn = _connect(db_path)
    try:
        where, params = _where(options)
        return int(conn.execute(f"select count(*) from articles{where}", params).fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise ExportError(f"cannot select articles: {exc}") from exc
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, options: ExportOptions) -> Iterator[dict[str, Any]]:
    where, params = _where(options)
    sql = f"select {', '.join(_COLUMNS)} from articles{where} order by id"
    for row in conn.execute(sql, params):
        yield dict(row)


def _record(name: str, row: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"name": name}
    for column in _COLUMNS:
        value = row[column]
        if column in ("authors", "tags"):
            value = json.loads(value) if value else []
        record[column] = value
    return record


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Writer:
    """Writes files into the export directory, leaving identical files untouched."""

    def __init__(self, directory: Path, owned: set[str]) -> None:
        self.directory = directory
        self.owned = owned
        self.result_written: list[str] = []
        self.result_unchanged: list[str] = []

    def write(self, name: str, data: bytes) -> None:
        path = self.directory / name
        if path.exists():
            if name not in self.owned:
                raise ExportError(
                    f"refusing to overwrite {path}: it is not listed in {MANIFEST} "
                    "(use an empty directory or one a previous export wrote)"
                )
            if path.read_bytes() == data:
                self.result_unchanged.append(name)
                return
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.result_written.append(name)


def _old_manifest(directory: Path) -> set[str]:
    """Names of the files a previous export listed in the directory's manifest."""
    path = directory / MANIFEST
    if not path.exists():
        return set()
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path} is not a Copydesk export manifest: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ExportError(f"{path} is not a Copydesk export manifest; use another directory")
    names = {str(entry.get("file", "")) for entry in manifest.get("files", [])}
    # Only plain names of the shapes we write: a manifest cannot point outside the directory.
    return {name for name in names if _OUR_FILE.match(name)}


def export(
    db_path: str | os.PathLike[str],
    directory: str | os.PathLike[str],
    options: ExportOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Export the selected articles of the corpus at ``db_path`` into ``directory``.

    ``progress`` is called with the number of articles done since its last call. Files a
    previous export listed in ``manifest.json`` and this one does not write are removed; no
    other file is touched, and a file the manifest does not list is never overwritten. The
    options, the corpus and the query are checked before the directory is touched.
    """
    out = Path(directory)
    try:
        return _export(Path(db_path), out, options or ExportOptions(), progress)
    except OSError as exc:
        raise ExportError(
            f"cannot write the export into {out}: {exc.strerror or exc}; choose a directory "
            "you can write to"
        ) from exc


def _export(
    db: Path,
    out: Path,
    options: ExportOptions,
    progress: Callable[[int], None] | None,
) -> ExportResult:
    conn = _connect(db)
    try:
        # One read transaction: the count and the rows come from the same snapshot even while
        # a crawl writes.
        conn.execute("begin")
        where, params = _where(options)
        total = int(conn.execute(f"select count(*) from articles{where}", params).fetchone()[0])
        out.mkdir(parents=True, exist_ok=True)
        owned = _old_manifest(out)
        writer = _Writer(out, owned | {MANIFEST})
        width = max(3, len(str(max(total - 1, 0))))
        entries: list[dict[str, Any]] = []
        bulk = io.StringIO(newline="")
        csv_writer = csv.writer(bulk) if options.format == "csv" else None
        if csv_writer is not None:
            csv_writer.writerow(["name", *_COLUMNS])
        for number, row in enumerate(_rows(conn, options)):
            name = f"{number:0{width}d}_{url_hash(row['canonical_url'])}"
            content = article_text(row["title"], row["text"]).encode("utf-8")
            entry = {
                "file": f"{name}.txt",
                "id": row["id"],
                "url": row["url"],
                "canonical_url": row["canonical_url"],
                "site": row["site"],
                "published": row["published"],
                "duplicate_of": row["duplicate_of"],
                "sha256": _sha256(content),
            }
            if options.format == "txt":
                writer.write(entry["file"], content)
            else:
                entry["name"] = name
                del entry["file"]
                record = _record(name, row)
                if csv_writer is not None:
                    csv_writer.writerow(
                        [
                            json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                            for v in record.values()
                        ]
                    )
                else:
                    bulk.write(json.dumps(record, ensure_ascii=False) + "\n")
            entries.append(entry)
            if progress is not None:
                progress(1)
        conn.execute("commit")
    except sqlite3.DatabaseError as exc:
        raise ExportError(f"cannot select articles: {exc}") from exc
    finally:
        conn.close()

    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "export_format": options.format,
        "options": {k: v for k, v in asdict(options).items() if k != "format"},
        "naming": (
            "NNN_HASH.txt: NNN = running number in article-id order, HASH = first 16 hex "
            "digits of sha256(canonical_url); sha256 = SHA-256 of the seed-format text"
        ),
        "articles": len(entries),
    }
    if options.format == "txt":
        manifest["files"] = entries
        wanted = {entry["file"] for entry in entries}
    else:
        name = _BULK_NAMES[options.format]
        data = bulk.getvalue().encode("utf-8")
        writer.write(name, data)
        manifest["files"] = [{"file": name, "sha256": _sha256(data), "records": len(entries)}]
        manifest["records"] = entries
        wanted = {name}
    writer.write(
        MANIFEST,
        (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode(),
    )
    removed = sorted(owned - wanted)
    for name in removed:
        (out / name).unlink(missing_ok=True)
    return ExportResult(
        articles=len(entries),
        written=writer.result_written,
        unchanged=writer.result_unchanged,
        removed=removed,
    )
