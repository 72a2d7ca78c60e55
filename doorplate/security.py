"""CSRF protection for every form and the security headers every response carries.

The Content-Security-Policy allows scripts and styles only from our own origin or inline with the
request's nonce (``{{ csp_nonce() }}`` in templates): the resident landing page inlines its
critical CSS to fit one round trip on a weak rural connection, and nothing else may run inline.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

csrf = CSRFProtect()

HSTS = "max-age=31536000; includeSubDomains"


NONCE_KEY = "doorplate.csp_nonce"


def csp_nonce() -> str:
    """This request's nonce, made on first use (most responses never need one).

    Kept in the WSGI environ, which belongs to exactly one request (``g`` lives as long as the
    app context, which a test, or a streamed response, may share between requests).
    """
    nonce: str = request.environ.setdefault(NONCE_KEY, secrets.token_urlsafe(16))
    return nonce


def content_security_policy(nonce: str | None) -> str:
    return _CSP_WITH_NONCE.format(nonce=nonce) if nonce else _CSP


def _policy(inline: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{inline}",
            f"style-src 'self'{inline}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


_CSP = _policy("")
_CSP_WITH_NONCE = _policy(" 'nonce-{nonce}'")
_EVERY_RESPONSE = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)


def security_headers(
    *, nonce: str | None, secure: bool, present: Collection[str] = ()
) -> list[tuple[str, str]]:
    """The security headers every response carries, but those in ``present`` (lowercase names,
    set by the view itself)."""
    added = [(name, value) for name, value in _EVERY_RESPONSE if name.lower() not in present]
    if "content-security-policy" not in present:
        added.append(("Content-Security-Policy", content_security_policy(nonce)))
    if secure and "strict-transport-security" not in present:
        added.append(("Strict-Transport-Security", HSTS))
    return added


def _set_headers(response: Response) -> Response:
    """Add the security headers a view has not set itself.

    One pass over the headers already there, then appends: werkzeug's ``setdefault`` raises and
    catches a KeyError for each absent header, which made this hook a tenth of a plate scan.
    """
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 (Headers iterates pairs)
    headers.extend(
        security_headers(
            nonce=request.environ.get(NONCE_KEY), secure=request.is_secure, present=present
        )
    )
    if "staff" in request.blueprints:
        # Staff pages show personal data: never keep them in a shared or back-button cache.
        headers["Cache-Control"] = "no-store"
        # Over HTTPS Flask-WTF refuses a form post without a same-site Referer, which
        # "no-referrer" would strip from every staff form; "same-origin" still sends nothing
        # (no search terms, no ids) to any other site.
        headers["Referrer-Policy"] = "same-origin"
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request that has no
    session cookie: every plate scan is such a request, and the signer cost more than the scan's
    own database query."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    app.after_request(_set_headers)
    app.add_template_global(csp_nonce)
