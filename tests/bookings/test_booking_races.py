"""Bookings under real concurrency: threads released together by a barrier, each with its own app
context and database session, on whichever database the suite runs.

The main race books a five-place slot from 50 households at once, ten times over: exactly five
succeed every round and ``booked`` equals the active bookings. The negative control runs the same
harness with a naive check-then-insert and must overbook, which shows the harness can fail.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from waits import HUNG_SECONDS

from doorplate.bookings import service
from doorplate.bookings.models import ACTIVE_STATUSES, Booking, Service, Slot
from doorplate.bookings.service import BookingInput
from doorplate.db import db, utcnow
from doorplate.places.models import Household, Village
from doorplate.staff.models import AuditEvent, Role, StaffUser

from .test_booking import PHONE, booked, booking_input

THREADS = 50
CAPACITY = 5
ROUNDS = 10

Book = Callable[[Household, BookingInput], tuple[Booking, bool]]


@pytest.fixture
def race_app(make_app: Callable[..., Flask]) -> Flask:
    """An app whose pool gives every thread its own connection at once."""
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS, "max_overflow": 0})


@pytest.fixture
def village(make_village: Callable[..., Village]) -> Village:
    return make_village()


@pytest.fixture
def offered(village: Village, make_service: Callable[..., Service]) -> Service:
    return make_service(village=village)


def _together(app: Flask, jobs: Sequence[Callable[[], str]]) -> Counter[str]:
    """Run each job in its own thread and app context, all released at once; count outcomes.

    A job returns its outcome; a refusal by a domain error counts as the error's class name,
    anything else fails the test.
    """
    db.session.commit()  # the test thread's own transaction would hold SQLite's write lock
    start = threading.Barrier(len(jobs))
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], str]) -> None:
        with app.app_context():
            try:
                start.wait(timeout=HUNG_SECONDS)
                outcome = job()
                db.session.commit()
            except service.BookingError as refusal:
                db.session.rollback()
                outcome = type(refusal).__name__
            except BaseException as error:  # reported in the test's thread
                db.session.rollback()
                with lock:
                    errors.append(error)
                return
            with lock:
                outcomes[outcome] += 1

    workers = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=HUNG_SECONDS)
    assert errors == []
    return outcomes


def _booking_job(book: Book, household_id: int, data: BookingInput) -> Callable[[], str]:
    def job() -> str:
        household = db.session.get(Household, household_id)
        assert household is not None
        _booking, created = book(household, data)
        return "created" if created else "replayed"

    return job


def _active(slot_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.slot_id == slot_id, Booking.status.in_(ACTIVE_STATUSES)
            )
        )
        or 0
    )


def _fill_rounds(
    race_app: Flask,
    offered: Service,
    households: list[int],
    make_slot: Callable[..., Slot],
    book: Book,
) -> list[tuple[Counter[str], int, int]]:
    """ROUNDS rounds of THREADS households booking one fresh slot: (outcomes, booked, active)."""
    results = []
    first = utcnow().replace(microsecond=0) + timedelta(days=1)
    for n in range(ROUNDS):
        slot_id = make_slot(offered, capacity=CAPACITY, starts_at=first + timedelta(hours=n)).id
        jobs = [
            _booking_job(book, household_id, booking_input(slot_id, key=f"r{n}-h{household_id}"))
            for household_id in households
        ]
        outcomes = _together(race_app, jobs)
        results.append((outcomes, booked(slot_id), _active(slot_id)))
        db.session.commit()
    return results


@pytest.fixture
def households(village: Village, make_household: Callable[..., Household]) -> list[int]:
    return [make_household(village).id for _ in range(THREADS)]


@pytest.mark.slow
def test_fifty_households_at_once_fill_five_places_exactly_every_round(
    race_app: Flask,
    offered: Service,
    households: list[int],
    make_slot: Callable[..., Slot],
) -> None:
    for outcomes, booked_places, active in _fill_rounds(
        race_app, offered, households, make_slot, service.book
    ):
        assert outcomes == {"created": CAPACITY, "SlotFull": THREADS - CAPACITY}
        assert booked_places == CAPACITY == active


class FirstTwoMeet:
    """The first two bookings of each slot wait for each other between their read and their
    write, so both read the same count: the naive way then overbooks every round, on any machine,
    instead of when a thread happens to be slow."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._barriers: dict[int, threading.Barrier] = {}
        self._arrived: Counter[int] = Counter()

    def meet(self, slot_id: int) -> None:
        with self._lock:
            self._arrived[slot_id] += 1
            if self._arrived[slot_id] > 2:
                return
            barrier = self._barriers.setdefault(slot_id, threading.Barrier(2))
        barrier.wait(timeout=HUNG_SECONDS)


