"""The ``doorplate`` console script, ``flask --app doorplate``, and the demo that README starts."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from waits import HUNG_SECONDS

from doorplate import demo
from doorplate.db import db
from doorplate.places.models import Household, Town, Village
from doorplate.staff.models import StaffUser

BIN = Path(sys.executable).parent
COMMANDS = [
    "init-db",
    "serve",
    "import-households",
    "import-template",
    "create-staff",
    "plates",
    "backup",
    "restore",
]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOORPLATE_", "FLASK_"))}
    env.pop("DATABASE_URL", None)
    return {**env, "DOORPLATE_INSTANCE_PATH": str(tmp_path / "instance"), **extra}


@pytest.mark.parametrize(
    "argv",
    [[str(BIN / "doorplate")], [str(BIN / "flask"), "--app", "doorplate", "--debug"]],
    ids=["doorplate", "flask"],
)
def test_both_entry_points_list_every_command(tmp_path: Path, argv: list[str]) -> None:
    """The installed scripts, as a clerk runs them (one process each: starting one is most of
    the cost, so each command's own help is read in-process below)."""
    env = _env(tmp_path, DOORPLATE_SECRET_KEY="k" * 64)  # `flask` loads the app to list them
    result = subprocess.run([*argv, "--help"], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line}
    assert set(COMMANDS) <= listed


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner: FlaskCliRunner, command: str) -> None:
    result = runner.invoke(args=[command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.split("Options:")[0].strip().splitlines()) >= 3  # a description


def test_init_db_is_idempotent(runner: FlaskCliRunner) -> None:
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output


def test_demo_seed_fills_an_empty_database_once(app: object) -> None:
    assert demo.seed_if_empty() is True
    assert demo.seed_if_empty() is False
    villages = sum(len(v) for _, _, v in demo.DEMO_PLACES)
    assert db.session.scalar(select(func.count()).select_from(Town)) == len(demo.DEMO_PLACES)
    assert db.session.scalar(select(func.count()).select_from(Village)) == villages
    assert (
        db.session.scalar(select(func.count()).select_from(Household))
        == villages * demo.HOUSEHOLDS_PER_VILLAGE
    )
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == len(demo.DEMO_STAFF)
    addresses = db.session.scalars(select(Household.address)).all()
    assert any("垟" in a for a in addresses) and any("岙" in a for a in addresses)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_demo_starts_on_an_empty_machine_and_prints_logins(tmp_path: Path) -> None:
    """README's first command: an empty instance folder, no configuration, a working demo."""
    port = _free_port()
    process = subprocess.Popen(
        [str(BIN / "doorplate"), "serve", "--demo", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + HUNG_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base}/staff/login", timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, f"demo did not start within {HUNG_SECONDS} s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/", timeout=HUNG_SECONDS) as response:  # noqa: S310
            assert response.status == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=HUNG_SECONDS)
    plate_urls = re.findall(r"A plate: +(\S+)", output)
    assert len(plate_urls) == 2 and all(u.startswith(base.upper() + "/P/") for u in plate_urls)
    assert f"{base}/staff/login" in output
    token = plate_urls[0].rsplit("/", 1)[1]
    assert re.search(rf"Book a service: +{re.escape(base)}/P/{token}/services", output)
    for page in ("/staff/stats/", "/staff/reports/annual", "/api/v1/stats"):
        assert f"{base}{page}" in output
    for username, _name, _role, _town, _village, password in demo.DEMO_STAFF:
        assert username in output and password in output
    assert (tmp_path / "instance" / "doorplate.sqlite3").exists()


def test_serve_without_demo_refuses_without_a_secret_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "doorplate"), "serve", "--port", str(_free_port())],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=HUNG_SECONDS,
        check=False,
    )
    assert result.returncode != 0
    assert "DOORPLATE_SECRET_KEY is not set" in result.stderr
