"""/healthz answers while the process is up, whatever the database does; /readyz answers 200 only
when the database answers ``SELECT 1``, and 503 within a few seconds when it does not.

"Within a few seconds" is asserted by what ended the wait (the refusal, the connect timeout or the
check's own bound, each named in the answer), never with a stopwatch."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from doorplate import create_app
from doorplate.db import db
from doorplate.ops import health
from doorplate.visits.models import Visit

# Nothing listens on port 1: the connection is refused at once.
REFUSED_URL = "postgresql+psycopg://postgres@127.0.0.1:1/x"


def _app_on(url: str) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word: a hung or half-dead
    PostgreSQL, where only a timeout ends the wait."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_healthz_is_ok_without_a_session_or_a_visit(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"User-Agent": "Mozilla/5.0 (iPhone)"})
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == "ok"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_healthz_needs_no_database() -> None:
    response = _app_on(REFUSED_URL).test_client().get("/healthz")
    assert response.status_code == 200


def test_readyz_is_ok_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == "ok"
    assert "Set-Cookie" not in response.headers


def test_readyz_is_503_at_once_when_the_database_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answered by the refusal itself: with no bound on the wait left, it still answers."""
    monkeypatch.setattr(health, "READY_WAIT_SECONDS", None)
    response = _app_on(REFUSED_URL).test_client().get("/readyz")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert text.startswith("database unavailable (OperationalError)")
    assert "127.0.0.1" not in text and "postgres" not in text  # no host or user
    assert "Set-Cookie" not in response.headers


def test_readyz_connects_afresh_with_a_short_connect_and_statement_timeout() -> None:
    app = _app_on(REFUSED_URL)
    with app.app_context():
        engine = health._readiness_engine(app)
    connects: list[dict[str, object]] = []
    event.listen(engine, "do_connect", lambda _d, _r, _a, params: connects.append(dict(params)))
    client = app.test_client()
    assert [client.get("/readyz").status_code for _ in range(2)] == [503, 503]
    assert len(connects) == 2  # no pooled connection: each check connects
    assert connects[0]["connect_timeout"] == health.CONNECT_TIMEOUT_SECONDS == 2
    assert connects[0]["options"] == f"-c statement_timeout={health.STATEMENT_TIMEOUT_MS}"


def test_readyz_is_503_when_the_database_hangs_by_the_connect_timeout(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that accepts and never answers: libpq's connect timeout ends the check (not the
    check's own bound, made longer than any test here)."""
    monkeypatch.setattr(health, "CONNECT_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(health, "READY_WAIT_SECONDS", None)
    client = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/x").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True).startswith("database unavailable (OperationalError)")


def test_readyz_stops_waiting_whatever_hangs(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no connect timeout to save it (a hung name lookup has none), the check's own bound
    on waiting still answers, and says so."""
    monkeypatch.setattr(health, "CONNECT_TIMEOUT_SECONDS", 30)
    monkeypatch.setattr(health, "READY_WAIT_SECONDS", 0.5)
    client = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/x").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True).strip() == "database did not answer in time"
