"""Failed logins lock an account; the count survives concurrency; unlock and expiry end the lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import PASSWORD
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from doorplate.db import db, utcnow
from doorplate.staff import service
from doorplate.staff.models import Role, StaffUser

WRONG = "not-the-password"
LOCKED = "this account is locked"


def _failures(username: str) -> int:
    db.session.rollback()  # read what was committed, not this session's view of it
    return db.session.scalar(select(StaffUser.failed_logins).filter_by(username=username)) or 0


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"] == "/staff/"


def _lock(login: Callable[..., Any], username: str, app: Flask) -> Any:
    """Fail as many times as allowed; return the last response."""
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        response = login(username, WRONG)
    return response


def test_ten_failures_lock_out_even_the_right_password(
    app: Flask, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    make_staff(username="lockme")
    assert app.config["LOGIN_MAX_FAILURES"] == 10
    for _attempt in range(9):
        assert LOCKED not in login("lockme", WRONG).get_data(as_text=True)
    assert LOCKED in login("lockme", WRONG).get_data(as_text=True)
    assert _failures("lockme") == 10
    refused = login("lockme", PASSWORD)
    assert not _signed_in(refused)
    assert LOCKED in refused.get_data(as_text=True)


def test_unlock_lets_the_user_in_again(
    app: Flask, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    make_staff(username="unlockme")
    _lock(login, "unlockme", app)
    service.unlock("test", "unlockme")
    db.session.commit()
    assert _failures("unlockme") == 0
    assert _signed_in(login("unlockme"))


def test_unlock_staff_command(
    app: Flask,
    runner: FlaskCliRunner,
    make_staff: Callable[..., StaffUser],
    login: Callable[..., Any],
) -> None:
    make_staff(username="clilocked")
    _lock(login, "clilocked", app)
    assert not _signed_in(login("clilocked"))
    result = runner.invoke(args=["unlock-staff", "clilocked"])
    assert result.exit_code == 0, result.output
    assert _signed_in(login("clilocked"))
    assert runner.invoke(args=["unlock-staff", "nobody"]).exit_code != 0


def test_lock_expires(
    app: Flask,
    make_staff: Callable[..., StaffUser],
    login: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_staff(username="patient")
    _lock(login, "patient", app)
    lock = timedelta(minutes=app.config["LOGIN_LOCKOUT_MINUTES"])
    start = utcnow()
    monkeypatch.setattr(service, "utcnow", lambda: start + lock - timedelta(minutes=1))
    assert not _signed_in(login("patient"))
    monkeypatch.setattr(service, "utcnow", lambda: start + lock + timedelta(minutes=1))
    assert _signed_in(login("patient"))
    assert _failures("patient") == 0


def test_after_an_expired_lock_the_count_starts_afresh(
    app: Flask, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> None:
    """One typo after the lock has run out must not lock the account again at once."""
    make_staff(username="typist")
    now = utcnow()
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(service.LoginFailed):
            service.authenticate("typist", WRONG, now=now)
    later = now + timedelta(minutes=app.config["LOGIN_LOCKOUT_MINUTES"], seconds=1)
    with pytest.raises(service.LoginFailed) as typo:
        service.authenticate("typist", WRONG, now=later)
    assert typo.value.locked_until is None
    db.session.commit()
    assert _failures("typist") == 1
    assert service.authenticate("typist", PASSWORD, now=later).failed_logins == 0


def test_concurrent_failures_are_all_counted(
    make_app: Callable[..., Flask],
) -> None:
    """20 simultaneous wrong passwords through the real view, each in its own session."""
    threads = 20
    app = make_app(LOGIN_MAX_FAILURES=1000)  # count every attempt: none may be refused as locked
    with app.app_context():
        service.create_staff(
            "test", username="racer", display_name="", password=PASSWORD, role=Role.ADMIN
        )
        db.session.commit()
    barrier = threading.Barrier(threads)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post("/staff/login", data={"username": "racer", "password": WRONG})
            statuses.append(response.status_code)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    assert statuses == [200] * threads
    with app.app_context():
        assert _failures("racer") == threads
