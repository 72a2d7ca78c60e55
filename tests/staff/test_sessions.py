"""A staff session ends after idle time, and every copy of its cookie ends with it when the user
signs out, changes their password, is deactivated or is signed out everywhere by an
administrator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import PASSWORD
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from doorplate.db import db, utcnow
from doorplate.staff import access, service, signin
from doorplate.staff.models import AuditEvent, StaffUser

NEW_PASSWORD = "a-brand-new-passphrase"
IDLE_MESSAGE = "You were signed out after a period of inactivity."
ENDED_MESSAGE = "This session has ended. Please sign in again."


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
    signin.change_password(user, PASSWORD, NEW_PASSWORD, "127.0.0.1")
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


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie (stolen, or left behind)."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(name, cookie.value)
    return thief


def _sign_out(app: Flask, client: FlaskClient, runner: FlaskCliRunner, username: str) -> None:
    assert client.post("/staff/logout").status_code == 302


def _change_password(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, username: str
) -> None:
    response = client.post(
        "/staff/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200  # the session that changed it carries on


def _administrator_signs_out_everywhere(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, username: str
) -> None:
    admin = app.test_client()
    admin.post("/staff/login", data={"username": "theadmin", "password": PASSWORD})
    user = service.find_staff(username)
    response = admin.post(f"/staff/accounts/{user.id}/sign-out")
    assert response.status_code == 302
    assert admin.get("/staff/").status_code == 200  # the administrator is still signed in


def _command(*args: str) -> Callable[..., None]:
    def run(app: Flask, client: FlaskClient, runner: FlaskCliRunner, username: str) -> None:
        result = runner.invoke(args=[*args, username])
        assert result.exit_code == 0, result.output

    return run


@pytest.mark.parametrize(
    "end",
    [
        _sign_out,
        _change_password,
        _administrator_signs_out_everywhere,
        _command("sign-out-staff"),
        _command("deactivate-staff"),
    ],
    ids=["sign-out", "password change", "sign out everywhere", "sign-out-staff", "deactivation"],
)
def test_a_copied_cookie_ends_with_its_session(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    make_staff: Callable[..., StaffUser],
    login: Callable[..., Any],
    end: Callable[..., None],
) -> None:
    make_staff(username="theadmin")
    login(make_staff(username="copied"))
    thief = _copy(app, client)
    assert thief.get("/staff/").status_code == 200  # the control: the copy works until then
    end(app, client, runner, "copied")
    refused = thief.get("/staff/villages")
    assert _bounced_to_login(refused)
    assert ENDED_MESSAGE in thief.get(refused.headers["Location"]).get_data(as_text=True)
    assert _bounced_to_login(thief.get("/staff/"))


def test_signing_out_ends_the_accounts_other_sessions_too(
    app: Flask, make_staff: Callable[..., StaffUser]
) -> None:
    """One version per account: "sign out" on one device is sign out on every device."""
    make_staff(username="twodevices")
    desk, phone = app.test_client(), app.test_client()
    for device in (desk, phone):
        device.post("/staff/login", data={"username": "twodevices", "password": PASSWORD})
    desk.post("/staff/logout")
    assert _bounced_to_login(phone.get("/staff/"))
    phone.post("/staff/login", data={"username": "twodevices", "password": PASSWORD})
    assert phone.get("/staff/").status_code == 200  # a new sign-in works as before


def test_reactivated_account_signs_in_again(
    runner: FlaskCliRunner, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    make_staff(username="onleave")
    assert runner.invoke(args=["deactivate-staff", "onleave"]).exit_code == 0
    assert login("onleave").status_code == 200  # refused, with the usual answer
    assert runner.invoke(args=["reactivate-staff", "onleave"]).exit_code == 0
    assert login("onleave").status_code == 302
    assert runner.invoke(args=["deactivate-staff", "nobody"]).exit_code != 0
    db.session.rollback()
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-4:] == ["staff.deactivate", "login.failed", "staff.activate", "login"]
