"""Queued visits (production's way): recorded within a second by the worker's thread, in one
transaction, at each visit's own time, by the same rules; kept for a retry when the database
fails; written before a process exits; exact when two workers write the same visitor at once."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import event, insert
from waits import HUNG_SECONDS

from doorplate.db import db
from doorplate.visits import queue as visit_queue
from doorplate.visits import service
from doorplate.visits.models import Visit, VisitWindow

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
    statements = service._batch_statements
    broken = insert(Visit.__table__).values(no_such_column=1)
    monkeypatch.setattr(
        service,
        "_batch_statements",
        lambda dialect: dataclasses.replace(statements(dialect), insert_visits=broken),
    )
    assert _queue(queued).flush() == 0
    assert visits() == [] and len(_queue(queued)) == 2
    monkeypatch.undo()
    assert _queue(queued).flush() == 2
    assert len(visits()) == 2


def test_the_workers_thread_records_the_queue_by_itself(
    make_app: Callable[..., Flask], plates: Plates
) -> None:
    app = make_app(VISIT_FLUSH_SECONDS=0.05)
    open_plate(app.test_client(), plates.tokens[0])
    deadline = time.monotonic() + HUNG_SECONDS
    while not visits() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(visits()) == 1


def _purges(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The times :func:`service.purge` is called with, from now on (it still runs)."""
    calls: list[datetime] = []
    purge = service.purge
    monkeypatch.setattr(service, "purge", lambda now=None: calls.append(now) or purge(now))
    return calls


@pytest.mark.parametrize("flush_seconds", [0, 3600], ids=["in-the-request", "queued"])
def test_a_scan_never_purges_inside_its_request(
    make_app: Callable[..., Flask],
    plates: Plates,
    monkeypatch: pytest.MonkeyPatch,
    flush_seconds: float,
) -> None:
    """The day's purge deletes rows a busy county has many of: a resident never waits on it,
    whether the visit is recorded in the request or queued."""
    purges = _purges(monkeypatch)
    app = make_app(VISIT_FLUSH_SECONDS=flush_seconds)
    client = app.test_client()
    for token in plates.tokens:
        assert open_plate(client, token).status_code == 200
    assert purges == []


