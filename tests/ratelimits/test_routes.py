"""Each limit on each of its routes, pages and API: counted per address, shared between a page and
its API, answered with 429 and ``Retry-After`` (a page in the reader's language; the API's JSON
error), and never charged to a known plate, whether the fast path or Flask answers it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient
from plate_views import plate_view_calls
from sqlalchemy import func, select

from doorplate.bookings.models import Booking
from doorplate.db import db
from doorplate.staff.models import StaffUser

from .conftest import PHONE, UNKNOWN, Place, booking_body, request_body, too_many


def _get(client: FlaskClient, path: str, **kwargs: Any) -> Any:
    flask_babel.refresh()  # each request chooses its language, as in production
    return client.get(path, **kwargs)


def _refused_page(response: Any) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert too_many(response.headers["Retry-After"]) in response.get_data(as_text=True)


def _refused_api(response: Any) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    message = too_many(response.headers["Retry-After"])
    assert response.json == {"error": {"code": "too_many_requests", "message": message}}


def _bookings() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Booking)) or 0


# Plate codes -------------------------------------------------------------------------------


def test_unknown_codes_on_the_plate_page_are_limited_with_a_page_saying_to_wait(
    client: FlaskClient, place: Place
) -> None:
    statuses = [_get(client, f"/P/{UNKNOWN[:-1]}{n}").status_code for n in range(3)]
    assert statuses == [404, 404, 404]
    refused = _get(client, f"/P/{UNKNOWN}")
    _refused_page(refused)
    assert UNKNOWN not in refused.get_data(as_text=True)  # nothing tried is echoed back
    # In the reader's language.
    chinese = _get(client, f"/P/{UNKNOWN}", headers={"Accept-Language": "zh-CN,zh"})
    assert chinese.status_code == 429 and "尝试次数过多" in chinese.get_data(as_text=True)
    # Another address is not held back by this one.
    other = _get(client, f"/P/{UNKNOWN}", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 404


def test_an_ipv6_client_counts_by_its_64_network_not_address_by_address(
    client: FlaskClient, place: Place
) -> None:
    """One phone or home is given a whole /64: stepping through it must not reset the count."""
    network = "2001:db8:1:2::"
    statuses = [
        _get(client, f"/P/{UNKNOWN}", environ_base={"REMOTE_ADDR": f"{network}{n:x}"}).status_code
        for n in range(1, 5)
    ]
    assert statuses == [404, 404, 404, 429]
    mapped = "::ffff:10.7.7.7"  # an IPv4 client seen through an IPv6 socket is that IPv4 client
    assert [
        _get(client, f"/P/{UNKNOWN}", environ_base={"REMOTE_ADDR": address}).status_code
        for address in ("10.7.7.7", mapped, "10.7.7.7", mapped)
    ] == [404, 404, 404, 429]
    neighbour = _get(client, f"/P/{UNKNOWN}", environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"})
    assert neighbour.status_code == 404  # the next /64 is another subscriber


def test_the_refusal_says_how_long_to_wait_in_words(
    app: Flask, client: FlaskClient, place: Place
) -> None:
    app.config["PLATE_LOOKUP_LIMIT"] = "1 per day"
    assert _get(client, f"/P/{UNKNOWN}").status_code == 404
    refused = _get(client, f"/P/{UNKNOWN}")
    assert refused.status_code == 429
    assert 86_000 < int(refused.headers["Retry-After"]) <= 86_400
    assert "Please wait 1 day and try again." in refused.get_data(as_text=True)
    chinese = _get(client, f"/P/{UNKNOWN}", headers={"Accept-Language": "zh-CN"})
    assert "请等待1天后再试" in chinese.get_data(as_text=True)


def test_revoked_codes_count_too(client: FlaskClient, place: Place) -> None:
    assert [_get(client, f"/P/{place.revoked}").status_code for _ in range(3)] == [410] * 3
    _refused_page(_get(client, f"/P/{place.revoked}"))


def test_the_page_the_services_pages_and_the_api_share_one_count(
    client: FlaskClient, place: Place
) -> None:
    assert _get(client, f"/P/{UNKNOWN}").status_code == 404
    assert _get(client, f"/P/{UNKNOWN}/services").status_code == 404
    assert _get(client, f"/api/v1/plates/{place.revoked}").status_code == 410
    _refused_api(_get(client, f"/api/v1/plates/{UNKNOWN}"))
    _refused_api(_get(client, f"/api/v1/plates/{UNKNOWN}/services"))
    _refused_page(_get(client, f"/P/{UNKNOWN}/services/{place.slot_service_id}"))
    _refused_page(_get(client, f"/P/{UNKNOWN}"))


def test_an_api_booking_for_an_unknown_plate_counts_as_a_plate_lookup(
    client: FlaskClient, place: Place
) -> None:
    for n in range(3):
        assert _get(client, f"/P/{UNKNOWN[:-1]}{n}").status_code == 404
    body = {**booking_body(place, "k1"), "plate": UNKNOWN}
    _refused_api(client.post("/api/v1/bookings", json=body))


def test_known_codes_are_never_limited_on_the_flask_path(client: FlaskClient, place: Place) -> None:
    for _ in range(10):
        assert _get(client, f"/P/{place.token}").status_code == 200
        assert _get(client, f"/p/{place.token.lower()}").status_code == 200
        assert _get(client, f"/P/{place.token}/services").status_code == 200
        assert _get(client, f"/api/v1/plates/{place.token}").status_code == 200
        assert _get(client, f"/api/v1/plates/{place.token}/services").status_code == 200
    # 50 known scans used none of the 3 unknown codes this address may try.
    assert [_get(client, f"/P/{UNKNOWN}").status_code for _ in range(4)] == [404, 404, 404, 429]
    # And a refused address still opens its own plate.
    assert _get(client, f"/P/{place.token}").status_code == 200
    assert _get(client, f"/api/v1/plates/{place.token}").status_code == 200


@pytest.fixture
def view_calls(app: Flask) -> Iterator[list[str]]:
    """The tokens the plate view itself was called for (the fast path never calls it)."""
    app.config["RESIDENT_PAGE_CACHE_SECONDS"] = 30
    with plate_view_calls(app) as calls:
        yield calls


def test_known_codes_are_never_limited_on_the_fast_path(
    client: FlaskClient, place: Place, view_calls: list[str]
) -> None:
    # The address uses up its unknown codes first: the fast path still answers its plate.
    assert [_get(client, f"/P/{UNKNOWN}").status_code for _ in range(4)] == [404, 404, 404, 429]
    assert _get(client, f"/P/{place.token}").status_code == 200  # renders and caches
    view_calls.clear()
    assert [_get(client, f"/P/{place.token}").status_code for _ in range(20)] == [200] * 20
    assert view_calls == []  # all twenty answered before Flask
    # Unknown codes are still refused: they fall through to the view, which counts them.
    _refused_page(_get(client, f"/P/{UNKNOWN}"))
    assert view_calls == [UNKNOWN]


# Bookings and requests ---------------------------------------------------------------------


def _form_key(client: FlaskClient, path: str) -> str:
    response = _get(client, path)
    assert response.status_code == 200
    match = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', response.text)
    assert match
    return match.group(1)


def test_bookings_and_requests_share_one_count_on_the_pages_and_the_api(
    client: FlaskClient, place: Place
) -> None:
    booking_form = f"/P/{place.token}/services/{place.slot_service_id}"
    request_form = f"/P/{place.token}/services/{place.request_service_id}"
    for _ in range(5):  # showing the forms is not sending them
        _form_key(client, booking_form)
        _form_key(client, request_form)
    fields = {"contact_name": "王", "phone": PHONE}
    booked = client.post(
        booking_form,
        data={
            **fields,
            "slot_id": place.slot_id,
            "purpose": "新办",
            "idempotency_key": _form_key(client, booking_form),
        },
    )
    assert booked.status_code == 201
    asked = client.post(
        request_form,
        data={
            **fields,
            "purpose": "路灯",
            "description": "村口路灯不亮",
            "idempotency_key": _form_key(client, request_form),
        },
    )
    assert asked.status_code == 201
    assert _bookings() == 2
    # The third, on either page or the API, is refused and nothing is written.
    refused = client.post(request_form, data={**fields, "purpose": "道路", "description": "坑"})
    _refused_page(refused)
    assert refused.headers["Cache-Control"] == "no-store"
    _refused_api(client.post("/api/v1/bookings", json=booking_body(place, "api-1")))
    _refused_api(client.post("/api/v1/requests", json=request_body(place, "api-2")))
    assert _bookings() == 2
    # Another address books.
    other = client.post(
        "/api/v1/requests",
        json=request_body(place, "api-3"),
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert other.status_code == 201


def test_api_bookings_and_requests_count_on_their_own_too(
    client: FlaskClient, place: Place
) -> None:
    assert client.post("/api/v1/bookings", json=booking_body(place, "a")).status_code == 201
    assert client.post("/api/v1/requests", json=request_body(place, "b")).status_code == 201
    _refused_api(client.post("/api/v1/bookings", json=booking_body(place, "c")))
    _refused_page(
        client.post(
            f"/P/{place.token}/services/{place.slot_service_id}",
            data={"slot_id": place.slot_id, "contact_name": "王", "phone": PHONE},
        )
    )


# Staff sign-in -----------------------------------------------------------------------------


def _failures(username: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(StaffUser.failed_logins).filter_by(username=username)) or 0


def test_sign_in_attempts_are_limited_per_address_before_the_password_is_checked(
    client: FlaskClient,
    make_staff: Callable[..., StaffUser],
    login: Callable[..., Any],
) -> None:
    make_staff(username="clerk")
    assert [login("clerk", "wrong").status_code for _ in range(3)] == [200, 200, 200]
    refused = login("clerk", "wrong")
    _refused_page(refused)
    assert _failures("clerk") == 3  # the refused attempt never reached the password check
    assert _get(client, "/staff/login").status_code == 200  # the form still shows
    # From another address the right password still signs in.
    other = client.post(
        "/staff/login",
        data={"username": "clerk", "password": "correct-horse-battery"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert other.status_code == 302
