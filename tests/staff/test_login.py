"""Signing in and out: messages, hashing, safe redirects, CSRF, cookie flags and the audit rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD, csrf_token_from
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import check_password_hash

from doorplate.db import db
from doorplate.staff import service
from doorplate.staff.models import AuditEvent, Role, StaffUser

WRONG = "Wrong username or password."


def _audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_login_succeeds_and_lands_on_home(
    client: FlaskClient, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    user = make_staff(Role.COUNTY, username="xianfuban")
    response = login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    home = client.get("/staff/").get_data(as_text=True)
    assert "xianfuban" in home
    assert "County office" in home


def test_login_page_redirects_when_already_signed_in(
    client: FlaskClient, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    login(make_staff())
    response = client.get("/staff/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: FlaskClient, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    make_staff(username="realuser")
    wrong_password = login("realuser", "not-the-password")
    unknown_user = login("nosuchuser", PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert WRONG in wrong_password.get_data(as_text=True)
    # Apart from the username typed back into the form, the two pages are identical.
    assert wrong_password.get_data(as_text=True).replace("realuser", "X") == (
        unknown_user.get_data(as_text=True).replace("nosuchuser", "X")
    )
    assert client.get("/staff/").status_code == 302  # still not signed in


def test_failed_login_is_committed(
    make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    """The failure counter is a write the view must commit although the login failed."""
    make_staff(username="typo")
    login("typo", "not-the-password")
    db.session.rollback()  # drops anything the view left uncommitted
    user = db.session.scalar(select(StaffUser).filter_by(username="typo"))
    assert user is not None and user.failed_logins == 1


def test_password_is_stored_hashed(make_staff: Callable[..., StaffUser]) -> None:
    user = make_staff()
    assert user.password_hash != PASSWORD
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert check_password_hash(user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example",
        "https://evil.example",
        "http://evil.example/staff/",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_cannot_send_the_user_off_site(
    client: FlaskClient, make_staff: Callable[..., StaffUser], evil: str
) -> None:
    make_staff(username="victim")
    response = client.post(
        "/staff/login",
        query_string={"next": evil},
        data={"username": "victim", "password": PASSWORD},
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.scheme == location.netloc == ""
    assert location.path == "/staff/"


def test_next_returns_to_the_page_asked_for(
    client: FlaskClient, make_staff: Callable[..., StaffUser]
) -> None:
    make_staff(username="returning")
    bounced = client.get("/staff/villages")
    assert urlsplit(bounced.headers["Location"]).query == "next=/staff/villages"
    form_page = client.get(bounced.headers["Location"]).get_data(as_text=True)
    assert 'action="/staff/login?next=/staff/villages"' in form_page
    response = client.post(
        "/staff/login?next=/staff/villages", data={"username": "returning", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/staff/villages"


def test_logout_signs_out_and_says_so(
    client: FlaskClient, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    login(make_staff())
    response = client.post("/staff/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    assert "You have signed out." in client.get("/staff/login").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_login_failure_and_logout_are_audited(
    client: FlaskClient, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    user = make_staff(username="audited")
    login("nosuchuser", PASSWORD)
    login("audited", "not-the-password")
    login("audited")
    client.post("/staff/logout")
    db.session.rollback()
    events = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.object_id)
        .where(AuditEvent.action != "staff.create")
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        ("login.failed", "anonymous", None),
        ("login.failed", "audited", str(user.id)),
        ("login", "audited", str(user.id)),
        ("logout", "audited", str(user.id)),
    ]


def test_login_and_logout_need_the_csrf_token(make_app: Callable[..., Flask]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        service.create_staff(
            "test",
            username="csrfuser",
            display_name="",
            password=PASSWORD,
            role=Role.ADMIN,
        )
        db.session.commit()
    client = app.test_client()
    credentials = {"username": "csrfuser", "password": PASSWORD}

    assert client.post("/staff/login", data=credentials).status_code == 400
    token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    assert client.post("/staff/login", data=credentials).status_code == 400  # still no token
    response = client.post("/staff/login", data={**credentials, "csrf_token": token})
    assert response.status_code == 302

    home = client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200  # the forged logout did nothing
    response = client.post("/staff/logout", data={"csrf_token": csrf_token_from(home)})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_production_login_over_https_sets_a_secure_cookie(make_app: Callable[..., Flask]) -> None:
    """A production app (real key, not testing): the form works over HTTPS, the cookie is safe."""
    app = make_app(TESTING=False, WTF_CSRF_ENABLED=True, SECRET_KEY="k" * 40)
    assert not (app.testing or app.debug or app.config["DEMO"])
    with app.app_context():
        service.create_staff(
            "test", username="produser", display_name="", password=PASSWORD, role=Role.ADMIN
        )
        db.session.commit()
    client = app.test_client()
    site = "https://dp.example.gov.cn"
    page = client.get("/staff/login", base_url=site)
    # Flask-WTF wants a same-site Referer on HTTPS posts: the page must let the browser send one.
    assert page.headers["Referrer-Policy"] == "same-origin"
    response = client.post(
        "/staff/login",
        base_url=site,
        headers={"Referer": f"{site}/staff/login"},
        data={
            "username": "produser",
            "password": PASSWORD,
            "csrf_token": csrf_token_from(page.text),
        },
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("doorplate_session=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= attributes
