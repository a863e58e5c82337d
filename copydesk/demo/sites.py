"""The bundled demo news web: its sites, a spider sources file for them, and the expected truth."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_ROOT: Path = Path(__file__).resolve().parent / "web"


class DemoWebError(Exception):
    """The demo web's sites.toml or expected.json is missing or inconsistent."""


@dataclass(frozen=True)
class DemoSite:
    """One fictional outlet of the demo web; paths are site-relative (start with '/')."""

    slug: str
    name: str
    homepage: str
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    dir: Path


def load_sites(root: Path = DEMO_ROOT) -> list[DemoSite]:
    """Read ``sites.toml`` under root into DemoSite records, in file order."""
    path = root / "sites.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DemoWebError(f"{path} not found") from None
    sites: list[DemoSite] = []
    for entry in data.get("site", []):
        slug = entry["slug"]
        site_dir = root / slug
        if not site_dir.is_dir():
            raise DemoWebError(f"{path}: site {slug!r} has no directory {site_dir}")
        sites.append(
            DemoSite(
                slug=slug,
                name=entry["name"],
                homepage=entry.get("homepage", "/"),
                feeds=tuple(entry.get("feeds", [])),
                sitemaps=tuple(entry.get("sitemaps", [])),
                dir=site_dir,
            )
        )
    if not sites:
        raise DemoWebError(f"{path}: no [[site]] entries")
    return sites


def site_dirs(sites: Iterable[DemoSite]) -> dict[str, Path]:
    """Slug -> directory, the mapping SiteServer takes."""
    return {site.slug: site.dir for site in sites}


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def sources_toml(sites: Iterable[DemoSite], bases: Mapping[str, str]) -> str:
    """A spider sources file (``[[source]]`` tables with absolute URLs) for the served sites."""
    blocks: list[str] = []
    for site in sites:
        try:
            base = bases[site.slug].rstrip("/")
        except KeyError:
            raise DemoWebError(f"no base URL for site {site.slug!r}") from None
        blocks.append(
            "\n".join(
                [
                    "[[source]]",
                    f"name = {_toml_str(site.name)}",
                    f"homepage = {_toml_str(base + site.homepage)}",
                    f"feeds = {_toml_list(base + p for p in site.feeds)}",
                    f"sitemaps = {_toml_list(base + p for p in site.sitemaps)}",
                ]
            )
        )
    return "\n\n".join(blocks) + "\n"


def load_expected(root: Path = DEMO_ROOT) -> dict[str, Any]:
    """The machine-readable truth of the demo web (``expected.json``)."""
    path = root / "expected.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DemoWebError(f"{path} not found") from None
    return data
