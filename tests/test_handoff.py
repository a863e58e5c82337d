"""Multi-machine crawls, piece by piece: shard ownership, the message format, the bounded
stream and the writer (real redis-server, real SQLite; no crawl)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from copydesk.bench.redisserver import free_port
from copydesk.cli import cli
from copydesk.dedup import DedupParams, fingerprint
from copydesk.handoff import (
    FORMAT_VERSION,
    GROUP,
    STREAM,
    FormatError,
    HandoffError,
    Sender,
    connect,
    decode,
    encode,
    status,
)
from copydesk.writer import Writer
from crawler.shard import ShardError, owner, parse_shard
from crawler.spiders.news import NewsSpider
from storage.corpus import Corpus, NewArticle
from storage.handoff import origin_id, record_confirmed

from .conftest import rows
from .test_dedup_core import LOCAL, WIRE

P = DedupParams()
SITES = [f"site{i}.example" for i in range(3000)]


def article(url: str, text: str, published: str = "2025-10-01") -> NewArticle:
    return NewArticle(
        id=0,
        url=url,
        canonical_url=url,
        site=url.split("/")[2],
        text=text,
        fetched_at="2025-10-02T10:00:00+00:00",
        text_hash=str(hash(text)),
        title="A title",
        published=published,
        fingerprint=fingerprint(text, P).to_bytes(),
        html_zlib=b"x\x9c\x03\x00\x00\x00\x00\x01",
    )


OTHER = (
    "The city council approved a new budget for the harbour ferry on Monday after a long "
    "debate about fares, timetables and the cost of repairing the old pier at Gull Point. " * 3
)


# -- shards -----------------------------------------------------------------------------------


def test_a_site_has_one_owner_the_same_everywhere() -> None:
    # blake2b, not Python's salted hash: the same answer in every process and on every machine
    assert [owner(s, 3) for s in ("a.example", "b.example", "c.example:8080")] == [
        owner(s, 3) for s in ("a.example", "b.example", "c.example:8080")
    ]
    counts = Counter(owner(s, 3) for s in SITES)
    assert set(counts) == {1, 2, 3}
    assert all(900 <= n <= 1100 for n in counts.values()), counts


def test_adding_a_shard_moves_only_the_sites_it_takes() -> None:
    before = {s: owner(s, 3) for s in SITES}
    after = {s: owner(s, 4) for s in SITES}
    moved = [s for s in SITES if before[s] != after[s]]
    assert all(after[s] == 4 for s in moved)
    assert 600 <= len(moved) <= 900  # about a quarter


@pytest.mark.parametrize("value", ["2", "0/2", "3/2", "a/b", "1/0"])
def test_a_bad_shard_says_how_to_write_one(value: str) -> None:
    with pytest.raises(ShardError, match="shard"):
        parse_shard(value)


def test_shards_split_the_sources_of_a_crawl() -> None:
    urls = ",".join(f"http://{s}/" for s in SITES[:40])
    names = [{s.name for s in NewsSpider(url=urls, shard=f"{k}/3").sources} for k in (1, 2, 3)]
    assert sum(len(n) for n in names) == 40
    assert set.union(*names) == {s.name for s in NewsSpider(url=urls).sources}
    assert all(names)


def test_a_shard_that_owns_no_source_says_so(caplog: pytest.LogCaptureFixture) -> None:
    site = SITES[0]
    other = 2 if owner(site, 2) == 1 else 1
    assert NewsSpider(url=f"http://{site}/", shard=f"{other}/2").sources == []
    assert f"Shard {other}/2 owns none of the 1 sources" in caplog.text


# -- messages ---------------------------------------------------------------------------------


def test_a_message_carries_the_article_and_its_format_version() -> None:
    a = article("http://a.example/story", WIRE)
    data = {k.encode(): v for k, v in encode(a, {"via": "feed"}, "o1", "1/2").items()}
    assert data[b"v"] == str(FORMAT_VERSION).encode()
    message = decode("1-0", data)
    assert message.article == a
    assert (message.origin, message.shard, message.discovery) == ("o1", "1/2", {"via": "feed"})
    data[b"v"] = b"99"
    with pytest.raises(FormatError, match=r"format version 99.*same Copydesk version"):
        decode("1-0", data)


def test_an_unreachable_redis_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(HandoffError, match="start redis-server"):
        connect(f"redis://127.0.0.1:{free_port()}/0", timeout=2)


# -- the stream and the writer ----------------------------------------------------------------


def test_the_stream_never_passes_its_limit(redis_url: str) -> None:
    sender = Sender(connect(redis_url), "o1", "1/1", maxlen=2)
    ids = [sender.send(article(f"http://a.example/{i}", WIRE), {}) for i in range(4)]
    assert ids[:2] == [i for i in ids[:2] if i] and ids[2:] == [None, None]
    assert sender.client.xlen(STREAM) == 2


def send_all(redis_url: str, origin: str, articles: list[NewArticle]) -> Sender:
    sender = Sender(connect(redis_url), origin, "1/1", maxlen=100)
    for a in articles:
        assert sender.send(a, {"via": "feed"})
    return sender


def test_the_writer_stores_deduplicates_and_confirms(redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    first = send_all(redis_url, "shard-a", [article("http://a.example/wire", WIRE)])
    second = send_all(
        redis_url,
        "shard-b",
        [
            article("http://b.example/copy", LOCAL, published="2025-10-03"),
            article("http://b.example/other", OTHER),
            article("http://a.example/wire", WIRE),  # the same URL sent twice: stored once
        ],
    )
    with Writer(connect(redis_url), db, P) as writer:
        totals = writer.run(idle_exit=0)
    assert (totals.read, totals.stored, totals.known, totals.copies) == (4, 3, 1, 1)
    stored = {r["url"]: r for r in rows(db, "SELECT id, url, duplicate_of FROM articles")}
    assert stored["http://b.example/copy"]["duplicate_of"] == stored["http://a.example/wire"]["id"]
    confirmed_a, _ = first.confirmations("0-0")
    confirmed_b, _ = second.confirmations("0-0")
    assert [c.url for c in confirmed_a] == ["http://a.example/wire"]
    assert sorted((c.url, c.article_id) for c in confirmed_b) == sorted(
        [(u, stored[u]["id"]) for u in ("http://b.example/copy", "http://b.example/other")]
        + [("http://a.example/wire", stored["http://a.example/wire"]["id"])]
    )
    handoff = status(connect(redis_url))
    assert (handoff["stream_length"], handoff["pending"]) == (0, 0)
    assert handoff["writer"]["stored_total"] == "3"


class Crash(Exception):
    pass


def test_a_writer_killed_after_its_commit_stores_nothing_twice(
    redis_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "corpus.db"
    sender = send_all(
        redis_url,
        "s",
        [article("http://a.example/wire", WIRE), article("http://b.example/x", OTHER)],
    )

    def crash() -> None:
        raise Crash

    with Writer(connect(redis_url), db, P) as writer, pytest.raises(Crash):
        writer.handle(writer.read(), after_commit=crash)
    assert rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"] == 2
    assert status(connect(redis_url))["pending"] == 2
    assert sender.confirmations("0-0")[0] == []  # nothing confirmed before the acknowledgement
    with Writer(connect(redis_url), db, P) as writer:
        totals = writer.run(idle_exit=0)
    assert (totals.stored, totals.known) == (0, 2)
    assert rows(db, "SELECT COUNT(*) AS n, COUNT(DISTINCT url) AS d FROM articles")[0] == {
        "n": 2,
        "d": 2,
    }
    assert len(sender.confirmations("0-0")[0]) == 2
    assert status(connect(redis_url))["pending"] == 0


def test_the_writer_refuses_a_message_of_another_format(redis_url: str, tmp_path: Path) -> None:
    client = connect(redis_url)
    fields = encode(article("http://a.example/wire", WIRE), {}, "s", "1/1")
    client.xadd(STREAM, {**fields, "v": str(FORMAT_VERSION + 1).encode()})
    with Writer(client, tmp_path / "corpus.db", P) as writer, pytest.raises(FormatError):
        writer.run(idle_exit=0)
    assert rows(tmp_path / "corpus.db", "SELECT COUNT(*) AS n FROM articles")[0]["n"] == 0
    assert status(client)["pending"] == 1  # kept for a writer that reads it


def test_a_shard_records_confirmed_urls_once(tmp_path: Path) -> None:
    from storage.handoff import Confirmation, confirmed_position

    with Corpus(tmp_path / "state.db") as corpus:
        origin = origin_id(corpus)
        assert origin == origin_id(corpus)
        confirmations = [Confirmation("http://a.example/x", "http://a.example/x-c", 7)]
        record_confirmed(corpus, confirmations, "5-0")
        record_confirmed(corpus, confirmations, "5-0")
        assert confirmed_position(corpus) == "5-0"
        assert corpus.known_urls(["http://a.example/x", "http://a.example/x-c", "http://n/"]) == {
            "http://a.example/x",
            "http://a.example/x-c",
        }
        assert sorted(corpus.article_urls()) == ["http://a.example/x", "http://a.example/x-c"]


def test_info_shows_the_handoff(redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    Corpus(db).close()
    send_all(redis_url, "s", [article("http://a.example/wire", WIRE)])
    result = CliRunner().invoke(cli, ["info", "--db", str(db), "--redis", redis_url])
    assert result.exit_code == 0, result.output
    handoff = json.loads(result.output)["handoff"]
    assert handoff["stream_length"] == 1
    assert handoff["writer"] is None
    assert handoff["shards"]["s"]["shard"] == "1/1"
    assert handoff["shards"]["s"]["last_id"]


def test_writer_command_drains_the_stream(redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    send_all(redis_url, "s", [article("http://a.example/wire", WIRE)])
    result = CliRunner().invoke(
        cli, ["writer", "--redis", redis_url, "--db", str(db), "--idle-exit", "0"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stored"] == 1
    bad = CliRunner().invoke(
        cli, ["writer", "--redis", f"redis://127.0.0.1:{free_port()}/0", "--db", str(db)]
    )
    assert bad.exit_code == 1 and "start redis-server" in bad.output
    with pytest.raises(redis.ResponseError):
        connect(redis_url).xgroup_create(STREAM, GROUP, id="0")  # the writer made the group


def test_bench_writer_prints_its_figures(redis_server: str) -> None:
    result = CliRunner().invoke(cli, ["bench", "writer", "--articles", "60", "--rounds", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["articles"] == 60
    assert report["copies"] >= 1  # planted wire copies found
    assert report["articles_per_s"] >= 0 and report["writer_cpu_ms_per_article"] >= 0
