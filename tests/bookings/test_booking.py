"""Booking a slot and submitting a request: validation field by field, which slots a household
may book, idempotency, full slots and references."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

import pytest
from PIL import ExifTags, Image
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
from doorplate.bookings.service import BookingInput, RequestInput
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import tokens

PHONE = "13812345678"


def booking_input(slot_id: int, key: str = "key-1", **overrides: Any) -> BookingInput:
    values: dict[str, Any] = {
        "slot_id": slot_id,
        "contact_name": "王",
        "phone": PHONE,
        "purpose": "新办",
        "idempotency_key": key,
    }
    return BookingInput(**{**values, **overrides})


def request_input(service_id: int, key: str = "req-1", **overrides: Any) -> RequestInput:
    values: dict[str, Any] = {
        "service_id": service_id,
        "purpose": "路灯",
        "description": "村口路灯不亮",
        "contact_name": "李",
        "phone": PHONE,
        "idempotency_key": key,
    }
    return RequestInput(**{**values, **overrides})


def booked(slot_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Slot.booked).where(Slot.id == slot_id)) or 0


def bookings_of(slot_id: int) -> int:
    return db.session.scalar(select(func.count(Booking.id)).where(Booking.slot_id == slot_id)) or 0


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N"}
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def village(make_village: Callable[..., Village]) -> Village:
    return make_village()


@pytest.fixture
def household(village: Village, make_household: Callable[..., Household]) -> Household:
    return make_household(village)


@pytest.fixture
def slot(
    village: Village, make_service: Callable[..., Service], make_slot: Callable[..., Slot]
) -> Slot:
    return make_slot(make_service(village=village), capacity=2)


# --- booking --------------------------------------------------------------------------------


def test_a_booking_takes_one_place_and_gets_a_reference(household: Household, slot: Slot) -> None:
    booking, created = service.book(
        household, booking_input(slot.id, contact_name="  王  ", phone="138 1234-5678")
    )
    db.session.commit()
    assert created
    assert booking.status is BookingStatus.SUBMITTED
    assert (booking.contact_name, booking.phone) == ("王", PHONE)
    assert (booking.household_id, booking.village_id) == (household.id, household.village_id)
    assert len(booking.reference) == 8
    assert set(booking.reference) <= set(tokens.ALPHABET)
    assert booked(slot.id) == 1


def test_every_wrong_field_gets_its_own_message(household: Household, slot: Slot) -> None:
    with pytest.raises(service.InvalidBooking) as refused:
        service.book(
            household,
            booking_input(slot.id, contact_name="王3", phone="2381234567", purpose="看病", key=" "),
        )
    assert set(refused.value.errors) == {"contact_name", "phone", "purpose", "idempotency_key"}
    assert booked(slot.id) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contact_name", ""),
        ("contact_name", "   "),
        ("contact_name", "王" * 21),
        ("contact_name", "Li\u0007"),
        ("phone", "1381234567"),  # 10 digits
        ("phone", "12812345678"),  # no such mobile prefix
        ("phone", "+8613812345678"),
        ("phone", "１３８１２３４５６７８"),  # full-width digits
        ("idempotency_key", "k" * 65),
        ("idempotency_key", "键"),
    ],
)
def test_a_bad_value_is_refused_on_its_field(
    household: Household, slot: Slot, field: str, value: str
) -> None:
    with pytest.raises(service.InvalidBooking) as refused:
        service.book(household, booking_input(slot.id, **{field: value}))
    assert set(refused.value.errors) == {field}


def test_a_twenty_character_name_is_accepted(household: Household, slot: Slot) -> None:
    booking, _ = service.book(household, booking_input(slot.id, contact_name="欧阳" * 10))
    assert booking.contact_name == "欧阳" * 10


@pytest.fixture
def other_slots(
    village: Village,
    make_village: Callable[..., Village],
    make_town: Callable[..., Any],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> dict[str, Slot]:
    """Slots this household may and may not book, by name."""
    neighbour = make_village(code="330327100202", name="邻村")  # same town
    elsewhere = make_town(code="330327101", name="别镇")
    now = datetime.now(UTC)
    return {
        "county": make_slot(make_service()),
        "own town": make_slot(make_service(town=village.town)),
        "other town": make_slot(make_service(town=elsewhere)),
        "neighbour village": make_slot(make_service(village=neighbour)),
        "inactive": make_slot(make_service(village=village, active=False)),
        "request service": make_slot(make_service(village=village, kind=ServiceKind.REQUEST)),
        "past": make_slot(make_service(village=village), starts_at=now - timedelta(minutes=1)),
    }


@pytest.mark.parametrize("name", ["county", "own town"])
def test_county_and_own_town_slots_can_be_booked(
    household: Household, other_slots: dict[str, Slot], name: str
) -> None:
    slot = other_slots[name]
    booking, created = service.book(
        household, booking_input(slot.id, purpose=slot.service.purposes[0])
    )
    assert created and booking.slot_id == slot.id


@pytest.mark.parametrize(
    "name", ["other town", "neighbour village", "inactive", "request service", "past", "unknown"]
)
def test_a_slot_not_offered_to_the_household_is_refused_as_unknown(
    household: Household, other_slots: dict[str, Slot], name: str
) -> None:
    slot_id = other_slots[name].id if name != "unknown" else 999_999
    with pytest.raises(service.InvalidBooking) as refused:
        service.book(household, booking_input(slot_id, purpose="看病"))
    # The message is the same whoever's slot it is; the purpose is not judged without a slot.
    assert set(refused.value.errors) == {"slot_id"}
    assert refused.value.errors["slot_id"].startswith("This time cannot be booked")
    if name != "unknown":
        assert booked(slot_id) == 0


def test_a_replay_returns_the_same_booking_even_once_the_slot_is_full(
    village: Village, make_household: Callable[..., Household], slot: Slot
) -> None:
    first, second = make_household(village), make_household(village)
    booking, created = service.book(first, booking_input(slot.id, key="tap"))
    service.book(second, booking_input(slot.id, key="tap"))  # another household, same key
    db.session.commit()
    assert booked(slot.id) == 2  # full
    again, created_again = service.book(first, booking_input(slot.id, key="tap"))
    assert (created, created_again) == (True, False)
    assert again.id == booking.id
    assert booked(slot.id) == 2 and bookings_of(slot.id) == 2


def test_a_full_slot_answers_with_the_next_free_slots_of_the_service(
    village: Village,
    make_household: Callable[..., Household],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    offered = make_service(village=village)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    full = make_slot(offered, capacity=1, starts_at=start)
    later = [make_slot(offered, starts_at=start + timedelta(hours=h)) for h in (3, 1, 2, 4)]
    also_full = make_slot(offered, capacity=1, starts_at=start + timedelta(minutes=30))
    make_slot(make_service(village=village, name="其他"), starts_at=start + timedelta(minutes=5))
    for target in (full, also_full):
        service.book(make_household(village), booking_input(target.id))
    db.session.commit()
    with pytest.raises(service.SlotFull) as refused:
        service.book(make_household(village), booking_input(full.id))
    assert [s.id for s in refused.value.next_slots] == [later[1].id, later[2].id, later[0].id]
    assert booked(full.id) == 1 and bookings_of(full.id) == 1


def test_a_household_cannot_hold_two_bookings_of_one_slot(household: Household, slot: Slot) -> None:
    first, _ = service.book(household, booking_input(slot.id, key="a"))
    with pytest.raises(service.InvalidBooking) as refused:
        service.book(household, booking_input(slot.id, key="b"))
    assert refused.value.errors == {
        "slot_id": "This household already has a booking for this time."
    }
    db.session.commit()
    assert booked(slot.id) == 1  # the savepoint gave the second place back
    service.cancel(first.reference, PHONE[-4:])
    again, created = service.book(household, booking_input(slot.id, key="b"))
    db.session.commit()
    assert created and again.id != first.id and booked(slot.id) == 1


def test_a_reference_collision_is_retried_with_a_new_reference(
    village: Village,
    make_household: Callable[..., Household],
    slot: Slot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, _ = service.book(make_household(village), booking_input(slot.id))
    fresh = "K7M29QXD" if first.reference != "K7M29QXD" else "K7M29QXE"
    letters: Iterator[str] = chain(first.reference, fresh)
    monkeypatch.setattr(service.secrets, "choice", lambda _alphabet: next(letters))
    second, created = service.book(make_household(village), booking_input(slot.id))
    db.session.commit()
    assert created and second.reference == fresh
    assert booked(slot.id) == 2 and bookings_of(slot.id) == 2


def test_references_read_back_whatever_people_type() -> None:
    assert service.reference_display("K7M29QXD") == "K7M2-9QXD"
    assert service.normalise_reference("k7m2-9qxd") == "K7M29QXD"
    assert service.normalise_reference(" K7M2 9QXD ") == "K7M29QXD"
    assert service.normalise_reference("O1L2-IQXD") == "01121QXD"
    assert service.normalise_reference("K7M2-9QXU") is None  # U is not in the alphabet
    assert service.normalise_reference("K7M2-9QX") is None


# --- requests -------------------------------------------------------------------------------


@pytest.fixture
def request_service(village: Village, make_service: Callable[..., Service]) -> Service:
    return make_service(village=village, kind=ServiceKind.REQUEST)


def test_a_request_is_stored_with_its_photo_re_encoded(
    household: Household, request_service: Service
) -> None:
    original = jpeg_with_gps()
    booking, created = service.submit_request(
        household, request_input(request_service.id, photo=original)
    )
    db.session.commit()
    assert created and booking.slot_id is None and booking.description == "村口路灯不亮"
    photo = db.session.get(RequestPhoto, booking.id)
    assert photo is not None and photo.media_type == "image/jpeg"
    assert photo.data != original and photo.size == len(photo.data)
    with Image.open(io.BytesIO(photo.data)) as image:
        assert dict(image.getexif()) == {}


def test_a_request_replay_makes_one_request(household: Household, request_service: Service) -> None:
    first, _ = service.submit_request(household, request_input(request_service.id))
    again, created = service.submit_request(household, request_input(request_service.id))
    assert (again.id, created) == (first.id, False)
    assert db.session.scalar(select(func.count(Booking.id))) == 1


def test_a_request_is_refused_field_by_field(
    household: Household, request_service: Service
) -> None:
    with pytest.raises(service.InvalidBooking) as refused:
        service.submit_request(
            household,
            request_input(
                request_service.id, purpose="新办", description=" ", photo=b"%PDF-1.4 not a photo"
            ),
        )
    assert set(refused.value.errors) == {"purpose", "description", "photo"}
    assert refused.value.errors["photo"] == "The photo must be a JPEG or PNG image."


def test_a_damaged_photo_and_a_long_description_are_refused(
    household: Household, request_service: Service
) -> None:
    with pytest.raises(service.InvalidBooking) as refused:
        service.submit_request(
            household,
            request_input(request_service.id, description="坏" * 501, photo=b"\xff\xd8\xff broken"),
        )
    assert set(refused.value.errors) == {"description", "photo"}
    assert "cannot be read" in refused.value.errors["photo"]


def test_a_slot_service_does_not_take_requests(household: Household, slot: Slot) -> None:
    with pytest.raises(service.InvalidBooking) as refused:
        service.submit_request(household, request_input(slot.service_id))
    assert set(refused.value.errors) == {"service_id"}


def test_requests_of_another_village_are_refused(
    household: Household,
    make_village: Callable[..., Village],
    make_service: Callable[..., Service],
) -> None:
    elsewhere = make_service(village=make_village(code="330327100209"), kind=ServiceKind.REQUEST)
    with pytest.raises(service.InvalidBooking) as refused:
        service.submit_request(household, request_input(elsewhere.id))
    assert set(refused.value.errors) == {"service_id"}


def test_ids_beyond_the_database_integer_are_unknown_not_errors(
    household: Household, request_service: Service
) -> None:
    """PostgreSQL would fail the whole transaction on an out-of-range integer parameter."""
    with pytest.raises(service.InvalidBooking) as refused:
        service.book(household, booking_input(2**40))
    assert set(refused.value.errors) == {"slot_id"}
    with pytest.raises(service.InvalidBooking) as refused:
        service.submit_request(household, request_input(2**40))
    assert set(refused.value.errors) == {"service_id"}
    db.session.commit()  # the transaction is still usable


def test_control_characters_in_a_description_are_refused(
    household: Household, request_service: Service
) -> None:
    with pytest.raises(service.InvalidBooking) as refused:
        service.submit_request(household, request_input(request_service.id, description="灯\x00坏"))
    assert refused.value.errors == {
        "description": "The description cannot contain control characters."
    }
    db.session.commit()
