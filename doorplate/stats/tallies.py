"""The county's figures (DESIGN.md §5, §8), counted by the database from the raw records.

The county signs these numbers in its annual report, so each is an SQL aggregate over the rows it
counts (``household``, ``plate``, ``visit``, ``post``, ``booking``): nothing is cached or summed
row by row in Python, and the same question asked twice gives the same answer. A period is given
in county dates and turned into UTC bounds with :func:`doorplate.i18n.county_zone`, since the
database keeps UTC.

Definitions, for a period [start, end) and an area (the county, one town or one village):

- *households registered*: households active now and registered before the end. The registry
  keeps no status history, so a household deactivated later drops out of earlier periods too.
- *households covered*: registered households with a plate installed before the end and not
  revoked by then. Plates keep their history, so replacing a plate today does not change last
  year's figure.
- *visits* (访问人次): ``visit`` rows in the period; the 30-minute rule and the bot filter were
  applied when they were recorded.
- *unique visitors*: distinct visitor keys per county day, summed over the days. A key is a
  pseudonym under its day's salt only (the salt rotates daily and is then deleted), so one person
  on two days has two unrelated keys: "unique over the year" cannot be known, only per day.
  Counting (day, key) pairs says so, and keeps apart two days' keys that collide by chance.
- *items published*: posts that went live in the period, i.e. whose later of ``published_at``
  (approval) and ``publish_at`` (scheduled time) falls in it, that are published or withdrawn
  now, and that were not withdrawn before going live. Drafts, submitted and rejected posts never
  count. A town's or the county's post counts once, at its own level (in its town and in the
  county), never once per village that shows it: a village's figure counts its own posts only.
- *received*: bookings (with a slot) and requests (without) created in the period.
- *completed* (办结), *cancelled*, *no-show*: bookings now in that status whose ``completed_at``
  (办结) or ``closed_at`` (the other two) falls in the period.
- *median handling time*: the median of ``completed_at - created_at`` over the bookings completed
  in the period, in whole seconds (the mean of the middle two for an even count); None if none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    case,
    cast,
    distinct,
    extract,
    func,
    null,
    or_,
    select,
)
from sqlalchemy.orm import join

from doorplate.bookings.models import Booking, BookingStatus
from doorplate.db import db
from doorplate.i18n import county_zone
from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.plates.models import Plate, PlateStatus
from doorplate.publications.models import Category, Post, PostStatus
from doorplate.staff.service import Scope
from doorplate.visits.models import Visit

THREE_AFFAIRS = (Category.AFFAIRS, Category.PARTY, Category.FINANCE)  # 三务: 村务, 党务, 财务


class UnsupportedZone(Exception):
    """SQLite cannot count county days in a time zone whose UTC offset changes."""


@dataclass(frozen=True)
class Period:
    """County dates [start, end); ``start`` None means since launch (累计)."""

    start: date | None
    end: date

    def __post_init__(self) -> None:
        if self.start is not None and self.start >= self.end:
            raise ValueError("a period must end after it starts")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year + month // 12, month % 12 + 1, 1))

    @classmethod
    def until(cls, end: date) -> Period:
        """Everything before ``end``: the cumulative (累计) figures."""
        return cls(None, end)

    def utc_bounds(self) -> tuple[datetime | None, datetime]:
        zone = county_zone()

        def utc(day: date) -> datetime:
            return datetime.combine(day, time(), zone).astimezone(UTC)

        return (None if self.start is None else utc(self.start)), utc(self.end)


COUNTY = Scope()  # areas are staff scopes: the county, one town or one village


@dataclass(frozen=True)
class Published:
    """Items published, by category; the field names are the :class:`Category` values."""

    affairs: int = 0
    party: int = 0
    finance: int = 0
    policy: int = 0
    disclosure: int = 0
    notice: int = 0

    def of(self, category: Category) -> int:
        count: int = getattr(self, category.value)
        return count

    @property
    def three_affairs(self) -> int:
        """三务 (village affairs, party affairs, finance): the figure the annual report names."""
        return sum(self.of(category) for category in THREE_AFFAIRS)

    @property
    def total(self) -> int:
        return sum(self.of(category) for category in Category)


@dataclass(frozen=True)
class Tally:
    """One area's figures for one period (see the module docstring for each definition)."""

    households_registered: int
    households_covered: int
    visits: int
    unique_visitors: int
    published: Published
    bookings_received: int
    requests_received: int
    completed: int
    cancelled: int
    no_show: int
    median_handling: timedelta | None

    @property
    def received(self) -> int:
        return self.bookings_received + self.requests_received


