"""Bursts of simultaneous opens with real threads: the counts stay exact on both databases.

Each request holds its decision uncommitted for HOLD seconds, so all THREADS requests overlap;
the negative control runs the naive "select recent, then insert" under the same load and must
overcount, which shows the harness would catch a racy implementation.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from waits import HUNG_SECONDS

from doorplate.db import db, utcnow
from doorplate.plates.service import Scanned
from doorplate.visits import service
from doorplate.visits.models import Visit, VisitSalt, VisitWindow
from doorplate.visits.queue import queue

from .conftest import Plates, open_plate, visits

THREADS = 32
HOLD = 0.02


@pytest.fixture
def burst_app(make_app: Callable[..., Flask]) -> Flask:
    """An app whose pool lets all THREADS requests hold a connection at once."""
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS, "max_overflow": 0})


def _held(record: Callable[..., bool]) -> Callable[..., bool]:
    def held(*args: Any, **kwargs: Any) -> bool:
        counted = record(*args, **kwargs)
        time.sleep(HOLD)  # the view commits after this: others pile up on the same rows
        return counted

    return held


def _naive_record(
    plate: Scanned,
    *,
    method: str,
    remote_addr: str | None,
    user_agent: str,
    staff: bool = False,
    now: datetime | None = None,
) -> bool:
    """The approach the upsert replaces: look for a recent visit, insert one if there is none."""
    now = utcnow()
    ids = {
        "plate_id": plate.plate_id,
        "household_id": plate.household_id,
        "village_id": plate.village_id,
    }
    key = hashlib.sha256(f"{remote_addr}\n{user_agent}".encode()).hexdigest()[:16]
    recent = db.session.scalar(
        select(Visit.id).where(
            Visit.plate_id == plate.plate_id,
            Visit.visitor_key == key,
            Visit.occurred_at > now - service.WINDOW,
        )
    )
    if db.engine.dialect.name == "sqlite":
        # Every SQLite transaction is BEGIN IMMEDIATE, which serialises a check and an insert
        # made in one; the race is there as soon as they are two (a cache, a replica, ...).
        db.session.commit()
    time.sleep(HOLD)
    if recent is not None:
        return False
    db.session.add(Visit(**ids, occurred_at=now, visitor_key=key))
    return True


def _burst(app: Flask, requests: Sequence[tuple[str, str]]) -> None:
    """Open (token, ip) pairs all at once, one thread and test client each."""
    barrier = threading.Barrier(len(requests))

    def one(token: str, ip: str) -> None:
        client = app.test_client()
        barrier.wait(timeout=HUNG_SECONDS)
        assert open_plate(client, token, ip=ip).status_code == 200

    with ThreadPoolExecutor(len(requests)) as pool:
        for future in [pool.submit(one, token, ip) for token, ip in requests]:
            future.result()


def _same_visitor(plates: Plates) -> list[tuple[str, str]]:
    return [(plates.tokens[0], "10.0.0.1")] * THREADS


def _many_visitors(plates: Plates) -> list[tuple[str, str]]:
    return [(plates.tokens[0], f"10.0.0.{n}") for n in range(THREADS)]


def _mixed(plates: Plates) -> list[tuple[str, str]]:
    """8 visitors x 2 plates x 2 opens each: 16 visits."""
    return [(plates.tokens[p], f"10.0.1.{v}") for v in range(8) for p in range(2) for _ in range(2)]


@pytest.mark.parametrize(
    ("requests", "expected"),
    [(_same_visitor, 1), (_many_visitors, THREADS), (_mixed, 16)],
    ids=["same-visitor", "different-visitors", "mixed"],
)
def test_simultaneous_opens_count_exactly(
    burst_app: Flask,
    plates: Plates,
    monkeypatch: pytest.MonkeyPatch,
    requests: Callable[[Plates], list[tuple[str, str]]],
    expected: int,
) -> None:
    monkeypatch.setattr(service, "record", _held(service.record))
    _burst(burst_app, requests(plates))
    recorded = visits()
    assert len(recorded) == expected
    pairs = Counter((v.visitor_key, v.plate_id) for v in recorded)
    assert set(pairs.values()) == {1}
    # One window row per counted visit (in a county day's first 30 minutes each count also
    # claims the visitor's row under yesterday's key, which these keys leave out).
    windows = select(func.count()).where(VisitWindow.visitor_key.in_({v for v, _ in pairs}))
    assert db.session.scalar(windows) == expected
    db.session.commit()


def test_negative_control_naive_select_then_insert_overcounts(
    burst_app: Flask, plates: Plates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "record", _naive_record)
    _burst(burst_app, _same_visitor(plates))
    assert len(visits()) > 1


def test_workers_creating_a_day_salt_at_once_all_get_the_same_one(
    app: Flask, burst_app: Flask
) -> None:
    day = date(2026, 3, 3)
    barrier = threading.Barrier(THREADS)

    def one() -> bytes:
        with burst_app.app_context():
            barrier.wait(timeout=HUNG_SECONDS)
            salt = service.salt_for(day)
            time.sleep(HOLD)
            db.session.commit()
            return salt

    with ThreadPoolExecutor(THREADS) as pool:
        salts = {future.result() for future in [pool.submit(one) for _ in range(THREADS)]}
    stored = db.session.scalars(select(VisitSalt.salt).where(VisitSalt.day == day)).all()
    db.session.commit()
    assert len(salts) == 1 and stored == list(salts)


@pytest.mark.parametrize(
    ("requests", "expected"),
    [(_same_visitor, 1), (_many_visitors, THREADS), (_mixed, 16)],
    ids=["same-visitor", "different-visitors", "mixed"],
)
def test_simultaneous_queued_opens_count_exactly(
    make_app: Callable[..., Flask],
    plates: Plates,
    requests: Callable[[Plates], list[tuple[str, str]]],
    expected: int,
) -> None:
    """Production's path: the scans queue their visits at once, the worker records the batch."""
    app = make_app(
        VISIT_FLUSH_SECONDS=3600,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS, "max_overflow": 0},
    )
    scans = requests(plates)
    _burst(app, scans)
    with app.app_context():
        assert len(queue()) == len(scans)  # every scan queued, none lost between threads
        queue().flush()
    recorded = visits()
    assert len(recorded) == expected
    assert set(Counter((v.visitor_key, v.plate_id) for v in recorded).values()) == {1}
