""" "My booking": the status by reference and the phone's last four digits, cancelling in two steps
(only the confirming POST cancels), one message for an unknown reference and wrong digits, the
rate limit, a request's own words (受理号, 撤回), and no booking data under any GET URL; and the
plate page's links into booking."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient
from ratelimits.conftest import too_many
from sqlalchemy import select, update

from doorplate.bookings.models import Booking, BookingStatus, Service, ServiceKind, Slot
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates

PHONE = "13800138000"
NOT_FOUND = "No booking matches this booking number and these digits: check both and try again."


@pytest.fixture
def token_of(make_household: Callable[..., Household]) -> Callable[..., str]:
    def make(village: Village) -> str:
        household = make_household(village)
        plates.issue_missing(household_ids=[household.id])
        db.session.commit()
        plate = plates.active_plate(household)
        assert plate is not None
        return plate.token

    return make


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def book(client: FlaskClient, token: str, service: Service, slot: Slot | None = None) -> str:
    """Book through the real form; the booking's reference."""
    path = f"/P/{token}/services/{service.id}"
    html = client.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html)
    assert key
    data = {"idempotency_key": key.group(1), "contact_name": "王", "phone": PHONE}
    if slot is None:
        data |= {"purpose": service.purposes[0], "description": "路灯不亮"}
    else:
        data |= {"purpose": service.purposes[0], "slot_id": str(slot.id)}
    response = client.post(path, data=data)
    assert response.status_code == 201
    found = re.search(
        r'id="reference">([0-9A-Z]{4})-([0-9A-Z]{4})<', response.get_data(as_text=True)
    )
    assert found
    return found.group(1) + found.group(2)


def look_up(client: FlaskClient, reference: str, last4: str, status: int) -> str:
    flask_babel.refresh()
    response = client.post("/booking", data={"reference": reference, "phone_last4": last4})
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


@pytest.fixture
def village(make_village: Callable[..., Village]) -> Village:
    return make_village()


def test_status_by_reference_and_digits_then_cancel(
    client: FlaskClient,
    village: Village,
    token_of: Callable[..., str],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village, location="渡龙村便民服务中心")
    slot = make_slot(service, starts_at=datetime(2030, 3, 5, 1, 0, tzinfo=UTC))
    reference = book(client, token_of(village), service, slot)
    shown = f"{reference[:4]}-{reference[4:]}"
    typed = f"{reference[:4].lower()} {reference[4:]}"  # as people type it
    html = look_up(client, typed, "8000", 200)
    words = text(html)
    assert shown in words and "Status received" in words
    assert "Tuesday, March 5, 2030 9:00 AM–9:30 AM" in words and "渡龙村便民服务中心" in words
    assert PHONE not in html and "王" not in html
    assert "Cancel this booking" in words
    form = re.search(r'<form method="post" action="/booking/cancel">(.*?)</form>', html, re.S)
    assert form
    hidden = dict(
        re.findall(r'name="(reference|phone_last4)" type="hidden" value="([^"]*)"', form.group(1))
    )
    assert hidden == {"reference": reference, "phone_last4": "8000"}

    # The button only asks; a GET of the cancel page (a reload, a link) changes nothing either.
    asked = client.post("/booking/cancel", data=hidden)
    assert asked.status_code == 200 and asked.headers["Cache-Control"] == "no-store"
    page = asked.get_data(as_text=True)
    assert "<h1>Cancel this booking?</h1>" in page and shown in text(page)
    buttons = re.findall(
        r'<form method="post" action="([^"]+)">.*?<button[^>]*>([^<]+)<', page, re.S
    )
    assert buttons == [("/booking/cancel", "Yes, cancel it"), ("/booking", "Back")]
    assert 'name="confirmed" type="hidden" value="yes"' in page
    redirected = client.get(f"/booking/cancel?reference={reference}&phone_last4=8000&confirmed=yes")
    assert redirected.status_code == 303 and redirected.headers["Location"] == "/booking"
    db.session.expire_all()
    assert db.session.scalars(select(Booking.status)).one() is BookingStatus.SUBMITTED
    assert db.session.get(Slot, slot.id).booked == 1  # type: ignore[union-attr]
    # "Back" is the status again.
    back = look_up(client, reference, "8000", 200)
    assert "Status received" in text(back)

    hidden["confirmed"] = "yes"
    response = client.post("/booking/cancel", data=hidden)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Your booking is cancelled" in text(response.get_data(as_text=True))
    db.session.expire_all()
    booking = db.session.scalars(select(Booking)).one()
    assert booking.status is BookingStatus.CANCELLED
    assert db.session.get(Slot, slot.id).booked == 0  # type: ignore[union-attr]
    # Cancelled: the status says so and offers no button; a second cancel is refused (409).
    again = look_up(client, reference, "8000", 200)
    assert "Status cancelled" in text(again) and "Cancel this booking" not in again
    refused = client.post("/booking/cancel", data=hidden)
    assert refused.status_code == 409
    assert "can no longer be cancelled" in text(refused.get_data(as_text=True))
    assert db.session.get(Slot, slot.id).booked == 0  # type: ignore[union-attr]