@dataclass(frozen=True)
class TownTally:
    town_id: int
    code: str
    name: str
    tally: Tally


@dataclass(frozen=True)
class VillageTally:
    village_id: int
    code: str
    name: str
    town_id: int
    tally: Tally


@dataclass(frozen=True)
class MonthTally:
    month: date  # its first day
    tally: Tally


def tally(period: Period, area: Scope = COUNTY) -> Tally:
    """The figures of ``area`` for ``period``."""
    return _tallies(period, area)[None]


def by_town(period: Period) -> tuple[TownTally, ...]:
    """Each town's figures for ``period``, in code order.

    The towns' figures add up to the county's except two: published items, since the county's
    own posts belong to no town, and unique visitors, since one visitor seen in two towns on a
    day is one visitor of the county that day.
    """
    towns = db.session.execute(select(Town.id, Town.code, Town.name).order_by(Town.code)).all()
    tallies = _tallies(period, COUNTY, Village.town_id, [town.id for town in towns])
    return tuple(TownTally(town.id, town.code, town.name, tallies[town.id]) for town in towns)


def by_village(period: Period, area: Scope = COUNTY) -> tuple[VillageTally, ...]:
    """Each village's figures in ``area`` for ``period``, in code order.

    A village's published items are its own posts only: the town's and county's posts it shows
    are counted at their own level (see the module docstring).
    """
    villages = db.session.execute(
        select(Village.id, Village.code, Village.name, Village.town_id)
        .where(*_in_area(Village.id, area))
        .order_by(Village.code)
    ).all()
    tallies = _tallies(period, area, Village.id, [village.id for village in villages])
    return tuple(
        VillageTally(village.id, village.code, village.name, village.town_id, tallies[village.id])
        for village in villages
    )


def by_month(year: int, area: Scope = COUNTY) -> tuple[MonthTally, ...]:
    """The twelve months of ``year``, each counted as its own period."""
    return tuple(
        MonthTally(date(year, month, 1), tally(Period.month(year, month), area))
        for month in range(1, 13)
    )


Key = int | None  # a town's or village's id, or None for the whole area
Group = Any  # Village.town_id or Village.id: what the figures are counted per, or None