def test_the_writer_purges_once_a_county_day_after_its_first_hour(
    queued: Flask, plates: Plates, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(datetime(2026, 3, 2, 0, 10, tzinfo=COUNTY).astimezone(UTC))
    monkeypatch.setattr(visit_queue, "utcnow", clock)
    purges = _purges(monkeypatch)
    client = queued.test_client()

    def scan_and_flush(token: str) -> None:
        open_plate(client, token)
        _queue(queued).flush()

    scan_and_flush(plates.tokens[0])
    assert purges == []  # 00:10: yesterday's salt may still be needed
    clock.advance(hours=1)
    scan_and_flush(plates.tokens[1])
    clock.advance(hours=3)
    scan_and_flush(plates.tokens[2])
    assert purges == [datetime(2026, 3, 2, 1, 10, tzinfo=COUNTY).astimezone(UTC)]
    clock.advance(days=1)
    scan_and_flush(plates.tokens[0])
    assert len(purges) == 2


def test_two_workers_writing_the_same_visitor_at_once_count_one_visit(
    make_app: Callable[..., Flask], plates: Plates
) -> None:
    workers = [make_app(VISIT_FLUSH_SECONDS=3600) for _ in range(2)]
    for app in workers:
        open_plate(app.test_client(), plates.tokens[0])
    barrier = threading.Barrier(len(workers))

    def flush(app: Flask) -> None:
        barrier.wait(timeout=HUNG_SECONDS)
        _queue(app).flush()

    threads = [threading.Thread(target=flush, args=(app,)) for app in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HUNG_SECONDS)
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
    subprocess.run([sys.executable, "-c", script], check=True, timeout=HUNG_SECONDS)
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


def test_a_batch_held_over_30_minutes_counts_a_new_visitor_again(
    app: Flask, plates: Plates
) -> None:
    """A batch kept through a database outage can hold one visitor's scans 30 minutes apart: the
    window created at the first count moves to the second."""
    noon = datetime(2026, 11, 27, 12, 0, tzinfo=COUNTY).astimezone(UTC)
    batch = [_scan(plates, noon + timedelta(minutes=minutes)) for minutes in (0, 10, 31)]
    assert service.record_many(batch) == 2
    db.session.commit()
    assert service.record_many([_scan(plates, noon + timedelta(minutes=31 + 29))]) == 0
    assert service.record_many([_scan(plates, noon + timedelta(minutes=31 + 30))]) == 1
    db.session.commit()
    assert [v.occurred_at - noon for v in visits()] == [
        timedelta(0),
        timedelta(minutes=31),
        timedelta(minutes=61),
    ]


@contextmanager
def _visit_statements() -> Iterator[list[tuple[str, bool]]]:
    """The statements run on the visit tables (the first two words and the table), and whether
    each ran as an executemany."""
    seen: list[tuple[str, bool]] = []

    def note(*args: object) -> None:
        _, _, statement, _, _, executemany = args
        words = str(statement).split()
        if words[0] in {"INSERT", "SELECT", "UPDATE"} and "visit_salt" not in statement:
            table = "visit_window" if "visit_window" in statement else "visit"
            seen.append((f"{words[0]} {table}", bool(executemany)))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


@pytest.mark.parametrize("size", [2, 300])
def test_a_batch_takes_the_same_statements_whatever_its_size(
    app: Flask, plates: Plates, size: int
) -> None:
    """One statement per step, never one per visit: executemany runs a statement per row, which
    cost PostgreSQL's workers and server several times more (BENCHMARKS.md, issue 4)."""
    noon = datetime(2026, 11, 27, 12, 0, tzinfo=COUNTY).astimezone(UTC)
    returning = [_scan(plates, noon, ip=f"10.3.{n // 250}.{n % 250}") for n in range(size)]
    service.record_many(returning)
    db.session.commit()
    later = noon + timedelta(minutes=40)
    new = [_scan(plates, later, ip=f"10.4.{n // 250}.{n % 250}") for n in range(size)]
    repeat = [_scan(plates, later + timedelta(minutes=1), ip=scan.remote_addr) for scan in new]
    again = [_scan(plates, later, ip=scan.remote_addr) for scan in returning]
    with _visit_statements() as new_only:
        assert service.record_many([*new, *repeat]) == size
    with _visit_statements() as mixed:
        assert service.record_many(again) == size
    db.session.commit()
    assert new_only == [("INSERT visit_window", False), ("INSERT visit", False)]
    assert mixed == [
        ("INSERT visit_window", False),
        ("SELECT visit_window", False),
        ("UPDATE visit_window", False),
        ("INSERT visit", False),
    ]
    assert len(visits()) == 3 * size


def test_two_workers_flushing_shared_visitors_in_opposite_orders_both_succeed(
    app: Flask, make_app: Callable[..., Flask], plates: Plates
) -> None:
    """Each batch creates and locks its windows in key order, whatever order its scans came in,
    so two workers' batches sharing visitors queue on each other instead of deadlocking.

    A third transaction holds the window of the visitor in the middle until both batches wait
    for it, so that both are midway through their windows when it lets go.
    """
    workers = [make_app(VISIT_FLUSH_SECONDS=3600) for _ in range(2)]
    noon = datetime(2026, 11, 27, 12, 0, tzinfo=COUNTY).astimezone(UTC)
    visitors = [f"10.5.{n // 250}.{n % 250}" for n in range(300)]
    for worker, order in zip(workers, (visitors, visitors[::-1]), strict=True):
        for n, ip in enumerate(order):
            _queue(worker).add(_scan(plates, noon + timedelta(milliseconds=n), ip=ip))
    middle = service.visitor_key(
        service.salt_for(noon.astimezone(COUNTY).date()), visitors[150], PHONE
    )
    db.session.commit()  # the day's salt, so that the batches do not wait on it instead
    flushed: list[int] = []

    def flush(worker: Flask) -> None:
        flushed.append(_queue(worker).flush())

    threads = [threading.Thread(target=flush, args=(worker,)) for worker in workers]
    with db.engine.connect() as blocker:
        blocker.execute(
            insert(VisitWindow.__table__).values(
                visitor_key=middle, plate_id=plates.ids[0], counted_at=noon
            )
        )
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        blocker.rollback()
    for thread in threads:
        thread.join(timeout=HUNG_SECONDS)
    assert flushed == [len(visitors)] * 2  # neither batch failed
    assert len(visits()) == len(visitors)
