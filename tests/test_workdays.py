"""China's working-day calendar: holidays, make-up days (调休) and the years the package lacks.

The expected dates are the State Council's announcements for 2025 and 2026, checked against the
installed chinese-calendar package.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from doorplate.publications import service as publications
from doorplate.workdays import (
    CalendarMissing,
    covered_years,
    is_working_day,
    missing_years,
    working_days_after,
)

TZ = ZoneInfo("Asia/Shanghai")


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@pytest.mark.parametrize(
    ("first", "last", "make_up"),
    [
        # 2026 Spring Festival: Feb 15-23 off (15 and 22 are Sundays, 21 a Saturday anyway);
        # Saturdays Feb 14 and Feb 28 worked.
        (date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)]),
        # 2026 National Day: Oct 1-7 off; Sunday Sep 20 and Saturday Oct 10 worked.
        (date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)]),
        # 2025 Spring Festival: Jan 28 - Feb 4 off; Sunday Jan 26 and Saturday Feb 8 worked.
        (date(2025, 1, 28), date(2025, 2, 4), [date(2025, 1, 26), date(2025, 2, 8)]),
        # 2025 National Day with Mid-autumn: Oct 1-8 off; Sunday Sep 28, Saturday Oct 11 worked.
        (date(2025, 10, 1), date(2025, 10, 8), [date(2025, 9, 28), date(2025, 10, 11)]),
    ],
)
def test_holidays_and_make_up_days(first: date, last: date, make_up: list[date]) -> None:
    assert [day for day in _days(first, last) if is_working_day(day)] == []
    assert all(day.weekday() >= 5 for day in make_up)  # weekend days ...
    assert all(is_working_day(day) for day in make_up)  # ... that are worked


def test_an_ordinary_week() -> None:
    week = _days(date(2026, 11, 23), date(2026, 11, 29))
    assert [is_working_day(day) for day in week] == [True] * 5 + [False] * 2


def test_a_year_without_data_is_not_guessed(app: Flask) -> None:
    assert 2026 in covered_years()
    assert 2027 not in covered_years()  # the package predates the 2027 announcement
    with pytest.raises(CalendarMissing) as raised:
        is_working_day(date(2027, 1, 4))
    assert raised.value.year == 2027
    assert "2027" in str(raised.value)
    assert "chinese-calendar" in str(raised.value)


def test_missing_years_of_a_range() -> None:
    assert missing_years(date(2026, 12, 1), date(2026, 12, 31)) == []
    assert missing_years(date(2026, 12, 1), date(2028, 1, 2)) == [2027, 2028]
    assert missing_years(date(2003, 12, 30), date(2004, 1, 2)) == [2003]


def test_working_days_after_skips_the_national_day_holiday() -> None:
    # Tuesday 29 Sep 2026: working days Sep 30, Oct 8, 9, 10 (a Saturday worked), 12, 13, 14.
    result = working_days_after(datetime(2026, 9, 29, 10, 0, tzinfo=TZ), 7, TZ)
    assert result == datetime(2026, 10, 15, 0, 0, tzinfo=TZ)
    assert result.tzinfo is UTC


def test_working_days_after_counts_monday_to_friday_without_data() -> None:
    # Thursday 31 Dec 2026: 2027 has no data, so Jan 1 2027 (a holiday in fact) counts as a Friday.
    result = working_days_after(datetime(2026, 12, 31, 10, 0, tzinfo=TZ), 3, TZ)
    assert result == datetime(2027, 1, 6, 0, 0, tzinfo=TZ)


def test_a_notice_with_personal_data_comes_down_after_chinas_working_days(app: Flask) -> None:
    """Published the day before 国庆 2026: the holiday week does not count, the make-up
    Saturday (Oct 10) does; the seventh working day is Thursday Oct 15."""
    published = datetime(2026, 9, 30, 10, 0, tzinfo=TZ)
    assert publications.default_expiry(published) == datetime(2026, 10, 16, 0, 0, tzinfo=TZ)
