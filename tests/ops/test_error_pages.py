"""Outside the API, an error answers with the generic page: its status, a plain message and the
request id, never a stack trace; the log gets the traceback with the same id and no token. The
page renders after a database error too (on PostgreSQL, inside a transaction the error aborted)
and with the database gone."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import signed_in_client
from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from doorplate.db import db
from doorplate.places.models import Village
from doorplate.plates import service as plates
from doorplate.staff.models import Role, StaffUser

SECRET = "S3CRET-DETAIL-IN-EXCEPTION"


def _crashing(app: Flask) -> Flask:
    def boom(token: str) -> str:
        raise RuntimeError(SECRET)

    app.add_url_rule("/boom/<path:token>", "boom", boom)
    return app


def _log_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_a_crash_is_a_500_page_with_the_id_and_a_json_log_line(
    production_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str]
) -> None:
    client = _crashing(production_app()).test_client()
    capsys.readouterr()
    response = client.get("/boom/ABCDEFGH12345678", headers={"X-Request-Id": "req-42"})
    assert response.status_code == 500
    assert response.headers["X-Request-Id"] == "req-42"
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side. Please try again later." in page
    assert "Request id: req-42" in page
    assert "Error 500" in page
    for leak in ("Traceback", "RuntimeError", SECRET, "ABCDEFGH12345678", ".py"):
        assert leak not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers

    [line] = _log_lines(capsys.readouterr().err)
    assert line["level"] == "ERROR"
    assert line["request_id"] == "req-42"
    assert line["logger"] == "doorplate"
    assert line["message"] == "Unhandled exception on GET /boom/<path:token>"
    assert "Traceback" in line["exc"] and SECRET in line["exc"]  # for the server's eyes only
    assert "ABCDEFGH12345678" not in json.dumps(line)
    assert set(line) == {"time", "level", "request_id", "logger", "message", "exc"}


def test_a_crashing_plate_page_logs_the_route_not_the_token(
    production_app: Callable[..., Flask],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(_token: str) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(plates, "scan", crash)
    client = production_app().test_client()
    capsys.readouterr()
    response = client.get("/P/7KQ3M9XW2RTV8HJD")
    assert response.status_code == 500
    assert f"Request id: {response.headers['X-Request-Id']}" in response.get_data(as_text=True)
    [line] = _log_lines(capsys.readouterr().err)
    assert line["message"] == "Unhandled exception on GET /P/<path:token>"
    assert "7KQ3M9XW2RTV8HJD" not in json.dumps(line)


def test_module_loggers_write_json_with_the_request_id(
    production_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str]
) -> None:
    app = production_app()

    def speak() -> str:
        logging.getLogger("doorplate.some.module").warning("queue is %d long", 3)
        return "said"

    app.add_url_rule("/speak", "speak", speak)
    capsys.readouterr()
    response = app.test_client().get("/speak", headers={"X-Request-Id": "req-7"})
    assert response.status_code == 200
    [line] = _log_lines(capsys.readouterr().err)
    assert line["request_id"] == "req-7"
    assert line["logger"] == "doorplate.some.module"
    assert line["message"] == "queue is 3 long"
    assert line["level"] == "WARNING"
    assert line["time"].endswith("+00:00")


def test_a_test_app_keeps_flasks_own_logging(
    make_app: Callable[..., Flask], doorplate_logger: logging.Logger
) -> None:
    """JSON lines are for production; tests and debug keep readable, capturable records."""
    make_app()
    assert not any(getattr(h, "_doorplate_json", False) for h in doorplate_logger.handlers)


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/no/such/page", 404, "This page is not here. Please check the address."),
        ("DELETE", "/", 405, "This page cannot be used this way."),
        ("GET", "/staff/no-such-page", 404, "Page not found"),
    ],
)
def test_http_errors_get_the_generic_page(
    production_app: Callable[..., Flask], method: str, path: str, status: int, text: str
) -> None:
    response = production_app().test_client().open(path, method=method)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert text in page
    assert f"Request id: {response.headers['X-Request-Id']}" in page
    assert "Traceback" not in page
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_pages_with_their_own_error_pages_keep_them(
    production_app: Callable[..., Flask],
) -> None:
    client = production_app().test_client()
    village_missing = client.get("/v/999999999999/")
    assert village_missing.status_code == 404
    # the resident pages' own 404
    assert "A notice may have expired" in village_missing.get_data(as_text=True)
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.json is not None and "error" in api.json


def test_the_page_speaks_chinese_by_default(
    production_app: Callable[..., Flask],
) -> None:
    response = production_app(BABEL_DEFAULT_LOCALE="zh_Hans_CN").test_client().get("/nothing")
    page = response.get_data(as_text=True)
    assert "页面不存在" in page
    assert '<html lang="zh-CN">' in page


def test_commands_keep_plain_logging(
    make_app: Callable[..., Flask], doorplate_logger: logging.Logger
) -> None:
    """A cron job's INFO lines would be mailed every run: commands keep Flask's defaults."""
    make_app(TESTING=False, SECRET_KEY="k" * 40, CLI_ONLY=True)
    assert not any(getattr(h, "_doorplate_json", False) for h in doorplate_logger.handlers)


# --- after a database error ------------------------------------------------------------------

BAD_STATEMENT = "SELECT no_such_column FROM no_such_table"


@contextmanager
def _failing(engine: Engine, fails: Callable[[str], bool], *, gone: bool = False) -> Iterator[None]:
    """Statements for which ``fails`` is true fail in the database (PostgreSQL then aborts the
    transaction), or, ``gone``, never reach it, as when the database has gone away."""

    def execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        if not fails(statement):
            return statement, parameters
        if gone:
            raise OperationalError(statement, parameters, ConnectionError("server closed"))
        return BAD_STATEMENT, type(parameters)()

    event.listen(engine, "before_cursor_execute", execute, retval=True)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", execute)


@pytest.fixture
def village_editor(
    make_village: Callable[..., Village], make_staff: Callable[..., StaffUser]
) -> str:
    """The username of someone whose console names their village and town, read from the
    database when a console page renders."""
    username = make_staff(Role.EDITOR, village=make_village()).username
    db.session.commit()  # end the test's transaction: on SQLite it holds the write lock
    return username


def _assert_error_page(response: Any, request_id: str) -> None:
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side. Please try again later." in page
    assert f"Request id: {request_id}" in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Traceback" not in page and BAD_STATEMENT not in page


def test_the_console_error_page_renders_after_a_database_error(
    production_app: Callable[..., Flask], village_editor: str
) -> None:
    app = production_app()
    client = signed_in_client(app, village_editor)
    with app.app_context(), _failing(db.engine, lambda sql: "FROM household" in sql):
        response = client.get("/staff/households", headers={"X-Request-Id": "req-db"})
    _assert_error_page(response, "req-db")
    # The failed transaction was ended: the next request is served normally.
    assert client.get("/staff/households").status_code == 200


def test_the_error_page_renders_with_the_database_gone(
    production_app: Callable[..., Flask], village_editor: str
) -> None:
    """Gone after the request found its user: the page needs nothing from it, nor does the
    rollback before it."""
    app = production_app()
    client = signed_in_client(app, village_editor)
    with (
        app.app_context(),
        _failing(db.engine, lambda sql: "FROM staff_user" not in sql, gone=True),
    ):
        response = client.get("/staff/households", headers={"X-Request-Id": "req-gone"})
    _assert_error_page(response, "req-gone")
    assert client.get("/staff/households").status_code == 200


def test_an_api_error_after_a_database_error_is_json(
    production_app: Callable[..., Flask], make_village: Callable[..., Village]
) -> None:
    app = production_app()
    make_village()
    with app.app_context(), _failing(db.engine, lambda sql: "FROM post" in sql):
        response = app.test_client().get("/api/v1/villages/330327100201/posts")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
