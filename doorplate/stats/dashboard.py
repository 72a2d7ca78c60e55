"""The county dashboard's figures, as the :class:`Table`s the page shows and the exports send.

Every table on the page is built here, once, and the CSV and XLSX downloads send that same
table, so a download always says what the page said. Figures come from
:mod:`doorplate.stats.tallies` and :mod:`doorplate.stats.timeliness`, counted only when a table
needs them: one table's download does not count the others.

Who sees what: county roles see the county or, with ``town``, one town; a reviewer sees their
own town or village only. :func:`area_for` is the one place that decides it.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import TypeVar

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.spreadsheet import defuse
from doorplate.staff.service import Scope
from doorplate.stats.charts import BarChart, LineChart, bar_chart, line_chart
from doorplate.stats.tables import Cell, Table, to_csv
from doorplate.stats.tallies import (
    MonthTally,
    Period,
    Tally,
    TownTally,
    VillageTally,
    by_month,
    by_town,
    by_village,
    tally,
)
from doorplate.stats.timeliness import Every, Timeliness, judge


class OutOfScope(LookupError):
    """The town asked for does not exist or is not the viewer's to see."""


class Sort(enum.StrEnum):
    """What the rankings are ordered by, largest first."""

    VISITS = "visits"
    COMPLETED = "completed"
    COVERAGE = "coverage"


SORT_LABELS = {
    Sort.VISITS: _l("Visits"),
    Sort.COMPLETED: _l("Completed"),
    Sort.COVERAGE: _l("Coverage"),
}


def area_for(scope: Scope, town_code: str | None) -> Scope:
    """The area a viewer with ``scope`` asked for: the county or a town for county roles; for
    anyone else their own scope, the ``town`` asked for being theirs or refused."""
    if not town_code:
        return scope
    town_id = db.session.scalar(select(Town.id).where(Town.code == town_code, scope.towns()))
    if town_id is None:
        raise OutOfScope(town_code)
    return Scope(town_id=town_id) if scope.is_county else scope


def town_choices(scope: Scope) -> list[tuple[str, str]]:
    """(code, name) of the towns a viewer may narrow the county to: county roles only."""
    if not scope.is_county:
        return []
    rows = db.session.execute(select(Town.code, Town.name).order_by(Town.code))
    return [(code, name) for code, name in rows]


def area_name(area: Scope) -> str:
    if area.village_id is not None:
        return db.session.scalar(select(Village.name).where(Village.id == area.village_id)) or ""
    if area.town_id is not None:
        return db.session.scalar(select(Town.name).where(Town.id == area.town_id)) or ""
    return _("Whole county")


class Dashboard:
    """One area's figures for one year; each kind is counted on first use."""

    def __init__(self, year: int, area: Scope, at: datetime, sort: Sort = Sort.VISITS) -> None:
        self.year = year
        self.area = area
        self.period = Period.year(year)
        self.sort = sort
        _start, year_end = self.period.utc_bounds()
        self.at = min(at, year_end)  # a past year is judged as it stood at its end

    @cached_property
    def in_year(self) -> Tally:
        return tally(self.period, self.area)

    @cached_property
    def cumulative(self) -> Tally:
        return tally(Period.until(self.period.end), self.area)

    @cached_property
    def months(self) -> tuple[MonthTally, ...]:
        return by_month(self.year, self.area)

    @cached_property
    def towns(self) -> tuple[TownTally, ...]:
        """Only the county view ranks towns."""
        return by_town(self.period) if self.area.is_county else ()

    @cached_property
    def villages(self) -> tuple[VillageTally, ...]:
        return by_village(self.period, self.area)

    @cached_property
    def town_names(self) -> dict[int, str]:
        return {town_id: name for town_id, name in db.session.execute(select(Town.id, Town.name))}

    @cached_property
    def timeliness(self) -> Timeliness:
        return judge(self.area, self.at)


def coverage(figures: Tally) -> Decimal | None:
    return coverage_of(figures.households_registered, figures.households_covered)


