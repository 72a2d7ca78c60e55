"""The service catalogue console: list with the missing-year warning, new/edit with field-level
messages, weekly hours, overrides, generating slots, scope (404) and CSRF, through the real app as
signed-in staff."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import PASSWORD, csrf_token_from, signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from doorplate.bookings import catalogue
from doorplate.bookings.catalogue import HoursInput, ServiceInput
from doorplate.bookings.models import CalendarOverride, Service, ServiceKind, ServiceScope, Slot
from doorplate.db import db, utcnow
from doorplate.places.models import Village
from doorplate.staff.models import AuditEvent, Role, StaffUser
from doorplate.workdays import covered_years, is_working_day

TZ = ZoneInfo("Asia/Shanghai")
SERVICE_FORM = {
    "name": "社保卡办理",
    "description": "社会保障卡新办、补办",
    "location": "渡龙村便民服务中心",
    "duration_minutes": "20",
    "materials": "身份证原件\r\n一寸照片\r\n",
    "purposes": "新办\r\n补办",
}


def text(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.status_code
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def village(make_village: Callable[..., Village]) -> Village:
    return make_village("330327100201", "渡龙村")


@pytest.fixture
def other(make_village: Callable[..., Village]) -> Village:
    return make_village("330327101201", "南岙村")


@pytest.fixture
def editor(make_staff: Callable[..., StaffUser], village: Village) -> StaffUser:
    return make_staff(Role.EDITOR, village=village)


@pytest.fixture
def client_of(app: Flask) -> Callable[[StaffUser], FlaskClient]:
    return lambda user: signed_in_client(app, user.username)


def _slot_service(actor: StaffUser, village: Village | None, name: str = "社保卡办理") -> Service:
    service = catalogue.create_service(
        actor,
        ServiceInput(name, "", ["身份证"], "便民服务中心", 20, ServiceKind.SLOT, ["新办"]),
        None,
        village,
    )
    catalogue.set_hours(
        actor, service, [HoursInput(day, time(9), time(10), 30, 3) for day in range(5)]
    )
    db.session.commit()
    return service


def test_create_a_village_service(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, village: Village
) -> None:
    client = client_of(editor)
    page = text(client.get("/staff/services/new"))
    assert f'value="village:{village.code}"' in page
    assert 'value="county"' not in page and "town:" not in page  # an editor's one place
    response = client.post(
        "/staff/services/new", data={**SERVICE_FORM, "place": f"village:{village.code}"}
    )
    service = db.session.scalars(select(Service)).one()
    assert response.headers["Location"] == f"/staff/services/{service.id}/hours"
    assert (service.scope, service.village_id, service.kind) == (
        ServiceScope.VILLAGE,
        village.id,
        ServiceKind.SLOT,
    )
    assert service.materials == ["身份证原件", "一寸照片"]
    assert service.purposes == ["新办", "补办"]
    assert db.session.scalars(select(AuditEvent.action)).all()[-1] == "service.create"
    assert "社保卡办理" in text(client.get("/staff/services"))


def test_a_place_outside_the_scope_is_not_found(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, other: Village
) -> None:
    client = client_of(editor)
    for place in (f"village:{other.code}", f"town:{other.town.code}", "county"):
        response = client.post("/staff/services/new", data={**SERVICE_FORM, "place": place})
        assert response.status_code == 404, place
    assert db.session.scalars(select(Service)).all() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purposes", "\r\n ", "Purposes: give at least one"),
        ("purposes", "\n".join(f"事项{n}" for n in range(21)), "Purposes: at most 20 entries."),
        ("name", "长" * 101, "Name: give 1 to 100 characters."),
        ("duration_minutes", "0", "Duration: give the minutes it takes"),
        ("location", "", "Location: say where residents go."),
    ],
)
def test_refused_input_is_shown_at_its_field(
    client_of: Callable[[StaffUser], FlaskClient],
    editor: StaffUser,
    village: Village,
    field: str,
    value: str,
    message: str,
) -> None:
    data = {**SERVICE_FORM, "place": f"village:{village.code}", field: value}
    page = text(client_of(editor).post("/staff/services/new", data=data))
    error = re.search(rf'<p class="field-message" id="{field}-error">(.*?)</p>', page)
    assert error is not None and message in error.group(1)
    assert db.session.scalars(select(Service)).all() == []


def test_edit_a_service(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, village: Village
) -> None:
    service = _slot_service(editor, village)
    client = client_of(editor)
    page = text(client.get(f"/staff/services/{service.id}/edit"))
    assert "身份证</textarea>" in page.replace("\n", "")
    response = client.post(
        f"/staff/services/{service.id}/edit", data={**SERVICE_FORM, "name": "社保卡补换"}
    )
    assert response.status_code == 302
    db.session.refresh(service)
    assert service.name == "社保卡补换"
    assert service.purposes == ["新办", "补办"]


def test_weekly_hours_editor(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, village: Village
) -> None:
    service = _slot_service(editor, village)
    client = client_of(editor)
    page = text(client.get(f"/staff/services/{service.id}/hours"))
    assert page.count('name="hours-') == 5 * (5 + 3)  # five periods and three blank rows
    rows = {
        "hours-0-weekday": "0",
        "hours-0-opens": "08:30",
        "hours-0-closes": "12:00",
        "hours-0-slot_minutes": "30",
        "hours-0-capacity": "4",
        "hours-1-weekday": "0",
        "hours-1-opens": "14:00",
        "hours-1-closes": "17:30",
        "hours-1-slot_minutes": "30",
        "hours-1-capacity": "4",
        "hours-2-weekday": "",
    }
    assert client.post(f"/staff/services/{service.id}/hours", data=rows).status_code == 302
    db.session.refresh(service)
    assert [(h.weekday, h.opens, h.closes, h.capacity) for h in service.hours] == [
        (0, time(8, 30), time(12), 4),
        (0, time(14), time(17, 30), 4),
    ]
    overlapping = {**rows, "hours-1-opens": "11:00"}
    page = text(client.post(f"/staff/services/{service.id}/hours", data=overlapping))
    assert "Row 2 overlaps another period on the same day." in page
    half = {**rows, "hours-1-capacity": ""}
    page = text(client.post(f"/staff/services/{service.id}/hours", data=half))
    assert "Row 2: fill in every column, or choose no day." in page
    db.session.refresh(service)
    assert len(service.hours) == 2


def test_generate_now_and_the_missing_year_warning(
    make_app: Callable[..., Flask], make_village: Callable[..., Village], make_staff: Any
) -> None:
    """A horizon reaching past the calendar's last year shows the warning; one within it not."""
    app = make_app(BOOKING_HORIZON_DAYS=400)
    with app.app_context():
        village = make_village()
        user = make_staff(Role.EDITOR, village=village)
        service = _slot_service(user, village)
        client = signed_in_client(app, user.username)
        missing = max(covered_years()) + 1
        warning = f"No working-day calendar for {missing}"
        assert warning in text(client.get("/staff/services"))
        page = text(client.post(f"/staff/services/{service.id}/generate"))
        assert warning in page and "update the chinese-calendar package" in page
        assert "calendar overrides" in page
        created = db.session.scalars(select(Slot).where(Slot.service_id == service.id)).all()
        assert created and all(s.starts_at.astimezone(TZ).year < missing for s in created)
        assert f"Slots generated: {len(created)} new." in page
        again = text(client.post(f"/staff/services/{service.id}/generate"))
        assert "Slots generated: 0 new." in again
    today = utcnow().astimezone(TZ).date()
    within = (date(max(covered_years()), 12, 31) - today).days
    if within >= 0:
        app = make_app(BOOKING_HORIZON_DAYS=within)
        with app.app_context():
            client = signed_in_client(app, user.username)
            assert "No working-day calendar" not in text(client.get("/staff/services"))


