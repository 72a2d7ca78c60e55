"""/healthz answers while the process is up, whatever the database does; /readyz answers 200 only
when the database answers ``SELECT 1``, and 503 within a few seconds when it does not."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

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


def test_readyz_is_503_at_once_when_the_database_refuses() -> None:
    started = time.monotonic()
    response = _app_on(REFUSED_URL).test_client().get("/readyz")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert text.startswith("database unavailable")
    assert "127.0.0.1" not in text and "postgres" not in text  # no host or user
    assert "Set-Cookie" not in response.headers


def test_readyz_is_503_within_3_seconds_when_the_database_hangs(silent_server: int) -> None:
    client = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/x").test_client()
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert 1.5 < time.monotonic() - started < 3


def test_readyz_stops_waiting_whatever_hangs(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no connect timeout to save it (a hung name lookup has none), the check's own bound
    on waiting still answers in time."""
    monkeypatch.setattr(health, "CONNECT_TIMEOUT_SECONDS", 30)
    client = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/x").test_client()
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True).strip() == "database did not answer in time"
    assert time.monotonic() - started < health.READY_WAIT_SECONDS + 0.5
