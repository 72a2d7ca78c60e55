"""The visit writer process: workers hand it their batches, it commits them before answering, a
batch delivered twice counts once, and with the writer gone the workers record their own."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from served import gunicorn

from doorplate.visits import queue as visit_queue
from doorplate.visits import service, writer

from .conftest import IP, PHONE, Plates, visits


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def writer_process(app: Flask) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``doorplate visits writer`` on the test database; its socket path (kept short: a Unix
    socket's path has at most 107 bytes) and process."""
    folder = tempfile.mkdtemp(prefix="dpw-")
    path = os.path.join(folder, "v.sock")
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "DOORPLATE_SECRET_KEY": "test-" + "k" * 40,
        "DOORPLATE_INSTANCE_PATH": folder,
    }
    doorplate = str(Path(sys.executable).with_name("doorplate"))
    process = subprocess.Popen([doorplate, "visits", "writer", path], env=env)
    assert _wait_for(lambda: os.path.exists(path)), "the writer did not open its socket"
    yield path, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def _scans(plates: Plates, count: int) -> list[service.Scan]:
    ids = service.PlateIds(plates.ids[0], plates.household_ids[0], plates.village_id)
    start = service.utcnow() - timedelta(seconds=count)
    return [
        service.Scan(ids, IP, f"{PHONE} visitor-{n}", start + timedelta(seconds=n))
        for n in range(count)
    ]


def test_the_writer_commits_a_batch_before_it_answers_and_a_replay_counts_once(
    plates: Plates, writer_process: tuple[str, subprocess.Popen[bytes]]
) -> None:
    path, _ = writer_process
    client = writer.Client(path)
    batch = _scans(plates, 25)
    assert client.send(batch)
    assert len(visits()) == 25  # committed when the answer came, not later
    assert client.send(batch)  # the worker did not hear the answer, say, and sends it again
    assert client.send(batch[:10])
    assert len(visits()) == 25
    client.close()


def test_a_stopped_writer_is_refused_and_the_queue_records_its_batch_itself(
    make_app: Callable[..., Flask],
    plates: Plates,
    writer_process: tuple[str, subprocess.Popen[bytes]],
) -> None:
    path, process = writer_process
    process.terminate()  # gunicorn's way of stopping it: the socket goes with it
    assert process.wait(timeout=30) == 0
    assert not os.path.exists(path)
    assert not writer.Client(path).send(_scans(plates, 1))

    app = make_app(VISIT_FLUSH_SECONDS=3600, VISIT_WRITER_SOCKET=path)
    with app.app_context():
        queue = visit_queue.queue()
        for scan in _scans(plates, 3):
            queue.add(scan)
        assert queue.flush() == 3
    assert len(visits()) == 3


def _scan(port: int, token: str, visitor: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/P/{token}", headers={"User-Agent": f"{PHONE} {visitor}"})
    status = connection.getresponse().status
    connection.close()
    return status


def _writer_of(port: int) -> int:
    """The pid of the visit writer that the gunicorn master serving ``port`` started."""
    masters = {
        pid
        for pid in os.listdir("/proc")
        if pid.isdigit() and f"127.0.0.1:{port}".encode() in _cmdline(pid)
    }
    for pid in os.listdir("/proc"):
        if pid.isdigit() and b"visits\0writer" in _cmdline(pid):
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat.rsplit(")", 1)[1].split()[1] in masters:  # its parent
                return int(pid)
    raise AssertionError("no visit writer under the gunicorn master")


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.slow
def test_under_gunicorn_workers_hand_visits_to_the_writer_and_survive_losing_it(
    app: Flask, plates: Plates
) -> None:
    with gunicorn("wsgi:app", app.config["SQLALCHEMY_DATABASE_URI"], workers=2) as port:
        assert all(_scan(port, plates.tokens[n % 3], f"a{n}") == 200 for n in range(30))
        assert _wait_for(lambda: len(visits()) == 30)

        # A paused writer holds every batch: no worker writes on its own while it waits.
        pid = _writer_of(port)
        os.kill(pid, signal.SIGSTOP)
        try:
            assert all(_scan(port, plates.tokens[n % 3], f"b{n}") == 200 for n in range(30))
            time.sleep(1.5)  # six flush intervals
            assert len(visits()) == 30
        finally:
            os.kill(pid, signal.SIGCONT)
        assert _wait_for(lambda: len(visits()) == 60)

        # Killed outright, the writer takes nothing more: the workers record their own visits.
        os.kill(pid, signal.SIGKILL)
        assert all(_scan(port, plates.tokens[n % 3], f"c{n}") == 200 for n in range(30))
        assert _wait_for(lambda: len(visits()) == 90)
