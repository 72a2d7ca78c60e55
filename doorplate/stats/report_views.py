"""The annual report in the staff console: ``/staff/reports/annual`` and its downloads.

The page shows what the report says and lets the county choose, explicitly, whether the
paragraph states cumulative (累计) or in-year figures (issue 6, point 5); each download
(``/staff/reports/annual.<fmt>``) takes the same ``year`` and ``basis``, so the file is the page.
County roles only: the report is the whole county's, signed by the county. A year with no data
is a report of zeros, not an error; a year that is not a plausible year number is a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from doorplate.db import utcnow
from doorplate.i18n import chosen_lang, county_zone
from doorplate.publications.attachments import content_disposition
from doorplate.security import csp_nonce
from doorplate.staff.access import staff_required
from doorplate.staff.models import COUNTY_ROLES
from doorplate.stats import report as annual
from doorplate.stats.report_pdf import render_pdf

console = Blueprint("reports", __name__, url_prefix="/reports")

FIRST_YEAR, LAST_YEAR = 2000, 2999
_YEAR = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Download:
    label: str | LazyString
    media_type: str
    render: Callable[[annual.AnnualReport, str], str | bytes]


def _html(report: annual.AnnualReport, lang: str) -> str:
    """The HTML report with this response's CSP nonce on its inline stylesheet."""
    return annual.render_html(report, lang, nonce=csp_nonce())


DOWNLOADS = {
    "txt": Download(_l("Plain text"), "text/plain; charset=utf-8", annual.render_text),
    "html": Download("HTML", "text/html; charset=utf-8", _html),
    "xlsx": Download(
        "Excel (XLSX)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        annual.render_xlsx,
    ),
    "pdf": Download("PDF", "application/pdf", render_pdf),
}


class BadQuery(Exception):
    """A ``year`` or ``basis`` the report cannot be made for; the message says what is wanted."""


@dataclass(frozen=True)
class ReportQuery:
    year: int
    basis: annual.Basis


def report_query(year: str | None, basis: str | None) -> ReportQuery:
    """The report asked for: ``year`` (default last year, the one a report is usually due for)
    and ``basis`` (default cumulative, as the county's report words it)."""
    if year is None or year == "":
        chosen = utcnow().astimezone(county_zone()).year - 1
    elif _YEAR.fullmatch(year) and FIRST_YEAR <= int(year) <= LAST_YEAR:
        chosen = int(year)
    else:
        raise BadQuery(
            _(
                "The year must be a whole number from %(first)d to %(last)d.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )
    try:
        stated = annual.Basis(basis) if basis else annual.DEFAULT_BASIS
    except ValueError:
        raise BadQuery(_("The basis must be cumulative or in-year.")) from None
    return ReportQuery(chosen, stated)


@console.get("/annual", endpoint="annual")  # the console's menu links to staff.reports.annual
@staff_required(*COUNTY_ROLES)
def annual_page() -> ResponseReturnValue:
    """The report on a page, with the basis switch and the download links."""
    try:
        query = report_query(request.args.get("year"), request.args.get("basis"))
    except BadQuery as refused:
        return render_template("stats/report_page.html", error=str(refused), **_form()), 400
    report = annual.annual_report(query.year, query.basis)
    lang = chosen_lang()
    return render_template(
        "stats/report_page.html",
        error=None,
        report=report,
        title=annual.title(report),
        basis_note=annual.basis_note(report),
        paragraph=annual.paragraph(report, lang),
        tables=annual.tables(report),
        cell=annual.cell_text,
        chart=annual.visits_chart(report),
        downloads={fmt: download.label for fmt, download in DOWNLOADS.items()},
        **_form(query),
    )


@console.get("/annual.<any(txt, html, xlsx, pdf):fmt>")
@staff_required(*COUNTY_ROLES)
def download(fmt: str) -> Response:
    """The report as a file, for the page's ``year`` and ``basis``, in the reader's language."""
    try:
        query = report_query(request.args.get("year"), request.args.get("basis"))
    except BadQuery as refused:
        abort(400, description=str(refused))
    report = annual.annual_report(query.year, query.basis)
    made = DOWNLOADS[fmt].render(report, chosen_lang())
    data = made.encode() if isinstance(made, str) else made
    response = Response(data, content_type=DOWNLOADS[fmt].media_type)
    response.headers["Content-Disposition"] = content_disposition(
        f"{annual.title(report)}.{fmt}", f"doorplate-report-{query.year}-{query.basis.value}.{fmt}"
    )
    response.headers["Cache-Control"] = "no-store"  # figures change as records come in
    return response


def _form(query: ReportQuery | None = None) -> dict[str, object]:
    """What the year-and-basis form shows: the values asked for, or as typed when refused."""
    return {
        "year_value": str(query.year) if query else request.args.get("year", ""),
        "basis_value": query.basis.value if query else request.args.get("basis", ""),
        "bases": annual.Basis,
        "first_year": FIRST_YEAR,
        "last_year": LAST_YEAR,
    }
