"""No amount of concurrency puts six people in a five-person slot: the real app under gunicorn.

Each round makes a fresh slot of capacity 5 and has 100 households book it at once through
``POST /api/v1/bookings``: 100 threads open their connections, wait at a barrier and send
together, against several gunicorn worker processes on the test database (a SQLite file or
PostgreSQL). Every round must give exactly 5 × 201 and 95 × 409, no 5xx, and afterwards the
slot's ``booked`` must equal its active bookings. The negative control serves the same app with a
check-then-insert booking (``tests/bookings/naive_app.py``) and must be caught overbooking in
every round, which proves the harness can fail.
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from served import gunicorn
from sqlalchemy import func, select

from doorplate.bookings.models import ACTIVE_STATUSES, Booking, Service, Slot
from doorplate.db import db, reading
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates
from doorplate.plates.models import Plate

pytestmark = pytest.mark.slow

CAPACITY = 5
CONCURRENT = 100
ROUNDS = 20
CONTROL_ROUNDS = 5
# Every booking comes from 127.0.0.1: lift the per-address limit on bookings sent.
LIFTED_LIMITS = {"DOORPLATE_BOOKING_CREATE_LIMIT": "100000 per minute"}


@pytest.fixture
def village(app: Flask, make_village: Callable[..., Village]) -> Village:
    return make_village()


@pytest.fixture
def tokens(village: Village, make_household: Callable[..., Household]) -> list[str]:
    """One plate token for each of ``CONCURRENT`` households of the village."""
    for _ in range(CONCURRENT):
        make_household(village)
    plates.issue_missing()
    db.session.commit()
    with reading():
        return list(db.session.scalars(select(Plate.token).order_by(Plate.id)))


def _new_slot(service: Service, round_number: int) -> int:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1, hours=round_number)
    slot = Slot(
        service=service, starts_at=start, ends_at=start + timedelta(minutes=30), capacity=CAPACITY
    )
    db.session.add(slot)
    db.session.flush()
    slot_id = slot.id
    db.session.commit()  # and nothing read afterwards: SQLite would keep its write lock
    return slot_id


def _book_all_at_once(port: int, slot_id: int, tokens: list[str]) -> Counter[int]:
    barrier = threading.Barrier(len(tokens))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def book(n: int, token: str) -> None:
        body = json.dumps(
            {
                "plate": token,
                "slot_id": slot_id,
                "contact_name": "王",
                "phone": f"138{n:08d}",
                "purpose": "新办",
                "idempotency_key": uuid.uuid4().hex,
            }
        )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.connect()
        barrier.wait()
        connection.request("POST", "/api/v1/bookings", body, {"Content-Type": "application/json"})
        status = connection.getresponse().status
        connection.close()
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=book, args=(n, t)) for n, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _slot_counts(slot_id: int) -> tuple[int, int]:
    """The slot's ``booked`` and its active bookings, read afresh without locking."""
    with reading():
        booked = db.session.scalar(select(Slot.booked).where(Slot.id == slot_id))
        active = db.session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.slot_id == slot_id, Booking.status.in_(ACTIVE_STATUSES))
        )
    assert booked is not None and active is not None
    return booked, active


def test_a_full_slot_never_takes_one_more(
    database_url: str,
    make_service: Callable[..., Service],
    village: Village,
    tokens: list[str],
) -> None:
    service = make_service(village=village)
    with gunicorn("wsgi:app", database_url, env=LIFTED_LIMITS) as port:
        for round_number in range(ROUNDS):
            slot_id = _new_slot(service, round_number)
            statuses = _book_all_at_once(port, slot_id, tokens)
            assert statuses == {201: CAPACITY, 409: CONCURRENT - CAPACITY}, round_number
            assert _slot_counts(slot_id) == (CAPACITY, CAPACITY), round_number


def test_the_harness_catches_a_check_then_insert_booking(
    tmp_path: Path,
    database_url: str,
    make_service: Callable[..., Service],
    village: Village,
    tokens: list[str],
) -> None:
    service = make_service(village=village)
    overbooked = []
    env = {**LIFTED_LIMITS, "DOORPLATE_NAIVE_RENDEZVOUS": str(tmp_path)}
    with gunicorn("tests.bookings.naive_app:app", database_url, env=env) as port:
        for round_number in range(CONTROL_ROUNDS):
            slot_id = _new_slot(service, round_number)
            _book_all_at_once(port, slot_id, tokens)
            _booked, active = _slot_counts(slot_id)
            overbooked.append(active)
    assert min(overbooked) > CAPACITY, (
        f"a round of the naive booking did not overbook: {overbooked}"
    )
