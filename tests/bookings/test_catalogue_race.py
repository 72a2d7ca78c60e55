"""Two slot generations at once (the nightly command and a staff member's button), in real
threads: every slot exists once and neither run fails.

On PostgreSQL both threads are held until both have read the (still empty) day, so only the
INSERT's ``ON CONFLICT DO NOTHING`` keeps them apart; the negative control swaps in a plain INSERT
and shows the same harness then fails on the unique constraint. SQLite opens every transaction with
BEGIN IMMEDIATE, which serialises the two runs: the second one finds the first one's slots.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time

import pytest
from flask import Flask
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from waits import HUNG_SECONDS

from doorplate.bookings import catalogue
from doorplate.bookings.catalogue import HoursInput, ServiceInput
from doorplate.bookings.models import Service, ServiceKind, Slot
from doorplate.db import db
from doorplate.places.models import Village
from doorplate.staff.models import Role, StaffUser

DAY = date(2026, 12, 7)  # a Monday
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def service_id(make_village: Callable[..., Village], make_staff: Callable[..., StaffUser]) -> int:
    village = make_village()
    actor = make_staff(Role.EDITOR, village=village)
    service = catalogue.create_service(
        actor,
        ServiceInput("社保卡办理", "", [], "便民服务中心", 20, ServiceKind.SLOT, ["新办"]),
        None,
        village,
    )
    catalogue.set_hours(actor, service, [HoursInput(0, time(9), time(11), 30, 3)])
    made = service.id
    db.session.commit()  # and nothing read after it: SQLite must not lock the threads out
    return made


def _race(app: Flask, service_id: int) -> tuple[list[int], list[BaseException]]:
    """Generate ``DAY`` in two threads released together; (created counts, errors)."""
    start = threading.Barrier(2)
    created: list[int] = []
    errors: list[BaseException] = []

    def generate() -> None:
        with app.app_context():
            try:
                service = db.session.get(Service, service_id)
                assert service is not None
                db.session.commit()  # SQLite: do not hold the write lock at the barrier
                start.wait(timeout=HUNG_SECONDS)
                created.append(catalogue.generate_slots(service, DAY, DAY, now=NOW).created)
                db.session.commit()
            except BaseException as error:  # reported in the test's thread
                db.session.rollback()
                errors.append(error)

    workers = [threading.Thread(target=generate) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=HUNG_SECONDS)
    return created, errors


def _hold_before_insert(monkeypatch: pytest.MonkeyPatch, insert_slots: Callable[..., int]) -> None:
    """On PostgreSQL, let each thread insert only once both have read the day's slots."""
    both_read = threading.Barrier(2)

    def wait_then_insert(rows: list[dict[str, object]]) -> int:
        both_read.wait(timeout=HUNG_SECONDS)
        return insert_slots(rows)

    monkeypatch.setattr(catalogue, "_insert", wait_then_insert)


def test_two_generations_at_once_make_each_slot_once(
    app: Flask, service_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.engine.dialect.name == "postgresql":
        _hold_before_insert(monkeypatch, catalogue._insert)
    created, errors = _race(app, service_id)
    assert errors == []
    assert sorted(created) == [0, 4]
    assert db.session.scalar(select(func.count()).select_from(Slot)) == 4


def test_negative_control_a_plain_insert_collides(
    app: Flask, service_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises the two runs: no collision to provoke")

    def plain_insert(rows: list[dict[str, object]]) -> int:
        return len(db.session.execute(insert(Slot).returning(Slot.id), rows).all())

    _hold_before_insert(monkeypatch, plain_insert)
    created, errors = _race(app, service_id)
    assert created == [4]
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError)
