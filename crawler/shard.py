"""Sites sharded across crawl processes: ``-a shard=K/N`` and rendezvous hashing of the site."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from crawler.sources import Source, SourcesError, site_of

__all__ = ["Shard", "ShardError", "owner", "parse_shard", "source_site"]


class ShardError(SourcesError):
    """A ``shard`` argument that cannot be used; the message says how to fix it."""


def _score(shard: int, site: str) -> int:
    digest = hashlib.blake2b(f"{shard}\0{site}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(site: str, shards: int) -> int:
    """The shard (1..``shards``) that crawls ``site``: rendezvous (highest random weight)
    hashing with blake2b, so the answer is the same on every machine and in every run, and
    adding a shard moves only the sites the new shard wins (about 1/N of them)."""
    if shards < 1:
        raise ShardError(f"the number of shards must be at least 1, not {shards}")
    return max(range(1, shards + 1), key=lambda k: _score(k, site))


def source_site(source: Source) -> str:
    """The site a source belongs to: the host of its homepage, else of its first URL."""
    for url in (source.homepage, *source.feeds, *source.sitemaps, *source.urls, *source.search):
        if url:
            return site_of(url)
    return source.name


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based: ``1/2`` and ``2/2``)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, source: Source) -> bool:
        return owner(source_site(source), self.count) == self.index

    def select(self, sources: list[Source]) -> list[Source]:
        """The sources this shard crawls."""
        return [s for s in sources if self.owns(s)]


def parse_shard(value: str) -> Shard:
    """``"K/N"`` (1 <= K <= N) as a :class:`Shard`."""
    index, slash, count = value.strip().partition("/")
    try:
        if not slash:
            raise ValueError
        shard = Shard(int(index), int(count))
    except ValueError:
        raise ShardError(
            f"-a shard={value!r}: give this crawl's shard as K/N, e.g. -a shard=1/3 for the "
            "first of three crawl processes"
        ) from None
    if not 1 <= shard.index <= shard.count:
        raise ShardError(
            f"-a shard={value}: K must be between 1 and N (the shards of {shard.count} crawl "
            f"processes are 1/{shard.count} to {shard.count}/{shard.count})"
        )
    return shard
