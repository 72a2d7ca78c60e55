"""``/healthz`` and ``/readyz`` for nginx, systemd checks and a load balancer.

``/healthz`` says the worker answers (no database, no session, no visit): restart it if not.
``/readyz`` says it can also serve: ``SELECT 1`` on the database works. It must answer quickly
when PostgreSQL is down or unreachable, as a balancer polls it every few seconds: it connects
afresh (the pool's connections may be dead and its connect has no timeout) with a short connect
and statement timeout, and gives up waiting after :data:`READY_WAIT_SECONDS` whatever hangs
(a name lookup, a half-open connection).
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, Flask, current_app
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.wrappers import Response

from doorplate.db import db

logger = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)

CONNECT_TIMEOUT_SECONDS = 2  # libpq's smallest
STATEMENT_TIMEOUT_MS = 1000
READY_WAIT_SECONDS = 2.5
_ENGINE = "doorplate.readiness_engine"


def _plain(body: str, status: int) -> Response:
    return Response(
        body + "\n", status, mimetype="text/plain", headers={"Cache-Control": "no-store"}
    )


@bp.get("/healthz")
def healthz() -> Response:
    return _plain("ok", 200)


@bp.get("/readyz")
def readyz() -> Response:
    error = _database_error(_readiness_engine(current_app))
    if error is None:
        return _plain("ok", 200)
    logger.warning("Not ready: %s", error)
    return _plain(error, 503)


def _readiness_engine(app: Flask) -> Engine:
    """An engine on the app's database that opens a connection per check, with timeouts."""
    engine: Engine | None = app.extensions.get(_ENGINE)
    if engine is None:
        url = db.engine.url
        connect_args = {}
        if url.get_backend_name() == "postgresql":
            connect_args = {
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            }
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        app.extensions[_ENGINE] = engine
    return engine


def _database_error(engine: Engine) -> str | None:
    """None when ``SELECT 1`` works within the wait, else a short reason (never the driver's
    message, which names hosts and users)."""
    outcome: list[str | None] = []

    def check() -> None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            outcome.append(None)
        except Exception as error:  # noqa: BLE001 (any failure means not ready)
            outcome.append(f"database unavailable ({type(error).__name__})")

    thread = threading.Thread(target=check, name="doorplate-readyz", daemon=True)
    thread.start()
    thread.join(READY_WAIT_SECONDS)
    if not outcome:
        return "database did not answer in time"
    return outcome[0]
