"""The tallies of the generated county (tests/stats/conftest.py), worked out by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date, timedelta

import pytest
from flask import Flask

from doorplate.bookings.service import completed_count
from doorplate.db import db
from doorplate.publications.models import Category
from doorplate.staff.service import Scope
from doorplate.stats.tallies import (
    Period,
    Published,
    Tally,
    UnsupportedZone,
    by_month,
    by_town,
    by_village,
    tally,
)

from .conftest import County

YEAR = Period.year(2021)
SINCE_LAUNCH = Period.until(date(2022, 1, 1))


def test_the_county_in_2021(county: County) -> None:
    assert tally(YEAR) == Tally(
        households_registered=8,  # h1-h3, h5, h6, h8-h10: not h4 (gone in July), not h7 (2022)
        households_covered=5,  # h1, h2, h5 (new plate), h6 (revoked only in 2022), h8
        visits=13,  # 11 written directly, 2 through the recorder (not its repeat, not the bot)
        unique_visitors=10,  # k2 on 2 March seen in both towns counts once
        published=Published(affairs=2, party=2, finance=2, policy=1, disclosure=1, notice=1),
        bookings_received=5,
        requests_received=4,
        completed=4,
        cancelled=2,
        no_show=1,
        median_handling=timedelta(seconds=(10_800 + 172_800) / 2),  # of 0.5 h, 3 h, 48 h, 72 h
    )


def test_since_launch_adds_what_came_before_2021(county: County) -> None:
    figures = tally(SINCE_LAUNCH)
    assert (figures.visits, figures.unique_visitors) == (14, 11)
    assert figures.published == Published(
        affairs=2, party=2, finance=2, policy=1, disclosure=2, notice=1
    )
    assert (figures.bookings_received, figures.requests_received) == (6, 5)
    assert (figures.completed, figures.cancelled, figures.no_show) == (4, 2, 1)
    # Stock figures are at the period's end, whenever it started.
    assert (figures.households_registered, figures.households_covered) == (8, 5)


def test_2022_takes_what_happened_after_midnight_county_time(county: County) -> None:
    figures = tally(Period.year(2022))
    assert figures.households_registered == 9  # h7 registered
    assert figures.households_covered == 6  # h7 and h10 installed, h6 revoked, h8 still there
    assert (figures.visits, figures.unique_visitors) == (1, 1)
    assert figures.published == Published(affairs=1)
    assert (figures.received, figures.completed, figures.cancelled) == (0, 1, 0)
    assert figures.median_handling == timedelta(hours=14, minutes=30)


def test_a_town_counts_its_own_posts_and_its_villages(county: County) -> None:
    assert tally(YEAR, Scope(town_id=county.town_a)) == Tally(
        households_registered=5,
        households_covered=4,
        visits=9,
        unique_visitors=7,
        published=Published(affairs=1, party=1, finance=1, policy=1, notice=1),
        bookings_received=3,
        requests_received=2,
        completed=3,
        cancelled=2,
        no_show=0,
        median_handling=timedelta(hours=48),
    )


def test_a_village_counts_only_its_own_posts(county: County) -> None:
    assert tally(YEAR, Scope(village_id=county.village_a1)) == Tally(
        households_registered=3,
        households_covered=2,
        visits=6,
        unique_visitors=4,
        published=Published(affairs=1, party=1, finance=1),  # not the town's policy
        bookings_received=3,
        requests_received=1,
        completed=2,
        cancelled=1,
        no_show=0,
        median_handling=timedelta(seconds=91_800),
    )
    quiet = tally(YEAR, Scope(village_id=county.village_a2))
    assert quiet.published == Published(notice=1)  # not its draft, submitted or rejected posts
    assert (quiet.completed, quiet.median_handling) == (1, timedelta(hours=72))


def test_by_town_gives_each_towns_figures(county: County) -> None:
    towns = by_town(YEAR)
    assert [(town.code, town.name) for town in towns] == [
        ("330327100", "灵溪镇"),
        ("330327101", "钱库镇"),
    ]
    assert towns[0].tally == tally(YEAR, Scope(town_id=county.town_a))
    assert towns[1].tally == Tally(
        households_registered=3,
        households_covered=1,
        visits=4,
        unique_visitors=4,
        published=Published(affairs=1, party=1, disclosure=1),
        bookings_received=2,
        requests_received=2,
        completed=1,
        cancelled=0,
        no_show=1,
        median_handling=timedelta(minutes=30),
    )
    assert towns[1].tally == tally(YEAR, Scope(town_id=county.town_b))


def test_by_village_gives_each_villages_own_figures(county: County) -> None:
    villages = by_village(YEAR)
    assert [(village.code, village.name) for village in villages] == [
        ("330327100201", "渡龙村"),
        ("330327100202", "上垟村"),
        ("330327101201", "项东村"),
    ]
    for village in villages:
        assert village.tally == tally(YEAR, Scope(village_id=village.village_id))
    assert villages[2].town_id == county.town_b
    # One town's villages only, and with the same figures as counted for the county.
    in_town_a = by_village(YEAR, Scope(town_id=county.town_a))
    assert in_town_a == villages[:2]
    town_b = by_town(YEAR)[1].tally
    b1 = villages[2].tally
    assert (b1.visits, b1.completed) == (town_b.visits, town_b.completed)
    assert b1.published.total < town_b.published.total  # the town's own post is not the village's


def test_by_month_counts_each_month_of_county_time(county: County) -> None:
    months = by_month(2021)
    assert [month.month for month in months] == [date(2021, m, 1) for m in range(1, 13)]
    rows = [
        (
            m.tally.households_registered,
            m.tally.households_covered,
            m.tally.visits,
            m.tally.unique_visitors,
            m.tally.published.total,
            m.tally.received,
            m.tally.completed,
            m.tally.cancelled,
            m.tally.no_show,
        )
        for m in months
    ]
    # h4 is registered and covered until its deactivation on 1 July.
    assert rows == [
        (9, 5, 3, 2, 1, 0, 1, 1, 0),  # Jan: a 2020 booking completed, another cancelled at 00:30
        (9, 5, 2, 2, 1, 0, 0, 0, 0),  # Feb: one UTC day, two county days
        (9, 6, 2, 1, 0, 2, 2, 0, 0),  # Mar: h2 installed; one visitor in two villages
        (9, 6, 0, 0, 1, 1, 0, 1, 0),
        (9, 5, 0, 0, 0, 1, 0, 0, 1),  # May: h5's plate revoked, its new one not yet installed
        (9, 6, 2, 2, 0, 2, 1, 0, 0),
        (8, 5, 2, 1, 1, 0, 0, 0, 0),  # Jul: h4 gone; the recorder's two visits by one visitor
        (8, 4, 0, 0, 1, 0, 0, 0, 0),  # Aug: h9's plate revoked
        (8, 4, 0, 0, 1, 0, 0, 0, 0),
        (8, 4, 0, 0, 2, 0, 0, 0, 0),
        (8, 4, 0, 0, 0, 2, 0, 0, 0),
        (8, 5, 2, 2, 1, 1, 0, 0, 0),  # Dec: h8 installed at 23:30 on the 31st
    ]
    assert [m.tally.median_handling for m in months[:3]] == [
        timedelta(hours=72),
        None,
        timedelta(seconds=91_800),
    ]
    assert sum(m.tally.visits for m in months) == tally(YEAR).visits


def test_a_household_counts_until_its_deactivation(county: County) -> None:
    june, july = Period.month(2021, 6), Period.month(2021, 7)
    assert (tally(june).households_registered, tally(july).households_registered) == (9, 8)
    assert (tally(june).households_covered, tally(july).households_covered) == (6, 5)


def test_completed_agrees_with_the_bookings_figure(county: County) -> None:
    start, end = YEAR.utc_bounds()
    assert tally(YEAR).completed == completed_count(Scope(), start, end)


def test_an_empty_county_counts_zero_and_no_median(app: Flask) -> None:
    figures = tally(YEAR)
    assert figures == Tally(0, 0, 0, 0, Published(), 0, 0, 0, 0, 0, None)
    assert by_town(YEAR) == ()


def test_days_are_county_days_in_the_configured_zone(
    county: County, make_app: Callable[..., Flask]
) -> None:
    """In Shanghai k7's visits at 23:50 and 00:10 are two days; in Berlin they are 16:50 and
    17:10 on one day. SQLite, without time zones, refuses a zone with daylight saving."""
    two_days = Period(date(2021, 2, 1), date(2021, 2, 3))
    assert (tally(two_days).visits, tally(two_days).unique_visitors) == (2, 2)
    db.session.rollback()  # end the read: on SQLite it holds the lock the other app needs
    with make_app(BABEL_DEFAULT_TIMEZONE="Europe/Berlin").app_context():
        if db.engine.dialect.name == "sqlite":
            with pytest.raises(UnsupportedZone, match="Europe/Berlin"):
                tally(two_days)
        else:
            assert (tally(two_days).visits, tally(two_days).unique_visitors) == (2, 1)


def test_periods() -> None:
    assert Period.month(2021, 12) == Period(date(2021, 12, 1), date(2022, 1, 1))
    assert Period.month(2021, 2) == Period(date(2021, 2, 1), date(2021, 3, 1))
    with pytest.raises(ValueError, match="end after"):
        Period(date(2021, 2, 1), date(2021, 2, 1))


def test_published_has_a_field_per_category() -> None:
    assert [field.name for field in fields(Published)] == [c.value for c in Category]
    counts = Published(affairs=1, party=2, finance=3, policy=4, disclosure=5, notice=6)
    assert (counts.three_affairs, counts.total, counts.of(Category.POLICY)) == (6, 21, 4)
