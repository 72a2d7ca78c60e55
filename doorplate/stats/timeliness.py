"""Publication timeliness: which villages are late with their finance disclosure, or silent.

Zhejiang practice is to disclose village finance (财务) every month, and every quarter for small
villages; the county sets which with the config key ``FINANCE_DISCLOSURE_EVERY`` ("month", the
default, or "quarter"). Both rules are judged at an instant ``at`` (now, or the end of a past
year), in county dates:

- *Finance overdue*: the village's last finance item went live before the start of the previous
  complete period. Monthly, at any time in May a village is overdue unless a finance item of its
  own went live on or after 1 April; quarterly, at any time in Q3 unless one went live on or
  after 1 April (the start of Q2). A village that never published finance is overdue.
- *Silent*: the village published nothing at all (any category) in the last complete calendar
  quarter, e.g. nothing from 1 April to 30 June when judged in Q3.

"Went live" is exactly the tallies' rule (:mod:`doorplate.stats.tallies`): a post that is
published or withdrawn now, went live at the later of ``published_at`` and ``publish_at``, and
was not withdrawn before that; drafts, submitted and rejected posts never count. Only a village's
own posts count, as in the tallies' per-village figures: a town's or the county's post is not a
village's disclosure.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import func, select

from doorplate.db import db
from doorplate.i18n import county_zone
from doorplate.places.models import Town, Village
from doorplate.publications.models import Category, Post
from doorplate.staff.service import Scope
from doorplate.stats.tallies import utc_start, went_live, went_live_at

CONFIG_KEY = "FINANCE_DISCLOSURE_EVERY"


class Every(enum.StrEnum):
    """How often a village must disclose its finance."""

    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True)
class VillageRef:
    village_id: int
    code: str
    name: str
    town_name: str


@dataclass(frozen=True)
class Overdue:
    village: VillageRef
    last_finance: date | None  # the county date its last finance item went live; None: never


@dataclass(frozen=True)
class Timeliness:
    """Both lists for one area, judged at one instant."""

    every: Every
    judged_on: date  # the county date of the instant judged at
    due_since: date  # finance must have gone live on or after this date
    quarter_start: date  # the last complete quarter, [start, end)
    quarter_end: date
    overdue: tuple[Overdue, ...]
    silent: tuple[VillageRef, ...]


def disclosure_every() -> Every:
    """The configured finance rule; a wrong value is refused rather than silently replaced."""
    value = current_app.config[CONFIG_KEY]
    try:
        return Every(value)
    except ValueError:
        raise ValueError(f"{CONFIG_KEY} must be 'month' or 'quarter', not {value!r}") from None


def period_start(day: date, every: Every) -> date:
    """The first day of the month or quarter holding ``day``."""
    month = day.month if every is Every.MONTH else 3 * ((day.month - 1) // 3) + 1
    return date(day.year, month, 1)


def previous_period(day: date, every: Every) -> tuple[date, date]:
    """The last complete month or quarter before the one holding ``day``, as [start, end)."""
    end = period_start(day, every)
    months = 1 if every is Every.MONTH else 3
    index = end.year * 12 + end.month - 1 - months
    return date(index // 12, index % 12 + 1, 1), end


def judge(area: Scope, at: datetime, every: Every | None = None) -> Timeliness:
    """Which villages of ``area`` are overdue with finance, and which were silent, at ``at``."""
    every = every or disclosure_every()
    today = at.astimezone(county_zone()).date()
    due_since, _ = previous_period(today, every)
    quarter_start, quarter_end = previous_period(today, Every.QUARTER)
    villages = _villages(area)
    last = _last_finance(area, at)
    overdue = tuple(
        Overdue(village, last.get(village.village_id))
        for village in villages
        if (found := last.get(village.village_id)) is None or found < due_since
    )
    spoke = _villages_that_published(area, utc_start(quarter_start), utc_start(quarter_end))
    silent = tuple(village for village in villages if village.village_id not in spoke)
    return Timeliness(every, today, due_since, quarter_start, quarter_end, overdue, silent)


def _villages(area: Scope) -> Sequence[VillageRef]:
    rows = db.session.execute(
        select(Village.id, Village.code, Village.name, Town.name)
        .join(Town, Village.town_id == Town.id)
        .where(area.villages())
        .order_by(Village.code)
    ).all()
    return [VillageRef(*row) for row in rows]


def _last_finance(area: Scope, at: datetime) -> dict[int, date]:
    """The county date each village's last finance item went live, up to ``at``."""
    live_at = went_live_at()
    statement = (
        select(Post.village_id, func.max(live_at))
        .where(
            *went_live(None, at),
            Post.category == Category.FINANCE,
            Post.village_id.in_(select(Village.id).where(area.villages())),
        )
        .group_by(Post.village_id)
    )
    zone = county_zone()
    return {
        village_id: _aware(last).astimezone(zone).date()
        for village_id, last in db.session.execute(statement)
    }


def _villages_that_published(area: Scope, start: datetime, end: datetime) -> set[int]:
    statement = (
        select(Post.village_id)
        .where(
            *went_live(start, end),
            Post.village_id.in_(select(Village.id).where(area.villages())),
        )
        .distinct()
    )
    return set(db.session.scalars(statement))


def _aware(value: datetime | str) -> datetime:
    """SQLite hands an aggregate of a UTC column back as naive text: read it as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
