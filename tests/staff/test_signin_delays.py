"""Sign-in tells no names and locks nobody out: one answer and one hash for every failure, delays
that bind only the failing address, and the clerk told of the failures at their next sign-in."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import PASSWORD, csrf_token_from
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from doorplate.db import db, utcnow
from doorplate.staff import service, signin
from doorplate.staff.models import AuditEvent, Role, SignInFailure, StaffUser

WRONG = "not-the-password"
FAILED = "Wrong username or password."
ATTACKER, CLERK_DESK, CLERK_HOME = "203.0.113.66", "198.51.100.7", "198.51.100.8"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """The delays alone at work: the per-address limit (tests/ratelimits) is lifted."""
    app = make_app(LOGIN_LIMIT="10000 per minute")
    with app.app_context():
        yield app


def _failures(username: str) -> int:
    db.session.rollback()  # read what was committed, not this session's view of it
    return db.session.scalar(select(StaffUser.failed_logins).filter_by(username=username)) or 0


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"] == "/staff/"


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[..., Any]:
    """``sign_in(username, password, address)``: one attempt through the real form."""

    def attempt(username: str, password: str = PASSWORD, address: str = CLERK_DESK) -> Any:
        return client.post(
            "/staff/login",
            data={"username": username, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )

    return attempt


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """``clock[0]`` is what sign-in takes for now; a test moves it forward."""
    now = [utcnow()]
    monkeypatch.setattr(signin, "utcnow", lambda: now[0])
    yield now


def _hammer(sign_in: Callable[..., Any], username: str, times: int) -> list[Any]:
    return [sign_in(username, WRONG, ATTACKER) for _ in range(times)]


# One answer, one hash ---------------------------------------------------------------------------


def _normalised(html: str, username: str) -> str:
    """The page without what differs by design: the CSRF token, the CSP nonce, the name typed."""
    html = re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+', r"\1", html)
    html = re.sub(r"nonce-[A-Za-z0-9_-]+|nonce=\"[A-Za-z0-9_-]+\"", "nonce", html)
    return html.replace(f'value="{username}"', 'value=""')


def test_unknown_wrong_held_back_and_inactive_get_byte_identical_answers(
    make_app: Callable[..., Flask], clock: list[datetime]
) -> None:
    """With CSRF on, as in production: each answer is the same page, byte for byte."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        for username in ("typist", "hammered", "retired"):
            service.create_staff(
                "test", username=username, display_name="", password=PASSWORD, role=Role.ADMIN
            )
        service.set_active("test", service.find_staff("retired"), active=False)
        db.session.commit()
    client = app.test_client()

    def answer(username: str, password: str) -> tuple[int, str]:
        token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
        response = client.post(
            "/staff/login",
            data={"username": username, "password": password, "csrf_token": token},
            environ_base={"REMOTE_ADDR": ATTACKER},
        )
        return response.status_code, _normalised(response.get_data(as_text=True), username)

    for _attempt in range(app.config["LOGIN_FREE_FAILURES"]):
        answer("hammered", WRONG)
    answers = {
        "unknown": answer("nosuchclerk", PASSWORD),
        "wrong password": answer("typist", WRONG),
        "held back, right password": answer("hammered", PASSWORD),
        "inactive, right password": answer("retired", PASSWORD),
    }
    (status, page), *others = answers.values()
    assert status == 200 and FAILED in page
    assert all(other == (status, page) for other in others), answers.keys()
    with app.app_context():
        held_back = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "login.held_back")
        )
    assert held_back == 1  # the control: "hammered" was indeed held back, not checked


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash checked during sign-in (the hash each was checked against)."""
    checked: list[str] = []
    real = signin.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(signin, "check_password_hash", counting)
    return checked


def test_every_attempt_computes_one_hash(
    app: Flask,
    make_staff: Callable[..., StaffUser],
    sign_in: Callable[..., Any],
    hashes: list[str],
    clock: list[datetime],
) -> None:
    user = make_staff(username="hashed")
    assert not _signed_in(sign_in("nosuchclerk"))
    assert len(hashes) == 1 and hashes[0] != user.password_hash  # a dummy, at full cost
    assert hashes[0].split("$")[0] == user.password_hash.split("$")[0]  # same method, rounds
    _hammer(sign_in, "hashed", app.config["LOGIN_FREE_FAILURES"])
    assert len(hashes) == 1 + app.config["LOGIN_FREE_FAILURES"]
    hashes.clear()
    assert not _signed_in(sign_in("hashed", PASSWORD, ATTACKER))  # held back...
    assert len(hashes) == 1 and hashes[0] != user.password_hash  # ...and still one hash
    hashes.clear()
    assert _signed_in(sign_in("hashed", PASSWORD, CLERK_DESK))
    assert hashes == [user.password_hash]


# Delays that hold up only the failing address ---------------------------------------------------


def test_a_stranger_hammering_an_account_does_not_keep_the_clerk_out(
    app: Flask,
    make_staff: Callable[..., StaffUser],
    sign_in: Callable[..., Any],
    clock: list[datetime],
) -> None:
    make_staff(username="clerk")
    answers = _hammer(sign_in, "clerk", 40)
    assert {a.status_code for a in answers} == {200}
    assert all(FAILED in a.get_data(as_text=True) for a in answers)
    assert _failures("clerk") == 40
    # The control: from the hammering address even the right password is held back now...
    assert not _signed_in(sign_in("clerk", PASSWORD, ATTACKER))
    # ...while the clerk, from an address that has not failed, signs in at once.
    assert _signed_in(sign_in("clerk", PASSWORD, CLERK_DESK))


def test_the_clerks_own_typo_costs_at_most_the_longest_delay_whatever_the_stranger_does(
    app: Flask,
    make_staff: Callable[..., StaffUser],
    sign_in: Callable[..., Any],
    clock: list[datetime],
) -> None:
    make_staff(username="clerk")
    longest = timedelta(seconds=app.config["LOGIN_DELAY_MAX_SECONDS"])
    _hammer(sign_in, "clerk", 30)
    sign_in("clerk", WRONG, CLERK_DESK)  # the clerk's own typo, from the desk
    typo_at = clock[0]
    for step in range(1, 10):  # the stranger keeps going all the while
        clock[0] = typo_at + step * longest / 10
        _hammer(sign_in, "clerk", 5)
        assert not _signed_in(sign_in("clerk", PASSWORD, CLERK_DESK)), step
    clock[0] = typo_at + longest + timedelta(seconds=1)
    _hammer(sign_in, "clerk", 5)
    assert _signed_in(sign_in("clerk", PASSWORD, CLERK_DESK))


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.66", "203.0.113.66"),
        ("::ffff:203.0.113.66", "203.0.113.66"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("", ""),
        ("x" * 100, "x" * 64),
    ],
)
def test_an_ipv6_subscriber_counts_as_one_address(address: str, key: str) -> None:
    assert signin.address_key(address) == key


def test_stepping_through_ipv6_addresses_of_one_network_is_still_held_back(
    app: Flask,
    make_staff: Callable[..., StaffUser],
    sign_in: Callable[..., Any],
    clock: list[datetime],
) -> None:
    make_staff(username="clerk")
    for host in range(1, 11):
        sign_in("clerk", WRONG, f"2001:db8:66:1::{host:x}")
    assert not _signed_in(sign_in("clerk", PASSWORD, "2001:db8:66:1::ff"))
    assert _signed_in(sign_in("clerk", PASSWORD, "2001:db8:66:2::1"))  # the next network


def test_the_delay_doubles_with_the_accounts_failures_up_to_a_cap(app: Flask) -> None:
    free, first = app.config["LOGIN_FREE_FAILURES"], app.config["LOGIN_DELAY_SECONDS"]
    longest = app.config["LOGIN_DELAY_MAX_SECONDS"]
    delays = [signin.delay_after(n).total_seconds() for n in range(free + 12)]
    assert delays[:free] == [0] * free  # a few typos never wait
    assert delays[free : free + 4] == [first, 2 * first, 4 * first, 8 * first]
    assert max(delays) == longest == delays[-1]
    assert signin.delay_after(10**9).total_seconds() == longest


def test_a_wait_ends_after_the_delay_and_held_back_attempts_do_not_restart_it(
    app: Flask,
    make_staff: Callable[..., StaffUser],
    sign_in: Callable[..., Any],
    clock: list[datetime],
) -> None:
    make_staff(username="patient")
    _hammer(sign_in, "patient", 30)  # the first few checked, the rest held back at once
    last_checked = clock[0]
    longest = timedelta(seconds=app.config["LOGIN_DELAY_MAX_SECONDS"])
    clock[0] = last_checked + longest - timedelta(milliseconds=1)
    _hammer(sign_in, "patient", 3)  # held back: counted, but the wait still runs from before
    assert _failures("patient") == 33
    assert not _signed_in(sign_in("patient", PASSWORD, ATTACKER))
    clock[0] = last_checked + longest
    assert _signed_in(sign_in("patient", PASSWORD, ATTACKER))


def test_the_count_is_kept_in_the_database_and_survives_a_new_app(
    make_app: Callable[..., Flask], make_staff: Callable[..., StaffUser], clock: list[datetime]
) -> None:
    """Every worker (and a restarted one) sees the same delays: they are not in the limiter."""
    make_staff(username="shared")
    first, second = make_app().test_client(), make_app().test_client()
    for _attempt in range(5):
        first.post(
            "/staff/login",
            data={"username": "shared", "password": WRONG},
            environ_base={"REMOTE_ADDR": ATTACKER},
        )
    held = second.post(
        "/staff/login",
        data={"username": "shared", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": ATTACKER},
    )
    assert held.status_code == 200 and FAILED in held.get_data(as_text=True)


# Telling the clerk ------------------------------------------------------------------------------


def test_after_signing_in_the_clerk_is_told_of_the_failures_and_the_count_starts_afresh(
    client: FlaskClient, make_staff: Callable[..., StaffUser], sign_in: Callable[..., Any]
) -> None:
    make_staff(username="told")
    _hammer(sign_in, "told", 7)
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 1
    assert _signed_in(sign_in("told"))
    home = client.get("/staff/").get_data(as_text=True)
    assert "There were 7 failed sign-in attempts on your account since you last signed in." in home
    assert _failures("told") == 0
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 0
    # The address is no longer held back either, and a clean sign-in says nothing.
    client.post("/staff/logout")
    assert _signed_in(sign_in("told", PASSWORD, ATTACKER))
    assert "failed sign-in" not in client.get("/staff/").get_data(as_text=True)


def test_one_failure_is_told_in_chinese(zh_app: Flask) -> None:
    service.create_staff(
        "test", username="zhclerk", display_name="", password=PASSWORD, role=Role.ADMIN
    )
    db.session.commit()
    client = zh_app.test_client()
    client.post("/staff/login", data={"username": "zhclerk", "password": WRONG})
    client.post("/staff/login", data={"username": "zhclerk", "password": PASSWORD})
    home = client.get("/staff/").get_data(as_text=True)
    assert "自您上次登录以来，您的账号有 1 次登录失败" in home


def test_unlock_staff_ends_the_waits_and_keeps_the_count_to_tell(
    app: Flask,
    runner: FlaskCliRunner,
    make_staff: Callable[..., StaffUser],
    sign_in: Callable[..., Any],
    clock: list[datetime],
) -> None:
    make_staff(username="waiting")
    _hammer(sign_in, "waiting", 8)
    assert not _signed_in(sign_in("waiting", PASSWORD, ATTACKER))
    result = runner.invoke(args=["unlock-staff", "waiting"])
    assert result.exit_code == 0, result.output
    assert _failures("waiting") == 9
    assert _signed_in(sign_in("waiting", PASSWORD, ATTACKER))
    assert runner.invoke(args=["unlock-staff", "nobody"]).exit_code != 0


def test_concurrent_failures_are_all_counted(make_app: Callable[..., Flask]) -> None:
    """20 simultaneous wrong passwords through the real view, each in its own session."""
    threads = 20
    app = make_app(LOGIN_FREE_FAILURES=1000)  # check every attempt: none may be held back
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
