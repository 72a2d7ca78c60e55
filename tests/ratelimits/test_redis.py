"""Counts in Redis: shared by every app instance (worker) on one Redis under one key prefix, kept
apart by the prefix, and, with Redis down, failed *open* (public pages, booking and sign-in keep
working, fast; the sign-in lockout still holds through the database; one warning) until Redis
answers again, when counting resumes."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from doorplate.db import db
from doorplate.staff.models import StaffUser

from .conftest import (
    SHARED_REDIS,
    SMALL_LIMITS,
    UNKNOWN,
    Place,
    PrivateRedis,
    booking_body,
    request_body,
    requires_redis_server,
)

pytestmark = requires_redis_server
CLIENT_ADDRESS = "10.1.2.3"
LOCKED = "this account is locked"
FAST = 0.5  # seconds: what no request may take while Redis is down


def _redis_app(make_app: Callable[..., Flask], uri: str, **config: Any) -> Flask:
    return make_app(RATELIMIT_STORAGE_URI=uri, **{**SMALL_LIMITS, **config})


def _timed(call: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    response = call()
    assert time.perf_counter() - started < FAST
    return response


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "doorplate.ratelimit" and r.levelno == logging.WARNING
    ]


def test_two_instances_on_one_redis_share_one_count(
    make_app: Callable[..., Flask], place: Place, redis_prefix: str
) -> None:
    """Two apps model two gunicorn workers: each sees the attempts the other counted."""
    first, second = (
        _redis_app(make_app, SHARED_REDIS, RATELIMIT_KEY_PREFIX=redis_prefix).test_client()
        for _ in range(2)
    )
    assert first.get(f"/P/{UNKNOWN}").status_code == 404
    assert second.get(f"/api/v1/plates/{UNKNOWN}").status_code == 404
    assert first.get(f"/P/{UNKNOWN}/services").status_code == 404
    assert second.get(f"/P/{UNKNOWN}").status_code == 429
    assert first.get(f"/api/v1/plates/{UNKNOWN}").status_code == 429
    # Bookings too: one on each, then both refuse.
    assert first.post("/api/v1/bookings", json=booking_body(place, "k1")).status_code == 201
    assert second.post("/api/v1/requests", json=request_body(place, "k2")).status_code == 201
    assert first.post("/api/v1/requests", json=request_body(place, "k3")).status_code == 429
    keys = redis.Redis.from_url(SHARED_REDIS).keys(f"{redis_prefix}:*")
    assert any(b"PLATE_LOOKUP_LIMIT" in key for key in keys)
    assert any(b"BOOKING_CREATE_LIMIT" in key for key in keys)


def test_instances_with_other_prefixes_keep_their_own_counts(
    make_app: Callable[..., Flask], place: Place, redis_prefix: str
) -> None:
    ours = _redis_app(make_app, SHARED_REDIS, RATELIMIT_KEY_PREFIX=f"{redis_prefix}:a")
    theirs = _redis_app(make_app, SHARED_REDIS, RATELIMIT_KEY_PREFIX=f"{redis_prefix}:b")
    assert [ours.test_client().get(f"/P/{UNKNOWN}").status_code for _ in range(4)] == [
        404,
        404,
        404,
        429,
    ]
    assert theirs.test_client().get(f"/P/{UNKNOWN}").status_code == 404


def test_the_default_prefix_names_the_county(make_app: Callable[..., Flask], place: Place) -> None:
    county = f"test{uuid.uuid4().hex}"
    app = _redis_app(make_app, SHARED_REDIS, COUNTY_CODE=county)
    store = redis.Redis.from_url(SHARED_REDIS)
    try:
        assert app.test_client().get(f"/api/v1/plates/{UNKNOWN}").status_code == 404
        assert store.keys(f"doorplate:{county}:*")
    finally:
        keys = store.keys(f"doorplate:{county}:*")
        if keys:
            store.delete(*keys)


def _failures(username: str) -> int:
    """What is committed; the read ends at once (other apps' requests write, on SQLite too)."""
    db.session.rollback()
    found = db.session.scalar(select(StaffUser.failed_logins).filter_by(username=username))
    db.session.rollback()
    return found or 0


def test_with_redis_unreachable_everything_works_unlimited_and_the_lockout_holds(
    make_app: Callable[..., Flask],
    place: Place,
    make_staff: Callable[..., StaffUser],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="doorplate.ratelimit")
    app = _redis_app(make_app, "redis://127.0.0.1:1/0", RATELIMIT_RETRY_SECONDS=0.2)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_ADDRESS
    make_staff(username="clerk")

    # Public pages, and more unknown codes than the limit allows, all answered as without limits.
    # The first round renders each template for the first time: only the second is timed.
    for timed in (lambda call: call(), _timed):
        assert timed(lambda: client.get("/")).status_code == 200
        assert timed(lambda: client.get(f"/P/{place.token}")).status_code == 200
        assert timed(lambda: client.get(f"/v/{place.village_code}/")).status_code == 200
        assert timed(lambda: client.get(f"/api/v1/plates/{place.token}")).status_code == 200
        assert timed(lambda: client.get(f"/P/{UNKNOWN}")).status_code == 404
    assert [_timed(lambda: client.get(f"/P/{UNKNOWN}")).status_code for _ in range(5)] == [404] * 5
    time.sleep(0.3)  # past the back-off: Redis is tried again, and fails again
    assert _timed(lambda: client.get(f"/api/v1/plates/{UNKNOWN}")).status_code == 404

    # A booking and requests, more than the limit of 2 allows.
    booked = _timed(lambda: client.post("/api/v1/bookings", json=booking_body(place, "b")))
    assert booked.status_code == 201
    for n in range(3):
        body = request_body(place, f"r{n}")
        assert _timed(lambda b=body: client.post("/api/v1/requests", json=b)).status_code == 201

    # Ten wrong passwords (more than LOGIN_LIMIT's 3 a minute) still lock the account.
    def sign_in(password: str) -> Any:
        return client.post("/staff/login", data={"username": "clerk", "password": password})

    for attempt in range(10):
        page = _timed(lambda: sign_in("wrong")).get_data(as_text=True)
        assert (LOCKED in page) == (attempt == 9)
    assert _failures("clerk") == 10
    refused = _timed(lambda: sign_in("correct-horse-battery"))
    assert refused.status_code == 200 and LOCKED in refused.get_data(as_text=True)

    # One warning for the whole outage, naming neither the client nor a code.
    (warning,) = _warnings(caplog)
    assert "not rate limited" in warning.getMessage()
    assert CLIENT_ADDRESS not in warning.getMessage() and UNKNOWN not in warning.getMessage()
    assert place.token not in warning.getMessage()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung Redis, or one behind a
    firewall that drops packets."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


def test_a_hung_redis_costs_one_short_timeout_per_back_off_not_one_per_request(
    make_app: Callable[..., Flask],
    place: Place,
    silent_server: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="doorplate.ratelimit")
    app = _redis_app(make_app, f"redis://127.0.0.1:{silent_server}/0", RATELIMIT_RETRY_SECONDS=1.0)
    client = app.test_client()

    def took(path: str) -> float:
        started = time.perf_counter()
        assert client.get(path).status_code == 404
        return time.perf_counter() - started

    first = took(f"/P/{UNKNOWN}")
    assert 0.15 < first < FAST  # waited for the 0.2 s socket timeout, once
    following = [took(f"/P/{UNKNOWN}") for _ in range(10)]
    assert max(following) < 0.1  # the circuit is open: Redis is not tried
    time.sleep(1.0)
    assert 0.15 < took(f"/api/v1/plates/{UNKNOWN}") < FAST  # tried again after the back-off
    assert len(_warnings(caplog)) == 1


def test_counting_resumes_when_redis_comes_back(
    make_app: Callable[..., Flask],
    place: Place,
    private_redis: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="doorplate.ratelimit")
    app = _redis_app(make_app, private_redis.url, RATELIMIT_RETRY_SECONDS=0.3)
    client = app.test_client()

    def unknown() -> int:
        status: int = _timed(lambda: client.get(f"/P/{UNKNOWN}")).status_code
        return status

    assert [unknown() for _ in range(4)] == [404, 404, 404, 429]
    private_redis.kill()
    assert [unknown() for _ in range(6)] == [404] * 6  # open while it is down
    assert _timed(lambda: client.get(f"/P/{place.token}")).status_code == 200
    assert len(_warnings(caplog)) == 1

    private_redis.start()  # empty: this server keeps nothing across a restart
    time.sleep(0.4)  # past the back-off
    assert [unknown() for _ in range(4)] == [404, 404, 404, 429]
    assert any("answers again" in r.getMessage() for r in caplog.records)
    assert len(_warnings(caplog)) == 1
    assert redis.Redis.from_url(private_redis.url).keys("doorplate:*")
