"""Fixtures for the rate-limit tests: an app with small limits, a village with a plate, a revoked
plate, a slot service and a request service, and Redis: the shared one on 6379 under a key prefix
of each test's own (its keys deleted afterwards, never the whole database), or a private
``redis-server`` the test may kill and start again."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from waits import HUNG_SECONDS

from doorplate.bookings.models import Service, ServiceKind, ServiceScope, Slot
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates
from doorplate.plates.models import RevokeReason

# Small limits, so a test reaches each in a few requests.
SMALL_LIMITS = {
    "PLATE_LOOKUP_LIMIT": "3 per minute",
    "BOOKING_CREATE_LIMIT": "2 per minute",
    "LOGIN_LIMIT": "3 per minute",
    "BOOKING_LOOKUP_LIMIT": "3 per minute",
}
SHARED_REDIS = "redis://127.0.0.1:6379/0"
UNKNOWN = "ZZZZZZZZZZZZZZZZ"  # a well-formed code no plate has
PHONE = "13800138000"

REDIS_SERVER = shutil.which("redis-server")
requires_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed"
)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app(**SMALL_LIMITS)
    with app.app_context():
        yield app


@dataclass(frozen=True)
class Place:
    """What the tests scan, book and ask for."""

    village_code: str
    token: str  # an active plate
    revoked: str  # a revoked plate's code
    slot_service_id: int
    slot_id: int
    request_service_id: int


@pytest.fixture
def place(
    app: Flask,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
) -> Place:
    village = make_village("330327100201", "渡龙村")
    home, moved = make_household(village), make_household(village)
    plates.issue_missing()
    db.session.commit()
    revoked = plates.revoke("test", moved, RevokeReason.MOVED)
    db.session.commit()
    active = plates.active_plate(home)
    assert active is not None
    slot_service = _service(village, ServiceKind.SLOT, purposes=["新办", "补办"])
    request_service = _service(village, ServiceKind.REQUEST, purposes=["道路", "路灯"])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    slot = Slot(
        service=slot_service, starts_at=start, ends_at=start + timedelta(minutes=30), capacity=50
    )
    db.session.add(slot)
    db.session.commit()
    found = Place(
        village.code, active.token, revoked.token, slot_service.id, slot.id, request_service.id
    )
    db.session.commit()  # end the read that loaded those: other apps' requests write (SQLite)
    return found


def _service(village: Village, kind: ServiceKind, purposes: list[str]) -> Service:
    service = Service(
        scope=ServiceScope.VILLAGE,
        village=village,
        kind=kind,
        name="社保卡办理" if kind is ServiceKind.SLOT else "报事报修",
        description="",
        materials=["身份证"],
        location="村便民服务中心",
        duration_minutes=30,
        purposes=purposes,
    )
    db.session.add(service)
    db.session.commit()
    return service


def booking_body(place: Place, key: str) -> dict[str, Any]:
    """An API booking of the place's slot."""
    return {
        "plate": place.token,
        "slot_id": place.slot_id,
        "contact_name": "王",
        "phone": PHONE,
        "purpose": "新办",
        "idempotency_key": key,
    }


def request_body(place: Place, key: str) -> dict[str, Any]:
    """An API request (报事报修) to the place's request service."""
    return {
        "plate": place.token,
        "service_id": place.request_service_id,
        "purpose": "路灯",
        "description": "村口路灯不亮",
        "contact_name": "王",
        "phone": PHONE,
        "idempotency_key": key,
    }


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the shared Redis; its keys are deleted afterwards."""
    import redis

    prefix = f"doorplate-test:{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(SHARED_REDIS)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A ``redis-server`` of the test's own, without persistence, that it may stop and start."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self._process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + HUNG_SECONDS
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=HUNG_SECONDS)
            self._process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port())
    server.start()
    yield server
    server.kill()


_TOO_MANY = "Too many attempts from your address. Please wait {wait} and try again."


def too_many(retry_after: str) -> str:
    """The refusal for a per-minute limit, which says how long to wait in words."""
    seconds = int(retry_after)
    wait = "1 minute" if seconds == 60 else f"{seconds} second{'s' if seconds > 1 else ''}"
    return _TOO_MANY.format(wait=wait)
