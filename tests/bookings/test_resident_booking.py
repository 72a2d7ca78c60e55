"""Booking from the plate: the services page, the booking and request forms and their answers
(201 with the reference, 409 with the next free times, 422 field by field), replays, CSRF and the
headers every booking page carries."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import flask_babel
import pytest
from conftest import csrf_token_from
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from publications.test_attachments_images import zero_png
from sqlalchemy import func, select

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
from doorplate.plates import service as plates
from doorplate.plates.models import RevokeReason

PHONE = "138 0013 8000"
TOMORROW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@dataclass(frozen=True)
class Door:
    household_id: int
    token: str


@pytest.fixture
def door_in(make_household: Callable[..., Household]) -> Callable[..., Door]:
    """``door_in(village)``: a new household of the village with its active plate."""

    def make(village: Village) -> Door:
        household = make_household(village)
        plates.issue_missing(household_ids=[household.id])
        db.session.commit()
        plate = plates.active_plate(household)
        assert plate is not None
        return Door(household.id, plate.token)

    return make


@pytest.fixture
def village(make_village: Callable[..., Village]) -> Village:
    return make_village("330327100201", "渡龙村")


def text(html: str) -> str:
    """The page's words, tags stripped and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def get(client: FlaskClient, path: str, status: int = 200, **kwargs: Any) -> str:
    flask_babel.refresh()  # each request chooses its language, as in production
    response = client.get(path, **kwargs)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def key_from(html: str) -> str:
    match = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html)
    assert match, "no idempotency key on the form"
    return match.group(1)


def form_of(client: FlaskClient, path: str, **fields: Any) -> dict[str, Any]:
    """What the form at ``path`` posts: its hidden key and ``fields``."""
    return {"idempotency_key": key_from(get(client, path)), **fields}


def booking_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking)) or 0


def booked(slot: Slot) -> int:
    db.session.expire_all()
    found = db.session.get(Slot, slot.id)
    assert found is not None
    return found.booked


def test_services_page_lists_the_services_with_their_next_times_as_links(
    client: FlaskClient,
    make_village: Callable[..., Village],
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    neighbour = make_village("330327100202", "坑垟村")  # same town
    elsewhere = make_village("330327101201", "南岙村")  # another town
    county = make_service(
        name="社保卡办理",
        description="新办或补办社会保障卡",
        materials=["身份证", "户口簿"],
        location="县行政服务中心",
        duration_minutes=20,
    )
    town = make_service(town=village.town, name="老年证办理", location="镇便民服务中心")
    own = make_service(village=village, kind=ServiceKind.REQUEST, name="路灯报修")
    hidden = [
        make_service(village=neighbour, name="坑垟村的服务"),
        make_service(town=elsewhere.town, name="别镇的服务"),
        make_service(name="停办的服务", active=False),
    ]
    start = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)  # 09:00 in the county
    for n in range(4):
        make_slot(county, starts_at=start + timedelta(hours=n))
    make_slot(county, starts_at=start - timedelta(days=1), capacity=1)  # full below
    db.session.execute(
        Slot.__table__.update().where(Slot.starts_at < start).values(booked=Slot.capacity)
    )
    db.session.commit()
    door = door_in(village)

    html = get(client, f"/P/{door.token}/services")
    words = text(html)
    for service in (county, town, own):
        assert service.name in words
    for service in hidden:
        assert service.name not in words
    assert "新办或补办社会保障卡" in words and "身份证, 户口簿" in words
    assert "县行政服务中心" in words and "20 minutes" in words
    # The next three free times only: the full one and the fourth are not shown.
    times = re.findall(r'<time datetime="([^"]+)"', html)
    assert times == [(start + timedelta(hours=n)).isoformat() for n in range(3)]
    assert "Mar 4, 2030 9:00" in words
    # Each is a link that opens the form with that time chosen.
    for n in range(3):
        first = db.session.scalars(
            select(Slot.id).where(Slot.starts_at == start + timedelta(hours=n))
        ).one()
        assert f'href="/P/{door.token}/services/{county.id}?slot={first}"' in html
    # A service with no free time offers no booking link; the request service does.
    links = re.findall(r'href="([^"]+)"', html)
    assert f"/P/{door.token}/services/{county.id}" in links
    assert f"/P/{door.token}/services/{town.id}" not in links
    assert f"/P/{door.token}/services/{own.id}" in links


