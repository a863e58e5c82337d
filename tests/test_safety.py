"""What the crawler refuses: other schemes than http(s), and addresses outside the allowed ones.

No test here connects to anything but loopback: refusal of private ranges is tested by
deciding, and in real crawls by allowing only 127.0.0.2 and pointing at 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import dnscache
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from copydesk.demo.server import SiteServer
from crawler.safety import (
    AddressPolicy,
    NetworkSettingError,
    PublicAddressResolver,
    RefusedAddress,
    RefuseUnsafeRequestsMiddleware,
    address_refusal,
    parse_networks,
)
from tests.conftest import crawl, rows
from tests.fixtures.web.hostile import (
    ALLOWED_HOST,
    SECRET,
    build_forbidden,
    build_news,
    good_articles,
)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link_local"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("fc00::1", "private"),
        ("fe80::1", "link_local"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link_local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non_public"),
        ("192.0.2.7", "private"),
        ("not-an-address", "not_an_address"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
        ("[2606:4700::1111]", None),
    ],
)
def test_address_decision(address: str, why: str | None) -> None:
    assert address_refusal(address) == why


def test_allowed_networks_open_only_their_range() -> None:
    allowed = parse_networks(["127.0.0.0/8", " 10.1.0.0/16 ", ""])
    assert address_refusal("127.0.0.2", allowed) is None
    assert address_refusal("10.1.2.3", allowed) is None
    assert address_refusal("10.2.0.1", allowed) == "private"
    assert address_refusal("::1", allowed) == "loopback"  # an IPv4 range allows no IPv6
    with pytest.raises(NetworkSettingError, match="COPYDESK_ALLOW_NETWORKS"):
        parse_networks(["10.0.0.0/33"])


@pytest.fixture
def hostile_web(tmp_path: Path) -> Iterator[tuple[SiteServer, SiteServer, Path, list[str]]]:
    forbidden_root = tmp_path / "forbidden"
    build_forbidden(forbidden_root)
    with SiteServer({"forbidden": forbidden_root}) as forbidden:
        port = int(forbidden.base_url("forbidden").rsplit(":", 1)[1])
        news_root, disk = tmp_path / "news", tmp_path / "disk"
        articles = good_articles(4)
        build_news(news_root, port, disk, articles)
        with SiteServer({"news": news_root}, host=ALLOWED_HOST) as news:
            yield news, forbidden, disk, [a.path for a in articles]


def test_a_crawl_reads_nothing_from_disk_nor_a_refused_address(
    hostile_web: tuple[SiteServer, SiteServer, Path, list[str]], tmp_path: Path
) -> None:
    news, forbidden, _, good = hostile_web
    db = tmp_path / "corpus.db"
    run = crawl(
        db,
        settings={"COPYDESK_ALLOW_NETWORKS": f"{ALLOWED_HOST}/32", "COPYDESK_EXTRACT_WORKERS": "0"},
        url=news.url("news", "/feed.xml"),
    )
    assert run.returncode == 0, run.log[-3000:]
    assert sum(forbidden.hits.values()) == 0, forbidden.hits
    stored = rows(db, "SELECT url, text FROM articles")
    assert sorted(r["url"] for r in stored) == sorted(news.url("news", p) for p in good)
    assert not any(SECRET in r["text"] for r in stored)
    refused = {k.rsplit("/", 1)[1]: v for k, v in run.stats.items() if "copydesk/refused/" in k}
    # the file:, data: and ftp: entries are skipped by the feed parser, never requested (a
    # redirect to the disk is not followed either); 127.0.0.1 as a literal and as a redirect,
    # localhost as an entry and as a redirect (and their robots.txt), 127.0.0.1 as a number
    # and as IPv4-mapped IPv6 are refused before download
    assert run.stats.get("copydesk/dropped/bad_scheme") == 4, run.stats
    assert refused.pop("loopback") >= 6
    assert not refused
    assert "Traceback" not in run.log
    assert run.log.count("further refusals (loopback)") == 1


def test_a_request_of_another_scheme_is_refused_before_download() -> None:
    """The feed parser skips such links; any other way a request of another scheme is made
    (a spider's bug, a middleware) is refused too, counted and logged once in full."""
    crawler = get_crawler()
    assert crawler.stats is not None
    middleware = RefuseUnsafeRequestsMiddleware(AddressPolicy(), crawler.stats)
    for url in ("file:///etc/passwd", "data:text/html,x", "ftp://127.0.0.2/story.html"):
        with pytest.raises(IgnoreRequest, match="only http and https"):
            middleware.process_request(Request(url))
    assert crawler.stats.get_value("copydesk/refused/scheme") == 3


def test_a_refused_address_is_not_retried_when_retries_are_off(
    hostile_web: tuple[SiteServer, SiteServer, Path, list[str]], tmp_path: Path
) -> None:
    _, forbidden, _, _ = hostile_web
    db = tmp_path / "corpus.db"
    port = forbidden.base_url("forbidden").rsplit(":", 1)[1]
    run = crawl(
        db,
        settings={
            "COPYDESK_ALLOW_NETWORKS": f"{ALLOWED_HOST}/32",
            "COPYDESK_EXTRACT_WORKERS": "0",
            "RETRY_ENABLED": "False",
        },
        url=f"http://localhost:{port}/2025/10/02/forbidden-story-2.html",
    )
    assert run.returncode in (0, 3), run.log[-3000:]
    assert sum(forbidden.hits.values()) == 0
    # its robots.txt and the page itself, each refused once (no retry)
    assert run.stats.get("copydesk/refused/loopback") == 2, run.stats
    assert run.stats.get("retry/count") is None


def test_the_resolver_checks_every_answer_it_hands_on() -> None:
    """Each lookup's answer is checked, cached ones too: a name that answered with a public
    address and now answers with a private one (DNS rebinding) is refused. Cache hits only:
    nothing is looked up."""
    resolver = PublicAddressResolver(object(), 100, 5.0, AddressPolicy())
    outcomes: list[object] = []
    try:
        dnscache["news.test"] = "93.184.216.34"
        resolver.getHostByName("news.test").addBoth(outcomes.append)
        dnscache["news.test"] = "169.254.169.254"  # the rebind
        resolver.getHostByName("news.test").addBoth(outcomes.append)
    finally:
        dnscache.pop("news.test", None)
    assert outcomes[0] == "93.184.216.34"
    assert isinstance(outcomes[1], Failure) and outcomes[1].check(RefusedAddress)
    assert resolver.policy.refused_names == {"news.test": "link_local"}
