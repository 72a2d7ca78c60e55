"""China's working days: statutory holidays and weekend make-up days (调休), from chinese-calendar.

The State Council announces each year's holidays late in the previous year, so the package covers
only the years published when it was released. A date outside them is not guessed as an ordinary
Monday-to-Friday year: :func:`is_working_day` raises :class:`CalendarMissing`, and callers that
schedule anything (slot generation) report the year to staff instead.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import chinese_calendar
from flask_babel import gettext as _


class CalendarMissing(Exception):
    """The installed calendar has no data for ``year``."""

    def __init__(self, year: int) -> None:
        super().__init__(
            _(
                "China's working-day calendar has no data for %(year)d: update the "
                "chinese-calendar package, or open days by hand with calendar overrides.",
                year=year,
            )
        )
        self.year = year


@functools.cache
def covered_years() -> range:
    """The years the installed package has holiday data for (it refuses any other year)."""
    years = {day.year for day in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def is_working_day(day: date) -> bool:
    """Whether people work on ``day`` in China: Monday to Friday except statutory holidays, plus
    the weekend days worked in their place."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarMissing(day.year) from None


def missing_years(start: date, end: date) -> list[int]:
    """The years between ``start`` and ``end`` (inclusive) the calendar does not cover."""
    return [year for year in range(start.year, end.year + 1) if year not in covered_years()]


def working_days_after(start: datetime, days: int, zone: tzinfo) -> datetime:
    """The local midnight that ends the ``days``-th working day after ``start``'s local date.

    Outside the covered years it counts Monday to Friday: this only sets the default expiry of a
    notice, which staff see and can change, so a rough count beats refusing to publish.
    """
    day = start.astimezone(zone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        try:
            working = is_working_day(day)
        except CalendarMissing:
            working = day.weekday() < 5
        counted += working
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
