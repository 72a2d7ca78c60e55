"""The plate scan's fast path: a cached village page answered before Flask's request machinery.

A county-wide notice sends hundreds of scans a second to ``/P/<token>``. For a scan whose village
page is already cached (:mod:`~doorplate.resident.page_cache`) the work is one indexed query, a
join of the cached pieces and a queued visit; Flask's request context, session, hooks and
response object cost more than all of that together (in-process, callgrind counts ~1,130k
instructions for a constant route of this app against ~1,900k for a whole scan).

This WSGI middleware answers exactly those scans, with the bytes and headers the view would send,
and hands everything else to Flask untouched: any other path or method, a query string (language
and text-size switches), a session cookie (staff, who get their own page), an unknown or revoked
plate (Flask's 404 and 410 pages), a page not cached yet (the view renders and caches it, reading
the plate a second time: once per village, language and text size every 30 s), or any scan when
the cache is off (``RESIDENT_PAGE_CACHE_SECONDS = 0``, as in most tests). The
rules the view applies live in shared functions (``plates.scan``, ``i18n.lang_for``,
``page_cache``, ``visit_queue.record_scan``, ``security.security_headers``), and
tests/resident/test_fast_scan.py holds both paths to the same page and headers.

It reads the client's address from ``REMOTE_ADDR`` as Flask does: middleware that rewrites the
environ behind a proxy (werkzeug's ``ProxyFix``) must wrap this one, not sit inside it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context
from werkzeug.http import parse_cookie

from doorplate.db import db, in_transaction
from doorplate.i18n import LANG_COOKIE, lang_for
from doorplate.plates import service as plates
from doorplate.resident import page_cache
from doorplate.resident.preferences import LARGE, TEXT_COOKIE
from doorplate.security import security_headers
from doorplate.visits import queue as visit_queue

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_PLATE_PATH = re.compile(r"/[Pp]/([^/]+)")
# What the resident blueprint and the session machinery add to the view's answer.
_PAGE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("X-Robots-Tag", "noindex, nofollow"),
    ("Vary", "Cookie"),
]


class FastScan:
    """WSGI middleware in front of the Flask app: see the module's docstring."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self._app = app
        self._wsgi_app = wsgi_app
        self._session_cookie = app.config["SESSION_COOKIE_NAME"]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        page = None
        if self._may_answer(environ):
            try:
                page = self._cached_scan(environ)
            except Exception:  # noqa: BLE001 (Flask's path meets it again and reports it properly)
                page = None
        if page is None:
            return self._wsgi_app(environ, start_response)
        body, nonce = page
        headers = [*_PAGE_HEADERS, ("Content-Length", str(len(body)))]
        headers += security_headers(nonce=nonce, secure=environ["wsgi.url_scheme"] == "https")
        start_response("200 OK", headers)
        return [body]

    def _may_answer(self, environ: WSGIEnvironment) -> bool:
        return (
            self._app.config["RESIDENT_PAGE_CACHE_SECONDS"] > 0
            and environ["REQUEST_METHOD"] == "GET"
            and not environ.get("QUERY_STRING")
            and _PLATE_PATH.fullmatch(environ.get("PATH_INFO", "")) is not None
            and self._session_cookie not in environ.get("HTTP_COOKIE", "")
        )

    def _app_context(self) -> AbstractContextManager[object]:
        """The app's context, unless it is already pushed (as Flask reuses it for a request made
        inside it, e.g. by a test, so both share one database session)."""
        if has_app_context() and current_app._get_current_object() is self._app:  # type: ignore[attr-defined]
            return nullcontext()
        return self._app.app_context()

    def _cached_scan(self, environ: WSGIEnvironment) -> tuple[bytes, str] | None:
        """(page, its CSP nonce) for a scan of an active plate whose village page is cached."""
        match = _PLATE_PATH.fullmatch(environ["PATH_INFO"])
        assert match is not None
        with self._app_context():
            try:
                scanned = plates.scan(match.group(1))
            except plates.PlateError:
                return None
            cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
            lang = lang_for(None, cookies.get(LANG_COOKIE), environ.get("HTTP_ACCEPT_LANGUAGE", ""))
            key = (scanned.village_id, lang, cookies.get(TEXT_COOKIE) == LARGE)
            skeleton = page_cache.cached(key)
            if skeleton is None:
                return None
            nonce = secrets.token_urlsafe(16)
            page = skeleton.fill(address=scanned.address, token=scanned.token, nonce=nonce)
            visit_queue.record_scan(
                scanned,
                method="GET",
                staff=False,
                remote_addr=environ.get("REMOTE_ADDR"),
                user_agent=environ.get("HTTP_USER_AGENT", ""),
            )
            if in_transaction():  # the visit was recorded here (VISIT_FLUSH_SECONDS = 0)
                db.session.commit()
        return page.encode(), nonce
