"""A booking's life after it is made: the resident's lookup and cancellation, staff handling with
scope, status and audit rules, the console's lists and the 办结 count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from doorplate.bookings import service
from doorplate.bookings.models import Booking, BookingStatus, Service, ServiceKind, Slot
from doorplate.bookings.service import BookingFilter
from doorplate.db import db
from doorplate.i18n import county_zone
from doorplate.places.models import Household, Village
from doorplate.staff.models import AuditEvent, Role, StaffUser
from doorplate.staff.service import Scope, scope_of

from .test_booking import PHONE, booked, booking_input, request_input

LAST4 = PHONE[-4:]


@dataclass
class Place:
    village: Village
    other_village: Village  # same town
    household: Household
    slot: Slot
    requests: Service
    editor: StaffUser
    other_editor: StaffUser
    reviewer_town: StaffUser
    county: StaffUser


@pytest.fixture
def place(
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
    make_staff: Callable[..., StaffUser],
) -> Place:
    village = make_village()
    other = make_village(code="330327100202", name="邻村")
    return Place(
        village=village,
        other_village=other,
        household=make_household(village),
        slot=make_slot(make_service(town=village.town)),
        requests=make_service(village=village, kind=ServiceKind.REQUEST),
        editor=make_staff(Role.EDITOR, village=village),
        other_editor=make_staff(Role.EDITOR, village=other),
        reviewer_town=make_staff(Role.REVIEWER, town=village.town),
        county=make_staff(Role.COUNTY),
    )


def book(place: Place, key: str = "k") -> Booking:
    booking, _ = service.book(place.household, booking_input(place.slot.id, key=key))
    db.session.commit()
    return booking


def request(place: Place, key: str = "r") -> Booking:
    booking, _ = service.submit_request(place.household, request_input(place.requests.id, key=key))
    db.session.commit()
    return booking


def audit_actions(reference: str) -> list[tuple[str, dict[str, object]]]:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == reference).order_by(AuditEvent.id)
    )
    return [(event.action, event.detail) for event in events]


# --- the resident's lookup and cancellation -------------------------------------------------


def test_a_booking_is_found_by_reference_and_the_last_four_digits(place: Place) -> None:
    booking = book(place)
    typed = service.reference_display(booking.reference).lower()
    assert service.find_booking(typed, f" {LAST4} ").id == booking.id


@pytest.mark.parametrize(
    "attempt", [("reference", "0000"), ("unknown", LAST4), ("bad", LAST4), ("reference", "")]
)
def test_a_wrong_reference_or_wrong_digits_get_the_same_answer(
    place: Place, attempt: tuple[str, str]
) -> None:
    booking = book(place)
    reference = {"reference": booking.reference, "unknown": "ZZZZZZZZ", "bad": "??"}[attempt[0]]
    with pytest.raises(service.BookingNotFound) as refused:
        service.find_booking(reference, attempt[1])
    assert str(refused.value) == (
        "No booking matches this reference and these digits: check both and try again."
    )


def test_cancelling_frees_the_place_and_cannot_be_repeated(place: Place) -> None:
    booking = book(place)
    assert booked(place.slot.id) == 1
    service.cancel(booking.reference, LAST4)
    db.session.commit()
    assert booking.status is BookingStatus.CANCELLED and booking.closed_at is not None
    assert booked(place.slot.id) == 0
    with pytest.raises(service.WrongStatus, match="can no longer be cancelled: it is cancelled"):
        service.cancel(booking.reference, LAST4)
    assert booked(place.slot.id) == 0


def test_a_confirmed_booking_can_be_cancelled_until_its_time(place: Place) -> None:
    booking = book(place)
    service.confirm(place.editor, booking)
    db.session.commit()
    starts = place.slot.starts_at
    with pytest.raises(service.WrongStatus, match="has passed"):
        service.cancel(booking.reference, LAST4, now=starts)
    service.cancel(booking.reference, LAST4, now=starts - timedelta(seconds=1))
    db.session.commit()
    assert booking.status is BookingStatus.CANCELLED and booked(place.slot.id) == 0


def test_a_request_can_be_cancelled_only_while_submitted(place: Place) -> None:
    first, second = request(place, "r1"), request(place, "r2")
    service.cancel(first.reference, LAST4)
    service.confirm(place.editor, second)
    db.session.commit()
    assert first.status is BookingStatus.CANCELLED
    with pytest.raises(service.WrongStatus, match="it is confirmed"):
        service.cancel(second.reference, LAST4)


# --- staff handling -------------------------------------------------------------------------


def test_confirm_then_complete_records_who_and_when_and_is_audited(place: Place) -> None:
    booking = book(place)
    confirmed_at = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    service.confirm(place.editor, booking, now=confirmed_at)
    service.complete(place.reviewer_town, booking, note="  材料齐全  ", now=confirmed_at)
    db.session.commit()
    assert booking.status is BookingStatus.COMPLETED
    assert booking.confirmed_at == confirmed_at == booking.completed_at == booking.closed_at
    assert booking.handled_by_id == place.reviewer_town.id and booking.staff_note == "材料齐全"
    actions = audit_actions(booking.reference)
    assert actions == [("booking.confirm", {}), ("booking.complete", {"note": True})]
    assert booked(place.slot.id) == 1  # the resident came: the place stays taken
    for _action, detail in actions:
        assert PHONE not in str(detail) and "王" not in str(detail)


def test_staff_outside_the_village_may_not_handle_its_bookings(place: Place) -> None:
    booking = book(place)
    with pytest.raises(service.NotAllowed):
        service.confirm(place.other_editor, booking)
    with pytest.raises(service.NotAllowed):
        service.reject(place.other_editor, booking, "不符合")
    db.session.commit()
    assert booking.status is BookingStatus.SUBMITTED and audit_actions(booking.reference) == []
    service.confirm(place.county, booking)  # the county covers every village
    assert booking.status is BookingStatus.CONFIRMED


def test_a_handled_booking_cannot_be_handled_again(place: Place) -> None:
    booking = book(place)
    service.complete(place.editor, booking)
    db.session.commit()
    for action in (
        lambda: service.confirm(place.editor, booking),
        lambda: service.complete(place.editor, booking),
        lambda: service.reject(place.editor, booking, "重复"),
        lambda: service.mark_no_show(place.editor, booking, now=place.slot.starts_at),
    ):
        with pytest.raises(service.WrongStatus, match="already been handled: it is completed"):
            action()
    assert [a for a, _ in audit_actions(booking.reference)] == ["booking.complete"]


def test_reject_needs_a_reason_and_frees_the_place(place: Place) -> None:
    booking = book(place)
    with pytest.raises(service.InvalidBooking) as refused:
        service.reject(place.editor, booking, "   ")
    assert set(refused.value.errors) == {"reason"}
    with pytest.raises(service.InvalidBooking):
        service.reject(place.editor, booking, "长" * 501)
    service.reject(place.editor, booking, "本村不办理此业务")
    db.session.commit()
    assert booking.status is BookingStatus.REJECTED
    assert booking.reject_reason == "本村不办理此业务" and booking.closed_at is not None
    assert booked(place.slot.id) == 0
    assert audit_actions(booking.reference) == [("booking.reject", {})]


def test_no_show_only_once_the_slot_has_started_and_not_for_requests(place: Place) -> None:
    booking, ticket = book(place), request(place)
    starts = place.slot.starts_at
    with pytest.raises(service.WrongStatus, match="has not started"):
        service.mark_no_show(place.editor, booking, now=starts - timedelta(minutes=1))
    with pytest.raises(service.WrongStatus, match="A request has no time"):
        service.mark_no_show(place.editor, ticket)
    service.mark_no_show(place.editor, booking, now=starts)
    db.session.commit()
    assert booking.status is BookingStatus.NO_SHOW and booking.closed_at == starts
    assert [a for a, _ in audit_actions(booking.reference)] == ["booking.no_show"]


# --- staff queries and the 办结 count -------------------------------------------------------


def test_booking_in_scope_hides_other_villages_bookings(place: Place) -> None:
    booking = book(place)
    typed = service.reference_display(booking.reference)
    assert service.booking_in_scope(scope_of(place.editor), typed) == booking
    assert service.booking_in_scope(scope_of(place.reviewer_town), booking.reference) == booking
    assert service.booking_in_scope(scope_of(place.other_editor), booking.reference) is None
    assert service.booking_in_scope(Scope(), "not a reference") is None


def test_bookings_in_scope_filter_and_page(
    place: Place,
    make_household: Callable[..., Household],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    mine = book(place)
    ticket = request(place)
    neighbour = make_household(place.other_village)
    theirs, _ = service.book(neighbour, booking_input(place.slot.id, key="n"))
    past_slot = make_slot(
        make_service(village=place.village, name="户籍"),
        starts_at=datetime.now(UTC) - timedelta(days=3),
    )
    old = Booking(
        reference="K0DB0000",
        service_id=past_slot.service_id,
        slot_id=past_slot.id,
        household_id=place.household.id,
        village_id=place.village.id,
        contact_name="赵",
        phone=PHONE,
        purpose="新办",
        idempotency_key="old",
        created_at=datetime.now(UTC) - timedelta(days=5),
    )
    db.session.add(old)
    db.session.commit()

    def refs(scope: Scope, flt: BookingFilter, page: int = 1, per_page: int = 10) -> list[str]:
        found, total = service.bookings_in_scope(scope, flt, page, per_page)
        assert total >= len(found)
        return [b.reference for b in found]

    village, town = scope_of(place.editor), scope_of(place.reviewer_town)
    assert set(refs(village, BookingFilter())) == {mine.reference, ticket.reference, "K0DB0000"}
    assert set(refs(town, BookingFilter())) == {
        mine.reference,
        ticket.reference,
        theirs.reference,
        "K0DB0000",
    }
    assert refs(village, BookingFilter(kind=ServiceKind.REQUEST)) == [ticket.reference]
    assert refs(village, BookingFilter(upcoming_only=True)) == [mine.reference]
    assert refs(village, BookingFilter(service_id=past_slot.service_id)) == ["K0DB0000"]
    local_day = past_slot.starts_at.astimezone(county_zone()).date()
    assert refs(village, BookingFilter(day=local_day)) == ["K0DB0000"]
    service.complete(place.editor, mine)
    db.session.commit()
    assert refs(village, BookingFilter(status=BookingStatus.COMPLETED)) == [mine.reference]
    page_one, total = service.bookings_in_scope(town, BookingFilter(), 1, 3)
    page_two, _ = service.bookings_in_scope(town, BookingFilter(), 2, 3)
    assert total == 4 and len(page_one) == 3 and len(page_two) == 1
    assert {b.reference for b in page_one + page_two} == set(refs(town, BookingFilter()))


def test_completed_count_moves_by_exactly_one_per_completion_in_scope(place: Place) -> None:
    county, village = Scope(), scope_of(place.editor)
    other = scope_of(place.other_editor)
    before = service.completed_count(county)
    booking, ticket = book(place), request(place)
    service.complete(place.editor, booking, now=datetime(2030, 3, 1, tzinfo=UTC))
    service.reject(place.editor, ticket, "重复提交")
    db.session.commit()
    assert service.completed_count(county) == before + 1
    assert service.completed_count(village) == 1 and service.completed_count(other) == 0
    march = (datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 4, 1, tzinfo=UTC))
    assert service.completed_count(village, *march) == 1
    assert service.completed_count(village, march[1]) == 0
    assert service.completed_count(village, None, march[0]) == 0


def test_a_list_without_upcoming_only_is_a_queue_open_first(place: Place) -> None:
    now = datetime.now(UTC)
    made = {}
    for key, age in (("done", 5), ("old", 3), ("new", 1), ("closed-late", 4)):
        made[key], _ = service.submit_request(
            place.household,
            request_input(place.requests.id, key=key),
            now=now - timedelta(days=age),
        )
    service.complete(place.editor, made["done"], now=now - timedelta(days=2))
    service.reject(place.editor, made["closed-late"], "重复提交", now=now)
    db.session.commit()
    found, total = service.bookings_in_scope(
        scope_of(place.editor), BookingFilter(kind=ServiceKind.REQUEST), 1, 10
    )
    # open ones oldest first, then the closed ones by when they were made, newest first
    assert [b.reference for b in found] == [
        made[key].reference for key in ("old", "new", "closed-late", "done")
    ]
    assert total == 4
