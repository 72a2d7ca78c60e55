"""Retention: contact details and photos go ``retention_days`` after a booking is closed; the
statuses and times that the counts are made of stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from doorplate.bookings import service
from doorplate.bookings.models import (
    Booking,
    BookingStatus,
    RequestPhoto,
    Service,
    ServiceKind,
    Slot,
)
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.staff.models import Role, StaffUser
from doorplate.staff.service import Scope

from .test_booking import PHONE, booking_input, jpeg_with_gps, request_input

CLOSED = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
RETENTION = 180


def test_contacts_and_photos_are_purged_after_the_retention_and_counts_stay(
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
    make_staff: Callable[..., StaffUser],
) -> None:
    village = make_village()
    editor = make_staff(Role.EDITOR, village=village)
    requests = make_service(village=village, kind=ServiceKind.REQUEST)
    slot = make_slot(make_service(village=village))
    household = make_household(village)
    ticket, _ = service.submit_request(household, request_input(requests.id, photo=jpeg_with_gps()))
    done, _ = service.book(household, booking_input(slot.id, key="done"))
    recent, _ = service.book(make_household(village), booking_input(slot.id, key="recent"))
    open_one, _ = service.book(make_household(village), booking_input(slot.id, key="open"))
    service.complete(editor, ticket, now=CLOSED)
    service.complete(editor, done, now=CLOSED - timedelta(days=1))
    service.complete(editor, recent, now=CLOSED + timedelta(days=2))
    db.session.commit()

    now = CLOSED + timedelta(days=RETENTION, hours=1)
    assert service.purge_contacts(now, RETENTION) == 2
    db.session.commit()
    for purged in (ticket, done):
        assert (purged.contact_name, purged.phone, purged.purged_at) == (None, None, now)
        assert purged.status is BookingStatus.COMPLETED and purged.completed_at is not None
    assert db.session.scalar(select(func.count()).select_from(RequestPhoto)) == 0
    for kept in (recent, open_one):
        assert (kept.contact_name, kept.phone, kept.purged_at) == ("王", PHONE, None)
    assert service.completed_count(Scope()) == 3
    assert service.purge_contacts(now, RETENTION) == 0
    with pytest.raises(service.BookingNotFound):
        service.find_booking(done.reference, PHONE[-4:])


def test_nothing_is_purged_before_its_time(
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    village = make_village()
    booking, _ = service.book(
        make_household(village),
        booking_input(
            make_slot(make_service(village=village), starts_at=CLOSED + timedelta(days=1)).id
        ),
    )
    service.cancel(booking.reference, PHONE[-4:], now=CLOSED)
    db.session.commit()
    assert service.purge_contacts(CLOSED + timedelta(days=RETENTION), RETENTION) == 0
    assert service.purge_contacts(CLOSED + timedelta(days=RETENTION, seconds=1), RETENTION) == 1
    assert db.session.get(Booking, booking.id).phone is None  # type: ignore[union-attr]