def test_services_page_is_the_same_for_every_household_of_the_village_but_the_token(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    make_slot(make_service(village=village), starts_at=TOMORROW)
    first, second = door_in(village), door_in(village)
    pages = [get(client, f"/P/{d.token}/services") for d in (first, second)]

    def normalised(html: str, token: str) -> str:
        return re.sub(r'nonce="[^"]+"', "", html).replace(token, "TOKEN")

    assert first.token in pages[0] and second.token not in pages[0]
    assert normalised(pages[0], first.token) == normalised(pages[1], second.token)
    household = db.session.get(Household, first.household_id)
    assert household is not None and household.address not in pages[0]


def test_every_booking_page_is_private_uncached_and_has_a_csp_nonce(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    make_slot(service)
    door = door_in(village)
    for path, referrer in [
        (f"/P/{door.token}/services", "no-referrer"),
        (f"/P/{door.token}/services/{service.id}", "same-origin"),  # forms: see the views
        ("/booking", "same-origin"),
    ]:
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert response.headers["Referrer-Policy"] == referrer
        csp = response.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp)
        assert nonce and f'<style nonce="{nonce.group(1)}">' in response.get_data(as_text=True)
        assert "object-src 'none'" in csp and "<script" not in response.get_data(as_text=True)


def _chips(html: str) -> list[str]:
    """The day chips' values, in the order shown."""
    return re.findall(r'<button type="submit" name="day" value="([0-9-]+)" class="chip', html)


def _times(html: str) -> list[str]:
    """The slot ids the form offers (the chosen day's times)."""
    return re.findall(r'name="slot_id" id="slot-\d+" value="(\d+)"', html)


def test_the_form_offers_the_days_with_a_free_place_then_the_chosen_days_times(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village, purposes=["新办", "补办"])
    # 23:30 and 00:30 UTC on the 4th/5th are 07:30 and 08:30 on 5 March in the county.
    evening = make_slot(service, starts_at=datetime(2030, 3, 4, 23, 30, tzinfo=UTC))
    morning = make_slot(service, starts_at=datetime(2030, 3, 5, 0, 30, tzinfo=UTC))
    later = make_slot(service, starts_at=datetime(2030, 3, 6, 1, 0, tzinfo=UTC), capacity=3)
    full = make_slot(service, starts_at=datetime(2030, 3, 7, 1, 0, tzinfo=UTC), capacity=1)
    db.session.execute(Slot.__table__.update().where(Slot.id == full.id).values(booked=1))
    db.session.commit()
    door = door_in(village)
    path = f"/P/{door.token}/services/{service.id}"
    html = get(client, path)
    # A chip for each day with a free place (not the 7th: full), the first one chosen.
    assert _chips(html) == ["2030-03-05", "2030-03-06"]
    assert 'value="2030-03-05" class="chip on" aria-current="date"' in html
    assert "<legend>Tuesday, March 5, 2030</legend>" in html
    assert _times(html) == [str(evening.id), str(morning.id)]
    assert "7:30 AM –8:00 AM 5 left" in text(html)
    assert '<option value="补办">补办</option>' in html
    # A day chip answers that day's times only; it books nothing.
    data = {**form_of(client, path), "day": "2030-03-06"}
    chosen = client.post(path, data=data)
    assert chosen.status_code == 200 and booking_count() == 0
    assert _times(chosen.get_data(as_text=True)) == [str(later.id)]
    assert "3 left" in text(chosen.get_data(as_text=True))
    # So does a link, by day or by a time (chosen); a day with no free place shows the next.
    assert _times(get(client, f"{path}?day=2030-03-06")) == [str(later.id)]
    assert _times(get(client, f"{path}?day=2030-03-07")) == [str(evening.id), str(morning.id)]
    linked = get(client, f"{path}?slot={later.id}")
    assert f'id="slot-{later.id}" value="{later.id}" checked' in linked
    for junk in ("x", "0", str(2**40), str(full.id)):  # no such free time: the first day
        assert _times(get(client, f"{path}?slot={junk}&day={junk}")) == _times(html)
    # Each render has its own key, so two open tabs make two bookings, a reload one.
    assert key_from(html) != key_from(get(client, path))
    zh = get(client, path, headers={"Accept-Language": "zh-CN"})
    assert "2030年3月5日星期二" in zh and 'lang="zh-CN"' in zh
    assert "<span>周二</span> <span>3月5日</span>" in zh and "剩5位" in zh


def test_a_day_chip_keeps_what_was_typed_and_is_no_booking_sent(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    first = make_slot(service, starts_at=datetime(2030, 3, 5, 1, 0, tzinfo=UTC))
    second = make_slot(service, starts_at=datetime(2030, 3, 6, 1, 0, tzinfo=UTC))
    path = f"/P/{door_in(village).token}/services/{service.id}"
    typed = form_of(client, path, contact_name="王", phone=PHONE, purpose="补办")
    # More day changes than the 20 bookings a minute an address may send: none is counted.
    for n in range(25):
        day = "2030-03-06" if n % 2 else "2030-03-05"
        html = client.post(path, data={**typed, "day": day, "slot_id": first.id}).get_data(
            as_text=True
        )
        assert 'value="王"' in html and f'value="{PHONE}"' in html
        assert '<option selected value="补办">' in html
        assert key_from(html) == typed["idempotency_key"] and 'class="error"' not in html
        # The time chosen stays chosen on its own day; another day does not show it.
        if n % 2:
            assert _times(html) == [str(second.id)] and " checked>" not in html
        else:
            assert f'value="{first.id}" checked>' in html
    booked_now = client.post(path, data={**typed, "slot_id": second.id, "on_day": "2030-03-06"})
    assert booked_now.status_code == 201 and booking_count() == 1


def test_booking_answers_201_with_the_reference_and_what_to_bring(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(
        village=village, materials=["身份证", "一寸照片"], location="渡龙村便民服务中心"
    )
    slot = make_slot(service, starts_at=datetime(2030, 3, 5, 1, 0, tzinfo=UTC))
    door = door_in(village)
    path = f"/P/{door.token}/services/{service.id}"
    data = form_of(client, path, slot_id=slot.id, contact_name="王", phone=PHONE, purpose="补办")
    response = client.post(path, data=data)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    booking = db.session.scalars(select(Booking)).one()
    assert booking.household_id == door.household_id and booking.slot_id == slot.id
    assert (booking.contact_name, booking.phone, booking.purpose) == ("王", "13800138000", "补办")
    shown = f"{booking.reference[:4]}-{booking.reference[4:]}"
    assert f'<p class="reference" id="reference">{shown}</p>' in html
    words = text(html)
    assert "Tuesday, March 5, 2030 9:00 AM–9:30 AM" in words
    assert "渡龙村便民服务中心" in words and "身份证" in words and "一寸照片" in words
    assert "13800138000" not in html and PHONE not in html  # the phone is never shown back
    assert booked(slot) == 1


def test_a_reload_that_posts_the_form_again_gives_the_same_booking(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    slot = make_slot(service, capacity=1)
    door = door_in(village)
    path = f"/P/{door.token}/services/{service.id}"
    data = form_of(client, path, slot_id=slot.id, contact_name="王", phone=PHONE, purpose="新办")
    first = client.post(path, data=data)
    # The slot is now full, yet the replay is the booking the key made, not a 409.
    again = client.post(path, data=data)
    assert (first.status_code, again.status_code) == (201, 200)
    reference = db.session.scalars(select(Booking.reference)).one()
    shown = f"{reference[:4]}-{reference[4:]}"
    assert shown in first.get_data(as_text=True) and shown in again.get_data(as_text=True)
    assert booking_count() == 1 and booked(slot) == 1


def test_a_full_slot_answers_409_with_the_days_other_free_times_to_pick(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    full = make_slot(service, capacity=1, starts_at=datetime(2030, 3, 5, 1, 0, tzinfo=UTC))
    nexts = [
        make_slot(service, starts_at=datetime(2030, 3, 5, 1, 30, tzinfo=UTC) + timedelta(days=n))
        for n in range(4)
    ]
    first, second = door_in(village), door_in(village)
    paths = [f"/P/{d.token}/services/{service.id}" for d in (first, second)]
    # Both households drew the form while the slot was free; the first books it.
    forms = [
        form_of(client, p, slot_id=full.id, contact_name="王", phone=PHONE, purpose="新办")
        | {"on_day": "2030-03-05"}
        for p in paths
    ]
    assert client.post(paths[0], data=forms[0]).status_code == 201
    response = client.post(paths[1], data=forms[1])
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "That time has just been fully booked" in html
    # The day's other free time, and chips for the next days.
    assert _times(html) == [str(nexts[0].id)]
    assert _chips(html) == [f"2030-03-0{5 + n}" for n in range(4)]
    assert " checked>" not in html  # the full one is not chosen any more
    # The form keeps what was typed and its key: picking another time books it.
    assert 'value="王"' in html and key_from(html) == forms[1]["idempotency_key"]
    retry = client.post(paths[1], data={**forms[1], "slot_id": nexts[0].id})
    assert retry.status_code == 201
    assert booked(full) == 1 and booked(nexts[0]) == 1 and booking_count() == 2


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"contact_name": "", "phone": "", "purpose": ""},
            {
                "contact_name": "Please give a name.",
                "phone": "Please give a mobile number.",
                "purpose": "Please choose a purpose.",
            },
        ),
        (
            {"contact_name": "王1", "phone": "12345", "purpose": "看病"},
            {
                "contact_name": "The name cannot contain digits or control characters.",
                "phone": "Give a mobile number of 11 digits, such as 138 0000 0000.",
                "purpose": "Choose one of the purposes listed.",
            },
        ),
        ({"slot_id": ""}, {"slot_id": "Please choose a time."}),
        ({"slot_id": str(2**40)}, {"slot_id": "Please choose a time."}),
        (
            {"slot_id": "999999"},
            {"slot_id": "This time cannot be booked: please choose one from the list."},
        ),
    ],
)
def test_bad_input_answers_422_with_a_message_next_to_each_field(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
    fields: dict[str, str],
    errors: dict[str, str],
) -> None:
    service = make_service(village=village)
    slot = make_slot(service)
    door = door_in(village)
    path = f"/P/{door.token}/services/{service.id}"
    good = {"slot_id": slot.id, "contact_name": "王", "phone": PHONE, "purpose": "新办"}
    response = client.post(path, data=form_of(client, path, **{**good, **fields}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    shown = dict(re.findall(r'<p class="error" id="([a-z_]+)-error">([^<]+)</p>', html))
    assert shown == errors
    for name in errors:  # each control (the radio group: its fieldset) points at its message
        assert f'aria-describedby="{name}-error"' in html
    assert "Please check what you entered" in html
    assert booking_count() == 0 and booked(slot) == 0


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


def test_a_request_with_a_photo_answers_201_and_keeps_the_re_encoded_photo(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
) -> None:
    service = make_service(village=village, kind=ServiceKind.REQUEST, purposes=["路灯", "道路"])
    door = door_in(village)
    path = f"/P/{door.token}/services/{service.id}"
    html = get(client, path)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert 'type="radio"' not in html
    data = {
        "idempotency_key": key_from(html),
        "purpose": "路灯",
        "description": "村口路灯不亮",
        "contact_name": "李",
        "phone": PHONE,
        "photo": (io.BytesIO(_png()), "lamp.png"),
    }
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 201
    assert "Request sent" in text(response.get_data(as_text=True))
    booking = db.session.scalars(select(Booking)).one()
    assert booking.slot_id is None and booking.description == "村口路灯不亮"
    photo = db.session.get(RequestPhoto, booking.id)
    assert photo is not None and photo.media_type == "image/png"


def _request_with_photo(client: FlaskClient, path: str, photo: bytes, name: str) -> dict[str, Any]:
    """A filled-in 报事报修 form at ``path`` sending ``photo`` as ``name``."""
    return {
        **form_of(client, path),
        "purpose": "道路",
        "description": "路面塌陷",
        "contact_name": "李",
        "phone": PHONE,
        "photo": (io.BytesIO(photo), name),
    }


def test_a_request_with_a_photo_that_is_not_an_image_answers_422_on_the_photo(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
) -> None:
    service = make_service(village=village, kind=ServiceKind.REQUEST)
    door = door_in(village)
    path = f"/P/{door.token}/services/{service.id}"
    data = _request_with_photo(client, path, b"<html><script>alert(1)</script>", "x.png")
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert '<p class="error" id="photo-error">The photo must be a JPEG or PNG image.</p>' in (
        response.get_data(as_text=True)
    )
    assert booking_count() == 0


@pytest.mark.parametrize(
    ("photo", "answer"),
    [
        (zero_png(6300, 6300), 422),  # 40 megapixels in some kilobytes
        (zero_png(6000, 6000, depth=16, colour=6), 422),
        (zero_png(3000, 2800), 422),  # 8.4 megapixels: a staff attachment, not a request photo
        (zero_png(3000, 2600), 201),
    ],
    ids=["grey-6300", "rgba-16-bit-6000", "over-the-public-limit", "under-it"],
)
def test_a_request_photo_that_costs_too_much_to_decode_answers_422_on_the_photo(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    photo: bytes,
    answer: int,
) -> None:
    service = make_service(village=village, kind=ServiceKind.REQUEST)
    door = door_in(village)
    path = f"/P/{door.token}/services/{service.id}"
    data = _request_with_photo(client, path, photo, "road.png")
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == answer
    html = response.get_data(as_text=True)
    if answer == 422:
        assert re.search(
            r'<p class="error" id="photo-error">The photo was not accepted: the image has '
            r"[\d,]+ × [\d,]+ pixels, too many[^<]*\(at most 8 million",
            html,
        )
        assert booking_count() == 0
    else:
        stored = db.session.scalars(select(RequestPhoto)).one()
        with Image.open(io.BytesIO(stored.data)) as image:
            assert image.size == (1600, 1387)  # what a clerk's screen shows


def test_revoked_and_unknown_plates_and_services_not_offered(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_village: Callable[..., Village],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    other = make_service(village=make_village("330327101201", "南岙村"))
    stopped = make_service(village=village, active=False)
    make_slot(service)
    door, revoked = door_in(village), door_in(village)
    household = db.session.get(Household, revoked.household_id)
    assert household is not None
    plates.revoke("test", household, RevokeReason.MOVED)
    db.session.commit()
    for path in ("/services", f"/services/{service.id}"):
        assert "no longer valid" in get(client, f"/P/{revoked.token}{path}", 410)
        assert "Code not found" in get(client, f"/P/ZZZZZZZZZZZZZZZZ{path}", 404)
    assert client.post(f"/P/{revoked.token}/services/{service.id}", data={}).status_code == 410
    for hidden in (other, stopped):
        assert "Page not found" in get(client, f"/P/{door.token}/services/{hidden.id}", 404)
    # The plate page itself is still the plate page, not swallowed by the services routes.
    assert get(client, f"/P/{door.token}").count("<h1") == 1


def test_a_post_without_a_csrf_token_is_refused(
    make_app: Callable[..., Flask],
    make_village: Callable[..., Village],
    door_in: Callable[..., Door],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    village = make_village()
    service = make_service(village=village)
    slot_id = make_slot(service).id
    path = f"/P/{door_in(village).token}/services/{service.id}"
    db.session.close()  # SQLite: the other app's requests need the write lock
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    base = "https://dp.example.gov.cn"  # over HTTPS Flask-WTF also wants a same-site Referer

    def post(to: str, data: dict[str, Any]) -> Any:
        with strict.app_context():
            return client.post(to, data=data, base_url=base, headers={"Referer": base + to})

    with strict.app_context():
        page = client.get(path, base_url=base)
    assert page.headers["Referrer-Policy"] == "same-origin"  # so the browser sends that Referer
    html = page.get_data(as_text=True)
    fields = {"slot_id": slot_id, "contact_name": "王", "phone": PHONE, "purpose": "新办"}
    fields["idempotency_key"] = key_from(html)
    refused = post(path, fields)
    assert refused.status_code == 400
    assert "This form has expired" in refused.get_data(as_text=True)
    assert post("/booking", {"reference": "AAAA-AAAA", "phone_last4": "8000"}).status_code == 400
    assert (
        post("/booking/cancel", {"reference": "AAAAAAAA", "phone_last4": "8000"}).status_code == 400
    )
    assert post(path, {**fields, "csrf_token": csrf_token_from(html)}).status_code == 201
    with strict.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
        db.session.commit()


def test_large_text_and_chinese_on_the_booking_pages(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    make_slot(service)
    door = door_in(village)
    client.get("/text/large")
    for path in (f"/P/{door.token}/services", f"/P/{door.token}/services/{service.id}", "/booking"):
        html = get(client, path, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert '<body class="large">' in html and '<html lang="zh-CN">' in html
        assert "body.large .chip" in html  # the 60 px rules for the form controls
    english = get(client, "/booking", headers={"Accept-Language": "en"})
    assert "Last four digits of the mobile number" in english


def test_a_second_tab_cannot_book_the_same_slot_again(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    """Two forms (two tabs) for the same slot: the second is refused on the slot, not booked."""
    service = make_service(village=village)
    slot = make_slot(service)
    door = door_in(village)
    path = f"/P/{door.token}/services/{service.id}"
    fields = {"slot_id": slot.id, "contact_name": "王", "phone": PHONE, "purpose": "新办"}
    tabs = [form_of(client, path, **fields) for _ in range(2)]
    assert client.post(path, data=tabs[0]).status_code == 201
    second = client.post(path, data=tabs[1])
    assert second.status_code == 422
    assert "This household already has a booking for this time." in second.get_data(as_text=True)
    status = db.session.scalars(select(Booking.status)).one()
    assert status is BookingStatus.SUBMITTED and booked(slot) == 1


def test_a_description_with_a_nul_character_is_refused_not_a_database_error(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
) -> None:
    service = make_service(village=village, kind=ServiceKind.REQUEST)
    path = f"/P/{door_in(village).token}/services/{service.id}"
    data = {
        **form_of(client, path),
        "purpose": "道路",
        "description": "路面\x01塌陷",
        "contact_name": "李",
        "phone": PHONE,
    }
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert (
        '<p class="error" id="description-error">This may not contain control characters.</p>'
        in response.get_data(as_text=True)
    )
    # A NUL is refused before the form is read at all (doorplate.bounds), naming the field.
    response = client.post(path, data={**data, "description": "路面\x00塌陷"})
    assert response.status_code == 400
    assert "description contains a NUL character" in response.get_data(as_text=True)
    assert booking_count() == 0


@pytest.mark.parametrize("key", ["", "a key with spaces", "k" * 65])
def test_a_form_without_a_valid_key_asks_for_a_reload(
    client: FlaskClient,
    door_in: Callable[..., Door],
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
    key: str,
) -> None:
    service = make_service(village=village)
    slot = make_slot(service)
    path = f"/P/{door_in(village).token}/services/{service.id}"
    data = {"slot_id": slot.id, "contact_name": "王", "phone": PHONE, "purpose": "新办"}
    response = client.post(path, data={**data, "idempotency_key": key})
    assert response.status_code == 422
    summary = re.search(r'<div class="summary".*?</div>', response.get_data(as_text=True), re.S)
    assert summary
    assert text(summary.group()) == (
        "Please check what you entered The form has expired: please reload the page and try again."
    )
    assert booking_count() == 0
