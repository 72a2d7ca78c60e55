"""Queued visits (production's way): recorded within a second by the worker's thread, in one
transaction, at each visit's own time, by the same rules; kept for a retry when the database
fails; written before a process exits; exact when two workers write the same visitor at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import insert

from doorplate.db import db
from doorplate.visits import queue as visit_queue
from doorplate.visits import service
from doorplate.visits.models import Visit

from .conftest import COUNTY, PHONE, Clock, Plates, open_plate, visits


@pytest.fixture
def queued(make_app: Callable[..., Flask]) -> Flask:
    """An app that queues visits; its thread waits long enough that tests flush by hand."""
    return make_app(VISIT_FLUSH_SECONDS=3600)


def _queue(app: Flask) -> visit_queue.VisitQueue:
    with app.app_context():
        return visit_queue.queue()


def test_a_scan_queues_its_visit_and_a_flush_records_it_at_the_scans_time(
    queued: Flask, plates: Plates, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(service.utcnow())
    monkeypatch.setattr(visit_queue, "utcnow", clock)
    client = queued.test_client()
    assert open_plate(client, plates.tokens[0]).status_code == 200
    assert open_plate(client, plates.tokens[1]).status_code == 200
    scanned_at = clock.at
    assert visits() == [] and len(_queue(queued)) == 2
    clock.at += timedelta(minutes=5)  # the flush comes later; the visits keep their own time
    assert _queue(queued).flush() == 2
    recorded = visits()
    assert [v.plate_id for v in recorded] == [plates.ids[0], plates.ids[1]]
    assert {v.occurred_at for v in recorded} == {scanned_at}
    assert len(_queue(queued)) == 0


def test_the_30_minute_rule_holds_within_a_batch_and_across_batches(
    queued: Flask, plates: Plates
) -> None:
    client = queued.test_client()
    for _ in range(3):
        open_plate(client, plates.tokens[0])
    _queue(queued).flush()
    open_plate(client, plates.tokens[0])
    open_plate(client, plates.tokens[0], ip="198.51.100.9")  # another visitor
    _queue(queued).flush()
    assert len(visits()) == 2


@pytest.mark.parametrize(
    "visitor",
    [
        {"user_agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
        {"user_agent": ""},
        {"method": "HEAD"},
    ],
    ids=["bot", "no-user-agent", "head"],
)
def test_what_is_not_a_visit_is_never_queued(
    queued: Flask, plates: Plates, visitor: dict[str, str]
) -> None:
    open_plate(queued.test_client(), plates.tokens[0], **visitor)
    assert len(_queue(queued)) == 0


def test_a_failed_batch_is_kept_and_recorded_by_the_next_flush(
    queued: Flask, plates: Plates, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = queued.test_client()
    open_plate(client, plates.tokens[0])
    open_plate(client, plates.tokens[1])
    # The last of the batch's statements fails, after the windows were moved: the whole batch
    # must roll back, or the retry would find its own windows and count nothing.
    broken = insert(Visit.__table__).values(no_such_column=1)
    monkeypatch.setattr(service, "_INSERT_VISIT", broken)
    assert _queue(queued).flush() == 0
    assert visits() == [] and len(_queue(queued)) == 2
    monkeypatch.undo()
    assert _queue(queued).flush() == 2
    assert len(visits()) == 2


def test_the_workers_thread_records_within_the_interval(
    make_app: Callable[..., Flask], plates: Plates
) -> None:
    app = make_app(VISIT_FLUSH_SECONDS=0.05)
    open_plate(app.test_client(), plates.tokens[0])
    deadline = time.monotonic() + 5
    while not visits() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(visits()) == 1


def test_two_workers_writing_the_same_visitor_at_once_count_one_visit(
    make_app: Callable[..., Flask], plates: Plates
) -> None:
    workers = [make_app(VISIT_FLUSH_SECONDS=3600) for _ in range(2)]
    for app in workers:
        open_plate(app.test_client(), plates.tokens[0])
    barrier = threading.Barrier(len(workers))

    def flush(app: Flask) -> None:
        barrier.wait(timeout=10)
        _queue(app).flush()

    threads = [threading.Thread(target=flush, args=(app,)) for app in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(visits()) == 1


def test_a_process_writes_its_queue_before_it_exits(database_url: str, plates: Plates) -> None:
    """A graceful stop (gunicorn's SIGTERM ends in a normal exit) loses no queued visit."""
    script = textwrap.dedent(
        f"""
        from doorplate import create_app
        app = create_app({{
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": {database_url!r},
            "VISIT_FLUSH_SECONDS": 3600,
        }})
        client = app.test_client()
        for n in range(3):
            response = client.get(
                "/P/{plates.tokens[0]}",
                headers={{"User-Agent": {PHONE!r}}},
                environ_base={{"REMOTE_ADDR": f"10.9.0.{{n}}"}},
            )
            assert response.status_code == 200
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert len(visits()) == 3


def _scan(plates: Plates, at: datetime, ip: str = "203.0.113.5") -> service.Scan:
    opened = visit_queue._Opened(plates.ids[0], plates.household_ids[0], plates.village_id)
    return service.Scan(opened, ip, PHONE, at)


def test_a_batch_judges_each_scan_against_the_stored_window(app: Flask, plates: Plates) -> None:
    noon = datetime(2026, 11, 27, 12, 0, tzinfo=COUNTY).astimezone(UTC)
    assert service.record(
        _scan(plates, noon).plate, method="GET", remote_addr="203.0.113.5", user_agent=PHONE,
        now=noon,
    )  # fmt: skip
    db.session.commit()
    batch = [
        _scan(plates, noon + timedelta(minutes=30)),  # 30 minutes on: counts
        _scan(plates, noon + timedelta(minutes=29, seconds=59)),  # queued out of order: not
        _scan(plates, noon + timedelta(minutes=45)),  # within 30 minutes of the one counted
        _scan(plates, noon + timedelta(minutes=45), ip="198.51.100.1"),  # another visitor
    ]
    assert service.record_many(batch) == 2
    db.session.commit()
    recorded = visits()
    assert [v.occurred_at - noon for v in recorded] == [
        timedelta(0),
        timedelta(minutes=30),
        timedelta(minutes=45),
    ]


def test_a_batch_just_after_midnight_takes_the_handover_path(app: Flask, plates: Plates) -> None:
    late = datetime(2026, 11, 27, 23, 50, tzinfo=COUNTY).astimezone(UTC)
    service.record(
        _scan(plates, late).plate, method="GET", remote_addr="203.0.113.5", user_agent=PHONE,
        now=late,
    )  # fmt: skip
    db.session.commit()
    # A new day's key, but 15 minutes after the last count: not a new visit; 35 minutes is.
    batch = [
        _scan(plates, late + timedelta(minutes=15)),
        _scan(plates, late + timedelta(minutes=35)),
    ]
    assert service.record_many(batch) == 1
    db.session.commit()
    assert len(visits()) == 2
