"""The annual report's doorplate paragraph, its exact figures, per-town and monthly tables.

The paragraph copies the wording of the county's own report (seed/annual-report-2021.txt) and
phrases its figures as such a report does (:mod:`doorplate.stats.phrasing`); the tables beside
it give every figure exactly, so each rounded one can be checked.

*Cumulative or in-year.* The county's report says 访问总量 and 累计办结: figures since launch.
That is the default here (:data:`DEFAULT_BASIS`); the in-year variant says "2021年" instead, and
the report states which one its paragraph uses. The exact-figures table always shows both.

The tables (:class:`doorplate.stats.tables.Table`) keep raw numbers: the text, HTML and PDF
renderers format them (:func:`cell_text`) and the workbook keeps them numbers, so a download
matches the page figure for figure.

The paragraph's two wordings are written here, not in the message catalogue: its Chinese is the
fixed text the county signs, and the numbers are phrased differently per language (万 and
近/超/约 in Chinese, thousands in English), so each language is a sentence of its own.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import format_decimal, format_number
from flask_babel import gettext as _

from doorplate.publications.models import CATEGORY_LABELS, Category
from doorplate.stats import phrasing
from doorplate.stats.charts import BarChart, bar_chart
from doorplate.stats.phrasing import Style
from doorplate.stats.tables import Cell, Table, to_xlsx
from doorplate.stats.tallies import MonthTally, Period, Tally, TownTally, by_month, by_town, tally


class Basis(enum.StrEnum):
    CUMULATIVE = "cumulative"  # since launch (累计)
    IN_YEAR = "in-year"


DEFAULT_BASIS = Basis.CUMULATIVE  # as the county's report words it: 访问总量, 累计办结

# Per figure of the paragraph: estimates of people and visits in 万, items and cases exactly
# (the report writes 6531条 and 32227件次, and 19256条 elsewhere).
HOUSEHOLDS_STYLE = Style.ROUNDED
VISITS_STYLE = Style.ROUNDED
ITEMS_STYLE = Style.EXACT
COMPLETED_STYLE = Style.EXACT

_ZH = {
    Basis.CUMULATIVE: (
        "截至{year}年底，智慧门牌已覆盖全县{households}户运行，群众访问总量{visits}人次，"
        "公开村（社）三务信息{items}条，累计办结各项惠民服务申请需求{completed}件次。"
    ),
    Basis.IN_YEAR: (
        "截至{year}年底，智慧门牌已覆盖全县{households}户运行；{year}年，群众访问{visits}人次，"
        "公开村（社）三务信息{items}条，办结各项惠民服务申请需求{completed}件次。"
    ),
}
_EN = {
    Basis.CUMULATIVE: (
        "By the end of {year}, smart doorplates covered {households} households across the "
        "county; residents had visited them {visits} times in all, {items} items of village, "
        "party and financial affairs had been published, and {completed} service requests had "
        "been completed since launch."
    ),
    Basis.IN_YEAR: (
        "By the end of {year}, smart doorplates covered {households} households across the "
        "county; in {year}, residents visited them {visits} times, {items} items of village, "
        "party and financial affairs were published, and {completed} service requests were "
        "completed."
    ),
}


@dataclass(frozen=True)
class AnnualReport:
    year: int
    basis: Basis
    in_year: Tally
    cumulative: Tally
    towns: tuple[TownTally, ...]  # on ``basis``
    months: tuple[MonthTally, ...]  # always in-year: a trend

    @property
    def stated(self) -> Tally:
        """The figures the paragraph states."""
        return self.cumulative if self.basis is Basis.CUMULATIVE else self.in_year


def annual_report(year: int, basis: Basis = DEFAULT_BASIS) -> AnnualReport:
    """All the figures of ``year``'s report, counted from the raw records."""
    period = Period.year(year)
    cumulative = Period.until(period.end)
    return AnnualReport(
        year=year,
        basis=basis,
        in_year=tally(period),
        cumulative=tally(cumulative),
        towns=by_town(period if basis is Basis.IN_YEAR else cumulative),
        months=by_month(year),
    )


