"""``doorplate bookings generate-slots | remind | purge``: each commits and says what it did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from doorplate.bookings import service
from doorplate.bookings.models import Booking, OpeningHours, Service, Slot
from doorplate.db import db, utcnow
from doorplate.places.models import Household, Village
from doorplate.staff.models import Role, StaffUser

from .test_booking import booking_input

ZONE = ZoneInfo("Asia/Shanghai")


def slot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Slot)) or 0


def test_generate_slots_creates_the_horizon_once_and_warns_about_missing_years(
    runner: FlaskCliRunner,
    make_village: Callable[..., Village],
    make_service: Callable[..., Service],
) -> None:
    offered = make_service(village=make_village())
    for weekday in range(7):
        db.session.add(
            OpeningHours(
                service=offered,
                weekday=weekday,
                opens=time(9),
                closes=time(10),
                slot_minutes=30,
                capacity=3,
            )
        )
    db.session.commit()
    result = runner.invoke(args=["bookings", "generate-slots", "--days", "14"])
    assert result.exit_code == 0, result.output
    created = slot_count()
    assert created > 0 and result.stdout == f"Created {created} slots.\n"
    again = runner.invoke(args=["bookings", "generate-slots", "--days", "14"])
    assert again.stdout == "Created 0 slots.\n" and slot_count() == created
    far = runner.invoke(args=["bookings", "generate-slots", "--days", "3000"])
    assert far.exit_code == 0
    last_year = (datetime.now(ZONE) + timedelta(days=3000)).year
    assert "Warning: no working-day calendar for" in far.stderr
    assert str(last_year) in far.stderr


def test_remind_sends_tomorrows_reminders_and_commits(
    runner: FlaskCliRunner,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    village = make_village()
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    slot = make_slot(
        make_service(village=village), starts_at=datetime.combine(tomorrow, time(10), ZONE)
    )
    booking, _ = service.book(make_household(village), booking_input(slot.id))
    db.session.commit()
    result = runner.invoke(args=["bookings", "remind"])
    assert result.exit_code == 0 and result.output == "Sent 1 reminder.\n"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).reminded_at is not None  # type: ignore[union-attr]
    assert runner.invoke(args=["bookings", "remind"]).output == "Sent 0 reminders.\n"


def test_purge_uses_the_configured_retention_or_the_days_given(
    runner: FlaskCliRunner,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
    make_staff: Callable[..., StaffUser],
) -> None:
    village = make_village()
    booking, _ = service.book(
        make_household(village), booking_input(make_slot(make_service(village=village)).id)
    )
    service.complete(
        make_staff(Role.EDITOR, village=village), booking, now=utcnow() - timedelta(days=100)
    )
    db.session.commit()
    kept = runner.invoke(args=["bookings", "purge"])  # BOOKING_RETENTION_DAYS: 180
    assert kept.exit_code == 0 and kept.output == "Purged the contact details of 0 bookings.\n"
    purged = runner.invoke(args=["bookings", "purge", "--days", "90"])
    assert purged.output == "Purged the contact details of 1 booking.\n"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).phone is None  # type: ignore[union-attr]
