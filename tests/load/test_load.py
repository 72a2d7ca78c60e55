"""The short versions of scripts/load: steady load and faults under load, as real processes
(gunicorn with 4 workers, a private PostgreSQL cluster, a private Redis), plus the one repair the
faults needed: the plate scan's raw pooled connection surviving a database restart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from served import free_port
from sqlalchemy import create_engine, select, text
from waits import HUNG_SECONDS

from doorplate import create_app
from doorplate.db import db, first_row

from .conftest import PrivateCluster

ROOT = Path(__file__).resolve().parents[2]
LOAD = ROOT / "scripts" / "load"

pytestmark = pytest.mark.slow


def _run(script: str, cluster: PrivateCluster, *args: str) -> str:
    command = [
        sys.executable, str(LOAD / script), *args,
        "--pg-cluster", cluster.spec, "--pg-port", str(cluster.port),
        "--redis-port", str(free_port()), "--correctness-only",
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=HUNG_SECONDS, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "targets: met" in done.stdout
    return done.stdout


def test_steady_load_meets_its_targets(private_cluster: PrivateCluster) -> None:
    """Error answers < 0.1%, every booking exact, one visit per 2xx scan exactly (latency is the
    benchmark's: scripts/load/steady.py without --correctness-only)."""
    out = _run(
        "steady.py", private_cluster, "--rate", "80", "--bookings", "5", "--duration", "8",
        "--warmup", "2",
    )  # fmt: skip
    assert "2xx scans without a visit 0" in out


def test_faults_under_load_lose_no_booking_and_recover(private_cluster: PrivateCluster) -> None:
    """PostgreSQL crash-restarted, two workers SIGKILLed, Redis stopped, all under load."""
    out = _run(
        "faults.py", private_cluster, "--rate", "60", "--bookings", "6", "--duration", "30",
        "--kills", "2", "--redis-down", "3",
    )  # fmt: skip
    assert "PostgreSQL accepting connections" in out
    assert out.count("SIGKILL worker") == 2
    assert "Redis started" in out


@pytest.fixture
def load_app(private_cluster: PrivateCluster) -> Iterator[Flask]:
    admin = create_engine(private_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS restart_probe WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE restart_probe"))
    app = create_app(
        {"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": private_cluster.url("restart_probe")}
    )
    with app.app_context():
        db.session.execute(text("CREATE TABLE plate (id int, token text)"))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    admin.dispose()


def test_a_scan_right_after_a_database_restart_does_not_fail(
    load_app: Flask, private_cluster: PrivateCluster
) -> None:
    """The scan's query runs on a raw pooled connection; after a restart every pooled one is dead.
    The first scan must replace them and answer, not fail once per pooled connection."""
    statement = select(text("id")).select_from(text("plate")).where(text("token = :token"))
    with load_app.app_context():
        held = [db.engine.raw_connection() for _ in range(3)]  # three pooled connections
        for connection in held:
            connection.close()
        assert first_row(statement, {"token": "X"}) is None
        private_cluster.restart_immediately()
        for _ in range(4):
            assert first_row(statement, {"token": "X"}) is None
