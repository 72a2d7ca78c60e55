"""Recording plate scans' visits just after the response, in batches.

A scan answers from memory (the village's cached page) and queues its visit here; a thread in
each worker process records the queue every ``VISIT_FLUSH_SECONDS`` in one transaction with
:func:`doorplate.visits.service.record_many`, at each visit's own time and by the same rule a
synchronous scan follows. What changes is that a visit reaches the database up to a flush interval
later, and that one transaction of at most four statements (one SQLite write lock, one commit)
carries many visits instead of one.

What a visit needs for its visitor key (address and user agent) stays in this process's memory
until its batch is written, never on disk. A graceful stop (SIGTERM, a gunicorn reload) writes
the queue before the process exits; a worker killed outright (SIGKILL, a power cut) loses at
most its last flush interval of visits. While the database is unreachable a batch is kept and
retried, less often the longer the outage lasts (up to every :data:`MAX_RETRY_SECONDS`, so a
long outage does not fill the log), up to :data:`MAX_PENDING` visits, after which the oldest are
dropped with an error in the log.

A retry never counts a visit twice, even when the failed attempt had in fact committed (the
connection died after ``COMMIT`` reached the server): each visit moved its (visitor, plate)
window to its own time, so the retried batch finds every such window less than 30 minutes old
and counts none of them again.

Once a county day, a flush also purges what visits no longer need (:func:`service.tidy`): in this
thread, never in a resident's request. ``VISIT_FLUSH_SECONDS = 0`` records each visit in the
scan's own request instead, and leaves the purge to ``doorplate visits purge`` (cron).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app

from doorplate.db import db, utcnow
from doorplate.visits import service

logger = logging.getLogger(__name__)

MAX_PENDING = 100_000  # a minute and more of a county-wide notice's scans on one worker
MAX_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class _Opened:
    plate_id: int
    household_id: int
    village_id: int


class VisitQueue:
    """One process's queue of visits still to record, and the thread that records them."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()  # guards _pending and _writer_pid
        self._flushing = threading.Lock()  # one batch at a time (the thread, or atexit)
        self._pending: list[service.Scan] = []
        self._writer_pid: int | None = None
        self._failures = 0  # flushes failed in a row

    def add(self, scan: service.Scan) -> None:
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                del self._pending[0]
                logger.error("Visit queue full: the oldest queued visit was dropped.")
            self._pending.append(scan)
            if self._writer_pid != os.getpid():  # first visit in this (forked) process
                self._writer_pid = os.getpid()
                threading.Thread(target=self._run, name="doorplate-visits", daemon=True).start()
                atexit.register(self._flush_at_exit)

    def __len__(self) -> int:
        return len(self._pending)

    def flush(self) -> int:
        """Record every queued visit in one transaction; return how many were queued."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            with self._app.app_context():
                try:
                    service.record_many(batch)
                    service.tidy(max(scan.at for scan in batch))
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    self._failed(len(batch))
                    with self._lock:
                        self._pending[:0] = batch[: MAX_PENDING - len(self._pending)]
                    return 0
            if self._failures:
                logger.warning("Visits recorded again after %d failed attempts.", self._failures)
                self._failures = 0
            return len(batch)

    def _failed(self, count: int) -> None:
        self._failures += 1
        if self._failures == 1:
            logger.exception("Could not record %d visits; they will be retried.", count)
        else:
            logger.error("Still cannot record %d visits (attempt %d).", count, self._failures)

    def _delay(self) -> float:
        """The flush interval, doubled for each failure in a row, up to MAX_RETRY_SECONDS."""
        every: float = self._app.config["VISIT_FLUSH_SECONDS"]
        return min(max(every, MAX_RETRY_SECONDS), every * 2 ** min(self._failures, 16))

    def _run(self) -> None:
        while True:
            time.sleep(self._delay())
            self.flush()

    def _flush_at_exit(self) -> None:
        self.flush()
        if self._pending:
            logger.error(
                "%d visits lost: the database was unreachable at exit.", len(self._pending)
            )


def queue() -> VisitQueue:
    """This app's queue (one per app and process)."""
    found: VisitQueue | None = current_app.extensions.get("doorplate.visit_queue")
    if found is None:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        found = app.extensions.setdefault("doorplate.visit_queue", VisitQueue(app))
    return found


def record_scan(
    opened: service.Opened, *, method: str, remote_addr: str | None, user_agent: str, staff: bool
) -> None:
    """Record the visit of a plate page that answered 200: queued, or at once when
    ``VISIT_FLUSH_SECONDS`` is 0 (then in the caller's transaction, which it commits)."""
    if not service.counts(method, user_agent, staff=staff):
        return
    if not current_app.config["VISIT_FLUSH_SECONDS"]:
        service.record(
            opened, method=method, remote_addr=remote_addr, user_agent=user_agent, staff=staff
        )
        return
    ids = _Opened(opened.plate_id, opened.household_id, opened.village_id)
    queue().add(service.Scan(ids, remote_addr, user_agent, utcnow()))
