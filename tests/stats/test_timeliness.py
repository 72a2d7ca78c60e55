"""Publication timeliness: finance overdue (monthly and quarterly rules) and silent villages,
with posts placed on each side of the period boundaries in county time (UTC+8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from flask import Flask

from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.publications.models import Category, Post, PostScope, PostStatus
from doorplate.staff.models import Role, StaffUser
from doorplate.staff.service import Scope
from doorplate.stats.tallies import COUNTY, Period, by_village
from doorplate.stats.timeliness import (
    Every,
    disclosure_every,
    judge,
    period_start,
    previous_period,
)

from .conftest import County, local

LIVE, WITHDRAWN = PostStatus.PUBLISHED, PostStatus.WITHDRAWN
PostMaker = Callable[..., None]


@pytest.fixture
def villages(make_village: Callable[..., Village]) -> dict[str, Village]:
    return {name: make_village(f"33032710020{n}", name) for n, name in enumerate("wxyz", start=1)}


@pytest.fixture
def post(app: Flask, make_staff: Callable[..., StaffUser]) -> PostMaker:
    author = make_staff(Role.ADMIN, username="author")
    publisher = make_staff(Role.ADMIN, username="publisher")

    def make(
        category: Category,
        live: datetime | None,
        *,
        village: Village | None = None,
        town: Town | None = None,
        status: PostStatus = LIVE,
        approved: datetime | None = None,
        withdrawn: datetime | None = None,
    ) -> None:
        scope = PostScope.VILLAGE if village else PostScope.TOWN if town else PostScope.COUNTY
        db.session.add(
            Post(
                scope=scope,
                village=village,
                town=town,
                category=category,
                title="t",
                status=status,
                author=author,
                publisher=publisher if live else None,
                reviewer=publisher if live else None,
                publish_at=live,
                published_at=approved or live,
                withdrawn_at=withdrawn,
                reject_reason="数据有误" if status is PostStatus.REJECTED else None,
            )
        )
        db.session.commit()

    return make


def overdue(at: datetime, every: Every) -> dict[str, date | None]:
    judged = judge(COUNTY, at, every)
    return {row.village.name: row.last_finance for row in judged.overdue}


def test_periods() -> None:
    assert period_start(date(2021, 5, 31), Every.MONTH) == date(2021, 5, 1)
    assert period_start(date(2021, 5, 31), Every.QUARTER) == date(2021, 4, 1)
    assert previous_period(date(2021, 1, 15), Every.MONTH) == (date(2020, 12, 1), date(2021, 1, 1))
    assert previous_period(date(2021, 2, 1), Every.QUARTER) == (date(2020, 10, 1), date(2021, 1, 1))
    assert previous_period(date(2021, 12, 31), Every.QUARTER) == (
        date(2021, 7, 1),
        date(2021, 10, 1),
    )


def test_monthly_finance_is_due_since_the_previous_month(
    villages: dict[str, Village], post: PostMaker
) -> None:
    post(Category.FINANCE, local(2021, 4, 1, 0, 0), village=villages["w"])  # first instant
    post(Category.FINANCE, local(2021, 3, 31, 23, 59), village=villages["x"])  # a minute short
    post(Category.AFFAIRS, local(2021, 5, 2), village=villages["y"])  # not finance
    post(Category.FINANCE, local(2021, 5, 2), town=villages["z"].town)  # the town's, not z's
    judged_at = local(2021, 5, 31, 23, 0)
    assert overdue(judged_at, Every.MONTH) == {"x": date(2021, 3, 31), "y": None, "z": None}
    # A month later April is no longer enough for w.
    assert "w" in overdue(local(2021, 6, 1, 0, 0), Every.MONTH)


def test_quarterly_finance_is_due_since_the_previous_quarter(
    villages: dict[str, Village], post: PostMaker
) -> None:
    post(Category.FINANCE, local(2021, 4, 1, 0, 0), village=villages["w"])
    post(Category.FINANCE, local(2021, 3, 31, 23, 59), village=villages["x"])
    post(Category.FINANCE, local(2021, 5, 20), village=villages["y"])
    at = local(2021, 9, 30, 23, 0)
    assert overdue(at, Every.QUARTER) == {"x": date(2021, 3, 31), "z": None}
    # Monthly, at the same time, only August or later would do.
    assert overdue(at, Every.MONTH).keys() == {"w", "x", "y", "z"}
    judged = judge(COUNTY, at, Every.QUARTER)
    assert (judged.judged_on, judged.due_since) == (date(2021, 9, 30), date(2021, 4, 1))


def test_only_items_that_went_live_count(villages: dict[str, Village], post: PostMaker) -> None:
    at = local(2021, 5, 15)
    # Withdrawn before its scheduled time: never seen, never counts.
    post(
        Category.FINANCE,
        local(2021, 4, 10),
        village=villages["w"],
        status=WITHDRAWN,
        approved=local(2021, 4, 1),
        withdrawn=local(2021, 4, 5),
    )
    # Withdrawn after it went live: it was disclosed, so it counts.
    post(
        Category.FINANCE,
        local(2021, 4, 2),
        village=villages["x"],
        status=WITHDRAWN,
        withdrawn=local(2021, 4, 20),
    )
    for status in (PostStatus.DRAFT, PostStatus.SUBMITTED, PostStatus.REJECTED):
        post(Category.FINANCE, local(2021, 4, 2), village=villages["y"], status=status)
    # Approved in April but scheduled after the moment judged: not live yet.
    post(Category.FINANCE, local(2021, 5, 20), village=villages["z"], approved=local(2021, 4, 2))
    assert overdue(at, Every.MONTH) == {"w": None, "y": None, "z": None}
    # Nor did any of them speak in the last quarter (Q1), and nor did x.
    assert {v.name for v in judge(COUNTY, at, Every.MONTH).silent} == {"w", "x", "y", "z"}


def test_silent_means_nothing_of_its_own_in_the_last_complete_quarter(
    villages: dict[str, Village], post: PostMaker
) -> None:
    post(Category.NOTICE, local(2021, 6, 30, 23, 59), village=villages["w"])  # Q2's last minute
    post(Category.AFFAIRS, local(2021, 4, 1, 0, 0), village=villages["x"])  # Q2's first
    post(Category.AFFAIRS, local(2021, 7, 1, 0, 0), village=villages["y"])  # Q3: too late
    post(Category.AFFAIRS, local(2021, 3, 31, 23, 59), village=villages["z"])  # Q1: too early
    post(Category.POLICY, local(2021, 5, 1), town=villages["z"].town)  # the town's own
    judged = judge(COUNTY, local(2021, 8, 15), Every.MONTH)
    assert (judged.quarter_start, judged.quarter_end) == (date(2021, 4, 1), date(2021, 7, 1))
    assert [v.name for v in judged.silent] == ["y", "z"]


def test_a_scope_judges_only_its_villages(
    villages: dict[str, Village], make_village: Callable[..., Village]
) -> None:
    other = make_village("330327101201", "elsewhere")
    at = local(2021, 8, 15)
    town = judge(Scope(town_id=villages["w"].town_id), at, Every.MONTH)
    assert {row.village.name for row in town.overdue} == {"w", "x", "y", "z"}
    one = judge(Scope(village_id=other.id), at, Every.MONTH)
    assert [row.village.name for row in one.overdue] == ["elsewhere"]
    assert [row.name for row in one.silent] == ["elsewhere"]


def test_agrees_with_the_tallies_on_the_generated_county(county: County) -> None:
    """The same "went live" rule as tallies.py: silent villages are those whose own items
    published in the quarter tally to zero; a1's finance went live when scheduled (5 January),
    not when approved in December."""
    at = local(2022, 1, 15)
    judged = judge(COUNTY, at, Every.MONTH)
    quarter = Period(judged.quarter_start, judged.quarter_end)
    quiet = {v.code for v in by_village(quarter) if v.tally.published.total == 0}
    assert {v.code for v in judged.silent} == quiet
    assert quiet == {"330327100201"}  # a1; a2 and b1 published in Q4
    early = judge(COUNTY, local(2021, 2, 15), Every.MONTH)
    assert {row.village.village_id: row.last_finance for row in early.overdue} == {
        county.village_a2: None,
        county.village_b1: None,
    }
    later = judge(COUNTY, local(2021, 3, 1), Every.MONTH)
    assert later.due_since == date(2021, 2, 1)
    assert {row.village.village_id: row.last_finance for row in later.overdue}[
        county.village_a1
    ] == date(2021, 1, 5)


def test_the_rule_comes_from_the_config(make_app: Callable[..., Flask]) -> None:
    with make_app().app_context():
        assert disclosure_every() is Every.MONTH
    with make_app(FINANCE_DISCLOSURE_EVERY="quarter").app_context():
        assert disclosure_every() is Every.QUARTER
    with (
        make_app(FINANCE_DISCLOSURE_EVERY="weekly").app_context(),
        pytest.raises(ValueError, match="FINANCE_DISCLOSURE_EVERY"),
    ):
        disclosure_every()
