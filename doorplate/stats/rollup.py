"""The daily rollup: count each settled county day's flows once and keep each village's stock at
the day's end, so year figures read ~500 rows a day instead of millions of visits and the
households registered and covered at a period's end read ~500 rows instead of the registry.

Invariant: a day is rolled up only once it has *settled*, i.e. ended more than :data:`SETTLE` ago
in county time, and no figure of a settled day can change afterwards, so reading the rollup for
it gives what the raw rows would give:

- a visit is written with ``occurred_at`` = the moment it is counted (within the request), and
  visits are never updated or deleted;
- a booking's ``created_at`` is set once, when it is received;
- ``completed_at`` and ``closed_at`` are set by the one transition into a final status
  (completed, cancelled, no-show, rejected), stamped with the time of that transition, and no
  transition leaves a final status (:mod:`doorplate.bookings.service`), so "completed on day D"
  is known for good once D is over. A booking received on a past day and completed today counts
  as received on that day and completed today: both are already right.

The stock (households registered and covered at each day's end, per village) is a snapshot that
cannot change either: a household's ``created_at`` and ``deactivated_at`` and a plate's
``installed_at`` and ``revoked_at`` are stamped when they happen, deactivation is final
(:meth:`doorplate.places.models.Household.deactivate`) and plates keep their history, so what was
true at a past instant stays true. The median handling time is not rolled up: it cannot be summed.

What would break the invariant is writing rows with a past time (a data import with historical
timestamps, a hand-made correction), moving a village to another town or a household to another
village: run ``doorplate stats rollup --since DATE`` from the first day touched to recompute
those days.
Recomputing a day replaces it, so the command is safe to run again at any time.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    select,
    union_all,
)

from doorplate.bookings.models import Booking, BookingStatus
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.places.models import Household, Village
from doorplate.plates.models import Plate, PlateStatus
from doorplate.stats.models import FLOWS, RollupDay, TownDay, VillageDay
from doorplate.stats.tallies import Period, county_day, utc_start
from doorplate.visits.models import Visit

logger = logging.getLogger(__name__)

SETTLE = timedelta(minutes=10)  # far longer than any request writing a visit or a booking takes


def last_settled_day(now: datetime) -> date:
    """The latest county day that ended at least :data:`SETTLE` before ``now``."""
    return (now - SETTLE).astimezone(county_zone()).date() - timedelta(days=1)


def roll_up(since: date | None = None, now: datetime | None = None) -> int:
    """Roll up settled days and return how many were (re)computed; the caller commits.

    With ``since``, every settled day from ``since`` on is recomputed. Without it, only the
    days not yet rolled up in the current county zone are, from the first recorded visit or
    booking on.
    """
    last = last_settled_day(now or utcnow())
    first = since if since is not None else _first_recorded_day()
    if first is None or first > last:
        return 0
    done: set[date] = set()
    if since is None:
        done = set(
            db.session.scalars(
                select(RollupDay.day).where(
                    RollupDay.day >= first, RollupDay.zone == county_zone().key
                )
            )
        )
    count = 0
    for start, end in _runs(first, last, done):
        roll_up_days(start, end, now)
        count += (end - start).days + 1
    return count


def roll_up_days(first: date, last: date, now: datetime | None = None) -> None:
    """(Re)compute the days ``first`` to ``last`` inclusive, replacing what was there."""
    period = Period(first, last + timedelta(days=1))
    low, high = period.utc_bounds()
    assert low is not None
    for table in (VillageDay, TownDay, RollupDay):
        db.session.execute(delete(table).where(table.day >= first, table.day <= last))

    def flows(level: str) -> Select[Any]:
        return _flows(level, period, low, high)

    county = {row[0]: row[1:] for row in db.session.execute(flows("county"))}
    zone, rolled_at, zero = county_zone().key, now or utcnow(), (0,) * len(FLOWS)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    db.session.execute(
        insert(RollupDay),
        [
            {
                "day": day,
                "zone": zone,
                "rolled_at": rolled_at,
                **dict(zip(FLOWS, county.get(day, zero), strict=True)),
            }
            for day in days
        ],
    )
    db.session.execute(insert(TownDay).from_select(["day", "town_id", *FLOWS], flows("town")))
    village_flows = {(row[0], row[1]): row[2:] for row in db.session.execute(flows("village"))}
    stock = _village_stock(days)
    columns = ("day", "village_id", *FLOWS, "households_registered", "households_covered")
    villages = sorted({village for _, village in village_flows.keys() | stock.keys()})
    keys = [(day, village) for day in days for village in villages]  # in the primary key's order
    rows = [
        dict(
            zip(
                columns, (*key, *village_flows.get(key, zero), *stock.get(key, (0, 0))), strict=True
            )
        )
        for key in keys
        if key in village_flows or key in stock
    ]
    if rows:
        # Core, not the ORM's bulk insert: a year is 180,000 rows, and they are plain values.
        db.session.connection().execute(VillageDay.__table__.insert(), rows)
    logger.info("Rolled up %s to %s", first, last)


def _flows(level: str, period: Period, low: datetime, high: datetime) -> Select[Any]:
    """One row per day (and town or village, by ``level``) with any flow: (day, [key], *FLOWS).

    Each source is counted per day and key, then the sources' rows are added up.
    """

    def counted(model: Any, column: Any, **figures: ColumnElement[Any]) -> Select[Any]:
        day = county_day(column, period)
        key = {"village": [model.village_id], "town": [Village.town_id], "county": []}[level]
        values = [figures.get(name, literal(0)).label(name) for name in FLOWS]
        statement = select(day.label("day"), *(k.label("key") for k in key), *values)
        if level == "town":
            statement = statement.join(Village, model.village_id == Village.id)
        return statement.where(column >= low, column < high).group_by(day, *key)

    visits = counted(
        Visit,
        Visit.occurred_at,
        visits=func.count(),
        unique_visitors=func.count(distinct(Visit.visitor_key)),
    )
    received = counted(
        Booking,
        Booking.created_at,
        bookings_received=func.count(case((Booking.slot_id.is_not(None), 1))),
        requests_received=func.count(case((Booking.slot_id.is_(None), 1))),
    )
    completed = counted(Booking, Booking.completed_at, completed=func.count()).where(
        Booking.status == BookingStatus.COMPLETED
    )
    closed = counted(
        Booking,
        Booking.closed_at,
        cancelled=func.count(case((Booking.status == BookingStatus.CANCELLED, 1))),
        no_show=func.count(case((Booking.status == BookingStatus.NO_SHOW, 1))),
    ).where(Booking.status.in_((BookingStatus.CANCELLED, BookingStatus.NO_SHOW)))
    rows = union_all(visits, received, completed, closed).subquery()
    keys = [rows.c.day] if level == "county" else [rows.c.day, rows.c.key]
    return select(*keys, *(func.sum(rows.c[name]) for name in FLOWS)).group_by(*keys)


def _village_stock(days: list[date]) -> dict[tuple[date, int], tuple[int, int]]:
    """Each village's households registered and covered at the end of each of ``days``
    (consecutive), for all of them in one read of the households and one of the plates.

    A household is registered from the first day ending after its creation until the last day
    ending before its deactivation, and covered while also one of its plates is installed and
    not revoked; its plates' spells are merged so two overlapping plates count it once. Each
    spell adds one to its village on its first day and takes it off the day after its last; a
    running sum over the days then gives the snapshots. Day ``n`` is the ``n``-th of ``days``:
    an instant counts at day ``n``'s end if it is before ``ends[n]``.
    """
    ends = [utc_start(day + timedelta(days=1)) for day in days]
    never = len(days)

    def first_day_after(moment: datetime | None) -> int:
        return never if moment is None else bisect_right(ends, moment)

    households = db.session.execute(
        select(
            Household.id, Household.village_id, Household.created_at, Household.deactivated_at
        ).where(Household.created_at < ends[-1])
    ).all()
    plates: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for household, installed, revoked, status in db.session.execute(
        select(Plate.household_id, Plate.installed_at, Plate.revoked_at, Plate.status).where(
            Plate.installed_at < ends[-1]
        )
    ):
        # As the tallies count: a plate no longer active covers until its revocation, if dated.
        if status is PlateStatus.ACTIVE:
            until = never
        else:
            until = 0 if revoked is None else first_day_after(revoked)
        plates[household].append((first_day_after(installed), until))
    registered: dict[int, list[int]] = defaultdict(lambda: [0] * (never + 1))
    covered: dict[int, list[int]] = defaultdict(lambda: [0] * (never + 1))
    for household, village, created, deactivated in households:
        start, stop = first_day_after(created), first_day_after(deactivated)
        if start >= stop:
            continue
        registered[village][start] += 1
        registered[village][stop] -= 1
        for spell_start, spell_stop in _merged(plates.get(household, []), start, stop):
            covered[village][spell_start] += 1
            covered[village][spell_stop] -= 1
    stock: dict[tuple[date, int], tuple[int, int]] = {}
    for village, changes in registered.items():
        coverage = covered.get(village, [0] * (never + 1))
        now_registered = now_covered = 0
        for n, day in enumerate(days):
            now_registered += changes[n]
            now_covered += coverage[n]
            if now_registered or now_covered:
                stock[(day, village)] = (now_registered, now_covered)
    return stock


def _merged(spells: list[tuple[int, int]], start: int, stop: int) -> list[tuple[int, int]]:
    """The union of the ``spells`` [first, stop) within [``start``, ``stop``), as disjoint
    spells in order."""
    union: list[tuple[int, int]] = []
    for first, last in sorted(spells):
        first, last = max(first, start), min(last, stop)
        if first >= last:
            continue
        if union and first <= union[-1][1]:
            union[-1] = (union[-1][0], max(union[-1][1], last))
        else:
            union.append((first, last))
    return union


def _first_recorded_day() -> date | None:
    earliest = [
        db.session.scalar(select(func.min(Visit.occurred_at))),
        db.session.scalar(select(func.min(Booking.created_at))),
    ]
    known = [moment for moment in earliest if moment is not None]
    return min(known).astimezone(county_zone()).date() if known else None


def _runs(first: date, last: date, done: set[date]) -> Iterator[tuple[date, date]]:
    """The runs of consecutive days from ``first`` to ``last`` not in ``done``."""
    start: date | None = None
    day = first
    while day <= last:
        if day in done:
            if start is not None:
                yield start, day - timedelta(days=1)
            start = None
        elif start is None:
            start = day
        day += timedelta(days=1)
    if start is not None:
        yield start, last


stats = AppGroup(
    "stats",
    help="Housekeeping for the county's figures.\n\nRun `doorplate stats COMMAND --help`.",
)


@stats.command("rollup")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Recompute every settled day from this county date on (default: only days not yet "
    "rolled up).",
)
def rollup_command(since: datetime | None) -> None:
    """Roll up the figures of past county days so the dashboard and report stay fast.

    Run it nightly from cron, e.g. at 00:30. It never changes a figure: days not rolled up are
    counted from the raw records.
    """
    count = roll_up(since.date() if since else None)
    db.session.commit()
    click.echo(_("Days rolled up: %(count)d", count=count))


COMMANDS = (stats,)
