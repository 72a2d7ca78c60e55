"""Which plate scans reached Flask's plate view, for tests that must tell the fast path (which
answers a cached page before Flask) from the view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask


@contextmanager
def plate_view_calls(app: Flask) -> Iterator[list[str]]:
    """Yield the list of tokens the plate view is called for while the block runs."""
    calls: list[str] = []
    view = app.view_functions["resident.plate"]

    def counted(token: str) -> Any:
        calls.append(token)
        return view(token=token)

    app.view_functions["resident.plate"] = counted
    try:
        yield calls
    finally:
        app.view_functions["resident.plate"] = view