def test_close_a_day_with_a_booked_slot(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, village: Village
) -> None:
    service = _slot_service(editor, village)
    day = _next_weekday(utcnow().astimezone(TZ).date() + timedelta(days=2))
    catalogue.generate_slots(service, day, day)
    first = db.session.scalars(
        select(Slot).where(Slot.service_id == service.id).order_by(Slot.starts_at)
    ).first()
    assert first is not None
    db.session.execute(update(Slot).where(Slot.id == first.id).values(booked=1))
    db.session.commit()
    client = client_of(editor)
    page = text(
        client.post(
            f"/staff/services/{service.id}/overrides",
            data={"day": day.isoformat(), "state": "closed", "note": "台风停止办公"},
        )
    )
    assert "Kept because they have bookings" in page
    assert "(1 of 3 booked)" in page
    assert "台风停止办公" in page
    slots = db.session.scalars(select(Slot.id).where(Slot.service_id == service.id)).all()
    assert slots == [first.id]
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert "service.override" in events


def test_open_a_saturday_and_remove_it_again(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, village: Village
) -> None:
    service = _slot_service(editor, village)
    saturday = _next_weekday(utcnow().astimezone(TZ).date() + timedelta(days=2), weekday=5)
    client = client_of(editor)
    page = text(
        client.post(
            f"/staff/services/{service.id}/overrides",
            data={"day": saturday.isoformat(), "state": "open", "note": "年底集中办理"},
        )
    )
    assert "Slots generated: 2 new." in page
    assert f'name="day" value="{saturday.isoformat()}"' in page  # its remove button
    response = client.post(
        f"/staff/services/{service.id}/overrides/remove", data={"day": saturday.isoformat()}
    )
    assert "Slots generated: 0 new." in text(response)
    assert db.session.scalars(select(CalendarOverride)).all() == []
    assert db.session.scalars(select(Slot)).all() == []


