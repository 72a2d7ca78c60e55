"""The administrator's staff accounts page: who there is, and "sign out everywhere" (a CSRF-checked
POST, audited) that ends every session of an account; other roles neither see nor use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import PASSWORD, csrf_token_from, signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from doorplate.db import db
from doorplate.staff import service
from doorplate.staff.models import AuditEvent, Role, StaffUser


def _bounced_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def test_the_administrator_sees_every_account_and_its_failures(
    app: Flask, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    make_staff(Role.COUNTY, username="xianfuban")
    login("xianfuban", "a-wrong-guess")
    make_staff(username="boss")
    page = signed_in_client(app, "boss").get("/staff/accounts").get_data(as_text=True)
    assert "xianfuban" in page and "boss" in page
    assert "County office · Whole county" in page
    row = page[page.index("xianfuban") :]
    assert "<td>1</td>" in row[: row.index("</tr>")]  # one failed sign-in since the last
    assert page.count(">Sign out everywhere</button>") == 2


def test_other_roles_neither_see_nor_use_it(
    app: Flask, make_staff: Callable[..., StaffUser]
) -> None:
    victim = make_staff(username="victim")
    make_staff(Role.COUNTY, username="county")
    county = signed_in_client(app, "county")
    victims_session = signed_in_client(app, "victim")
    assert county.get("/staff/accounts").status_code == 403
    assert "/staff/accounts" not in county.get("/staff/").get_data(as_text=True)
    assert county.post(f"/staff/accounts/{victim.id}/sign-out").status_code == 403
    assert victims_session.get("/staff/").status_code == 200


def test_sign_out_everywhere_needs_the_csrf_token_and_is_audited(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        for username in ("boss", "victim"):
            service.create_staff(
                "test", username=username, display_name="", password=PASSWORD, role=Role.ADMIN
            )
        db.session.commit()
        victim_id = service.find_staff("victim").id

    def signed_in(username: str) -> FlaskClient:
        client = app.test_client()
        token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
        client.post(
            "/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        return client

    boss, victim = signed_in("boss"), signed_in("victim")
    url = f"/staff/accounts/{victim_id}/sign-out"
    assert boss.post(url).status_code == 400  # a forged post (an image, another site) does nothing
    assert victim.get("/staff/").status_code == 200
    token = csrf_token_from(boss.get("/staff/accounts").get_data(as_text=True))
    response = boss.post(url, data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/accounts"
    assert "victim is signed out everywhere." in boss.get("/staff/accounts").get_data(as_text=True)
    assert _bounced_to_login(victim.get("/staff/"))
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.sign_out_everywhere")
        ).one()
        assert (event.actor_name, event.object_id) == ("boss", str(victim_id))


def test_an_unknown_account_is_a_404(app: Flask, make_staff: Callable[..., StaffUser]) -> None:
    make_staff(username="boss")
    assert signed_in_client(app, "boss").post("/staff/accounts/999999/sign-out").status_code == 404


def test_signing_oneself_out_everywhere_signs_out_here_too(
    app: Flask, make_staff: Callable[..., StaffUser]
) -> None:
    boss = make_staff(username="boss")
    client = signed_in_client(app, "boss")
    response = client.post(f"/staff/accounts/{boss.id}/sign-out")
    assert response.headers["Location"] == "/staff/login"
    assert _bounced_to_login(client.get("/staff/"))
