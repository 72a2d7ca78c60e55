"""The daily rollup gives the raw records' figures exactly, however much of it has run."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select, update

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates.models import Plate, PlateStatus
from doorplate.staff.service import Scope
from doorplate.stats.models import RollupDay, TownDay, VillageDay
from doorplate.stats.rollup import last_settled_day, roll_up, roll_up_days
from doorplate.stats.tallies import (
    COUNTY,
    Period,
    _raw_stock,
    by_month,
    by_town,
    by_village,
    tally,
    utc_start,
)

from .conftest import County, local

YEAR = Period.year(2021)
THIS_YEAR = Period.year(date.today().year)  # its end is to come: today's stock
PERIODS = (
    YEAR,
    Period.year(2022),
    Period.until(date(2022, 1, 1)),
    Period.month(2021, 3),
    Period(date(2021, 2, 1), date(2021, 2, 3)),  # k7's two county days in one UTC day
    Period(date(2021, 1, 20), date(2021, 2, 2)),  # ends on the partial rollup's 1 February
    THIS_YEAR,
    Period.until(THIS_YEAR.end),
)


def every_figure(county: County) -> dict[str, Any]:
    """Every tally the dashboard and report ask for, for each period and area."""
    areas = {
        "county": COUNTY,
        "town a": Scope(town_id=county.town_a),
        "town b": Scope(town_id=county.town_b),
        "a1": Scope(village_id=county.village_a1),
        "a2": Scope(village_id=county.village_a2),
        "b1": Scope(village_id=county.village_b1),
    }
    figures: dict[str, Any] = {}
    for period in PERIODS:
        for name, area in areas.items():
            figures[f"{period} {name}"] = tally(period, area)
        figures[f"{period} by town"] = by_town(period)
        figures[f"{period} by village"] = by_village(period)
        figures[f"{period} by village in town a"] = by_village(period, areas["town a"])
    for name, area in areas.items():
        figures[f"2021 by month {name}"] = by_month(2021, area)
        figures[f"this year by month {name}"] = by_month(THIS_YEAR.end.year - 1, area)
    return figures


def test_figures_are_identical_without_with_a_partial_and_with_a_full_rollup(
    county: County,
) -> None:
    raw = every_figure(county)
    # Partial: runs with holes, cutting through months, the year's end and k7's two days.
    roll_up_days(date(2021, 1, 1), date(2021, 2, 1))
    roll_up_days(date(2021, 3, 2), date(2021, 3, 2))
    roll_up_days(date(2021, 6, 10), date(2021, 12, 31))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(RollupDay)) == 32 + 1 + 205
    assert every_figure(county) == raw
    assert roll_up() > 0
    db.session.commit()
    rolled_visits = db.session.scalar(select(func.sum(VillageDay.visits)))
    assert rolled_visits == tally(Period.until(date(2022, 1, 2))).visits == 15
    assert every_figure(county) == raw


def test_each_days_snapshot_is_the_stock_the_registry_gives_at_its_end(county: County) -> None:
    """Every village on every day, also with two overlapping plates (counted once) and a
    revoked plate with no date (never covers)."""
    village = db.session.get(Village, county.village_b1)
    twice = Household(village=village, address="双牌1号", created_at=local(2021, 1, 1))
    undated = Household(village=village, address="无日期2号", created_at=local(2021, 1, 1))
    db.session.add_all([twice, undated])
    for owner, generation, installed, revoked in (
        (twice, 1, local(2021, 2, 1), local(2021, 4, 1)),
        (twice, 2, local(2021, 3, 1), None),
        (undated, 1, local(2021, 2, 1), None),
    ):
        db.session.add(
            Plate(
                household=owner,
                token=f"X{generation}{owner.address}"[:16],
                generation=generation,
                status=PlateStatus.REVOKED if revoked or owner is undated else PlateStatus.ACTIVE,
                issued_at=installed,
                installed_at=installed,
                revoked_at=revoked,
            )
        )
    db.session.commit()
    first, last = date(2020, 12, 25), date(2022, 2, 28)
    roll_up_days(first, last)
    db.session.commit()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    snapshots = {
        (row.day, row.village_id): (row.households_registered, row.households_covered)
        for row in db.session.scalars(select(VillageDay))
    }
    raw = _raw_stock([utc_start(day + timedelta(days=1)) for day in days], COUNTY, Village.id)
    expected = {
        (day, village): figures
        for day, stock in zip(days, raw, strict=True)
        for village, figures in stock.items()
        if figures != (0, 0)
    }
    assert {key: value for key, value in snapshots.items() if value != (0, 0)} == expected
    # h8-h10 and the two new ones registered; h9 covered, and ``twice`` once on two plates.
    assert snapshots[(date(2021, 3, 15), county.village_b1)] == (5, 2)
    assert snapshots[(date(2021, 1, 15), county.village_b1)] == (5, 1)  # only h9


def test_tallies_read_the_stock_snapshot_of_a_periods_last_day(county: County) -> None:
    """Changing a village's snapshot changes every stock figure ending on that day, at every
    level; a period ending on a day not rolled up, or cut in another zone, is counted raw."""
    roll_up_days(date(2021, 1, 1), date(2021, 12, 31))
    db.session.execute(
        update(VillageDay)
        .where(VillageDay.day == date(2021, 12, 31), VillageDay.village_id == county.village_a1)
        .values(
            households_registered=VillageDay.households_registered + 100,
            households_covered=VillageDay.households_covered + 10,
        )
    )
    db.session.commit()
    town_a, a1 = Scope(town_id=county.town_a), Scope(village_id=county.village_a1)
    year = tally(YEAR)
    assert (year.households_registered, year.households_covered) == (8 + 100, 5 + 10)
    assert tally(Period.until(YEAR.end)).households_registered == 108
    assert tally(Period.month(2021, 12), town_a).households_registered == 5 + 100
    assert tally(YEAR, a1).households_covered == 2 + 10
    assert by_town(YEAR)[0].tally.households_registered == 105
    assert by_village(YEAR)[0].tally.households_covered == 12
    assert by_month(2021)[11].tally.households_registered == 108
    assert by_month(2021)[10].tally.households_registered == 8  # November: untouched
    assert tally(Period.year(2022)).households_registered == 9  # 2022 not rolled up: raw
    db.session.execute(update(RollupDay).values(zone="Asia/Tokyo"))
    db.session.commit()
    assert tally(YEAR).households_registered == 8


def test_the_stock_is_counted_once_per_transaction(county: County) -> None:
    """The dashboard's headline asks for this year and since launch, which end together, then
    the months: the registry is scanned once for them all, and again in the next transaction."""
    scans: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM household" in statement:
            scans.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        tally(THIS_YEAR), tally(Period.until(THIS_YEAR.end))
        by_month(THIS_YEAR.end.year - 1)  # past months raw in one pass, the rest today's
        counted = len(scans)
        now = tally(THIS_YEAR)  # all but h4 registered; h1, h2, h5, h7, h8, h10 covered
        assert (now.households_registered, now.households_covered) == (9, 6)
        assert len(scans) == counted
        db.session.commit()
        assert tally(THIS_YEAR).households_registered == 9
        assert len(scans) > counted
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_unique_visitors_are_kept_per_level(county: County) -> None:
    """k2 scanned plates in both towns on 2 March: one visitor of each town and of the county."""
    roll_up_days(date(2021, 3, 2), date(2021, 3, 2))
    day = db.session.get(RollupDay, date(2021, 3, 2))
    assert day is not None and day.unique_visitors == 1
    assert (day.visits, day.unique_visitors) == (2, 1)
    towns = db.session.execute(
        select(TownDay.visits, TownDay.unique_visitors).order_by(TownDay.town_id)
    ).all()
    assert [tuple(row) for row in towns] == [(1, 1), (1, 1)]
    villages = db.session.scalars(
        select(VillageDay.unique_visitors)
        .where(VillageDay.visits > 0)
        .order_by(VillageDay.village_id)
    ).all()
    assert villages == [1, 1]


def test_tallies_read_the_rollup_for_the_days_it_covers(county: County) -> None:
    """Changing a rolled-up row changes the figure, so each level's rollup really is what is
    read; a rollup cut in another zone is ignored."""
    roll_up()
    for table in (RollupDay, TownDay, VillageDay):
        db.session.execute(
            update(table).where(table.day == date(2021, 3, 2)).values(visits=table.visits + 100)
        )
    db.session.commit()
    town_a, a1 = Scope(town_id=county.town_a), Scope(village_id=county.village_a1)
    assert tally(YEAR).visits == 13 + 100
    assert tally(YEAR, town_a).visits == 9 + 100
    assert by_town(YEAR)[0].tally.visits == 9 + 100
    assert tally(YEAR, a1).visits == by_village(YEAR)[0].tally.visits == 6 + 100
    db.session.execute(update(RollupDay).values(zone="Asia/Tokyo"))
    db.session.commit()
    assert (tally(YEAR).visits, tally(YEAR, town_a).visits, tally(YEAR, a1).visits) == (13, 9, 6)


def test_a_second_run_only_adds_missing_days_and_since_recomputes(county: County) -> None:
    now = local(2022, 1, 10)
    days = roll_up(now=now)
    assert days == (date(2022, 1, 9) - date(2020, 12, 1)).days + 1  # from the first booking
    db.session.commit()
    assert roll_up(now=now) == 0
    before = db.session.execute(select(VillageDay).order_by(VillageDay.day)).scalars().all()
    snapshot = [(row.day, row.village_id, row.visits, row.unique_visitors) for row in before]
    db.session.expunge_all()
    assert roll_up(since=date(2021, 12, 1), now=now) == 40
    db.session.commit()
    after = db.session.execute(select(VillageDay).order_by(VillageDay.day)).scalars().all()
    assert [(row.day, row.village_id, row.visits, row.unique_visitors) for row in after] == snapshot


def test_only_settled_days_are_rolled_up(county: County) -> None:
    assert last_settled_day(local(2021, 7, 1, 0, 5)) == date(2021, 6, 29)
    assert last_settled_day(local(2021, 7, 1, 0, 15)) == date(2021, 6, 30)
    roll_up(now=local(2021, 7, 1, 0, 15))
    db.session.commit()
    last = db.session.scalar(select(func.max(RollupDay.day)))
    assert last == date(2021, 6, 30)
    assert tally(YEAR).visits == 13  # the rest of the year counted raw


def test_a_booking_completed_after_its_day_was_rolled_up_counts_on_its_own_day(
    county: County,
) -> None:
    """The rollup's invariant: a booking received on a rolled-up day and completed later counts
    as received then and completed on the later day, exactly as the raw rows say."""
    from doorplate.bookings.models import Booking, BookingStatus

    roll_up(now=local(2022, 1, 10))
    db.session.commit()
    confirmed = db.session.scalar(select(Booking).where(Booking.status == BookingStatus.CONFIRMED))
    assert confirmed is not None
    confirmed.status = BookingStatus.COMPLETED
    confirmed.completed_at = confirmed.closed_at = local(2022, 1, 12)
    db.session.commit()
    later = Period(date(2022, 1, 1), date(2022, 2, 1))
    assert (tally(YEAR).received, tally(YEAR).completed) == (9, 4)
    assert tally(later).completed == 2
    roll_up(now=local(2022, 2, 10))
    db.session.commit()
    assert tally(later).completed == 2


def test_the_rollup_command(county: County, app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["stats", "rollup", "--since", "2021-12-30"])
    assert result.exit_code == 0, result.output
    first = db.session.scalar(select(func.min(RollupDay.day)))
    assert first == date(2021, 12, 30)
    last = db.session.scalar(select(func.max(RollupDay.day)))
    assert last is not None and last >= date.today() - timedelta(days=2)
    assert str((last - first).days + 1) in result.output
