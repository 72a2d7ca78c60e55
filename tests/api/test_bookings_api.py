"""The booking endpoints of the API: a plate's services with open slots, booking (201, replay 200,
409 with the next slots, 422 field by field), requests, lookup and cancel by reference and phone
digits (one 404 for both wrong, rate limited with the resident's page). Every response is checked
against the OpenAPI document by the ``api`` client."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from publications.conftest import County
from ratelimits.conftest import too_many
from sqlalchemy import func, select

from doorplate.bookings.models import (
    Booking,
    BookingStatus,
    Service,
    ServiceKind,
    ServiceScope,
    Slot,
)
from doorplate.db import db
from doorplate.places.models import Household, Town, Village
from doorplate.plates import service as plates
from doorplate.plates.models import RevokeReason

from .conftest import Door

START = datetime(2030, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in the county, a Tuesday
PHONE = "13800138000"
NOT_FOUND = "No booking matches this reference and these digits: check both and try again."


def add_service(
    *,
    village: Village | None = None,
    town: Town | None = None,
    kind: ServiceKind = ServiceKind.SLOT,
    **fields: Any,
) -> Service:
    """A service of the village, the town or (neither given) the county."""
    values: dict[str, Any] = {
        "name": "社保卡办理",
        "description": "",
        "materials": ["身份证"],
        "location": "村便民服务中心",
        "duration_minutes": 30,
        "purposes": ["新办", "补办"] if kind is ServiceKind.SLOT else ["道路", "路灯"],
        **fields,
    }
    scope = ServiceScope.VILLAGE if village else ServiceScope.TOWN if town else ServiceScope.COUNTY
    service = Service(scope=scope, village=village, town=town, kind=kind, **values)
    db.session.add(service)
    db.session.commit()
    return service


def add_slot(service: Service, *, starts_at: datetime, capacity: int = 5) -> Slot:
    slot = Slot(
        service=service,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        capacity=capacity,
    )
    db.session.add(slot)
    db.session.commit()
    return slot


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def booking_body(door: Door, slot: Slot, **fields: Any) -> dict[str, Any]:
    return {
        "plate": door.token,
        "slot_id": slot.id,
        "contact_name": "王",
        "phone": PHONE,
        "purpose": "新办",
        "idempotency_key": "key-1",
        **fields,
    }


def booked(slot_id: int) -> int:
    db.session.expire_all()
    slot = db.session.get(Slot, slot_id)
    assert slot is not None
    return slot.booked


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking)) or 0


def test_a_plates_services_with_their_open_slots(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    hall = add_service(
        name="社保卡办理",
        description="新办或补办",
        materials=["身份证"],
        location="县行政服务中心",
        duration_minutes=20,
    )
    lamps = add_service(village=county.a, kind=ServiceKind.REQUEST, name="路灯报修")
    add_service(village=county.b, name="南岙村的服务")
    add_service(town=county.town2, name="别镇的服务")
    add_service(name="停办的服务", active=False)
    free = add_slot(hall, starts_at=START, capacity=5)
    add_slot(hall, starts_at=START - timedelta(days=3650), capacity=2)  # past
    full = add_slot(hall, starts_at=START + timedelta(hours=1), capacity=1)
    db.session.execute(Slot.__table__.update().where(Slot.id == full.id).values(booked=1))
    db.session.execute(Slot.__table__.update().where(Slot.id == free.id).values(booked=2))
    db.session.commit()
    door, neighbour = make_door(county.a), make_door(county.a)

    response = api.get(f"/api/v1/plates/{door.token}/services")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json == {
        "village": {"code": county.a.code, "name": county.a.name},
        "services": [
            {
                "id": lamps.id,
                "name": "路灯报修",
                "description": "",
                "kind": "request",
                "level": "village",
                "materials": ["身份证"],
                "location": "村便民服务中心",
                "duration_minutes": 30,
                "purposes": ["道路", "路灯"],
                "slots": [],
            },
            {
                "id": hall.id,
                "name": "社保卡办理",
                "description": "新办或补办",
                "kind": "slot",
                "level": "county",
                "materials": ["身份证"],
                "location": "县行政服务中心",
                "duration_minutes": 20,
                "purposes": ["新办", "补办"],
                "slots": [
                    {
                        "id": free.id,
                        "starts_at": "2030-03-05T01:00:00Z",
                        "ends_at": "2030-03-05T01:30:00Z",
                        "capacity": 5,
                        "remaining": 3,
                    }
                ],
            },
        ],
    }
    # The same for every household of the village, whichever form of the code is sent.
    assert api.get(f"/api/v1/plates/{neighbour.token.lower()}/services").json == response.json


def test_unknown_and_revoked_plates(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    slot = add_slot(add_service(), starts_at=START)
    door = make_door(county.a)
    household = db.session.get(Household, door.household_id)
    assert household is not None
    plates.revoke("test", household, RevokeReason.MOVED)
    db.session.commit()
    unknown = api.get("/api/v1/plates/ZZZZZZZZZZZZZZZZ/services")
    assert unknown.status_code == 404
    assert unknown.json == api.get("/api/v1/plates/ZZZZZZZZZZZZZZZZ").json
    assert api.get(f"/api/v1/plates/{door.token}/services").status_code == 410
    gone = api.post("/api/v1/bookings", json=booking_body(door, slot))
    assert gone.status_code == 410 and gone.json["error"]["code"] == "gone"
    other = api.post("/api/v1/bookings", json=booking_body(door, slot, plate="ZZZZZZZZZZZZZZZZ"))
    assert other.status_code == 404 and count() == 0


def test_booking_answers_201_and_a_replay_200_with_the_same_booking(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    service = add_service(village=county.a, materials=["身份证", "户口簿"], location="村委会")
    slot = add_slot(service, starts_at=START, capacity=1)
    door = make_door(county.a)
    body = booking_body(door, slot, phone="138-0013 8000", purpose="补办")
    first = api.post("/api/v1/bookings", json=body)
    assert first.status_code == 201
    reference = db.session.scalars(select(Booking.reference)).one()
    assert first.json == {
        "reference": reference,
        "reference_display": f"{reference[:4]}-{reference[4:]}",
        "kind": "slot",
        "status": "submitted",
        "status_label": "received",
        "service": {"id": service.id, "name": "社保卡办理"},
        "starts_at": "2030-03-05T01:00:00Z",
        "ends_at": "2030-03-05T01:30:00Z",
        "location": "村委会",
        "materials": ["身份证", "户口簿"],
        "purpose": "补办",
        "description": None,
        "reject_reason": None,
    }
    assert first.headers["Cache-Control"] == "no-store"
    # A retry after a timeout: the same booking, though the slot has filled since.
    replay = api.post("/api/v1/bookings", json=body)
    assert replay.status_code == 200 and replay.json == first.json
    assert count() == 1 and booked(slot.id) == 1
    booking = db.session.scalars(select(Booking)).one()
    assert (booking.household_id, booking.phone) == (door.household_id, PHONE)


def test_a_full_slot_answers_409_with_the_next_free_slots(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    service = add_service(village=county.a)
    full = add_slot(service, starts_at=START, capacity=1)
    nexts = [add_slot(service, starts_at=START + timedelta(days=n + 1)) for n in range(4)]
    first, second = make_door(county.a), make_door(county.a)
    assert api.post("/api/v1/bookings", json=booking_body(first, full)).status_code == 201
    response = api.post("/api/v1/bookings", json=booking_body(second, full))
    assert response.status_code == 409
    assert response.json == {
        "error": {
            "code": "slot_full",
            "message": "This time is fully booked: please choose another one.",
        },
        "next_slots": [
            {
                "id": slot.id,
                "starts_at": z(slot.starts_at),
                "ends_at": z(slot.ends_at),
                "capacity": 5,
                "remaining": 5,
            }
            for slot in nexts[:3]
        ],
    }
    assert count() == 1 and booked(full.id) == 1


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        (b"{not json", {}),
        (b"[1, 2]", {}),
        (b"\xff\xfe", {}),
        (b"", {}),
        (
            {"slot_id": "1", "phone": 13800138000, "contact_name": ["王"], "purpose": None},
            {
                "slot_id": "This must be a whole number from 1 to 2147483647.",
                "phone": "This must be a string.",
                "contact_name": "This must be a string.",
                "purpose": "This field is required.",
            },
        ),
        (
            {"slot_id": True, "idempotency_key": "k" * 65, "colour": "red"},
            {
                "slot_id": "This must be a whole number from 1 to 2147483647.",
                "idempotency_key": "This may be at most 64 characters long.",
                "colour": "This field is not known here.",
            },
        ),
        ({"slot_id": 2**40}, {"slot_id": "This must be a whole number from 1 to 2147483647."}),
        ({"contact_name": "王\x00"}, {"contact_name": "This may not contain control characters."}),
        (
            {"contact_name": "王2", "phone": "12345", "purpose": "看病"},
            {
                "contact_name": "The name cannot contain digits or control characters.",
                "phone": "Give a mobile number of 11 digits, such as 138 0000 0000.",
                "purpose": "Choose one of the purposes listed.",
            },
        ),
        (
            {"slot_id": 999999},
            {"slot_id": "This time cannot be booked: please choose one from the list."},
        ),
    ],
)
def test_bad_input_answers_422_naming_each_field(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
    raw: bytes | dict[str, Any],
    fields: dict[str, str],
) -> None:
    slot = add_slot(add_service(village=county.a), starts_at=START)
    door = make_door(county.a)
    if isinstance(raw, dict):
        body = {**booking_body(door, slot), **raw}
        raw = json.dumps({k: v for k, v in body.items() if v is not None}).encode()
    response = api.post("/api/v1/bookings", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_input"
    assert response.json["fields"] == fields
    assert count() == 0 and booked(slot.id) == 0


def test_requests_answer_201_a_replay_200_and_bad_input_422(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    lamps = add_service(village=county.a, kind=ServiceKind.REQUEST, name="路灯报修")
    hall = add_service(village=county.a)
    door = make_door(county.a)
    body = {
        "plate": door.token,
        "service_id": lamps.id,
        "purpose": "路灯",
        "description": "村口路灯不亮\n已经三天",
        "contact_name": "李",
        "phone": PHONE,
        "idempotency_key": "lamp-1",
    }
    created = api.post("/api/v1/requests", json=body)
    assert created.status_code == 201
    assert created.json["kind"] == "request" and created.json["starts_at"] is None
    assert created.json["description"] == "村口路灯不亮\n已经三天"
    assert api.post("/api/v1/requests", json=body).json == created.json
    wrong = api.post(
        "/api/v1/requests",
        json={**body, "service_id": hall.id, "description": " ", "idempotency_key": "lamp-2"},
    )
    assert wrong.status_code == 422
    assert wrong.json["fields"] == {
        "service_id": "This service does not take requests here.",
        "description": "Describe the matter in 1 to 500 characters.",
    }
    assert count() == 1


def _booked_by_api(api: FlaskClient, door: Door, slot: Slot, key: str = "key-1") -> dict[str, Any]:
    response = api.post("/api/v1/bookings", json=booking_body(door, slot, idempotency_key=key))
    assert response.status_code == 201
    data: dict[str, Any] = response.json
    return data


def test_lookup_by_reference_and_phone_digits_with_one_404_for_both_wrong(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    slot = add_slot(add_service(village=county.a), starts_at=START)
    made = _booked_by_api(api, make_door(county.a), slot)
    reference = made["reference"]
    typed = f"{reference[:4].lower()}-{reference[4:]}"
    found = api.get(f"/api/v1/bookings/{typed}?phone_last4=8000")
    assert found.status_code == 200 and found.json == made
    wrong_digits = api.get(f"/api/v1/bookings/{reference}?phone_last4=8001")
    unknown = api.get("/api/v1/bookings/ZZZZZZZZ?phone_last4=8000")
    malformed = api.get("/api/v1/bookings/nonsense?phone_last4=8000")
    for response in (wrong_digits, unknown, malformed):
        assert response.status_code == 404
        assert response.json == {"error": {"code": "not_found", "message": NOT_FOUND}}
    for bad in ("", "?phone_last4=800", "?phone_last4=８０００", "?phone_last4=80001"):
        response = api.get(f"/api/v1/bookings/{reference}{bad}")
        assert response.status_code == 400
        assert response.json["error"]["parameter"] == "phone_last4"


def test_cancel_frees_the_place_once(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    slot = add_slot(add_service(village=county.a), starts_at=START)
    reference = _booked_by_api(api, make_door(county.a), slot)["reference"]
    path = f"/api/v1/bookings/{reference}/cancel"
    assert api.post(path, json={"phone_last4": "0000"}).status_code == 404
    for body in ({}, {"phone_last4": 8000}, {"phone_last4": "80"}, {"phone_last4": "8000", "x": 1}):
        assert api.post(path, json=body).status_code == 422
    assert booked(slot.id) == 1
    cancelled = api.post(path, json={"phone_last4": "8000"})
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled" and cancelled.json["status_label"] == "cancelled"
    again = api.post(path, json={"phone_last4": "8000"})
    assert again.status_code == 409 and again.json["error"]["code"] == "wrong_status"
    assert booked(slot.id) == 0
    assert db.session.scalars(select(Booking.status)).one() is BookingStatus.CANCELLED


def test_lookups_are_rate_limited_together_with_the_page(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    slot = add_slot(add_service(village=county.a), starts_at=START)
    reference = _booked_by_api(api, make_door(county.a), slot)["reference"]
    # The default limit is 10 a minute per address: 5 here, 4 on the page, 1 cancel.
    for _ in range(5):
        assert api.get("/api/v1/bookings/ZZZZZZZZ?phone_last4=0000").status_code == 404
    for _ in range(4):
        page = api.post("/booking", data={"reference": "ZZZZZZZZ", "phone_last4": "0000"})
        assert page.status_code == 404
    assert (
        api.post("/api/v1/bookings/ZZZZZZZZ/cancel", json={"phone_last4": "0"}).status_code == 422
    )
    # The eleventh attempt is refused, even with the right digits.
    refused = api.get(f"/api/v1/bookings/{reference}?phone_last4=8000")
    assert refused.status_code == 429
    assert refused.json == {
        "error": {
            "code": "too_many_requests",
            "message": too_many(refused.headers["Retry-After"]),
        }
    }
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert (
        api.post(f"/api/v1/bookings/{reference}/cancel", json={"phone_last4": "8000"}).status_code
        == 429
    )
    # Booking itself is not limited by lookups.
    assert _booked_by_api(api, make_door(county.a), slot, key="key-2")["status"] == "submitted"


def test_the_api_never_reads_or_sets_a_cookie_nor_returns_the_contact(
    api: FlaskClient,
    county: County,
    make_door: Callable[..., Door],
) -> None:
    slot = add_slot(add_service(village=county.a), starts_at=START)
    door = make_door(county.a)
    api.set_cookie("doorplate_session", "not-a-valid-session")
    body = booking_body(door, slot, contact_name="欧阳")
    responses = [
        api.post("/api/v1/bookings", json=body),
        api.post("/api/v1/bookings", json=body),
        api.get(f"/api/v1/plates/{door.token}/services"),
    ]
    reference = responses[0].json["reference"]
    responses.append(api.get(f"/api/v1/bookings/{reference}?phone_last4=8000"))
    responses.append(api.post(f"/api/v1/bookings/{reference}/cancel", json={"phone_last4": "8000"}))
    for response in responses:
        assert response.status_code in {200, 201}
        assert "Set-Cookie" not in response.headers  # also checked by the contract client
        text = response.get_data(as_text=True)
        assert "欧阳" not in text and PHONE not in text and door.token not in text


def test_errors_follow_the_language(
    make_api: Callable[..., FlaskClient],
    county: County,
    make_door: Callable[..., Door],
) -> None:
    slot = add_slot(add_service(village=county.a), starts_at=START)
    body = {**booking_body(make_door(county.a), slot), "plate": "ZZZZZZZZZZZZZZZZ"}
    db.session.commit()  # end the read: on SQLite it holds the lock the other app waits for
    zh = make_api(BABEL_DEFAULT_LOCALE="zh_Hans_CN")
    chinese = zh.post("/api/v1/bookings", json=body)
    english = zh.post("/api/v1/bookings?lang=en", json=body)
    assert chinese.json["error"]["message"] != english.json["error"]["message"]
    assert "门牌" in chinese.json["error"]["message"]
    assert english.json["error"]["message"].startswith("We could not find this doorplate.")


def test_json_posts_need_no_csrf_token_even_where_forms_do(
    make_api: Callable[..., FlaskClient], county: County, make_door: Callable[..., Door]
) -> None:
    slot = add_slot(add_service(village=county.a), starts_at=START)
    body = booking_body(make_door(county.a), slot)
    db.session.commit()  # end the read: on SQLite it holds the lock the other app waits for
    strict = make_api(WTF_CSRF_ENABLED=True)
    created = strict.post("/api/v1/bookings", json=body, base_url="https://dp.example.gov.cn")
    assert created.status_code == 201  # no token, no Referer, no cookie: an app's call
    reference = created.json["reference"]
    cancelled = strict.post(
        f"/api/v1/bookings/{reference}/cancel",
        json={"phone_last4": "8000"},
        base_url="https://dp.example.gov.cn",
    )
    assert cancelled.status_code == 200
    # The resident's form on the same app does need its token.
    assert strict.post("/booking", data={"reference": reference}).status_code == 400
