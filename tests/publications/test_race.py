"""Two reviewers deciding on the same post at the same moment, in real threads: one transition.

On PostgreSQL both threads are made to read the post (still "submitted") before either writes, so
only the conditional UPDATE can keep them apart. SQLite opens every transaction with BEGIN
IMMEDIATE, which already serialises the two; there the second one reads the decided post and it
is again the UPDATE's condition that refuses it. The negative control swaps in an UPDATE without
the status condition and shows the same harness then records two decisions.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from waits import HUNG_SECONDS

from doorplate.db import db
from doorplate.publications import service
from doorplate.publications.models import Post, PostStatus
from doorplate.staff.models import AuditEvent, StaffUser

from .conftest import County, submitted


def _race(app: Flask, post_id: int, decisions: list[tuple[int, str]]) -> list[str]:
    """Run each (reviewer id, "approve"|"reject") in its own thread and app context."""
    start = threading.Barrier(len(decisions))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def decide(reviewer_id: int, decision: str) -> None:
        with app.app_context():
            try:
                reviewer = db.session.get(StaffUser, reviewer_id)
                db.session.commit()  # SQLite: do not hold the write lock at the barrier
                start.wait(timeout=HUNG_SECONDS)
                post = db.session.get(Post, post_id)
                assert reviewer is not None and post is not None
                if decision == "approve":
                    service.approve(reviewer, post)
                else:
                    service.reject(reviewer, post, "数据有误")
                db.session.commit()
                outcomes.append(decision)
            except service.WrongStatus:
                db.session.rollback()
                outcomes.append("refused")
            except BaseException as error:  # reported below, in the test's thread
                db.session.rollback()
                errors.append(error)

    workers = [threading.Thread(target=decide, args=decision) for decision in decisions]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=HUNG_SECONDS)
    assert errors == []
    return sorted(outcomes)


@pytest.fixture
def rendezvous(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL, hold each thread between reading the post and writing it until both have
    read it (the permission check runs in that gap)."""
    if db.engine.dialect.name != "postgresql":
        return
    both_read = threading.Barrier(2)
    check = service._check_reviewer

    def check_then_wait(actor: StaffUser, post: Post) -> None:
        check(actor, post)
        both_read.wait(timeout=HUNG_SECONDS)

    monkeypatch.setattr(service, "_check_reviewer", check_then_wait)


def _setup(county: County) -> tuple[int, int, int]:
    post = submitted(county.editor_a, village=county.a)
    ids = (post.id, county.reviewer_a.id, county.reviewer_town1.id)
    db.session.commit()  # release the test thread's transaction before the race
    return ids


def _decisions(post_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_id == str(post_id),
                AuditEvent.action.in_(["post.approve", "post.reject"]),
            )
        )
    )


@pytest.mark.parametrize(
    ("first", "second", "results"),
    [
        ("approve", "approve", {PostStatus.PUBLISHED}),
        ("approve", "reject", {PostStatus.PUBLISHED, PostStatus.REJECTED}),
    ],
)
def test_two_reviewers_at_once_make_one_transition(
    app: Flask,
    county: County,
    rendezvous: None,
    first: str,
    second: str,
    results: set[PostStatus],
) -> None:
    post_id, reviewer_a, reviewer_town = _setup(county)
    outcomes = _race(app, post_id, [(reviewer_a, first), (reviewer_town, second)])
    assert outcomes.count("refused") == 1
    assert len(_decisions(post_id)) == 1
    post = db.session.get(Post, post_id)
    assert post is not None and post.status in results
    assert post.reviewer_id in (reviewer_a, reviewer_town)


def test_negative_control_without_the_status_condition_both_decide(
    app: Flask, county: County, rendezvous: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unconditional(
        post: Post,
        action: str,
        expected: Collection[PostStatus],
        *conditions: Any,
        **values: Any,
    ) -> None:
        db.session.execute(
            update(Post)
            .where(Post.id == post.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(post)

    monkeypatch.setattr(service, "_transition", unconditional)
    post_id, reviewer_a, reviewer_town = _setup(county)
    outcomes = _race(app, post_id, [(reviewer_a, "approve"), (reviewer_town, "approve")])
    assert outcomes == ["approve", "approve"]
    assert len(_decisions(post_id)) == 2