def coverage_of(registered: int, covered: int) -> Decimal | None:
    """Households covered per hundred registered, to one decimal; None when none registered."""
    if not registered:
        return None
    share = Decimal(covered) * 100 / Decimal(registered)
    return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def handling_hours(value: timedelta | None) -> Decimal | None:
    if value is None:
        return None
    hours = Decimal(value.total_seconds()) / 3600
    return hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def headline_table(board: Dashboard) -> Table:
    """The headline figures for the year and since launch (households: at the year's end)."""
    rows: list[tuple[str, Callable[[Tally], Cell]]] = [
        (_("Households registered"), lambda t: t.households_registered),
        (_("Households covered"), lambda t: t.households_covered),
        (_("Coverage (%)"), coverage),
        (_("Visits"), lambda t: t.visits),
        (_("Unique visitors (per day, summed)"), lambda t: t.unique_visitors),
        (_("Village, party and financial affairs"), lambda t: t.published.three_affairs),
        (_("Bookings and requests received"), lambda t: t.received),
        (_("Completed"), lambda t: t.completed),
        (_("Median handling time (hours)"), lambda t: handling_hours(t.median_handling)),
    ]
    return Table(
        title=_("Headline figures"),
        headers=(_("Figure"), str(board.year), _("Since launch")),
        rows=tuple(
            (label, figure(board.in_year), figure(board.cumulative)) for label, figure in rows
        ),
        note=_(
            "Households are counted at the end of the year. Unique visitors are counted per day "
            "and summed, since a visitor's key changes every day."
        ),
    )


def months_table(board: Dashboard) -> Table:
    return Table(
        title=_("By month (%(year)d)", year=board.year),
        headers=(
            _("Month"),
            _("Visits"),
            _("Unique visitors"),
            _("Village, party and financial affairs"),
            _("Items published"),
            _("Completed"),
        ),
        rows=tuple(
            (
                month.month.strftime("%Y-%m"),
                month.tally.visits,
                month.tally.unique_visitors,
                month.tally.published.three_affairs,
                month.tally.published.total,
                month.tally.completed,
            )
            for month in board.months
        ),
    )


def towns_table(board: Dashboard) -> Table:
    ranked = _ranked(board.towns, board.sort)
    return Table(
        title=_("Towns ranked by %(measure)s", measure=SORT_LABELS[board.sort]),
        headers=(_("Rank"), _("Town"), _("Code"), *_ranking_headers()),
        rows=tuple(
            (rank, town.name, town.code, *_ranking_cells(town.tally)) for rank, town in ranked
        ),
    )


def villages_table(board: Dashboard) -> Table:
    ranked = _ranked(board.villages, board.sort)
    names = board.town_names
    return Table(
        title=_("Villages ranked by %(measure)s", measure=SORT_LABELS[board.sort]),
        headers=(_("Rank"), _("Village"), _("Code"), _("Town"), *_ranking_headers()),
        rows=tuple(
            (
                rank,
                village.name,
                village.code,
                names[village.town_id],
                *_ranking_cells(village.tally),
            )
            for rank, village in ranked
        ),
        note=_("A village's items published are its own posts only."),
    )


def coverage_table(board: Dashboard) -> Table:
    """Households registered and covered per town, each followed by its villages."""
    rows: list[tuple[Cell, ...]] = []
    names = board.town_names
    for town_id in dict.fromkeys(village.town_id for village in board.villages):
        villages = [village for village in board.villages if village.town_id == town_id]
        registered = sum(v.tally.households_registered for v in villages)
        covered = sum(v.tally.households_covered for v in villages)
        share = coverage_of(registered, covered)
        rows.append((names[town_id], _("Town total"), None, registered, covered, share))
        rows += [
            (
                names[town_id],
                village.name,
                village.code,
                village.tally.households_registered,
                village.tally.households_covered,
                coverage(village.tally),
            )
            for village in villages
        ]
    return Table(
        title=_("Coverage by town and village"),
        headers=(
            _("Town"),
            _("Village"),
            _("Code"),
            _("Households registered"),
            _("Households covered"),
            _("Coverage (%)"),
        ),
        rows=tuple(rows),
        note=_("Households at the end of %(year)d.", year=board.year),
    )


def overdue_table(board: Dashboard) -> Table:
    judged = board.timeliness
    never = _("never")
    return Table(
        title=_("Finance disclosure overdue"),
        headers=(_("Town"), _("Village"), _("Code"), _("Last finance item")),
        rows=tuple(
            (
                row.village.town_name,
                row.village.name,
                row.village.code,
                row.last_finance.isoformat() if row.last_finance else never,
            )
            for row in judged.overdue
        ),
        note=overdue_rule(judged),
    )


