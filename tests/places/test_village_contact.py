"""The village office's public contact: edited by the village's own staff (and its town's and
the county's), validated field by field, audited; other villages' staff cannot reach it."""

from __future__ import annotations

from conftest import csrf_token_from
from sqlalchemy import select

from doorplate.db import db
from doorplate.places.models import Village
from doorplate.staff.models import AuditEvent, Role


def _form(client, code: str) -> str:
    page = client.get(f"/staff/villages/{code}/contact")
    assert page.status_code == 200
    return csrf_token_from(page.get_data(as_text=True))


def _stored(code: str) -> Village:
    db.session.expire_all()
    return db.session.scalars(select(Village).where(Village.code == code)).one()


def test_an_editor_sets_their_villages_contact(client, login, make_village, make_staff) -> None:
    village = make_village()
    login(make_staff(Role.EDITOR, village=village))
    response = client.post(
        f"/staff/villages/{village.code}/contact",
        data={
            "csrf_token": _form(client, village.code),
            "office_phone": " 0577-6871 2345 ",
            "office_address": "渡龙村  村委会一楼",
            "office_hours": "工作日 8:30–11:30",
        },
    )
    assert response.status_code == 302
    stored = _stored(village.code)
    assert (stored.office_phone, stored.office_address, stored.office_hours) == (
        "0577-6871 2345",
        "渡龙村 村委会一楼",
        "工作日 8:30–11:30",
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "village.contact"))
    assert event.one().detail["changed"] == ["office_phone", "office_address", "office_hours"]


def test_a_bad_number_is_refused_and_nothing_is_saved(
    client, login, make_village, make_staff
) -> None:
    village = make_village()
    login(make_staff(Role.EDITOR, village=village))
    response = client.post(
        f"/staff/villages/{village.code}/contact",
        data={
            "csrf_token": _form(client, village.code),
            "office_phone": "call 0577",
            "office_address": "村委会",
            "office_hours": "",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="office_phone-error"' in html
    assert "0577-68712345" in html  # the example of a valid number
    assert 'value="村委会"' in html  # what was typed is kept
    stored = _stored(village.code)
    assert (stored.office_phone, stored.office_address) == (None, None)


def test_a_blank_field_clears_it(client, login, make_village, make_staff) -> None:
    village = make_village()
    village.office_phone = "0577-68712345"
    db.session.commit()
    login(make_staff(Role.REVIEWER, town=village.town))
    client.post(
        f"/staff/villages/{village.code}/contact",
        data={"csrf_token": _form(client, village.code), "office_phone": "  "},
    )
    assert _stored(village.code).office_phone is None


def test_another_villages_staff_get_a_404(client, login, make_village, make_staff) -> None:
    village = make_village()
    other = make_village(code="330327100202", name="坑垟村", town=village.town)
    login(make_staff(Role.EDITOR, village=other))
    assert client.get(f"/staff/villages/{village.code}/contact").status_code == 404
    response = client.post(
        f"/staff/villages/{village.code}/contact",
        data={"csrf_token": _form(client, other.code), "office_phone": "0577-68712345"},
    )
    assert response.status_code == 404
    assert _stored(village.code).office_phone is None
