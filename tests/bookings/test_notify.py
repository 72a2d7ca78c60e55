"""Notifications: sent through the configured notifier only after the transaction commits, one
per event, reminders once each for the next county-local day, and never a phone in the log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from doorplate.bookings import notify, service
from doorplate.bookings.models import Booking, BookingStatus, Service, Slot
from doorplate.bookings.notify import Notification
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.staff.models import Role, StaffUser

from .test_booking import PHONE, booking_input

ZONE = ZoneInfo("Asia/Shanghai")


class Recorder:
    """A notifier that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)


class Broken:
    """A gateway that is down."""

    def send(self, notification: Notification) -> None:
        raise RuntimeError("gateway down")


@pytest.fixture
def sent(app: Flask) -> list[Notification]:
    """What the app's notifier (a :class:`Recorder`, configured by name) has sent."""
    app.config["BOOKING_NOTIFIER"] = f"{__name__}:Recorder"
    recorder = notify.notifier()
    assert isinstance(recorder, Recorder)
    return recorder.sent


@pytest.fixture
def village(make_village: Callable[..., Village]) -> Village:
    return make_village()


@pytest.fixture
def offered(village: Village, make_service: Callable[..., Service]) -> Service:
    return make_service(village=village)


def events(sent: list[Notification]) -> list[tuple[str, str, BookingStatus]]:
    return [(n.event, n.reference, n.status) for n in sent]


def test_received_is_sent_only_once_the_booking_is_committed(
    sent: list[Notification],
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
) -> None:
    slot = make_slot(offered)
    booking, _ = service.book(make_household(village), booking_input(slot.id))
    assert sent == []
    db.session.commit()
    assert sent == [
        Notification(
            event="received",
            booking_id=booking.id,
            reference=booking.reference,
            status=BookingStatus.SUBMITTED,
            phone=PHONE,
            service_name=offered.name,
            starts_at=slot.starts_at,
        )
    ]


def test_a_rolled_back_booking_is_never_announced(
    sent: list[Notification],
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
) -> None:
    slot = make_slot(offered)
    service.book(make_household(village), booking_input(slot.id))
    db.session.rollback()
    make_household(village)  # a later transaction commits
    assert sent == []


def test_a_refusal_in_the_same_transaction_keeps_the_earlier_notification(
    sent: list[Notification],
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
) -> None:
    slot = make_slot(offered, capacity=1)
    first, second = make_household(village), make_household(village)
    booking, _ = service.book(first, booking_input(slot.id))
    with pytest.raises(service.SlotFull):
        service.book(second, booking_input(slot.id, key="other"))
    db.session.commit()
    assert events(sent) == [("received", booking.reference, BookingStatus.SUBMITTED)]


def test_each_transition_sends_its_event(
    sent: list[Notification],
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
    make_staff: Callable[..., StaffUser],
) -> None:
    editor = make_staff(Role.EDITOR, village=village)
    slot = make_slot(offered)
    kept, _ = service.book(make_household(village), booking_input(slot.id, key="a"))
    dropped, _ = service.book(make_household(village), booking_input(slot.id, key="b"))
    service.confirm(editor, kept)
    service.complete(editor, kept)
    service.cancel(dropped.reference, PHONE[-4:])
    db.session.commit()
    assert events(sent)[2:] == [
        ("confirmed", kept.reference, BookingStatus.CONFIRMED),
        ("status", kept.reference, BookingStatus.COMPLETED),
        ("status", dropped.reference, BookingStatus.CANCELLED),
    ]


def test_reminders_go_once_to_bookings_on_the_next_county_day(
    sent: list[Notification],
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
) -> None:
    now = datetime(2030, 5, 6, 10, 0, tzinfo=ZONE)
    starts = {
        "today": datetime(2030, 5, 6, 16, 0, tzinfo=ZONE),
        "early tomorrow": datetime(2030, 5, 7, 0, 30, tzinfo=ZONE),  # still 6 May in UTC
        "late tomorrow": datetime(2030, 5, 7, 23, 30, tzinfo=ZONE),
        "cancelled": datetime(2030, 5, 7, 9, 0, tzinfo=ZONE),
        "day after": datetime(2030, 5, 8, 0, 0, tzinfo=ZONE),
    }
    made: dict[str, Booking] = {}
    for name, start in starts.items():
        slot = make_slot(offered, starts_at=start)
        made[name], _ = service.book(
            make_household(village), booking_input(slot.id, key=name.replace(" ", "-")), now=now
        )
    service.cancel(made["cancelled"].reference, PHONE[-4:], now=now)
    db.session.commit()
    sent.clear()
    assert service.send_reminders(now) == 2
    db.session.commit()
    assert sorted(events(sent)) == sorted(
        ("reminder", made[name].reference, BookingStatus.SUBMITTED)
        for name in ("early tomorrow", "late tomorrow")
    )
    assert made["early tomorrow"].reminded_at == now
    assert service.send_reminders(now + timedelta(hours=1)) == 0


def test_the_log_notifier_never_logs_the_phone_or_the_name(
    app: Flask,
    caplog: pytest.LogCaptureFixture,
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
    make_staff: Callable[..., StaffUser],
) -> None:
    caplog.set_level(logging.INFO, logger="doorplate.bookings.notify")
    assert isinstance(notify.notifier(), notify.LogNotifier)  # the default
    booking, _ = service.book(
        make_household(village), booking_input(make_slot(offered).id, contact_name="欧阳")
    )
    service.confirm(make_staff(Role.EDITOR, village=village), booking)
    db.session.commit()
    assert [r.getMessage() for r in caplog.records] == [
        f"booking notification received: booking {booking.id} is submitted",
        f"booking notification confirmed: booking {booking.id} is confirmed",
    ]
    assert booking.reference not in caplog.text
    assert PHONE not in caplog.text and PHONE[-4:] not in caplog.text
    assert "欧阳" not in caplog.text


def test_a_failing_gateway_cannot_undo_the_booking(
    app: Flask,
    caplog: pytest.LogCaptureFixture,
    village: Village,
    offered: Service,
    make_household: Callable[..., Household],
    make_slot: Callable[..., Slot],
) -> None:
    app.config["BOOKING_NOTIFIER"] = f"{__name__}:Broken"
    slot = make_slot(offered)
    booking, _ = service.book(make_household(village), booking_input(slot.id))
    db.session.commit()
    reference = booking.reference
    db.session.expire_all()
    assert db.session.get(Booking, booking.id) is not None
    assert f"booking notification for booking {booking.id} failed" in caplog.text
    assert reference not in caplog.text
    assert PHONE not in caplog.text
