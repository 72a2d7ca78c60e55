"""The issue's "done when", through the pages only: a resident books from the plate page, a
village clerk completes the booking in the console, and the 办结 figure moves by exactly one."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from conftest import signed_in_client
from flask import Flask
from flask.testing import FlaskClient

from doorplate.bookings.models import Service, Slot
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates
from doorplate.staff.models import Role, StaffUser


def _links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', html)]


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html)
    assert match, name
    return match.group(1)


def _completed(staff: FlaskClient, path: str) -> int:
    html = staff.get(path).get_data(as_text=True)
    match = re.search(r'id="completed-count">(\d+)<', html)
    assert match, path
    return int(match.group(1))


def test_book_on_the_plate_complete_in_the_console_and_the_figure_moves_by_one(
    app: Flask,
    client: FlaskClient,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    make_staff: Callable[..., StaffUser],
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    village = make_village()
    household = make_household(village)
    plates.issue_missing(household_ids=[household.id])
    db.session.commit()
    plate = plates.active_plate(household)
    assert plate is not None
    service = make_service(village=village, name="社保卡办理")
    slot = make_slot(service, capacity=5)
    clerk = make_staff(Role.EDITOR, village=village)
    staff = signed_in_client(app, clerk.username)
    assert _completed(staff, "/staff/") == 0

    # The resident: plate page → "book a service" → the service → the form, as the links lead.
    plate_page = client.get(f"/P/{plate.token}").get_data(as_text=True)
    services_path = next(link for link in _links(plate_page) if link.endswith("/services"))
    services_page = client.get(services_path).get_data(as_text=True)
    service_path = next(
        link for link in _links(services_page) if re.search(r"/services/\d+$", link)
    )
    form = client.get(service_path).get_data(as_text=True)
    assert f'value="{slot.id}"' in form
    answer = client.post(
        service_path,
        data={
            "idempotency_key": _hidden(form, "idempotency_key"),
            "slot_id": str(slot.id),
            "purpose": "新办",
            "contact_name": "王",
            "phone": "138 0013 8000",
        },
    )
    assert answer.status_code == 201
    shown = re.search(r'id="reference">([0-9A-Z]{4}-[0-9A-Z]{4})<', answer.get_data(as_text=True))
    assert shown
    reference = shown.group(1).replace("-", "")

    # The clerk finds it among the upcoming bookings and completes it.
    assert reference in staff.get("/staff/bookings").get_data(as_text=True).replace("-", "")
    done = staff.post(f"/staff/bookings/{reference}/complete", data={"note": "已办结"})
    assert done.status_code == 302
    assert _completed(staff, "/staff/") == 1
    assert _completed(staff, "/staff/bookings") == 1

    # The resident sees it completed; completing again changes nothing.
    status = client.post("/booking", data={"reference": reference, "phone_last4": "8000"})
    assert "completed" in status.get_data(as_text=True)
    staff.post(f"/staff/bookings/{reference}/complete", data={"note": ""})
    assert _completed(staff, "/staff/") == 1
