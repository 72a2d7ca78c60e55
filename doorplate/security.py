"""CSRF protection for every form and the security headers every response carries."""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def _set_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if "staff" in request.blueprints:
        # Staff pages show personal data: never keep them in a shared or back-button cache.
        headers["Cache-Control"] = "no-store"
        # Over HTTPS Flask-WTF refuses a form post without a same-site Referer, which
        # "no-referrer" would strip from every staff form; "same-origin" still sends nothing
        # (no search terms, no ids) to any other site.
        headers["Referrer-Policy"] = "same-origin"
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_set_headers)
