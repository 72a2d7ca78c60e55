"""gunicorn.conf.py: loadable, serves, logs JSON lines without a token or a query string, and a
graceful stop still writes the visits the workers queued."""

from __future__ import annotations

import http.client
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from served import ROOT, gunicorn
from sqlalchemy import func, select
from waits import HUNG_SECONDS

from doorplate.db import db, reading
from doorplate.places.models import Village
from doorplate.visits.models import Visit

from .conftest import PHONE_UA

CONFIG = ROOT / "gunicorn.conf.py"
REFERENCE = "K7M2-9QXD"


def _get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"User-Agent": PHONE_UA, **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_config_reads_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORPLATE_BIND", "0.0.0.0:9000")
    monkeypatch.setenv("DOORPLATE_WORKERS", "9")
    settings = runpy.run_path(str(CONFIG))
    assert settings["bind"] == ["0.0.0.0:9000"]
    assert settings["workers"] == 9
    monkeypatch.delenv("DOORPLATE_BIND")
    monkeypatch.delenv("DOORPLATE_WORKERS")
    defaults = runpy.run_path(str(CONFIG))
    assert (defaults["bind"], defaults["workers"]) == (["127.0.0.1:8000"], 4)
    assert defaults["worker_class"] == "sync" and defaults["forwarded_allow_ips"] == ""


def test_gunicorn_accepts_the_config(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DOORPLATE_SECRET_KEY": "k" * 40}
    result = subprocess.run(
        [Path(sys.executable).with_name("gunicorn"), "--check-config", "-c", CONFIG, "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HUNG_SECONDS,
    )
    assert result.returncode == 0, result.stderr


def test_served_logs_are_json_without_tokens_and_stops_write_queued_visits(
    database_url: str,
    app: Flask,
    county: Any,
    plate_of: Callable[..., str],
    tmp_path: Path,
) -> None:
    village: Village = county.a
    token = plate_of(village)
    db.session.commit()
    output_path = tmp_path / "gunicorn.log"
    # Visits are written only when a worker stops: the graceful stop must write them.
    env = {"DOORPLATE_VISIT_FLUSH_SECONDS": "3600", "DOORPLATE_BIND": "127.0.0.1:1"}
    with (
        output_path.open("wb") as output,
        gunicorn(
            "tests.ops.served_app:app", database_url, workers=1, config=CONFIG, env=env,
            output=output,
        ) as port,
    ):  # fmt: skip
        statuses = [
            _get(port, f"/P/{token}", **{"X-Request-Id": "scan-1"})[0],
            _get(port, f"/P/{token.lower()}?lang=en", **{"X-Request-Id": "scan-2"})[0],
            _get(port, f"/P/{token}")[0],  # the fast path, from the cache the first scan filled
            _get(port, f"/api/v1/bookings/{REFERENCE}?phone_last4=8000")[0],
            _get(port, f"/api/v1/plates/{token}")[0],
            _get(port, "/v/330327100201/search?q=secretword")[0],
        ]
        crash_status, crash_headers, crash_body = _get(port, "/boom/now")
    assert statuses == [200, 200, 200, 404, 200, 200]
    assert crash_status == 500 and b"Traceback" not in crash_body

    text = output_path.read_text()
    for secret in (token, token.lower(), REFERENCE, "8000", "secretword", "lang=en"):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    access = [line for line in lines if "status" in line]
    assert [
        (line["method"], line["path"], line["status"])
        for line in access
        if line["path"] != "/api/v1/openapi.json"  # served.gunicorn's readiness probe
    ] == [
        ("GET", "/P/{token}", 200),
        ("GET", "/P/{token}", 200),
        ("GET", "/P/{token}", 200),
        ("GET", "/api/v1/bookings/{reference}", 404),
        ("GET", "/api/v1/plates/{token}", 200),
        ("GET", "/v/330327100201/search", 200),
        ("GET", "/boom/now", 500),
    ]
    by_id = {line["request_id"]: line for line in access}
    assert by_id["scan-1"]["path"] == "/P/{token}" and by_id["scan-1"]["bytes"] > 1000
    assert by_id["scan-2"]["status"] == 200
    for line in access:
        assert set(line) == {
            "time", "request_id", "method", "path", "status", "bytes", "duration_ms",
        }  # fmt: skip
        assert "ip" not in json.dumps(line) and "127.0.0.1" not in json.dumps(line)
    crash = by_id[crash_headers["X-Request-Id"]]
    [error] = [line for line in lines if line.get("request_id") == crash["request_id"]
               and "exc" in line]  # fmt: skip
    assert error["message"] == "Unhandled exception on GET /boom/<path:token>"

    with reading():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_gunicorns_own_messages_are_json_without_tokens(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What gunicorn itself logs about a request (e.g. "Error handling request <uri>", with the
    query) is reformatted and redacted like the access log."""
    from gunicorn.config import Config

    settings = runpy.run_path(str(CONFIG))
    config = Config()
    config.set("errorlog", "-")
    logger = settings["JsonLogger"](config)
    logger.error("Error handling request %s", "/P/7KQ3M9XW2RTV8HJD/services?phone=13800138000")
    logger.error("Error handling request %s", "/api/v1/bookings/K7M2-9QXD/cancel")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["message"] for line in lines] == [
        "Error handling request /P/{token}/services",
        "Error handling request /api/v1/bookings/{reference}/cancel",
    ]
    assert lines[0]["logger"] == "gunicorn.error" and lines[0]["level"] == "ERROR"
