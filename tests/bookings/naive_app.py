"""The app with a deliberately naive booking, served by gunicorn for the negative control in
``test_gunicorn_races.py``; never used outside that test.

The naive way checks for a free place in one transaction and takes it in the next, writing back
the count it read (``booked = seen + 1``) instead of letting the database decide. The short
sleep between the two stands in for a slow request, so the race shows in a few rounds. Only the
booking step changes: validation, the insert and the API around it are the real ones.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import select, update

from doorplate import create_app
from doorplate.bookings import service
from doorplate.bookings.models import Slot
from doorplate.db import db, reading
from doorplate.places.models import Household

WINDOW_SECONDS = 0.01
_real_book = service.book
_seen: dict[int, int] = {}  # a sync worker serves one request at a time


def _naive_book(
    household: Household, data: service.BookingInput, now: datetime | None = None
) -> tuple[object, bool]:
    db.session.commit()  # the check runs in a transaction of its own
    with reading():
        booked, capacity = db.session.execute(
            select(Slot.booked, Slot.capacity).where(Slot.id == data.slot_id)
        ).one()
    if booked >= capacity:
        raise service.SlotFull([])
    time.sleep(WINDOW_SECONDS)
    _seen[data.slot_id] = booked
    return _real_book(household, data, now)


def _take_place_as_seen(slot: Slot, now: datetime) -> bool:
    db.session.execute(update(Slot).where(Slot.id == slot.id).values(booked=_seen.pop(slot.id) + 1))
    return True


service.book = _naive_book  # type: ignore[assignment]
service._take_place = _take_place_as_seen
app = create_app()
