"""The project's own promises: layout, import boundaries, documentation that stays true."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import crawler.settings
from copydesk.cli import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
SETTINGS_DOC = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("package", ["copydesk", "crawler", "pipelines", "storage"])
def test_imported_packages_are_ours(package: str) -> None:
    """PyPI has unrelated packages named storage, pipelines and crawler."""
    module = __import__(package)
    assert Path(module.__file__).resolve().parent == REPO / package


def test_pure_core_imports_no_scrapy() -> None:
    code = (
        "import sys, copydesk.extract, copydesk.dedup, copydesk.work, storage.corpus, "
        "storage.migrations; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('scrapy', 'twisted', 'crawler', 'pipelines')); print(bad); sys.exit(bool(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def test_storage_imports_only_stdlib_and_sqlite_utils() -> None:
    for path in (REPO / "storage").glob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top in (
                "sqlite_utils",
                "storage",
                "__future__",
            ), (
                path.name,
                name,
            )


def test_crawler_never_imports_pipelines() -> None:
    for path in (REPO / "crawler").rglob("*.py"):
        assert not [n for n in _imports(path) if n.split(".")[0] == "pipelines"], path


def test_subcommands_only_parse_options_and_call_library_modules() -> None:
    """A subcommand imports no other subcommand, and only `copydesk bench` the benchmarks."""
    for path in (REPO / "copydesk" / "cli").glob("*.py"):
        for name in _imports(path):
            assert not name.startswith("copydesk.cli."), (path.name, name)
            if path.name != "bench.py":
                assert not name.startswith("copydesk.bench"), (path.name, name)


def _requirement_names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def test_every_direct_import_is_declared_and_pinned() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _requirement_names(project["dependencies"])
    declared |= _requirement_names(project["optional-dependencies"]["dev"])
    distributions = importlib.metadata.packages_distributions()
    ours = {"copydesk", "crawler", "pipelines", "storage", "__future__"}
    for package in ours - {"__future__"}:
        for path in (REPO / package).rglob("*.py"):
            for name in _imports(path):
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ours:
                    continue
                wanted = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
                assert wanted & declared, f"{path.relative_to(REPO)} imports {top}: declare it"
    lines = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pinned = _requirement_names([line for line in lines if "==" in line])
    assert not declared - pinned, f"not pinned in constraints.txt (./dev lock): {declared - pinned}"
    assert "<1.0" in next(r for r in project["dependencies"] if r.startswith("datasette"))
    dev = (REPO / "dev").read_text(encoding="utf-8")
    assert "cat pyproject.toml constraints.txt | sha256sum" in dev  # the set-up stamp
    assert "-c constraints.txt" in dev


def test_every_copydesk_setting_is_documented() -> None:
    settings = [name for name in dir(crawler.settings) if name.startswith("COPYDESK_")]
    assert settings
    for name in settings:
        assert f"`{name}`" in SETTINGS_DOC, f"{name} is missing from docs/settings.md"


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2, commands
    ci = (REPO / ".ci" / "run").read_text()
    assert "README.md" in ci and "eval" in ci


def _commands(group, prefix=()):  # type: ignore[no-untyped-def]
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for path, command in _commands(cli):
        assert command.help, f"copydesk {' '.join(path)} has no help text"
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output
