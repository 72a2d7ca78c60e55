"""One process that records every worker's visits, so that no worker serving scans stops to.

Under gunicorn (``gunicorn.conf.py``) the master starts ``doorplate visits writer`` before the
workers and gives them its socket in ``DOORPLATE_VISIT_WRITER_SOCKET``. Each worker's visit queue
(:mod:`doorplate.visits.queue`) then sends its batch over that Unix socket every flush interval
instead of hashing and writing it with the worker's own interpreter, whose lock the scans
waiting in that worker would queue behind: that wait was the plate page's slowest 1% (see
BENCHMARKS.md). The writer records each batch with :func:`doorplate.visits.service.record_many`
and commits before it answers.

*At least once, counted once.* A worker keeps its batch until the writer answers that it is
committed; if the writer cannot be reached, fails or does not answer in time, the worker records
the batch itself, as it does with no writer. A batch recorded twice counts once: a replayed
opening is at the same instant as its first recording, so it falls inside the 30-minute window
that recording started (:mod:`doorplate.visits.service`).

Frames are a 4-byte big-endian length and a JSON array of
``[plate_id, household_id, village_id, remote_addr, user_agent, at]``; the answer is one byte,
:data:`COMMITTED` or :data:`FAILED`. Addresses cross the socket (owner-only, in the instance
folder) and stay in the writer's memory until their visitor keys are made, as in a worker.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import socketserver
import struct
import threading
from collections.abc import Sequence
from datetime import datetime

from flask import Flask

from doorplate.db import db
from doorplate.visits import service

logger = logging.getLogger(__name__)

COMMITTED, FAILED = b"\x01", b"\x00"
ANSWER_TIMEOUT = 30.0  # seconds a worker waits for its batch to be committed before writing it
_LENGTH = struct.Struct(">I")


def encode(scans: Sequence[service.Scan]) -> bytes:
    body = json.dumps(
        [
            [
                scan.plate.plate_id,
                scan.plate.household_id,
                scan.plate.village_id,
                scan.remote_addr,
                scan.user_agent,
                scan.at.isoformat(),
            ]
            for scan in scans
        ],
        ensure_ascii=False,
    ).encode()
    return _LENGTH.pack(len(body)) + body


def decode(body: bytes) -> list[service.Scan]:
    return [
        service.Scan(
            service.PlateIds(plate_id, household_id, village_id),
            remote_addr,
            user_agent,
            datetime.fromisoformat(at),
        )
        for plate_id, household_id, village_id, remote_addr, user_agent, at in json.loads(body)
    ]


class Client:
    """A worker's connection to the writer, opened on first use and again after any failure."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._socket: socket.socket | None = None
        self._pid = os.getpid()

    def send(self, scans: Sequence[service.Scan]) -> bool:
        """Whether the writer has committed ``scans``; False means record them yourself."""
        if self._pid != os.getpid():  # a forked child must not share its parent's connection
            self._socket, self._pid = None, os.getpid()
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self._socket.settimeout(ANSWER_TIMEOUT)
                self._socket.connect(self._path)
            self._socket.sendall(encode(scans))
            answer = self._socket.recv(1)
        except OSError as error:
            logger.warning("The visit writer did not take a batch (%s); writing it here.", error)
            self.close()
            return False
        if answer != COMMITTED:
            self.close()  # an empty answer is a closed connection
        return answer == COMMITTED

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True  # a worker's connection never keeps the writer from stopping
    app: Flask
    lock: threading.Lock  # one transaction at a time: SQLite has one writer anyway


class _Batches(socketserver.StreamRequestHandler):
    """One worker's connection: batch after batch, each answered once committed."""

    server: _Server

    def handle(self) -> None:
        while header := self.rfile.read(_LENGTH.size):
            (length,) = _LENGTH.unpack(header)
            body = self.rfile.read(length)
            if len(body) < length:
                return  # the worker went away mid-batch: it still has the batch
            self.wfile.write(COMMITTED if self._record(body) else FAILED)

    def _record(self, body: bytes) -> bool:
        with self.server.lock, self.server.app.app_context():
            try:
                service.record_many(decode(body))
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("Could not record a batch of visits; its worker will.")
                return False
        return True


def serve(app: Flask, path: str) -> None:
    """Record the batches sent to the socket at ``path`` until the process is stopped."""
    if os.path.exists(path):
        os.unlink(path)  # left by a writer that was killed
    old_mask = os.umask(0o177)  # the socket is the owner's only
    try:
        server = _Server(path, _Batches)
    finally:
        os.umask(old_mask)
    server.app, server.lock = app, threading.Lock()
    # SIGTERM (gunicorn stopping) ends the loop; serve_forever must be stopped from another thread.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    logger.info("Recording visits sent to %s.", path)
    try:
        server.serve_forever()
    finally:
        with server.lock:  # let a batch being committed finish: its worker waits for the answer
            server.server_close()
            os.unlink(path)
