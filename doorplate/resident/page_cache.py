"""The plate page, rendered once per village, language and text size, then filled per scan.

Every household of a village sees the same page apart from three things: its address, its plate
token (in the links that switch text size or language and come back) and the request's CSP
nonce. So the page is rendered with a placeholder for each, kept for
``RESIDENT_PAGE_CACHE_SECONDS``, and a scan only joins the pieces around its own values: no
template and no post query on the path a county-wide notice sends hundreds of scans a second to.

The cache is per process, so a newly published (or withdrawn, or expired) post reaches a plate
page at most that many seconds late. With 0 nothing is kept, but every page still goes through
the same placeholders, so the tests exercise the path production takes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request
from markupsafe import escape

from doorplate.security import NONCE_KEY

# Lowercase letters and dashes, which URL quoting and HTML escaping leave as they are and no plate
# token (uppercase Crockford base32) or nonce can contain. Should a post ever quote one, a reader
# would see their own address or token there: nobody else's.
ADDRESS = "dp-slot-address"
TOKEN = "dp-slot-token"  # noqa: S105 (a placeholder, not a secret)
NONCE = "dp-slot-nonce"
_SLOTS = re.compile(f"({ADDRESS}|{TOKEN}|{NONCE})")
MAX_ENTRIES = 4096  # village × language × text size; a county has about 900 villages


@dataclass(frozen=True)
class Skeleton:
    """A rendered page cut at its placeholders: text, slot, text, slot, ..., text."""

    pieces: tuple[str, ...]

    @classmethod
    def cut(cls, html: str) -> Skeleton:
        return cls(tuple(_SLOTS.split(html)))

    def fill(self, *, address: str, token: str, nonce: str) -> str:
        values = {ADDRESS: str(escape(address)), TOKEN: token, NONCE: nonce}
        return "".join(values.get(piece, piece) for piece in self.pieces)


@dataclass(frozen=True)
class _Entry:
    expires: float
    skeleton: Skeleton


def render_with_placeholders(render: Callable[..., str], **context: object) -> Skeleton:
    """``render(address=..., token=...)`` with placeholders, and the nonce one in the environ."""
    request.environ[NONCE_KEY] = NONCE
    try:
        html = render(address=ADDRESS, token=TOKEN, **context)
    finally:
        del request.environ[NONCE_KEY]
    return Skeleton.cut(html)


def _entries() -> dict[tuple[object, ...], _Entry]:
    entries: dict[tuple[object, ...], _Entry] = current_app.extensions.setdefault(
        "doorplate.page_cache", {}
    )
    return entries


def cached(key: tuple[object, ...]) -> Skeleton | None:
    """The skeleton kept for ``key`` if it is still fresh."""
    entry = _entries().get(key)
    return entry.skeleton if entry is not None and entry.expires > time.monotonic() else None


def keep(key: tuple[object, ...], skeleton: Skeleton) -> Skeleton:
    """Keep ``skeleton`` for ``RESIDENT_PAGE_CACHE_SECONDS`` (0: not at all); return it."""
    seconds = current_app.config["RESIDENT_PAGE_CACHE_SECONDS"]
    if seconds > 0:
        entries = _entries()
        if len(entries) >= MAX_ENTRIES:
            entries.clear()
        entries[key] = _Entry(time.monotonic() + seconds, skeleton)
    return skeleton