def paragraph(report: AnnualReport, lang: str) -> str:
    """The doorplate paragraph in ``lang`` ("zh" or "en"), in the report's own style."""
    figures = report.stated
    if lang == "zh":
        template, phrase = _ZH[report.basis], phrasing.zh
    else:
        template, phrase = _EN[report.basis], phrasing.en
    return template.format(
        year=report.year,
        households=phrase(figures.households_covered, HOUSEHOLDS_STYLE),
        visits=phrase(figures.visits, VISITS_STYLE),
        items=phrase(figures.published.three_affairs, ITEMS_STYLE),
        completed=phrase(figures.completed, COMPLETED_STYLE),
    )


def title(report: AnnualReport) -> str:
    return _(
        "%(county)s smart doorplates: annual report %(year)d",
        county=current_app.config["COUNTY_NAME"],
        year=report.year,
    )


def basis_note(report: AnnualReport) -> str:
    """Which figures the paragraph states, said in the report itself (issue 6, point 5)."""
    if report.basis is Basis.CUMULATIVE:
        return _(
            "The paragraph states cumulative figures: everything since launch up to 31 December "
            "%(year)d. The in-year figures are in the table.",
            year=report.year,
        )
    return _(
        "The paragraph states in-year figures: 1 January to 31 December %(year)d. The "
        "cumulative figures are in the table.",
        year=report.year,
    )


def figures_table(report: AnnualReport) -> Table:
    """Every figure exactly, for the year and since launch (households: at the year's end)."""
    rows = [
        (_("Households registered (at year end)"), lambda t: t.households_registered),
        (_("Households covered (at year end)"), lambda t: t.households_covered),
        (_("Visits"), lambda t: t.visits),
        (_("Unique visitors (per day, summed)"), lambda t: t.unique_visitors),
        (
            _("Items published: village, party and financial affairs"),
            lambda t: t.published.three_affairs,
        ),
        *(
            (
                _("Items published: %(category)s", category=CATEGORY_LABELS[category]),
                lambda t, category=category: t.published.of(category),
            )
            for category in Category
        ),
        (_("Bookings received"), lambda t: t.bookings_received),
        (_("Requests received"), lambda t: t.requests_received),
        (_("Completed"), lambda t: t.completed),
        (_("Cancelled"), lambda t: t.cancelled),
        (_("Did not come"), lambda t: t.no_show),
    ]
    cells: list[tuple[Cell, ...]] = [
        (label, figure(report.in_year), figure(report.cumulative)) for label, figure in rows
    ]
    cells.append(
        (
            _("Median handling time (hours)"),
            hours(report.in_year.median_handling),
            hours(report.cumulative.median_handling),
        )
    )
    return Table(
        title=_("Exact figures"),
        headers=(_("Figure"), str(report.year), _("Since launch")),
        rows=tuple(cells),
    )


def towns_table(report: AnnualReport) -> Table:
    """Each town's figures on the paragraph's basis, and the county's total."""
    county = report.stated
    rows: list[tuple[Cell, ...]] = [
        (town.name, town.code, *_town_cells(town.tally)) for town in report.towns
    ]
    rows.append((_("County total"), "", *_town_cells(county)))
    return Table(
        title=_("By town (%(basis)s)", basis=_basis_label(report)),
        headers=(
            _("Town"),
            _("Code"),
            _("Households registered"),
            _("Households covered"),
            _("Visits"),
            _("Unique visitors"),
            _("Village, party and financial affairs"),
            _("Bookings and requests received"),
            _("Completed"),
        ),
        rows=tuple(rows),
        note=_("Items the county itself published count in the county total only."),
    )


def months_table(report: AnnualReport) -> Table:
    return Table(
        title=_("By month (%(year)d)", year=report.year),
        headers=(
            _("Month"),
            _("Visits"),
            _("Unique visitors"),
            _("Items published"),
            _("Bookings and requests received"),
            _("Completed"),
        ),
        rows=tuple(
            (
                month.month.strftime("%Y-%m"),
                month.tally.visits,
                month.tally.unique_visitors,
                month.tally.published.total,
                month.tally.received,
                month.tally.completed,
            )
            for month in report.months
        ),
    )


