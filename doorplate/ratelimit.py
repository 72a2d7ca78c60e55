"""Rate limits on what a stranger could otherwise try at will: plate codes, booking references,
bookings and requests, staff passwords.

Built on ``limits`` (the library under Flask-Limiter) rather than Flask-Limiter itself: the
extension checks every request in a global ``before_request`` hook, which cost ~10% of a plate
scan, the page that must stay fast; here only the decorated views (and the plate views' unknown
code branches) pay for a check.

Counts are kept per client address (an IPv6 one by its /64: :mod:`doorplate.clients`) and per
*bucket* (the config key naming the limit, so a page
and its API share one count) in ``RATELIMIT_STORAGE_URI``: memory on the embedded default (per
worker), Redis in production so every worker shares one count, under ``RATELIMIT_KEY_PREFIX``
(by default ``doorplate:<county code>``, so two instances can share one Redis). Limits are strings
like ``"10 per minute; 50 per day"`` read from the config at request time. A refusal is a 429
with ``Retry-After``, answered as JSON by the API (``api/errors.py``), by the booking pages in
their own layout, and elsewhere (the plate page, staff sign-in) by the app's error page.

When the storage fails (Redis down, unreachable, refusing us) the check fails *open*: the request
goes through unlimited, because a public page must never break for want of a counter. One warning
is logged when the storage fails (with the error's class, never a client address or a code), the
storage is left alone for ``RATELIMIT_RETRY_SECONDS`` so a dead Redis adds no connect timeout to
every request (and each try is bounded by a short socket timeout, with no retries), then tried
again; when it answers, counting resumes and that is logged too. What must hold even then is held
elsewhere: wrong passwords still delay further guesses at a staff account, counted in the
database (``staff.signin``).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from doorplate.clients import client_key

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION = "doorplate.ratelimit"
REDIS_SCHEMES = frozenset({"redis", "rediss", "redis+unix"})
# A Redis on the same host or LAN answers in well under a millisecond; one that has not answered
# in 0.2 s is treated as down rather than allowed to hold up a resident's page.
STORAGE_TIMEOUT_SECONDS = 0.2

logger = logging.getLogger(__name__)

# The buckets, each the config key of its limits. One bucket per thing a stranger could try, so
# the resident pages and the API that offer it share one count.
PLATE_LOOKUPS = "PLATE_LOOKUP_LIMIT"  # unknown or revoked plate codes (a known one never counts)
BOOKINGS_SENT = "BOOKING_CREATE_LIMIT"  # bookings and requests (报事报修)
REFERENCE_LOOKUPS = "BOOKING_LOOKUP_LIMIT"  # a booking reference with phone digits
SIGN_INS = "LOGIN_LIMIT"  # staff sign-in attempts (each account also delays them, in the database)


class Limiter:
    """Counts hits in a ``limits`` storage and fails open, with a back-off, when it is down."""

    def __init__(
        self,
        storage: Storage,
        retry_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.storage = storage
        self.clock = clock  # the back-off's clock (tests move a fake one instead of waiting)
        self._strategy = MovingWindowRateLimiter(storage)  # type: ignore[arg-type]
        self._errors = storage.base_exceptions
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._down = False
        self._skip_until = 0.0  # clock() before which the storage is not tried

    def hit(self, bucket: str, client: str, items: list[RateLimitItem]) -> int | None:
        """Count one attempt; the seconds to wait if a limit is exceeded, else None (also when
        the storage is down: see the module's docstring)."""
        if self._down and self.clock() < self._skip_until:
            return None
        try:
            wait = self._hit(bucket, client, items)
        except self._errors as error:
            self._went_down(error)
            return None
        if self._down:
            self._came_back()
        return wait

    def _hit(self, bucket: str, client: str, items: list[RateLimitItem]) -> int | None:
        for item in items:
            if not self._strategy.hit(item, bucket, client):
                reset_at = self._strategy.get_window_stats(item, bucket, client).reset_time
                return max(1, math.ceil(reset_at - time.time()))
        return None

    def _went_down(self, error: Exception) -> None:
        with self._lock:
            self._skip_until = self.clock() + self._retry_seconds
            if self._down:
                return
            self._down = True
        logger.warning(
            "Rate-limit storage failed (%s): requests are not rate limited until it answers "
            "again; retrying every %s s",
            type(error).__name__,
            self._retry_seconds,
        )

    def _came_back(self) -> None:
        with self._lock:
            if not self._down:
                return
            self._down = False
        logger.info("Rate-limit storage answers again: rate limits apply again")


def init_app(app: Flask) -> None:
    prefix = app.config["RATELIMIT_KEY_PREFIX"] or f"doorplate:{app.config['COUNTY_CODE']}"
    storage = _storage(app.config["RATELIMIT_STORAGE_URI"], prefix)
    app.extensions[EXTENSION] = Limiter(storage, app.config["RATELIMIT_RETRY_SECONDS"])


def _storage(uri: str, prefix: str) -> Storage:
    if uri.partition("://")[0] not in REDIS_SCHEMES:
        return storage_from_string(uri)  # type: ignore[return-value]
    from redis.backoff import NoBackoff  # the redis package is only needed for Redis
    from redis.retry import Retry

    return storage_from_string(  # type: ignore[return-value]
        uri,
        key_prefix=prefix,
        socket_timeout=STORAGE_TIMEOUT_SECONDS,
        socket_connect_timeout=STORAGE_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),  # type: ignore[arg-type] (redis-py retries 3 times)
    )


def limited(config_key: str, methods: Collection[str] | None = None) -> Callable[[F], F]:
    """Refuse the view with 429 (and ``Retry-After``) once the client's address has used up the
    limits configured under ``config_key``; only requests with one of ``methods`` count, if
    given (a form's POST, not the GET that shows it)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if methods is None or request.method in methods:
                check(config_key)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def check(config_key: str) -> None:
    """Count one attempt against ``config_key``'s limits; raise 429 when one is exceeded."""
    error = refused(config_key)
    if error is not None:
        raise error


def wait_message(error: TooManyRequests) -> str:
    """What a refused resident or client reads: how long to wait, from ``Retry-After`` (a minute
    for a per-minute limit, longer for an hourly or daily one), in the request's language."""
    seconds = error.retry_after if isinstance(error.retry_after, int) else 60
    wait = format_timedelta(timedelta(seconds=seconds), threshold=1, add_direction=False)
    return _("Too many attempts from your address. Please wait %(wait)s and try again.", wait=wait)


def refused(config_key: str) -> TooManyRequests | None:
    """Count one attempt against ``config_key``'s limits; the 429 to answer when one is exceeded
    (for error handlers, which must return their answer rather than raise it)."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    items = parse_many(current_app.config[config_key])
    wait = limiter.hit(config_key, client_key(request.remote_addr or ""), items)
    return None if wait is None else TooManyRequests(retry_after=wait)
