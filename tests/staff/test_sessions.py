"""A staff session ends after idle time and when the account's password changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import PASSWORD
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import check_password_hash

from doorplate.db import db, utcnow
from doorplate.staff import access, service
from doorplate.staff.models import AuditEvent, StaffUser

NEW_PASSWORD = "a-brand-new-passphrase"
IDLE_MESSAGE = "You were signed out after a period of inactivity."


def _bounced_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def test_idle_session_is_signed_out(
    app: Flask,
    client: FlaskClient,
    make_staff: Callable[..., StaffUser],
    login: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login(make_staff())
    idle = timedelta(minutes=app.config["STAFF_IDLE_MINUTES"])
    start = utcnow()
    monkeypatch.setattr(access, "utcnow", lambda: start + idle - timedelta(minutes=1))
    assert client.get("/staff/").status_code == 200  # activity restarts the clock...
    monkeypatch.setattr(access, "utcnow", lambda: start + 2 * idle - timedelta(minutes=2))
    assert client.get("/staff/").status_code == 200  # ...so this is within the limit again
    monkeypatch.setattr(access, "utcnow", lambda: start + 3 * idle)
    response = client.get("/staff/villages")
    assert _bounced_to_login(response)
    assert IDLE_MESSAGE in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _bounced_to_login(client.get("/staff/"))  # and it stays signed out


def test_password_change_ends_other_sessions(
    app: Flask, make_staff: Callable[..., StaffUser]
) -> None:
    user = make_staff(username="twodevices")
    desk, phone = app.test_client(), app.test_client()
    for device in (desk, phone):
        device.post("/staff/login", data={"username": "twodevices", "password": PASSWORD})
        assert device.get("/staff/").status_code == 200
    response = desk.post(
        "/staff/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert desk.get("/staff/").status_code == 200  # the session that changed it carries on
    assert _bounced_to_login(phone.get("/staff/"))
    db.session.rollback()
    assert check_password_hash(user.password_hash, NEW_PASSWORD)
    assert "password.change" in db.session.scalars(select(AuditEvent.action))


def test_password_change_by_the_service_ends_sessions(
    client: FlaskClient, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    user = make_staff()
    login(user)
    service.change_password(user, PASSWORD, NEW_PASSWORD)
    db.session.commit()
    assert _bounced_to_login(client.get("/staff/"))
    assert "Wrong username or password." in login(user).get_data(as_text=True)
    assert login(user, NEW_PASSWORD).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_wrong_current_password_is_refused_and_counted(
    client: FlaskClient, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    user = make_staff()
    login(user)
    response = client.post(
        "/staff/password",
        data={
            "current_password": "guess-guess",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "The current password is wrong." in response.get_data(as_text=True)
    db.session.rollback()
    assert user.failed_logins == 1
    assert check_password_hash(user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short", "short", "at least 10 characters"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two new passwords are not the same."),
        (PASSWORD, PASSWORD, "The new password must differ from the current one."),
    ],
)
def test_unusable_new_password_is_refused(
    client: FlaskClient,
    make_staff: Callable[..., StaffUser],
    login: Callable[..., Any],
    new: str,
    confirm: str,
    message: str,
) -> None:
    user = make_staff()
    login(user)
    response = client.post(
        "/staff/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": confirm},
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.rollback()
    assert check_password_hash(user.password_hash, PASSWORD)
