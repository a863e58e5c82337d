"""The demo news web is served correctly by SiteServer and matches its expected.json."""

from __future__ import annotations

import gzip
import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from copydesk.demo.server import SiteServer, SiteServerError
from copydesk.demo.sites import DEMO_ROOT, load_expected, load_sites, site_dirs, sources_toml

EXPECTED = load_expected()
SITES = load_sites()


@pytest.fixture(scope="module")
def server() -> Iterator[SiteServer]:
    with SiteServer(site_dirs(SITES)) as srv:
        yield srv


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def raw_get(server: SiteServer, slug: str, path: str) -> int:
    host, port = server.base_url(slug).removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", path)
    status = conn.getresponse().status
    conn.close()
    return status


def test_sites_toml_and_expected_agree() -> None:
    assert {s.slug for s in SITES} == set(EXPECTED["sites"])
    assert len(SITES) == 5
    kinds = [a["kind"] for a in EXPECTED["articles"]]
    assert kinds.count("seed") == 4 and kinds.count("wire_orig") == 1
    assert kinds.count("wire") >= 2 and kinds.count("template") == 2
    assert len({a["site"] for a in EXPECTED["articles"] if a["kind"] == "seed"}) == 4


def test_furniture_never_in_expected_text() -> None:
    for art in EXPECTED["articles"]:
        body = " ".join(art["paragraphs"])
        for furn in EXPECTED["sites"][art["site"]]["furniture"] + art["furniture"]:
            assert furn not in body, (art["path"], furn)


def test_every_listed_page_is_served(server: SiteServer) -> None:
    for site in SITES:
        for path in (site.homepage, *site.feeds, *site.sitemaps, "/robots.txt"):
            status, _, body = get(server.url(site.slug, path))
            assert status == 200, (site.slug, path)
            assert b"{{base" not in body
    for art in EXPECTED["articles"]:
        status, headers, body = get(server.url(art["site"], art["path"]))
        assert status == 200, art["path"]
        assert headers["Content-Type"].startswith("text/html")
        html = body.decode("utf-8")
        assert f'href="{server.url(art["site"], art["path"])}"' in html  # canonical substituted
        assert "{{base" not in html


def test_edges_answer_as_expected(server: SiteServer) -> None:
    for edge in EXPECTED["edges"]:
        status, headers, body = get(server.url(edge["site"], edge["path"]))
        if edge["outcome"] == "http_404":
            assert status == 404
            continue
        assert status == 200, edge["path"]
        if edge["outcome"] == "not_html":
            assert headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
        if edge["outcome"] == "empty":
            assert body == b""


def test_feeds_and_sitemaps_hold_absolute_urls(server: SiteServer) -> None:
    for site in SITES:
        base = server.base_url(site.slug)
        _, headers, body = get(base + site.feeds[0])
        assert (
            "rss" in headers["Content-Type"]
            or "atom" in headers["Content-Type"]
            or "xml" in (headers["Content-Type"])
        )
        locs = re.findall(r"(?:<link>|href=\")(http[^<\"]+)", body.decode())
        assert locs and all(u.startswith(base) for u in locs)
        _, _, robots = get(base + "/robots.txt")
        assert f"Sitemap: {base}{site.sitemaps[0]}" in robots.decode()
    harbor = get(server.url("harbor-gazette", "/"))[2].decode()
    assert "/category/" in harbor
    wire = next(a for a in EXPECTED["articles"] if a["site"] == "harbor-gazette" and a["cluster"])
    page = get(server.url("harbor-gazette", wire["path"]))[2].decode()
    assert f'href="{server.base_url("valley-ledger")}/"' in page  # {{base:SLUG}} substituted


def test_gzip_sitemap_on_the_fly(server: SiteServer) -> None:
    for item in EXPECTED["gzip_sitemaps"]:
        assert not (DEMO_ROOT / item["site"] / item["path"].lstrip("/")).exists()
        status, headers, body = get(server.url(item["site"], item["path"]))
        assert status == 200 and headers["Content-Type"] == "application/x-gzip"
        plain = get(server.url(item["site"], item["source"]))[2]
        assert gzip.decompress(body) == plain
        assert (
            b"<news:publication_date>" in plain and server.base_url(item["site"]).encode() in plain
        )


def test_conditional_get_and_head(server: SiteServer) -> None:
    url = server.url("northline", "/")
    status, headers, body = get(url)
    assert status == 200 and headers["ETag"].startswith('"')
    assert int(headers["Content-Length"]) == len(body)
    assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(url, {"If-None-Match": '"other"'})[0] == 200
    req = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200 and resp.read() == b""
        assert int(resp.headers["Content-Length"]) == len(body)


def test_path_traversal_refused(server: SiteServer) -> None:
    for path in (
        "/../sites.toml",
        "/%2e%2e/sites.toml",
        "/news/../../expected.json",
        "/_routes.toml",
    ):
        assert raw_get(server, "valley-ledger", path) == 404, path


def test_routes(server: SiteServer) -> None:
    for route in EXPECTED["routes"]:
        host, port = server.base_url(route["site"]).removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", route["path"])
        resp = conn.getresponse()
        resp.read()
        assert resp.status == route["status"], route
        if "location" in route:
            assert resp.headers["Location"] == server.url(route["site"], route["location"])
        conn.close()


def test_hits_are_counted(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("<p>{{base}} {{base:b}}</p>", encoding="utf-8")
    (tmp_path / "b").mkdir()
    with SiteServer({"a": tmp_path / "a", "b": tmp_path / "b"}) as srv:
        body = get(srv.url("a", "/"))[2].decode()
        assert body == f"<p>{srv.base_url('a')} {srv.base_url('b')}</p>"
        get(srv.url("a", "/"))
        get(srv.url("a", "/nope"))
        assert srv.hits[("a", "/")] == 2 and srv.hits[("a", "/nope")] == 1
        assert srv.statuses[("a", "/nope", 404)] == 1
        assert sum(srv.hits.values()) == 3
    with pytest.raises(SiteServerError):
        srv.base_url("c")


def test_sources_toml(server: SiteServer) -> None:
    import tomllib

    data = tomllib.loads(sources_toml(SITES, server.bases))
    assert len(data["source"]) == 5
    first = data["source"][0]
    assert first["homepage"].startswith("http://127.0.0.1:") and first["feeds"][0].startswith(
        "http"
    )
