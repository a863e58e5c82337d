"""The hand-off of multi-machine crawls: message format, Redis keys and stream calls.

Crawl shards add each extracted article to one Redis Stream (bounded: a full stream makes
them wait); one writer reads it through a consumer group, deduplicates and stores, then
confirms each article to the shard that sent it on that shard's own stream.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from storage.corpus import NewArticle, utcnow
from storage.handoff import Confirmation

__all__ = [
    "FORMAT_VERSION",
    "GROUP",
    "SHARDS",
    "STREAM",
    "WRITER",
    "FormatError",
    "HandoffError",
    "Message",
    "Sender",
    "confirm_stream",
    "connect",
    "decode",
    "encode",
    "status",
]

#: Version of the message format; the writer refuses messages of another version (2: the
#: article carries ``published_guess``).
FORMAT_VERSION = 2
STREAM = "copydesk:articles"
GROUP = "copydesk-writer"
#: Hash: shard origin id -> JSON {shard, host, db, last_message_at, last_id}.
SHARDS = "copydesk:shards"
#: Hash: the writer's last commit (at, articles, stored, consumer).
WRITER = "copydesk:writer"
#: Fields of an article that travel as raw bytes, and the dedup decision the writer makes.
_BYTES = ("fingerprint", "html_zlib")
_DECIDED = (
    "id",
    "duplicate_of",
    "relation",
    "similarity",
    "containment",
    "crawl_id",
    "dedup_deferred",
)


def confirm_stream(origin: str) -> str:
    """The stream on which the writer confirms stored articles to the shard ``origin``."""
    return f"copydesk:confirmed:{origin}"


class HandoffError(RuntimeError):
    """Redis cannot be used for the hand-off; the message says how to fix it."""


class FormatError(HandoffError):
    """A message of a format this writer does not read."""


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (
        f":{parts.port}" if parts.port else ""
    )
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str, timeout: float = 10.0) -> redis.Redis:
    """A Redis client for ``url`` (``redis://HOST:PORT/DB``), checked with a PING."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise HandoffError(
            f"cannot reach Redis at {redact(url)} ({exc}): start redis-server there, or fix "
            "the URL (COPYDESK_HANDOFF for a crawl, --redis for the writer)"
        ) from exc
    return client


@dataclass
class Message:
    """One article as a shard handed it off: no id and no dedup decision yet."""

    entry_id: str
    origin: str
    shard: str
    sent_at: str
    article: NewArticle
    discovery: dict[str, Any]


def encode(
    article: NewArticle, discovery: dict[str, Any], origin: str, shard: str
) -> dict[str, bytes]:
    """The stream fields of one article (its id and dedup decision are the writer's)."""
    plain = {
        f.name: getattr(article, f.name)
        for f in fields(NewArticle)
        if f.name not in _BYTES and f.name not in _DECIDED
    }
    return {
        "v": str(FORMAT_VERSION).encode(),
        "origin": origin.encode(),
        "shard": shard.encode(),
        "sent_at": utcnow().encode(),
        "article": json.dumps(plain, ensure_ascii=False).encode(),
        "discovery": json.dumps(discovery, ensure_ascii=False, default=str).encode(),
        "fingerprint": article.fingerprint or b"",
        "html_zlib": article.html_zlib or b"",
    }


def decode(entry_id: str, data: dict[bytes, bytes]) -> Message:
    """A stream entry as a :class:`Message`; :class:`FormatError` for another format."""
    version = data.get(b"v", b"?").decode("ascii", "replace")
    if version != str(FORMAT_VERSION):
        raise FormatError(
            f"message {entry_id} has format version {version}, this writer reads version "
            f"{FORMAT_VERSION}: run the same Copydesk version on the writer and every crawl "
            "machine (the message stays in the stream until a writer that reads it acknowledges "
            "it)"
        )
    plain = json.loads(data[b"article"])
    article = NewArticle(
        id=0,
        fingerprint=data.get(b"fingerprint") or None,
        html_zlib=data.get(b"html_zlib") or None,
        **plain,
    )
    return Message(
        entry_id=entry_id,
        origin=data[b"origin"].decode(),
        shard=data[b"shard"].decode(),
        sent_at=data[b"sent_at"].decode(),
        article=article,
        discovery=json.loads(data[b"discovery"]),
    )


# Add one entry only while the stream is shorter than its limit, atomically (several shards
# add at once), and note the sending shard's last message. Returns the entry id, or nil.
_BOUNDED_ADD = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4))
local status = cjson.decode(ARGV[3])
status['last_id'] = id
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(status))
return id
"""


class Sender:
    """A crawl shard's side of the hand-off: add articles, read confirmations back."""

    def __init__(
        self, client: redis.Redis, origin: str, shard: str, maxlen: int, db: str = ""
    ) -> None:
        if maxlen < 1:
            raise HandoffError(f"the stream limit must be at least 1, not {maxlen}")
        self.client = client
        self.origin = origin
        self.shard = shard
        self.maxlen = maxlen
        self.db = db
        self._add = client.register_script(_BOUNDED_ADD)
        self._host = socket.gethostname()

    def send(self, article: NewArticle, discovery: dict[str, Any]) -> str | None:
        """Add one article to the stream: its entry id, or None when the stream is full."""
        status = json.dumps(
            {"shard": self.shard, "host": self._host, "db": self.db, "last_message_at": utcnow()}
        )
        args: list[Any] = [self.maxlen, self.origin, status]
        for key, value in encode(article, discovery, self.origin, self.shard).items():
            args += [key, value]
        found = self._add(keys=[STREAM, SHARDS], args=args)
        return None if found is None else found.decode()

    def confirmations(self, after: str, count: int = 1000) -> tuple[list[Confirmation], str]:
        """Confirmations after entry ``after`` (at most ``count``) and the last one's id."""
        answer: Any = self.client.xread({confirm_stream(self.origin): after}, count=count)
        found: list[Confirmation] = []
        last = after
        for _, entries in answer or []:
            for entry_id, data in entries:
                last = entry_id.decode()
                found.append(
                    Confirmation(
                        data[b"url"].decode(),
                        data[b"canonical_url"].decode(),
                        int(data[b"article_id"]),
                    )
                )
        return found, last

    def forget(self, upto: str) -> None:
        """Drop confirmations up to entry ``upto`` (recorded by the shard) from Redis."""
        stream = confirm_stream(self.origin)
        # MINID keeps entries >= the id: keep none up to `upto` itself.
        ms, _, seq = upto.partition("-")
        self.client.xtrim(stream, minid=f"{ms}-{int(seq or 0) + 1}")


def status(client: redis.Redis) -> dict[str, Any]:
    """What `copydesk info --redis` shows: the stream, the writer and each shard."""
    length: Any = client.xlen(STREAM)
    pending = 0
    lag: int | None = None
    try:
        groups: Any = client.xinfo_groups(STREAM)
        for group in groups:
            if group["name"].decode() == GROUP:
                pending = int(group["pending"])
                lag = group.get("lag")
    except redis.ResponseError:  # no stream yet
        pass
    found: Any = client.hgetall(WRITER)
    writer = {k.decode(): v.decode() for k, v in found.items()}
    found = client.hgetall(SHARDS)
    shards = {k.decode(): json.loads(v) for k, v in found.items()}
    return {
        "stream": STREAM,
        "stream_length": int(length),
        "pending": pending,
        "unread": lag,
        "writer": writer or None,
        "shards": dict(sorted(shards.items(), key=lambda kv: str(kv[1].get("shard")))),
    }
