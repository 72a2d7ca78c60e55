"""Rate limits on what a stranger could otherwise try at will, such as booking references.

Built on ``limits`` (the library under Flask-Limiter) rather than Flask-Limiter itself: the
extension checks every request in a global ``before_request`` hook, which cost ~10% of a plate
scan, the page that must stay fast; here only the decorated views pay for a check.

Counts are kept per client address and per *bucket* (the config key naming the limit, so the
"my booking" page and its API share one count) in ``RATELIMIT_STORAGE_URI``: memory on the
embedded default (per worker), Redis in production so every worker shares one count. Limits are
strings like ``"10 per minute; 50 per day"`` read from the config at request time.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION = "doorplate.ratelimit"


def init_app(app: Flask) -> None:
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions[EXTENSION] = MovingWindowRateLimiter(storage)


def limited(config_key: str) -> Callable[[F], F]:
    """Refuse the view with 429 (and ``Retry-After``) once the client's address has used up the
    limits configured under ``config_key``."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check(config_key)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def check(config_key: str) -> None:
    """Count one attempt against ``config_key``'s limits; raise 429 when one is exceeded."""
    strategy: MovingWindowRateLimiter = current_app.extensions[EXTENSION]
    client = request.remote_addr or ""
    for item in parse_many(current_app.config[config_key]):
        if not strategy.hit(item, config_key, client):
            reset_at = strategy.get_window_stats(item, config_key, client).reset_time
            raise TooManyRequests(retry_after=max(1, math.ceil(reset_at - time.time())))
