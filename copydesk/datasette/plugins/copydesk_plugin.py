"""Loads Copydesk's datasette plugin in a plain ``datasette --plugins-dir`` command."""

from __future__ import annotations

from copydesk.datasette import register

register()
