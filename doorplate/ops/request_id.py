"""A request id on every response (``X-Request-Id``), to tie a resident's "something went wrong"
to the server's log line.

nginx makes one per request (``$request_id``) and passes it on; the app keeps an incoming id that
is a sane token and makes its own otherwise (gunicorn reached directly, or a client's garbage).
It is WSGI middleware, outermost but for ``ProxyFix``, so that every answer carries the id: Flask's
pages, errors and static files, and the plate scan's fast path that never enters Flask
(:mod:`~doorplate.resident.fast_scan`). Its cost is a regular expression and a counter: a new
id is a random prefix drawn once per process and the process's count of requests, so no request
waits on the system's random source (a system call that also lets the visit writer's thread
take the interpreter in the middle of a scan). Ids only need to be unique, not unguessable.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import has_request_context, request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HEADER = "X-Request-Id"
ENVIRON_KEY = "doorplate.request_id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


class _NewIds:
    """32 hex digits: 16 random per process (drawn again in a forked child), 16 of a count."""

    def __init__(self) -> None:
        self._pid = -1
        self._prefix = ""
        self._count = itertools.count()

    def __call__(self) -> str:
        if self._pid != os.getpid():
            self._pid, self._prefix = os.getpid(), secrets.token_hex(8)
            self._count = itertools.count()
        return f"{self._prefix}{next(self._count):016x}"


new_id = _NewIds()


def from_header(value: str) -> str:
    """``value`` if it is a sane id (≤ 64 of ``A-Za-z0-9._-``), else a new one: whatever a
    client sends must not forge log lines or bloat them."""
    return value if _SANE.fullmatch(value) else new_id()


def current() -> str | None:
    """This request's id, if a request is being handled."""
    if not has_request_context():
        return None
    found: str | None = request.environ.get(ENVIRON_KEY)
    return found


class RequestIds:
    """WSGI middleware: give the request its id and add it to the response's headers."""

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self._wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request_id = environ[ENVIRON_KEY] = from_header(environ.get("HTTP_X_REQUEST_ID", ""))

        def start(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            return start_response(status, [*headers, (HEADER, request_id)], exc_info)  # type: ignore[arg-type]

        return self._wsgi_app(environ, start)  # type: ignore[arg-type]