_first_two = FirstTwoMeet()


def _naive_book(household: Household, data: BookingInput, now: datetime | None = None) -> Any:
    """The approach the conditional UPDATE replaces: read the count in one transaction, then
    insert and write ``read + 1`` in another (a cache, a replica or a form would do the same)."""
    slot = db.session.get(Slot, data.slot_id)
    assert slot is not None
    seen, capacity, service_id = slot.booked, slot.capacity, slot.service_id
    db.session.commit()
    _first_two.meet(data.slot_id)
    if seen >= capacity:
        raise service.SlotFull([])
    booking = Booking(
        reference=service.new_reference(),
        service_id=service_id,
        slot_id=data.slot_id,
        household_id=household.id,
        village_id=household.village_id,
        contact_name=data.contact_name,
        phone=data.phone,
        purpose=data.purpose,
        idempotency_key=data.idempotency_key,
    )
    db.session.add(booking)
    db.session.execute(update(Slot).where(Slot.id == data.slot_id).values(booked=seen + 1))
    return booking, True


@pytest.mark.slow
def test_negative_control_naive_check_then_insert_overbooks(
    race_app: Flask,
    offered: Service,
    households: list[int],
    make_slot: Callable[..., Slot],
) -> None:
    results = _fill_rounds(race_app, offered, households, make_slot, _naive_book)
    assert all(active > CAPACITY for _outcomes, _booked, active in results)
    # and the counter no longer tells the truth
    assert all(booked_places != active for _outcomes, booked_places, active in results)


def test_a_double_tap_with_two_keys_makes_one_booking(
    race_app: Flask,
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
) -> None:
    household_id = make_household(village).id
    slot_id = make_slot(offered).id
    jobs = [
        _booking_job(service.book, household_id, booking_input(slot_id, key=key))
        for key in ("tap-1", "tap-2")
    ]
    assert _together(race_app, jobs) == {"created": 1, "InvalidBooking": 1}
    assert booked(slot_id) == 1 == _active(slot_id)


def test_ten_retries_with_one_key_make_one_booking(
    race_app: Flask,
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
) -> None:
    household_id = make_household(village).id
    slot_id = make_slot(offered).id
    jobs = [
        _booking_job(service.book, household_id, booking_input(slot_id, key="retry"))
        for _ in range(10)
    ]
    assert _together(race_app, jobs) == {"created": 1, "replayed": 9}
    assert booked(slot_id) == 1 == _active(slot_id)


def test_fifty_cancels_of_one_booking_free_one_place(
    race_app: Flask,
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
) -> None:
    slot_id = make_slot(offered).id
    for n in range(3):
        booking, _ = service.book(make_household(village), booking_input(slot_id, key=f"k{n}"))
    reference = booking.reference
    db.session.commit()

    def cancel() -> str:
        service.cancel(reference, PHONE[-4:])
        return "cancelled"

    assert _together(race_app, [cancel] * THREADS) == {"cancelled": 1, "WrongStatus": THREADS - 1}
    assert booked(slot_id) == 2 == _active(slot_id)


@pytest.fixture
def rendezvous(race_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL, hold both staff between reading the booking and writing it until both have
    read it "submitted". SQLite's BEGIN IMMEDIATE serialises them anyway (and a thread waiting
    here while holding the write lock would only stall the other)."""
    with race_app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
    both_read = threading.Barrier(2)
    check = service._check_scope

    def check_then_wait(actor: StaffUser, booking: Booking) -> None:
        check(actor, booking)
        both_read.wait(timeout=HUNG_SECONDS)

    monkeypatch.setattr(service, "_check_scope", check_then_wait)


def test_two_staff_completing_at_once_make_one_transition(
    race_app: Flask,
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
    make_staff: Callable[..., StaffUser],
    rendezvous: None,
) -> None:
    booking, _ = service.book(make_household(village), booking_input(make_slot(offered).id))
    booking_id, reference = booking.id, booking.reference
    staff_ids = [make_staff(Role.EDITOR, village=village).id, make_staff(Role.COUNTY).id]
    db.session.commit()

    def completer(staff_id: int) -> Callable[[], str]:
        def job() -> str:
            actor = db.session.get(StaffUser, staff_id)
            target = db.session.get(Booking, booking_id)
            assert actor is not None and target is not None
            service.complete(actor, target, note="已办", now=utcnow())
            return "completed"

        return job

    assert _together(race_app, [completer(s) for s in staff_ids]) == {
        "completed": 1,
        "WrongStatus": 1,
    }
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_id == reference, AuditEvent.action == "booking.complete"
        )
    ).all()
    assert len(events) == 1
    db.session.expire_all()
    done = db.session.get(Booking, booking_id)
    assert done is not None and done.handled_by_id == events[0].actor_id
