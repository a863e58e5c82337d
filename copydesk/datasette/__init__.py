"""Copydesk's datasette plugin: hooks in ``plugin.py``, pages in ``templates/``, ``static/``.

Datasette finds the templates and static files of a plugin registered as this package, so
register the package (``register()``), not the ``plugin`` module.
"""

from __future__ import annotations

import sys

from copydesk.datasette.plugin import (
    extra_template_vars,
    get_metadata,
    register_routes,
    render_cell,
    startup,
)

__all__ = [
    "extra_template_vars",
    "get_metadata",
    "register",
    "register_routes",
    "render_cell",
    "startup",
]


def register() -> None:
    """Register this package with datasette's plugin manager (once)."""
    from datasette.plugins import pm

    package = sys.modules[__name__]
    if not pm.is_registered(package):
        pm.register(package, name="copydesk")
