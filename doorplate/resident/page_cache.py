"""The plate page, rendered once per village, language and text size, then filled per scan.

Every household of a village sees the same page apart from three things: its address, its plate
token (in the links that switch text size or language and come back) and the request's CSP
nonce. So the page is rendered with a placeholder for each (random, new for each rendering),
kept for ``RESIDENT_PAGE_CACHE_SECONDS``, and a scan only joins the pieces around its own values:
no template and no post query on the path a county-wide notice sends hundreds of scans a second
to.

The cache is per process, so a newly published (or withdrawn, or expired) post reaches a plate
page at most that many seconds late. With 0 nothing is kept, but every page still goes through
the same placeholders, so the tests exercise the path production takes.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request
from markupsafe import escape

from doorplate.security import NONCE_KEY

MAX_ENTRIES = 4096  # village × language × text size; a county has about 900 villages


@dataclass(frozen=True)
class Placeholders:
    """The stand-ins for one rendering's address, token and nonce.

    Each rendering draws its own from ``secrets`` (lowercase hex and dashes, which URL quoting and
    HTML escaping leave as they are and no plate token, which is uppercase, or nonce can contain),
    and none ever reaches a reader: a village's contact text or a post title cannot spell a
    placeholder it has never seen, so it cannot make a reader's page show that reader's own
    token or nonce where it wrote one.
    """

    address: str
    token: str
    nonce: str

    @classmethod
    def new(cls) -> Placeholders:
        mark = secrets.token_hex(8)  # 64 bits, and short enough for any field
        return cls(f"dp-{mark}-address", f"dp-{mark}-token", f"dp-{mark}-nonce")


@dataclass(frozen=True)
class Skeleton:
    """A rendered page cut at its placeholders: text, slot, text, slot, ..., text."""

    pieces: tuple[str, ...]
    slots: Placeholders

    @classmethod
    def cut(cls, html: str, slots: Placeholders) -> Skeleton:
        pattern = "|".join(re.escape(slot) for slot in (slots.address, slots.token, slots.nonce))
        return cls(tuple(re.split(f"({pattern})", html)), slots)

    def fill(self, *, address: str, token: str, nonce: str) -> str:
        values = {
            self.slots.address: str(escape(address)),
            self.slots.token: token,
            self.slots.nonce: nonce,
        }
        return "".join(values.get(piece, piece) for piece in self.pieces)


@dataclass(frozen=True)
class _Entry:
    expires: float
    skeleton: Skeleton


def render_with_placeholders(render: Callable[..., str], **context: object) -> Skeleton:
    """``render(address=..., token=...)`` with new placeholders, and the nonce one in the
    environ."""
    slots = Placeholders.new()
    request.environ[NONCE_KEY] = slots.nonce
    try:
        html = render(address=slots.address, token=slots.token, **context)
    finally:
        del request.environ[NONCE_KEY]
    return Skeleton.cut(html, slots)


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
