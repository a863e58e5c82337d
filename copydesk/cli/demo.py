"""`copydesk demo`: serve the bundled demo web and crawl it; the crawl runner it uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from copydesk.cli import DB_OPTION, cli, resolve_db
from storage.corpus import Corpus

__all__ = ["run_crawl"]


def run_crawl(
    spider: str,
    args: dict[str, str],
    db_path: Path,
    settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run ``scrapy crawl`` in a child process (a fresh reactor) and return its exit code."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    for key, value in {"COPYDESK_DB": str(db_path), **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    child_env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", **(env or {})}
    return subprocess.run(command, env=child_env, check=False).returncode


@cli.command()
@DB_OPTION
@click.option("--verbose", is_flag=True, help="Show the crawl's log.")
def demo(db_path: Path | None, verbose: bool) -> None:
    """Serve the bundled demo news web on 127.0.0.1 and crawl it into the corpus.

    The demo outlets answer through a local HTTP proxy on a free port, so their URLs
    (http://<outlet>.example/...) stay the same from run to run and a second run stores
    nothing twice.
    """
    from copydesk.demo.server import SiteServer
    from copydesk.demo.sites import load_sites, sources_toml

    db = resolve_db(db_path)
    sites = load_sites()
    with (
        SiteServer({s.slug: s.dir for s in sites}, virtual_hosts=True) as server,
        tempfile.TemporaryDirectory(prefix="copydesk-demo-") as tmp,
    ):
        sources = Path(tmp) / "sources.toml"
        sources.write_text(sources_toml(sites, server.bases), encoding="utf-8")
        click.echo(f"Serving {len(sites)} demo outlets through the local proxy {server.proxy_url}")
        code = run_crawl(
            "news",
            {"sources": str(sources)},
            db,
            settings={
                # Our own local server: no need to be gentle with it.
                "AUTOTHROTTLE_ENABLED": "False",
                "DOWNLOAD_DELAY": "0",
                # the demo web and its proxy are on 127.0.0.1, refused unless allowed
                "COPYDESK_ALLOW_NETWORKS": "127.0.0.0/8",
                "LOG_LEVEL": "INFO" if verbose else "WARNING",
            },
            env={"http_proxy": server.proxy_url, "no_proxy": ""},
        )
    if code != 0:
        raise click.ClickException(f"the demo crawl failed (exit code {code})")
    print_summary(db)


def print_summary(db: Path) -> None:
    """What the last crawl did and what the corpus now holds."""
    with Corpus(db) as corpus:
        crawl = corpus.last_crawl() or {}
        summary = corpus.summary()
    dropped = json.loads(crawl.get("dropped") or "{}")
    click.echo(
        f"Crawl {crawl.get('id')} {crawl.get('finish_reason')}: "
        f"{crawl.get('pages_fetched') or 0} pages fetched, "
        f"{crawl.get('articles_stored') or 0} articles stored, "
        f"{crawl.get('duplicates') or 0} of them copies of another article."
    )
    if dropped:
        click.echo("Skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())))
    click.echo(
        f"Corpus {db}: {summary['articles']} articles from {summary['sites']} sites, "
        f"{summary['canonical']} original, {summary['duplicates']} copies."
    )
    click.echo(f"Browse it: copydesk serve --db {db}   (then open http://127.0.0.1:8001/)")
