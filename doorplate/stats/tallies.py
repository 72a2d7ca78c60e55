"""The county's figures (DESIGN.md §5, §8), counted by the database from the raw records.

The county signs these numbers in its annual report, so each is an SQL aggregate over the rows it
counts (``household``, ``plate``, ``visit``, ``post``, ``booking``), and the same question asked
twice gives the same answer. A period is given in county dates and turned into UTC bounds with
:func:`doorplate.i18n.county_zone`, since the database keeps UTC.

The flow figures (visits, unique visitors, bookings received, completed, cancelled, no-show) of
the days the daily rollup covers (:mod:`doorplate.stats.rollup`) are read from it, and those of
every other day (not rolled up yet, today, a stale zone) from the raw rows. A rolled-up day's
figures are those its raw rows give and can no longer change (the rollup's invariant), and each
flow is a sum over days, so the result is the same with no rollup, a partial one or a full one.
The stock figures at a period's end are read from the snapshot the rollup kept of its last day
when it covers that day, and counted from the registry otherwise.

Definitions, for a period [start, end) and an area (the county, one town or one village):

- *households registered*: households created before the end and not deactivated before the end
  (``deactivated_at``). Deactivation is final, so a past figure never changes.
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
    and_,
    case,
    cast,
    distinct,
    extract,
    false,
    func,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import join

from doorplate.bookings.models import Booking, BookingStatus
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.places.models import Household, Town, Village
from doorplate.plates.models import Plate, PlateStatus
from doorplate.publications.models import Category, Post, PostStatus
from doorplate.staff.service import Scope
from doorplate.stats.models import FLOWS, RollupDay, TownDay, VillageDay
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
        return (None if self.start is None else utc_start(self.start)), utc_start(self.end)


def utc_start(day: date) -> datetime:
    """The UTC instant a county day starts."""
    return datetime.combine(day, time(), county_zone()).astimezone(UTC)


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
    """The twelve months of ``year``, each counted as its own period (the stock figures at the
    twelve month ends read or counted together)."""
    months = [Period.month(year, month) for month in range(1, 13)]
    stocks = _stock([month.end for month in months], area, None)
    return tuple(
        MonthTally(month.start or date(year, 1, 1), _tallies(month, area, stock=stock)[None])
        for month, stock in zip(months, stocks, strict=True)
    )


Key = int | None  # a town's or village's id, or None for the whole area
Group = Any  # Village.town_id or Village.id: what the figures are counted per, or None


def _tallies(
    period: Period,
    area: Scope,
    group: Group = None,
    keys: Sequence[int] | None = None,
    stock: Stock | None = None,
) -> dict[Key, Tally]:
    """The figures of ``area``: per ``group`` (a town's or a village's id), for each of
    ``keys``, or with no group as one total keyed None; ``stock`` if already counted."""
    start, end = period.utc_bounds()
    if stock is None:
        stock = _stock([period.end], area, group)[0]
    rolled = _rolled_days(period)
    flows = _added(_raw_flows(period, rolled, area, group), _rolled_flows(rolled, area, group))
    published = _published(start, end, area, group)
    medians = _median_handling(start, end, area, group)

    def figure(rows: dict[Key, tuple[Any, ...]], key: Key, column: int = 0) -> int:
        return int(rows[key][column]) if key in rows else 0

    return {
        key: Tally(
            households_registered=figure(stock, key, 0),
            households_covered=figure(stock, key, 1),
            visits=figure(flows, key, 0),
            unique_visitors=figure(flows, key, 1),
            published=Published(
                **{category.value: published.get((key, category), 0) for category in Category}
            ),
            bookings_received=figure(flows, key, 2),
            requests_received=figure(flows, key, 3),
            completed=figure(flows, key, 4),
            cancelled=figure(flows, key, 5),
            no_show=figure(flows, key, 6),
            median_handling=medians.get(key),
        )
        for key in (keys if group is not None else [None])
    }


Stock = dict[Key, tuple[int, int]]  # households registered, households covered
STOCK_MEMO = "doorplate.stats.stock"  # the session.info key of the stock counted so far


def _stock(ends: Sequence[date], area: Scope, group: Group) -> list[Stock]:
    """Households registered and covered at each of ``ends`` (the periods' ends, county dates).

    An end whose last day is rolled up is read from that day's snapshot. An end still to come
    gives today's stock, since nothing is stamped in the future. The other ends are counted from
    the registry, all in one pass. Each is counted once per transaction: the report and the
    dashboard ask for the same end several times (a year and since launch end together, and
    December's end with them), and one read gives one answer.
    """
    now = utcnow()
    at = {end: (None if utc_start(end) > now else end) for end in ends}  # None: now
    grouping = None if group is None else "village" if group is Village.id else "town"
    memo = _stock_memo()
    todo = {moment for moment in at.values() if (moment, area, grouping) not in memo}
    snapshots = _snapshot_stock([moment for moment in todo if moment is not None], area, group)
    raw = [moment for moment in todo if moment not in snapshots and moment is not None]
    counted = _raw_stock([utc_start(moment) for moment in raw], area, group)
    memo.update({(moment, area, grouping): stock for moment, stock in snapshots.items()})
    memo.update(
        {(moment, area, grouping): stock for moment, stock in zip(raw, counted, strict=True)}
    )
    if None in todo:
        memo[(None, area, grouping)] = _current_stock(area, group)
    return [memo[(at[end], area, grouping)] for end in ends]


def _stock_memo() -> dict[tuple[date | None, Scope, str | None], Stock]:
    """The stock already counted in the current transaction, by (end, area, grouping)."""
    session = db.session()
    session.connection()  # begins the transaction the figures are read in, if none is open
    transaction = session.get_transaction()
    held = session.info.get(STOCK_MEMO)
    if held is None or held[0] is not transaction:
        held = session.info[STOCK_MEMO] = (transaction, {})
    memo: dict[tuple[date | None, Scope, str | None], Stock] = held[1]
    return memo


def _snapshot_stock(ends: Sequence[date], area: Scope, group: Group) -> dict[date, Stock]:
    """The stock at those of ``ends`` whose last day is rolled up in the current county zone,
    summed from its villages' snapshots (no row: a village with no households)."""
    last_days = {end - timedelta(days=1): end for end in ends}
    if not last_days:
        return {}
    rolled = set(
        db.session.scalars(
            select(RollupDay.day).where(
                RollupDay.zone == county_zone().key, RollupDay.day.in_(last_days)
            )
        )
    )
    if not rolled:
        return {}
    figures = [func.sum(VillageDay.households_registered), func.sum(VillageDay.households_covered)]
    if group is None:
        key: Any = null()
    elif group is Village.id:
        key = VillageDay.village_id
    else:
        key = Village.town_id
    statement = select(VillageDay.day, key, *figures).where(
        VillageDay.day.in_(rolled), *_in_area(VillageDay.village_id, area)
    )
    if group is Village.town_id:
        statement = statement.join(Village, VillageDay.village_id == Village.id)
    statement = statement.group_by(VillageDay.day, *([] if group is None else [key]))
    stocks: dict[date, Stock] = {last_days[day]: {} for day in rolled}
    for day, group_key, registered, covered in db.session.execute(statement):
        stocks[last_days[day]][group_key] = (int(registered), int(covered))
    return stocks


def _current_stock(area: Scope, group: Group) -> Stock:
    """Households registered and covered now: active ones, and those of them with an active
    plate installed. A household has at most one active plate (a unique index says so), so the
    plates need no grouping per household, unlike at a past end."""
    active = Household.deactivated_at.is_(None)
    households = _grouped(Household, Household.village_id, [func.count()], [active], area, group)
    plates = _grouped(
        join(Plate, Household, Plate.household_id == Household.id),
        Household.village_id,
        [func.count()],
        [active, Plate.status == PlateStatus.ACTIVE, Plate.installed_at.is_not(None)],
        area,
        group,
    )
    return {
        key: (int(households.get(key, (0,))[0]), int(plates.get(key, (0,))[0]))
        for key in set(households) | set(plates)
    }


def _raw_stock(ends: Sequence[datetime], area: Scope, group: Group) -> list[Stock]:
    """Households registered and covered at each of ``ends``, one scan of each table for all.

    Registered: created before the end and not deactivated before it. Covered: registered, with
    a plate installed before the end and not revoked by then (plates keep their history).
    """
    if not ends:
        return []

    def registered(end: datetime) -> ColumnElement[bool]:
        return and_(
            Household.created_at < end,
            or_(Household.deactivated_at.is_(None), Household.deactivated_at >= end),
        )

    def covered(end: datetime) -> ColumnElement[bool]:
        return and_(
            registered(end),
            Plate.installed_at < end,
            or_(Plate.status == PlateStatus.ACTIVE, Plate.revoked_at >= end),
        )

    latest = [Household.created_at < max(ends)]
    households = _grouped(
        Household,
        Household.village_id,
        [func.count(case((registered(end), 1))) for end in ends],
        latest,
        area,
        group,
    )
    # Whether each household is covered at each end (one row per household, so a household
    # whose old and new plates overlap counts once), then added up: a hash aggregate, where
    # count(DISTINCT ...) per end would sort the plates once per end.
    per_household = (
        select(
            Household.village_id,
            *(
                func.max(case((covered(end), 1), else_=0)).label(f"at_{n}")
                for n, end in enumerate(ends)
            ),
        )
        .select_from(join(Plate, Household, Plate.household_id == Household.id))
        .where(*latest, Plate.installed_at < max(ends), *_in_area(Household.village_id, area))
        .group_by(Plate.household_id, Household.village_id)
        .subquery()
    )
    plates = _grouped(
        per_household,
        per_household.c.village_id,
        [func.sum(per_household.c[f"at_{n}"]) for n in range(len(ends))],
        [],
        COUNTY,
        group,
    )
    return [
        {
            key: (
                int(households.get(key, (0,) * len(ends))[n] or 0),
                int(plates.get(key, (0,) * len(ends))[n] or 0),
            )
            for key in set(households) | set(plates)
        }
        for n in range(len(ends))
    ]


# The flow figures: visits, unique visitors, bookings and requests received, completed,
# cancelled, no-show (the order of :data:`doorplate.stats.models.FLOWS`).
Flows = dict[Key, tuple[int, ...]]


def _rolled_days(period: Period) -> list[date]:
    """The days of ``period`` the rollup covers in the current county zone, in order."""
    statement = select(RollupDay.day).where(
        RollupDay.zone == county_zone().key, RollupDay.day < period.end
    )
    if period.start is not None:
        statement = statement.where(RollupDay.day >= period.start)
    return list(db.session.scalars(statement.order_by(RollupDay.day)))


def _raw_ranges(period: Period, rolled: list[date]) -> list[tuple[datetime | None, datetime]]:
    """The UTC ranges of ``period`` outside the ``rolled`` days: what is counted raw."""
    ranges: list[tuple[datetime | None, datetime]] = []
    cursor = period.start
    for day in rolled:
        if cursor is None or day > cursor:
            ranges.append((None if cursor is None else utc_start(cursor), utc_start(day)))
        cursor = day + timedelta(days=1)
    if cursor is None or cursor < period.end:
        ranges.append((None if cursor is None else utc_start(cursor), utc_start(period.end)))
    return ranges


def _in_ranges(column: Any, ranges: list[tuple[datetime | None, datetime]]) -> ColumnElement[bool]:
    if not ranges:
        return false()
    return or_(*(and_(*_within(column, start, end)) for start, end in ranges))


def _raw_flows(period: Period, rolled: list[date], area: Scope, group: Group) -> Flows:
    """The flow figures of the days of ``period`` the rollup does not cover, from raw rows."""
    ranges = _raw_ranges(period, rolled)
    if not ranges:
        return {}
    day = cast(county_day(Visit.occurred_at, period), String)
    visits = _grouped(
        Visit,
        Visit.village_id,
        [func.count(), func.count(distinct(day + Visit.visitor_key))],
        [_in_ranges(Visit.occurred_at, ranges)],
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
        [_in_ranges(Booking.created_at, ranges)],
        area,
        group,
    )
    closed = [
        _grouped(
            Booking,
            Booking.village_id,
            [func.count()],
            [Booking.status == status, _in_ranges(column, ranges)],
            area,
            group,
        )
        for status, column in (
            (BookingStatus.COMPLETED, Booking.completed_at),
            (BookingStatus.CANCELLED, Booking.closed_at),
            (BookingStatus.NO_SHOW, Booking.closed_at),
        )
    ]
    keys = set(visits) | set(received) | {key for rows in closed for key in rows}
    zero = (0, 0)
    return {
        key: (
            *visits.get(key, zero),
            *received.get(key, zero),
            *(rows.get(key, zero)[0] for rows in closed),
        )
        for key in keys
    }


def _rolled_flows(rolled: list[date], area: Scope, group: Group) -> Flows:
    """The flow figures of the ``rolled`` days, summed from the rollup rows of the
    level asked about (unique visitors cannot be added up from the level below)."""
    if not rolled:
        return {}
    if group is Village.id or area.village_id is not None:
        table: Any = VillageDay
    elif group is Village.town_id or area.town_id is not None:
        table = TownDay
    else:
        table = RollupDay
    sums = [func.sum(getattr(table, name)) for name in FLOWS]
    runs = or_(*(table.day.between(first, last) for first, last in _runs(rolled)))
    statement = select(*sums).where(runs)
    if table is VillageDay:
        statement = statement.where(*_in_area(VillageDay.village_id, area))
        key = VillageDay.village_id if group is not None else None
    elif table is TownDay:
        if area.town_id is not None:
            statement = statement.where(TownDay.town_id == area.town_id)
        key = TownDay.town_id if group is not None else None
    else:
        key = None
    if key is None:
        row = db.session.execute(statement).one()
        return {None: tuple(int(value or 0) for value in row)}
    rows = db.session.execute(statement.add_columns(key).group_by(key))
    return {row[-1]: tuple(int(value) for value in row[:-1]) for row in rows}


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted ``days`` as runs of consecutive days, first and last of each."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _added(first: Flows, second: Flows) -> Flows:
    return {
        key: tuple(
            a + b for a, b in zip(first.get(key, (0,) * 7), second.get(key, (0,) * 7), strict=True)
        )
        for key in set(first) | set(second)
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


def went_live_at() -> ColumnElement[datetime]:
    """When a post went live: the later of its approval and its scheduled time."""
    return case((Post.publish_at > Post.published_at, Post.publish_at), else_=Post.published_at)


def went_live(start: datetime | None, end: datetime) -> list[ColumnElement[bool]]:
    """Posts that went live in [start, end): published or withdrawn now, and not withdrawn
    before going live (drafts, submitted and rejected posts never count)."""
    live_at = went_live_at()
    return [
        Post.status.in_((PostStatus.PUBLISHED, PostStatus.WITHDRAWN)),
        *_within(live_at, start, end),
        or_(Post.withdrawn_at.is_(None), Post.withdrawn_at > live_at),
    ]


def _published(
    start: datetime | None, end: datetime, area: Scope, group: Group
) -> dict[tuple[Key, Category], int]:
    """Posts that went live in the period, per (town, village or None, category).

    Per town, a post belongs to its own town or to its village's town; the county's posts have
    the key None there and so appear in no town. Per village, a post belongs to its own village
    only.
    """
    where = went_live(start, end)
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


def county_day(column: Any, period: Period) -> ColumnElement[date]:
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
        # A period ending before the first visit still checks its own end's offset.
        first = min(earliest.astimezone(zone).date(), period.end) if earliest else period.end
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
    return type_coerce(func.date(column, f"{int(offset.total_seconds()):+d} seconds"), Date)
