"""The app served by gunicorn on a loopback port, for tests that need real worker processes."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from waits import HUNG_SECONDS

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn(
    app: str,
    database_url: str,
    workers: int = 4,
    *,
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | None = None,
) -> Iterator[int]:
    """Serve ``app`` (``module:attribute``, importable from the project root) on ``database_url``
    with ``workers`` sync workers; yields the port and stops the server (SIGTERM, a graceful
    stop) when the block ends. ``config`` is a gunicorn config file (``-c``), ``env`` extra
    environment, and ``output`` a file that receives the server's stdout and stderr."""
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DOORPLATE_SECRET_KEY": "test-" + "k" * 40,
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--backlog", "2048",
        "--chdir", str(ROOT),
        "--log-level", "warning",
        *(["--config", str(config)] if config else []),
        app,
    ]  # fmt: skip
    process = subprocess.Popen(command, env=environ, stdout=output, stderr=output)
    try:
        _wait_until_serving(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=HUNG_SECONDS)


def _wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + HUNG_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", "/api/v1/openapi.json")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise RuntimeError("gunicorn did not start serving within 30 s")