def test_wrong_digits_and_an_unknown_reference_get_the_same_answer(
    client: FlaskClient,
    village: Village,
    token_of: Callable[..., str],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    reference = book(client, token_of(village), service, make_slot(service))
    unknown = "ZZZZZZZZ" if reference != "ZZZZZZZZ" else "YYYYYYYY"
    answers = [look_up(client, reference, "0000", 404), look_up(client, unknown, "8000", 404)]
    assert all(NOT_FOUND in html for html in answers)

    def without_values(html: str) -> str:
        html = re.sub(r'nonce="[^"]+"', "", html)
        return re.sub(r'(name="(?:reference|phone_last4)"[^>]*value=")[^"]*', r"\1", html)

    assert without_values(answers[0]) == without_values(answers[1])
    # A cancel with wrong digits is refused the same way, and cancels nothing.
    response = client.post("/booking/cancel", data={"reference": reference, "phone_last4": "0000"})
    assert response.status_code == 404 and NOT_FOUND in response.get_data(as_text=True)
    assert db.session.scalars(select(Booking.status)).one() is BookingStatus.SUBMITTED


def test_missing_fields_are_named(client: FlaskClient) -> None:
    html = look_up(client, "", "", 422)
    shown = dict(re.findall(r'<p class="error" id="([a-z_0-9]+)-error">([^<]+)</p>', html))
    assert shown == {
        "reference": "Please give the booking number.",
        "phone_last4": "Please give the last four digits.",
    }


def test_the_cancel_button_only_for_what_can_still_be_cancelled(
    client: FlaskClient,
    village: Village,
    token_of: Callable[..., str],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    soon = make_slot(service, starts_at=datetime.now(UTC) + timedelta(hours=1))
    lamps = make_service(village=village, kind=ServiceKind.REQUEST)
    token = token_of(village)
    booked, request = book(client, token, service, soon), book(client, token, lamps)
    assert "Withdraw this request" in look_up(client, request, "8000", 200)
    # The slot's time has come, and staff confirmed the request: neither can be cancelled now.
    db.session.execute(
        update(Slot)
        .where(Slot.id == soon.id)
        .values(starts_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    db.session.execute(
        update(Booking).where(Booking.reference == request).values(status=BookingStatus.CONFIRMED)
    )
    db.session.commit()
    for reference in (booked, request):
        page = look_up(client, reference, "8000", 200)
        assert "Cancel this booking" not in page and "Withdraw this request" not in page
        # Nor is a confirming page offered for it: the ask answers the status, 409.
        asked = client.post("/booking/cancel", data={"reference": reference, "phone_last4": "8000"})
        assert asked.status_code == 409 and "Cancel this booking?" not in text(
            asked.get_data(as_text=True)
        )


def test_the_eleventh_lookup_in_a_minute_is_refused_with_a_clear_page(
    client: FlaskClient,
    village: Village,
    token_of: Callable[..., str],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    reference = book(client, token_of(village), service, make_slot(service))
    for _ in range(5):
        client.get("/booking")  # showing the form is not an attempt
    for _ in range(9):
        look_up(client, "ZZZZZZZZ", "0000", 404)
    client.post("/booking/cancel", data={"reference": "ZZZZZZZZ", "phone_last4": "0000"})
    flask_babel.refresh()
    refused = client.post("/booking", data={"reference": reference, "phone_last4": "8000"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    html = refused.get_data(as_text=True)
    assert "<h1>Too many attempts</h1>" in html
    assert too_many(refused.headers["Retry-After"]) in html
    assert refused.headers["Cache-Control"] == "no-store"
    flask_babel.refresh()
    chinese = client.post(
        "/booking",
        data={"reference": reference, "phone_last4": "8000"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert chinese.status_code == 429 and '<html lang="zh-CN">' in chinese.get_data(as_text=True)


def test_a_small_configured_limit(
    make_app: Callable[..., Flask], make_village: Callable[..., Village]
) -> None:
    make_village()
    db.session.close()
    client = make_app(BOOKING_LOOKUP_LIMIT="3 per minute").test_client()
    statuses = [
        client.post("/booking", data={"reference": "ZZZZZZZZ", "phone_last4": "0000"}).status_code
        for _ in range(4)
    ]
    assert statuses == [404, 404, 404, 429]


def test_no_booking_data_under_any_get_address(
    app: Flask,
    client: FlaskClient,
    village: Village,
    token_of: Callable[..., str],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service(village=village)
    slot = make_slot(service, capacity=3)
    token = token_of(village)
    reference = book(client, token, service, slot)
    shown = f"{reference[:4]}-{reference[4:]}"
    paths = [
        f"/P/{token}",
        f"/P/{token}/services",
        f"/P/{token}/services/{service.id}",
        "/booking",
        f"/booking?reference={reference}&phone_last4=8000",
        f"/booking?kind=request&v={village.code}&reference={reference}",
        f"/booking/cancel?reference={reference}&phone_last4=8000&confirmed=yes",
        f"/v/{village.code}/",
    ]
    for path in paths:
        html = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert reference not in html and shown not in html and PHONE not in html, path
    # Every GET route of the bookings blueprint is one of those above.
    rules = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("bookings.") and "GET" in (rule.methods or ())
    }
    assert rules == {
        "/P/<token>/services",
        "/P/<token>/services/<int:service_id>",
        "/booking",
        "/booking/cancel",  # only a redirect to "/booking"
    }
    db.session.expire_all()
    assert db.session.scalars(select(Booking.status)).one() is BookingStatus.SUBMITTED


def test_the_plate_page_links_to_booking_with_the_households_own_token(
    app: Flask,
    client: FlaskClient,
    village: Village,
    token_of: Callable[..., str],
) -> None:
    app.config["RESIDENT_PAGE_CACHE_SECONDS"] = 30  # the village's page is rendered once
    first, second = token_of(village), token_of(village)
    for token in (first, second):
        html = client.get(f"/P/{token}").get_data(as_text=True)
        links = dict(
            (unescape(label), href)
            for href, label in re.findall(
                r'<li class="service"><a href="([^"]+)">([^<]+)</a>', html
            )
        )
        assert links == {
            "Book a service": f"/P/{token}/services",
            "Report a problem": f"/P/{token}/services#requests",
            "My booking": f"/booking?v={village.code}",
        }
        other = second if token == first else first
        assert other not in html
        assert client.get(links["Book a service"]).status_code == 200
    # The village's own page, reached by code, has no household to book for.
    html = client.get(f"/v/{village.code}/").get_data(as_text=True)
    assert "/services" not in html and f'href="/booking?v={village.code}"' in html
    assert "scan the code on your doorplate" in html
