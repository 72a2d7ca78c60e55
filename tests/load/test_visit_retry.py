"""A visit flush whose commit reached the database but whose answer did not (PostgreSQL
restarted mid-commit) is retried: the retry must count nothing twice. Runs on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from doorplate.db import db, utcnow
from doorplate.places.models import Household, Village
from doorplate.plates.models import Plate
from doorplate.plates.service import issue_missing
from doorplate.visits import queue as visit_queue
from doorplate.visits import service
from doorplate.visits.models import Visit

AGENT = "Mozilla/5.0 (Linux; Android 12) Mobile Safari/537.36"


@pytest.fixture
def queued(make_app: Callable[..., Flask]) -> Flask:
    """An app that queues visits; its thread waits long enough that tests flush by hand."""
    return make_app(VISIT_FLUSH_SECONDS=3600)


def _scans(
    make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> list[service.Scan]:
    village = make_village()
    make_household(village)
    issue_missing()
    db.session.commit()
    plate = db.session.scalars(select(Plate)).one()
    opened = visit_queue._Opened(plate.id, plate.household_id, village.id)
    # Three visitors; the second opens again a minute later (that repeat is not a visit).
    now = utcnow().replace(hour=12) - timedelta(days=1)
    scans = [
        service.Scan(opened, f"203.0.113.{n}", AGENT, now + timedelta(seconds=n)) for n in (1, 2, 3)
    ]
    scans.append(service.Scan(opened, "203.0.113.2", AGENT, now + timedelta(minutes=1)))
    db.session.commit()
    return scans


def _visits() -> int:
    count = db.session.scalar(select(func.count(Visit.id))) or 0
    db.session.commit()
    return count


def test_a_flush_retried_after_its_commit_went_through_counts_nothing_twice(
    queued: Flask,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with queued.app_context():
        scans = _scans(make_village, make_household)
        pending = visit_queue.queue()
        for scan in scans:
            pending.add(scan)
        commit = db.session.commit

        def commit_then_lose_the_answer() -> None:
            commit()
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

        monkeypatch.setattr(db.session, "commit", commit_then_lose_the_answer)
        assert pending.flush() == 0  # looks failed: the batch is kept for a retry
        monkeypatch.undo()
        assert len(pending) == len(scans)
        assert _visits() == 3  # it had been recorded all the same
        assert pending.flush() == len(scans)  # the retry goes through...
        assert _visits() == 3  # ...and counts none of them again
        assert len(pending) == 0