def _tallies(
    period: Period, area: Scope, group: Group = None, keys: Sequence[int] | None = None
) -> dict[Key, Tally]:
    """The figures of ``area``: per ``group`` (a town's or a village's id), for each of
    ``keys``, or with no group as one total keyed None."""
    start, end = period.utc_bounds()
    registered = [Household.status == HouseholdStatus.ACTIVE, Household.created_at < end]
    households = _grouped(Household, Household.village_id, [func.count()], registered, area, group)
    covered = _grouped(
        join(Plate, Household, Plate.household_id == Household.id),
        Household.village_id,
        [func.count(distinct(Plate.household_id))],
        [
            *registered,
            Plate.installed_at < end,
            or_(Plate.status == PlateStatus.ACTIVE, Plate.revoked_at >= end),
        ],
        area,
        group,
    )
    day = cast(_county_day(Visit.occurred_at, period), String)
    visits = _grouped(
        Visit,
        Visit.village_id,
        [func.count(), func.count(distinct(day + Visit.visitor_key))],
        _within(Visit.occurred_at, start, end),
        area,
        group,
    )
    received = _grouped(
        Booking,
        Booking.village_id,
        [
            func.count(case((Booking.slot_id.is_not(None), 1))),
            func.count(case((Booking.slot_id.is_(None), 1))),
        ],
        _within(Booking.created_at, start, end),
        area,
        group,
    )
    closed = {
        status: _grouped(
            Booking,
            Booking.village_id,
            [func.count()],
            [Booking.status == status, *_within(column, start, end)],
            area,
            group,
        )
        for status, column in (
            (BookingStatus.COMPLETED, Booking.completed_at),
            (BookingStatus.CANCELLED, Booking.closed_at),
            (BookingStatus.NO_SHOW, Booking.closed_at),
        )
    }
    published = _published(start, end, area, group)
    medians = _median_handling(start, end, area, group)

    def figure(rows: dict[Key, tuple[Any, ...]], key: Key, column: int = 0) -> int:
        return int(rows[key][column]) if key in rows else 0

    return {
        key: Tally(
            households_registered=figure(households, key),
            households_covered=figure(covered, key),
            visits=figure(visits, key),
            unique_visitors=figure(visits, key, 1),
            published=Published(
                **{category.value: published.get((key, category), 0) for category in Category}
            ),
            bookings_received=figure(received, key),
            requests_received=figure(received, key, 1),
            completed=figure(closed[BookingStatus.COMPLETED], key),
            cancelled=figure(closed[BookingStatus.CANCELLED], key),
            no_show=figure(closed[BookingStatus.NO_SHOW], key),
            median_handling=medians.get(key),
        )
        for key in (keys if group is not None else [None])
    }


def _within(column: Any, start: datetime | None, end: datetime) -> list[ColumnElement[bool]]:
    return ([] if start is None else [column >= start]) + [column < end]


def _in_area(village_column: Any, area: Scope) -> list[ColumnElement[bool]]:
    if area.village_id is not None:
        return [village_column == area.village_id]
    if area.town_id is not None:
        return [village_column.in_(select(Village.id).where(Village.town_id == area.town_id))]
    return []


def _grouped(
    source: Any,
    village_column: Any,
    aggregates: list[ColumnElement[Any]],
    conditions: list[ColumnElement[bool]],
    area: Scope,
    group: Group,
) -> dict[Key, tuple[Any, ...]]:
    """``aggregates`` over the rows of ``source`` meeting ``conditions`` in ``area``: per
    ``group`` (keyed by the town's or village's id) or, keyed None, for the whole area."""
    where = [*conditions, *_in_area(village_column, area)]
    if group is None:
        row = db.session.execute(select(*aggregates).select_from(source).where(*where)).one()
        return {None: tuple(row)}
    if group is Village.id:  # the rows name their village already: no join needed
        statement = select(village_column, *aggregates).select_from(source)
        statement = statement.where(*where).group_by(village_column)
    else:
        statement = (
            select(group, *aggregates)
            .select_from(source)
            .join(Village, village_column == Village.id)
            .where(*where)
            .group_by(group)
        )
    return {row[0]: tuple(row[1:]) for row in db.session.execute(statement)}