def test_deactivate_and_reactivate(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, village: Village
) -> None:
    service = _slot_service(editor, village)
    client = client_of(editor)
    client.post(f"/staff/services/{service.id}/active", data={"active": "0"})
    db.session.refresh(service)
    assert service.active is False
    assert catalogue.services_for_village(village) == []
    client.post(f"/staff/services/{service.id}/active", data={"active": "1"})
    db.session.refresh(service)
    assert service.active is True


def test_another_villages_service_is_not_found(
    client_of: Callable[[StaffUser], FlaskClient],
    editor: StaffUser,
    other: Village,
    make_staff: Callable[..., StaffUser],
) -> None:
    theirs = _slot_service(make_staff(Role.COUNTY), other, name="南岙村老年证办理")
    county_wide = _slot_service(make_staff(Role.COUNTY), None, name="县医保登记")
    client = client_of(editor)
    assert "南岙村老年证办理" not in text(client.get("/staff/services"))
    for service in (theirs, county_wide):
        base = f"/staff/services/{service.id}"
        for url in (base, f"{base}/edit", f"{base}/hours"):
            assert client.get(url).status_code == 404, url
        for url, data in [
            (f"{base}/edit", SERVICE_FORM),
            (f"{base}/hours", {"hours-0-weekday": ""}),
            (f"{base}/active", {"active": "0"}),
            (f"{base}/generate", {}),
            (f"{base}/overrides", {"day": "2026-12-12", "state": "open", "note": ""}),
            (f"{base}/overrides/remove", {"day": "2026-12-12"}),
        ]:
            assert client.post(url, data=data).status_code == 404, url
    assert db.session.scalars(select(CalendarOverride)).all() == []
    assert db.session.scalars(select(Slot)).all() == []


def test_a_request_service_has_no_hours_page(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, village: Village
) -> None:
    client = client_of(editor)
    client.post(
        "/staff/services/new",
        data={**SERVICE_FORM, "place": f"village:{village.code}", "kind": "request"},
    )
    service = db.session.scalars(select(Service)).one()
    assert service.kind is ServiceKind.REQUEST
    assert client.get(f"/staff/services/{service.id}/hours").status_code == 404
    assert "Opening hours" not in text(client.get(f"/staff/services/{service.id}"))


def test_forms_carry_and_need_the_csrf_token(
    make_app: Callable[..., Flask], editor: StaffUser, village: Village
) -> None:
    service = _slot_service(editor, village)
    username, service_id = editor.username, service.id
    db.session.rollback()  # SQLite: the other app's requests must not wait for this session
    # Requests outside this app's context, as in production: each gets its own ``g``.
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    login = text(client.get("/staff/login"))
    signed_in = client.post(
        "/staff/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(login),
        },
    )
    assert signed_in.status_code == 302
    detail = text(client.get(f"/staff/services/{service_id}"))
    # Every form on the page: sign out, activate, generate, add an override.
    assert detail.count('name="csrf_token"') == detail.count("<form") == 4
    without = client.post(f"/staff/services/{service_id}/active", data={"active": "0"})
    assert without.status_code == 400
    db.session.refresh(service)
    assert service.active is True
    db.session.rollback()  # SQLite: the other app's request must not wait for this session
    token = csrf_token_from(detail)
    response = client.post(
        f"/staff/services/{service_id}/active", data={"active": "0", "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.refresh(service)
    assert service.active is False


def _next_weekday(start: date, weekday: int = 0) -> date:
    """The first ``weekday`` (0 Monday) from ``start`` on that is a normal day for it: a working
    Monday, or a Saturday nobody works."""
    day = start
    while day.weekday() != weekday or is_working_day(day) != (weekday < 5):
        day += timedelta(days=1)
    return day


def test_times_in_the_console_are_county_time(
    client_of: Callable[[StaffUser], FlaskClient], editor: StaffUser, village: Village
) -> None:
    service = _slot_service(editor, village)
    day = _next_weekday(utcnow().astimezone(TZ).date() + timedelta(days=1))
    catalogue.generate_slots(service, day, day)
    db.session.commit()
    page = text(client_of(editor).get(f"/staff/services/{service.id}"))
    first = datetime.combine(day, time(9), tzinfo=TZ).astimezone(UTC)
    assert f'datetime="{first.isoformat()}"' in page
    assert "9:00" in page