def silent_table(board: Dashboard) -> Table:
    judged = board.timeliness
    return Table(
        title=_("Nothing published in the last quarter"),
        headers=(_("Town"), _("Village"), _("Code")),
        rows=tuple((row.town_name, row.name, row.code) for row in judged.silent),
        note=_(
            "Villages that published no item of their own from %(start)s to %(end)s.",
            start=judged.quarter_start.isoformat(),
            end=(judged.quarter_end - timedelta(days=1)).isoformat(),
        ),
    )


def overdue_rule(judged: Timeliness) -> str:
    """The rule in words, with its dates, for the page and the download."""
    every = _("every month") if judged.every is Every.MONTH else _("every quarter")
    return _(
        "Finance must be published %(every)s. On %(day)s a village is overdue when its last "
        "finance item went live before %(since)s, the start of the previous complete period.",
        every=every,
        day=judged.judged_on.isoformat(),
        since=judged.due_since.isoformat(),
    )


TABLES: dict[str, Callable[[Dashboard], Table]] = {
    "headline": headline_table,
    "months": months_table,
    "towns": towns_table,
    "villages": villages_table,
    "coverage": coverage_table,
    "overdue": overdue_table,
    "silent": silent_table,
}


def tables(board: Dashboard) -> dict[str, Table]:
    """Every table of ``board``'s page, by its name in the download URLs (towns: county only)."""
    return {
        name: make(board)
        for name, make in TABLES.items()
        if name != "towns" or board.area.is_county
    }


def charts(board: Dashboard) -> dict[str, BarChart | LineChart]:
    """The monthly trends as charts: visits beside unique visitors (one scale), items and
    completed cases alone (their numbers are far smaller)."""
    months = board.months
    labels = [str(month.month.month) for month in months]

    def monthly(values: list[int], title: str, description: str) -> BarChart:
        return bar_chart(
            list(zip(labels, values, strict=True)),
            title=title,
            description=description,
            formatter=_format_number,
        )

    return {
        "visits": line_chart(
            labels,
            [
                (_("Visits"), [month.tally.visits for month in months]),
                (_("Unique visitors"), [month.tally.unique_visitors for month in months]),
            ],
            title=_("Visits by month, %(year)d", year=board.year),
            description=_("Visits and unique visitors in each month; the table below has them."),
            formatter=_format_number,
        ),
        "published": monthly(
            [month.tally.published.total for month in months],
            _("Items published by month, %(year)d", year=board.year),
            _("Items of every category that went live in each month."),
        ),
        "completed": monthly(
            [month.tally.completed for month in months],
            _("Completed by month, %(year)d", year=board.year),
            _("Bookings and requests completed in each month."),
        ),
    }


def _format_number(value: float) -> str:
    return format_number(int(value))


def tables_csv(tables: list[Table]) -> bytes:
    """Several tables in one CSV, one after another: each under a row holding its title, its
    note in a row after it, a blank row between them; one byte-order mark at the start."""
    parts = []
    for table in tables:
        title = io.StringIO()
        csv.writer(title).writerow([defuse(table.title)])
        note = io.StringIO()
        if table.note:
            csv.writer(note).writerow([defuse(table.note)])
        body = to_csv(table).decode().removeprefix("\ufeff")
        parts.append(title.getvalue() + body + note.getvalue())
    return ("\ufeff" + "\r\n".join(parts)).encode()


def _ranking_headers() -> tuple[str, ...]:
    return (_("Visits"), _("Completed"), _("Coverage (%)"))


def _ranking_cells(figures: Tally) -> tuple[Cell, ...]:
    return (figures.visits, figures.completed, coverage(figures))


def _measure(figures: Tally, sort: Sort) -> Decimal | int:
    if sort is Sort.COMPLETED:
        return figures.completed
    if sort is Sort.COVERAGE:
        return coverage(figures) or Decimal(-1)
    return figures.visits


Ranked = TypeVar("Ranked", TownTally, VillageTally)


def _ranked(items: tuple[Ranked, ...], sort: Sort) -> list[tuple[int, Ranked]]:
    """Largest first, ties in code order sharing a rank (1, 2, 2, 4)."""
    ordered = sorted(items, key=lambda item: (-_measure(item.tally, sort), item.code))
    ranked: list[tuple[int, Ranked]] = []
    for index, item in enumerate(ordered):
        tied = ranked and _measure(ranked[-1][1].tally, sort) == _measure(item.tally, sort)
        ranked.append((ranked[-1][0] if tied else index + 1, item))
    return ranked
