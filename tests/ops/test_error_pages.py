"""Outside the API, an error answers with the generic page: its status, a plain message and the
request id, never a stack trace; the log gets the traceback with the same id and no token."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from doorplate.plates import service as plates

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