def _published(
    start: datetime | None, end: datetime, area: Scope, group: Group
) -> dict[tuple[Key, Category], int]:
    """Posts that went live in the period, per (town, village or None, category).

    Per town, a post belongs to its own town or to its village's town; the county's posts have
    the key None there and so appear in no town. Per village, a post belongs to its own village
    only.
    """
    live_at = case((Post.publish_at > Post.published_at, Post.publish_at), else_=Post.published_at)
    where = [
        Post.status.in_((PostStatus.PUBLISHED, PostStatus.WITHDRAWN)),
        *_within(live_at, start, end),
        or_(Post.withdrawn_at.is_(None), Post.withdrawn_at > live_at),
    ]
    if area.village_id is not None:
        where.append(Post.village_id == area.village_id)
    elif area.town_id is not None:
        villages = select(Village.id).where(Village.town_id == area.town_id)
        where.append(or_(Post.town_id == area.town_id, Post.village_id.in_(villages)))
    if group is None:
        statement = select(null(), Post.category, func.count()).group_by(Post.category)
    elif group is Village.id:
        statement = select(Post.village_id, Post.category, func.count())
        statement = statement.where(Post.village_id.is_not(None))
        statement = statement.group_by(Post.village_id, Post.category)
    else:
        key = func.coalesce(Post.town_id, Village.town_id)
        statement = select(key, Post.category, func.count())
        statement = statement.outerjoin(Village, Post.village_id == Village.id)
        statement = statement.group_by(key, Post.category)
    statement = statement.where(*where)
    return {(town, category): count for town, category, count in db.session.execute(statement)}


def _median_handling(
    start: datetime | None, end: datetime, area: Scope, group: Group
) -> dict[Key, timedelta]:
    """The median handling time per ``group`` (or, keyed None, of the area), found by the
    database.

    Window functions rank each group's durations; the outer query averages the middle one or
    two, so only one row per group comes back.
    """
    seconds = _seconds_between(Booking.created_at, Booking.completed_at)
    key = Booking.village_id if group is Village.id else group
    partition = {} if key is None else {"partition_by": key}
    ranked = (
        select(
            (null() if key is None else key).label("key"),
            seconds.label("seconds"),
            func.row_number().over(order_by=seconds, **partition).label("rank"),
            func.count().over(**partition).label("n"),
        )
        .select_from(Booking)
        .where(
            Booking.status == BookingStatus.COMPLETED,
            *_within(Booking.completed_at, start, end),
            *_in_area(Booking.village_id, area),
        )
    )
    if group is Village.town_id:
        ranked = ranked.join(Village, Booking.village_id == Village.id)
    middle = ranked.subquery()
    statement = (
        select(middle.c.key, func.avg(middle.c.seconds))
        .where(or_(middle.c.rank == (middle.c.n + 1) // 2, middle.c.rank == (middle.c.n + 2) // 2))
        .group_by(middle.c.key)
    )
    return {key: timedelta(seconds=float(value)) for key, value in db.session.execute(statement)}


def _seconds_between(start: Any, end: Any) -> ColumnElement[Any]:
    """Whole seconds from ``start`` to ``end``, on either backend."""
    if db.engine.dialect.name == "postgresql":
        return func.round(extract("epoch", end - start))
    return func.round((func.julianday(end) - func.julianday(start)) * 86400)


def _county_day(column: Any, period: Period) -> ColumnElement[date]:
    """The county date of a UTC timestamp column.

    PostgreSQL knows time zones. SQLite does not: there the UTC time is shifted by the zone's
    offset, which is exact only while the offset does not change, so a zone that changed it in
    the years counted (daylight saving) is refused rather than counted a day off for hours.
    """
    zone = county_zone()
    if db.engine.dialect.name == "postgresql":
        return cast(func.timezone(zone.key, column), Date)
    first = period.start
    if first is None:
        earliest = db.session.scalar(select(func.min(Visit.occurred_at)))
        first = earliest.astimezone(zone).date() if earliest else period.end
    instants = [
        datetime(year, month, 1, tzinfo=zone)
        for year in range(first.year, period.end.year + 1)
        for month in (1, 7)
    ]
    offsets = {instant.utcoffset() for instant in instants}
    if len(offsets) != 1:
        raise UnsupportedZone(
            f"{zone.key} changes its UTC offset between {first} and {period.end}; SQLite can "
            "count county days only at a fixed offset: use PostgreSQL"
        )
    offset = offsets.pop()
    assert offset is not None
    return func.date(column, f"{int(offset.total_seconds()):+d} seconds")
