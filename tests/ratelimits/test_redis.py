"""Counts in Redis: shared by every app instance (worker) on one Redis under one key prefix, kept
apart by the prefix, and, with Redis down, failed *open* (public pages, booking and sign-in keep
working; the sign-in delays still hold through the database; one warning) until Redis answers
again, when counting resumes.

"Fast while Redis is down" is asserted as behaviour, never with a stopwatch: within the back-off no
request calls Redis at all (the limiter's clock is a fake the test moves), and each try is bounded
by the client's short socket timeout with no retries."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from doorplate import ratelimit
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
WRONG = "Wrong username or password."


def _redis_app(make_app: Callable[..., Flask], uri: str, **config: Any) -> Flask:
    return make_app(RATELIMIT_STORAGE_URI=uri, **{**SMALL_LIMITS, **config})


class Watched:
    """An app's limiter with a clock the test moves and a count of its calls to Redis."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.limiter: ratelimit.Limiter = app.extensions[ratelimit.EXTENSION]
        self.now = 1000.0
        self.calls = 0
        monkeypatch.setattr(self.limiter, "clock", lambda: self.now)
        acquire = self.limiter.storage.acquire_entry  # the moving window's one write per hit

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return acquire(*args, **kwargs)

        monkeypatch.setattr(self.limiter.storage, "acquire_entry", counted)

    def calls_during(self, call: Callable[[], Any]) -> int:
        """How many times ``call`` made the limiter call Redis."""
        before = self.calls
        call()
        return self.calls - before


def test_each_try_of_redis_is_bounded_by_a_short_timeout_without_retries(
    make_app: Callable[..., Flask],
) -> None:
    """What bounds the one try a request may make: 0.2 s to connect or answer, no retries."""
    app = _redis_app(make_app, "redis://127.0.0.1:1/0")
    limiter: ratelimit.Limiter = app.extensions[ratelimit.EXTENSION]
    options = limiter.storage.storage.connection_pool.connection_kwargs  # type: ignore[attr-defined]
    assert options["socket_timeout"] == ratelimit.STORAGE_TIMEOUT_SECONDS == 0.2
    assert options["socket_connect_timeout"] == ratelimit.STORAGE_TIMEOUT_SECONDS
    assert options["retry"].get_retries() == 0


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


def test_with_redis_unreachable_everything_works_unlimited_and_the_sign_in_delays_hold(
    make_app: Callable[..., Flask],
    place: Place,
    make_staff: Callable[..., StaffUser],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="doorplate.ratelimit")
    app = _redis_app(make_app, "redis://127.0.0.1:1/0", RATELIMIT_RETRY_SECONDS=30)
    redis_ = Watched(app, monkeypatch)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_ADDRESS
    make_staff(username="clerk")

    # The first limited request tries Redis once and finds it down; for the back-off nothing
    # tries it again: public pages, and more unknown codes than the limit allows, all answered
    # as without limits.
    assert redis_.calls_during(lambda: client.get(f"/P/{UNKNOWN}")) == 1
    pages = [
        ("/", 200),
        (f"/P/{place.token}", 200),
        (f"/v/{place.village_code}/", 200),
        (f"/api/v1/plates/{place.token}", 200),
        *[(f"/P/{UNKNOWN}", 404)] * 5,
    ]
    assert [client.get(path).status_code for path, _ in pages] == [s for _, s in pages]
    assert redis_.calls == 1
    redis_.now += 31  # past the back-off: Redis is tried again, once, and fails again
    assert redis_.calls_during(lambda: client.get(f"/api/v1/plates/{UNKNOWN}")) == 1
    assert client.get(f"/api/v1/plates/{UNKNOWN}").status_code == 404

    # A booking and requests, more than the limit of 2 allows, none waiting on Redis.
    booked = client.post("/api/v1/bookings", json=booking_body(place, "b"))
    assert booked.status_code == 201
    for n in range(3):
        body = request_body(place, f"r{n}")
        assert client.post("/api/v1/requests", json=body).status_code == 201

    # Ten wrong passwords (more than LOGIN_LIMIT's 3 a minute) are all counted in the database,
    # and hold this address back: even the right password from it is refused, with the same
    # answer, while from another address it signs in.
    def sign_in(password: str, address: str = CLIENT_ADDRESS) -> Any:
        return client.post(
            "/staff/login",
            data={"username": "clerk", "password": password},
            environ_base={"REMOTE_ADDR": address},
        )

    for _attempt in range(10):
        page = sign_in("wrong")
        assert page.status_code == 200 and WRONG in page.get_data(as_text=True)
    assert _failures("clerk") == 10
    held_back = sign_in("correct-horse-battery")
    assert held_back.status_code == 200 and WRONG in held_back.get_data(as_text=True)
    assert sign_in("correct-horse-battery", "10.9.9.9").status_code == 302
    assert redis_.calls == 2  # the first try and the one after the back-off, nothing else

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


def test_a_hung_redis_costs_one_try_per_back_off_not_one_per_request(
    make_app: Callable[..., Flask],
    place: Place,
    silent_server: int,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Redis that accepts and never answers: the try ends at the socket timeout (bounded as
    tested above), after which the circuit stays open for the back-off."""
    caplog.set_level(logging.INFO, logger="doorplate.ratelimit")
    app = _redis_app(make_app, f"redis://127.0.0.1:{silent_server}/0", RATELIMIT_RETRY_SECONDS=1.0)
    redis_ = Watched(app, monkeypatch)
    client = app.test_client()

    def tries(path: str) -> int:
        return redis_.calls_during(lambda: client.get(path))

    assert tries(f"/P/{UNKNOWN}") == 1  # waited for the socket timeout, once
    assert [tries(f"/P/{UNKNOWN}") for _ in range(10)] == [0] * 10  # the circuit is open
    redis_.now += 0.9
    assert tries(f"/P/{UNKNOWN}") == 0  # still within the back-off
    redis_.now += 0.2
    assert tries(f"/api/v1/plates/{UNKNOWN}") == 1  # tried again after the back-off
    assert client.get(f"/P/{UNKNOWN}").status_code == 404
    assert len(_warnings(caplog)) == 1


def test_counting_resumes_when_redis_comes_back(
    make_app: Callable[..., Flask],
    place: Place,
    private_redis: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="doorplate.ratelimit")
    app = _redis_app(make_app, private_redis.url, RATELIMIT_RETRY_SECONDS=0.3)
    redis_ = Watched(app, monkeypatch)
    client = app.test_client()

    def unknown() -> int:
        status: int = client.get(f"/P/{UNKNOWN}").status_code
        return status

    assert [unknown() for _ in range(4)] == [404, 404, 404, 429]
    assert redis_.calls == 4
    private_redis.kill()
    assert [unknown() for _ in range(6)] == [404] * 6  # open while it is down
    assert client.get(f"/P/{place.token}").status_code == 200
    assert redis_.calls == 5  # one failed try, then none within the back-off
    assert len(_warnings(caplog)) == 1

    private_redis.start()  # empty: this server keeps nothing across a restart
    redis_.now += 0.4  # past the back-off
    assert [unknown() for _ in range(4)] == [404, 404, 404, 429]
    assert redis_.calls == 9
    assert any("answers again" in r.getMessage() for r in caplog.records)
    assert len(_warnings(caplog)) == 1
    assert redis.Redis.from_url(private_redis.url).keys("doorplate:*")
