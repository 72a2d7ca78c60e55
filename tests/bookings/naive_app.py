"""The app with a deliberately naive booking, served by gunicorn for the negative control in
``test_gunicorn_races.py``; never used outside that test.

The naive way checks for a free place in one transaction and takes it in the next, writing back
the count it read (``booked = seen + 1``) instead of letting the database decide. The first two
requests for a slot wait for each other between the two steps (they meet in the directory
``DOORPLATE_NAIVE_RENDEZVOUS`` names, as gunicorn's workers are processes), so both read the
same count: the naive way then overbooks in every round, however fast or busy the machine, and
the control does not depend on winning a race by chance. Only the booking step changes:
validation, the insert and the API around it are the real ones.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update

from doorplate import create_app
from doorplate.bookings import service
from doorplate.bookings.models import Slot
from doorplate.db import db, reading
from doorplate.places.models import Household

RENDEZVOUS = Path(os.environ.get("DOORPLATE_NAIVE_RENDEZVOUS", "."))
HUNG_SECONDS = 300  # tests/waits.py's: a guard against a hang, never a speed check
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
    _meet(data.slot_id)
    _seen[data.slot_id] = booked
    return _real_book(household, data, now)


def _meet(slot_id: int) -> None:
    """Wait, if among the first two requests for the slot, until the other has checked too."""
    if len(list(RENDEZVOUS.glob(f"{slot_id}.*"))) >= 2:
        return
    (RENDEZVOUS / f"{slot_id}.{uuid.uuid4().hex}").touch()
    deadline = time.monotonic() + HUNG_SECONDS
    while len(list(RENDEZVOUS.glob(f"{slot_id}.*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.002)


def _take_place_as_seen(slot: Slot, now: datetime) -> bool:
    db.session.execute(update(Slot).where(Slot.id == slot.id).values(booked=_seen.pop(slot.id) + 1))
    return True


service.book = _naive_book  # type: ignore[assignment]
service._take_place = _take_place_as_seen
app = create_app()