def visits_chart(report: AnnualReport) -> BarChart:
    """Monthly visits as bars, scaled to the busiest month."""
    return bar_chart(
        [(str(month.month.month), month.tally.visits) for month in report.months],
        title=_("Visits by month, %(year)d", year=report.year),
        description=_("Visits to plate pages in each month of %(year)d.", year=report.year),
        formatter=lambda value: format_number(int(value)),
    )


def tables(report: AnnualReport) -> tuple[Table, Table, Table]:
    """The report's three tables, in the order every format shows them."""
    return figures_table(report), towns_table(report), months_table(report)


def paragraph_table(report: AnnualReport, lang: str) -> Table:
    """The paragraph and the note saying its basis, as the workbook's first sheet."""
    return Table(
        title=_("Paragraph"),
        headers=(title(report),),
        rows=((basis_note(report),), (paragraph(report, lang),)),
    )


def cell_text(cell: Cell) -> str:
    """A raw table cell as the text, HTML and PDF reports print it: numbers grouped, an
    undefined figure (no median without a completed case) as a dash."""
    if cell is None:
        return "–"
    if isinstance(cell, Decimal):
        return format_decimal(cell, "0.0")
    if isinstance(cell, int):
        return format_number(cell)
    return str(cell)


def render_text(report: AnnualReport, lang: str) -> str:
    """The report as plain text: paragraph, then the tables aligned for a monospaced terminal."""
    parts = [title(report), "", basis_note(report), "", paragraph(report, lang)]
    for table in tables(report):
        parts += ["", table.title, _text_table(table)]
        if table.note:
            parts.append(table.note)
    return "\n".join(parts) + "\n"


def render_html(report: AnnualReport, lang: str, nonce: str | None = None) -> str:
    """The report as one self-contained HTML page (no external files), chart inline as SVG.

    Its stylesheet is inline so the file stands alone; served by the site, it carries the
    response's CSP ``nonce``, without which the site's own policy blocks it.
    """
    return current_app.jinja_env.get_template("stats/report.html").render(
        nonce=nonce,
        lang=lang,
        title=title(report),
        basis_note=basis_note(report),
        paragraph=paragraph(report, lang),
        tables=tables(report),
        cell=cell_text,
        chart=visits_chart(report),
    )


def render_xlsx(report: AnnualReport, lang: str) -> bytes:
    """The report as a workbook: the paragraph first, then each table with numbers as numbers,
    the same rows the page shows."""
    return to_xlsx([paragraph_table(report, lang), *tables(report)])


def _basis_label(report: AnnualReport) -> str:
    if report.basis is Basis.CUMULATIVE:
        return _("since launch")
    return _("%(year)d only", year=report.year)


def _town_cells(figures: Tally) -> tuple[int, ...]:
    return (
        figures.households_registered,
        figures.households_covered,
        figures.visits,
        figures.unique_visitors,
        figures.published.three_affairs,
        figures.received,
        figures.completed,
    )


def hours(value: timedelta | None) -> Decimal | None:
    """A duration in hours to one decimal (half up), kept a number for the spreadsheet."""
    if value is None:
        return None
    seconds = Decimal(str(value.total_seconds()))
    return (seconds / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _text_table(table: Table) -> str:
    """Columns padded by display width, CJK characters counting two."""
    header, *body = [table.headers, *(tuple(map(cell_text, row)) for row in table.rows)]
    lines = [header, *body]
    widths = [max(_width(line[column]) for line in lines) for column in range(len(table.headers))]

    def row(cells: tuple[str, ...]) -> str:
        padded = []
        for column, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            space = " " * (width - _width(cell))
            padded.append(cell + space if column == 0 else space + cell)  # numbers to the right
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([row(header), rule, *(row(cells) for cells in body)])


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
