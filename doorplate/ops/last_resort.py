"""The answer to an exception that escapes Flask: a plain 500 page with the security headers and
the request id, instead of the server's bare one without either.

Flask turns a view's exception into the error page (:mod:`doorplate.ops.errors`), but an
exception can still get past it: the error page itself failing, a hook or the session failing
outside the view, a streamed body failing while the server reads it. gunicorn then answers
"Internal Server Error" with none of our headers (no CSP, no ``nosniff``, no ``X-Request-Id`` to
quote) and no log line of ours. This WSGI middleware sits around everything that can fail and
inside :class:`~doorplate.ops.request_id.RequestIds`, so its page carries the id too.

The page is rendered once, when the app is built, in every language the app speaks (its default
first) from the catalogue's own messages: when it is needed, the app may be in no state to render
anything.
Nothing is caught when the app propagates exceptions (tests, debug), so that they still see the
exception itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from html import escape
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _

from doorplate.i18n import LOCALES
from doorplate.ops import request_id
from doorplate.security import security_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)

STATUS = "500 INTERNAL SERVER ERROR"
_ID = "\0"  # where the request id goes; no message of the catalogue holds a NUL


def _page(app: Flask) -> str:
    """The page in every language the app speaks, the default first, with ``_ID`` for the id."""
    default = app.config["BABEL_DEFAULT_LOCALE"]
    headings, sections = [], []
    with app.app_context():
        for locale in sorted(LOCALES.values(), key=lambda locale: locale != default):
            with force_locale(locale):
                headings.append(escape(_("Something went wrong")))
                sections.append(
                    f'<section lang="{locale.replace("_", "-")}"><h1>{headings[-1]}</h1>'
                    f"<p>{escape(_('Something went wrong on our side. Please try again later.'))}"
                    f"</p><p>{escape(_('Error %(status)d', status=500))} · "
                    f"{escape(_('Request id: %(id)s', id=_ID))}</p></section>"
                )
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{headings[0]}</title></head><body>{''.join(sections)}</body></html>\n"
    )


def _propagates(app: Flask) -> bool:
    """Whether the app lets exceptions through to its caller, as Flask decides it."""
    propagate = app.config["PROPAGATE_EXCEPTIONS"]
    return bool(app.testing or app.debug) if propagate is None else bool(propagate)


class LastResort:
    """WSGI middleware: see the module's docstring.

    It holds back the app's ``start_response`` until the first piece of the body is ready, so
    that a failure before then is answered by this page alone: a server given a second
    ``start_response`` keeps the first one's headers too (gunicorn appends them).
    """

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self._wsgi_app = wsgi_app
        self.page = _page(app)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = _Answer(self, environ, start_response)
        try:
            body = self._wsgi_app(environ, answer.start)
        except Exception:
            if _propagates(self.app):
                raise
            return answer.fail()
        if type(body) is list:  # made in full already (the plate scan's fast path)
            answer.send_start()
            return body
        return _Guarded(body, answer)


class _Answer:
    """One request's answer: the app's status and headers until they are sent, or the page."""

    def __init__(
        self, guard: LastResort, environ: WSGIEnvironment, start_response: StartResponse
    ) -> None:
        self.guard = guard
        self.environ = environ
        self.start_response = start_response
        self.held: tuple[str, list[tuple[str, str]]] | None = None
        self.sent = False
        self._write: Any = None

    def start(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        """The app's ``start_response``, held back; a later call replaces it, as PEP 3333 lets
        an app do until the headers are sent."""
        if exc_info is not None and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.held = (status, headers)
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333's ``write`` for apps that use it: sends the held headers first."""
        self.send_start()
        self._write(data)

    def send_start(self) -> None:
        if not self.sent:
            assert self.held is not None, "the app returned a body without starting a response"
            self._write = self.start_response(*self.held)
            self.sent = True

    def fail(self) -> list[bytes]:
        """Log the exception being handled and start the page (the app's own headers, if it
        had given any, are dropped with its status)."""
        request = self.environ.get(request_id.ENVIRON_KEY) or request_id.new_id()
        logger.error(
            "Unhandled exception outside the app's error handling",
            exc_info=True,
            extra={"request_id": request},
        )
        page = self.guard.page.replace(_ID, escape(request)).encode()
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(page))),
            ("Cache-Control", "no-store"),
            *security_headers(nonce=None, secure=self.environ.get("wsgi.url_scheme") == "https"),
        ]
        self.start_response(STATUS, headers)
        self.sent = True
        return [page]


class _Guarded:
    """A response body read through the middleware: if reading it fails before any of it was
    sent, the page is sent instead; once some was, nothing can be taken back, and the server
    is left to drop the connection."""

    def __init__(self, body: Iterable[bytes], answer: _Answer) -> None:
        self._body = body
        self._answer = answer

    def __iter__(self) -> Iterator[bytes]:
        answer = self._answer
        try:
            for chunk in self._body:
                if chunk or answer.sent:  # PEP 3333: the headers go with the first byte
                    answer.send_start()
                    yield chunk
            answer.send_start()
        except Exception:
            if answer.sent or _propagates(answer.guard.app):
                raise
            yield from answer.fail()

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()
