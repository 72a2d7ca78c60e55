"""gunicorn settings for doorplate: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Command-line options (``--bind``, ``--workers``) override what is set here. The master starts one
visit writer (``doorplate visits writer``) before the workers and stops it after them, so that
workers hand their queued visits to it instead of recording them between scans
(doorplate/visits/writer.py). If the writer does not start, the workers record their own visits,
as they do under any other server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRITER_SOCKET_ENV = "DOORPLATE_VISIT_WRITER_SOCKET"
WRITER_START_SECONDS = 15

_writer: subprocess.Popen[bytes] | None = None


def on_starting(server) -> None:  # noqa: ANN001 (gunicorn's Arbiter)
    global _writer
    path = os.environ.get(WRITER_SOCKET_ENV) or os.path.join(
        tempfile.mkdtemp(prefix="doorplate-"), "visits.sock"
    )
    command = [str(Path(sys.executable).with_name("doorplate")), "visits", "writer", path]
    _writer = subprocess.Popen(command)  # noqa: S603 (our own command, no shell)
    deadline = time.monotonic() + WRITER_START_SECONDS
    while not os.path.exists(path):
        if _writer.poll() is not None or time.monotonic() > deadline:
            server.log.error("The visit writer did not start; workers record their own visits.")
            return
        time.sleep(0.05)
    os.environ[WRITER_SOCKET_ENV] = path  # the workers, forked after this, send their visits here


def on_exit(server) -> None:  # noqa: ANN001
    """After the workers have stopped and handed over their last visits."""
    if _writer is not None and _writer.poll() is None:
        _writer.terminate()
        _writer.wait(timeout=30)
