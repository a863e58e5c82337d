"""`copydesk export` checks every option before touching the folder, and reports a bad
corpus or an unwritable folder in one line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from copydesk.cli import cli
from storage.corpus import Corpus, NewArticle

from .mounts import tmpfs


def run(db: Path, out: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["export", str(out), "--db", str(db), *args])


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    db = tmp_path / "corpus.db"
    with Corpus(db) as c:
        articles = []
        for number in range(3):
            url = f"https://a.example/{number}"
            text = f"Paragraph {number} of a story."
            articles.append(
                NewArticle(
                    id=number + 1,
                    url=url,
                    canonical_url=url,
                    site="a.example",
                    text=text,
                    fetched_at="2025-01-01T00:00:00+00:00",
                    text_hash=hashlib.sha256(text.encode()).hexdigest(),
                    title=f"Story {number}",
                    published=f"2025-03-1{number}",
                )
            )
        c.write(articles)
    return db


def one_line_error(result: Result) -> str:
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error"), result.output
    assert "Traceback" not in result.output
    return lines[-1]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--since", "garbage"], "--since 'garbage' is not a date"),
        (["--until", "2025-02-30"], "--until '2025-02-30' is not a date"),
        (["--since", "2025-04", "--until", "2025-03-01"], "is after --until"),
        (["--site", " "], "--site needs"),
    ],
)
def test_bad_options_exit_2_and_leave_the_previous_export(
    corpus: Path, tmp_path: Path, args: list[str], words: str
) -> None:
    out = tmp_path / "out"
    assert run(corpus, out).exit_code == 0
    before = sorted(p.name for p in out.iterdir())
    result = run(corpus, out, *args)
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_bad_query_leaves_the_folder_untouched(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "new"
    result = run(corpus, out, "--query", '"unbalanced')
    assert result.exit_code == 1
    assert "cannot select articles" in one_line_error(result)
    assert not out.exists()


def test_a_corrupt_corpus_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    db.write_bytes(b"this is not an SQLite database, just some bytes" * 100)
    result = run(db, tmp_path / "out")
    assert result.exit_code == 1
    assert "is not a readable Copydesk corpus" in one_line_error(result)
    assert not (tmp_path / "out").exists()


def test_a_folder_that_cannot_be_made_is_one_line(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run(corpus, tmp_path / "file" / "out")
    assert result.exit_code == 1
    assert "cannot write the export into" in one_line_error(result)


def test_a_read_only_folder_is_one_line(corpus: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", read_only=True) as folder:
        result = run(corpus, folder)
    assert result.exit_code == 1
    assert "Read-only file system" in one_line_error(result)
