"""Rate limits (Flask-Limiter) on what a stranger could otherwise try at will: booking references.

The limits are counted per client address in ``RATELIMIT_STORAGE_URI``: memory on the embedded
default (per worker), Redis in production so every worker shares one count. Limits are named in
the configuration (``BOOKING_LOOKUP_LIMIT``) so a county can tune them without code.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address)


def configured(name: str) -> Callable[[], str]:
    """A limit read from the app's config key ``name`` when the request is checked."""

    def limit() -> str:
        value: str = current_app.config[name]
        return value

    return limit


def init_app(app: Flask) -> None:
    limiter.init_app(app)
