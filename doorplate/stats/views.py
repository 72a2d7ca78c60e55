"""The county dashboard in the staff console, and its tables as CSV and XLSX downloads.

``/staff/stats/`` shows one area's figures for a year. ``/staff/stats/<table>.csv`` (or
``.xlsx``) sends one of its tables, ``/staff/stats/all.xlsx`` (or ``.csv``) all of them; they
take the same ``year``, ``town`` and ``sort`` as the page, so a download is the page's table.
Each table has an endpoint of its own (``export_<table>``): the route walk in
tests/staff/test_routes.py probes every rule, and a rule per table needs no URL argument beyond
``fmt``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from doorplate.db import utcnow
from doorplate.i18n import county_zone
from doorplate.publications.attachments import content_disposition
from doorplate.staff.access import current_scope, staff_required
from doorplate.staff.models import COUNTY_ROLES, Role
from doorplate.stats import dashboard as figures
from doorplate.stats.dashboard import SORT_LABELS, Dashboard, OutOfScope, Sort
from doorplate.stats.tables import to_csv, to_xlsx

console = Blueprint("stats", __name__, url_prefix="/stats")

VIEWERS = (*COUNTY_ROLES, Role.REVIEWER)
FIRST_YEAR = 2000  # no doorplate figures before this; a year outside is a page that does not exist
MEDIA_TYPES = {
    "csv": "text/csv",  # the response adds "; charset=utf-8", once
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@console.get("/")
@staff_required(*VIEWERS)
def dashboard() -> str:
    board = _board()
    tables = figures.tables(board)
    return render_template(
        "stats/dashboard.html",
        board=board,
        tables=tables,
        area_name=figures.area_name(board.area),
        town_code=request.args.get("town", ""),
        towns=figures.town_choices(current_scope()),
        sorts=SORT_LABELS,
        charts=figures.charts(board),
        query=_query(board),
    )


def _export_view(name: str) -> Callable[[str], Response]:
    """The download view of the table ``name``, in CSV or XLSX."""

    def export(fmt: str) -> Response:
        board = _board()
        if name == "towns" and not board.area.is_county:
            abort(404)  # towns are ranked in the county view only
        table = figures.TABLES[name](board)
        data = to_csv(table) if fmt == "csv" else to_xlsx([table])
        return _download(data, fmt, board, name, table.title)

    export.__name__ = f"export_{name}"
    return staff_required(*VIEWERS)(export)


for _name in figures.TABLES:
    console.add_url_rule(
        f"/{_name}.<any(csv, xlsx):fmt>", endpoint=f"export_{_name}", view_func=_export_view(_name)
    )


@console.get("/all.<any(csv, xlsx):fmt>")
@staff_required(*VIEWERS)
def export_all(fmt: str) -> Response:
    """Every table of the page in one file: a workbook with a sheet each, or one CSV with the
    tables one after another."""
    board = _board()
    tables = list(figures.tables(board).values())
    data = figures.tables_csv(tables) if fmt == "csv" else to_xlsx(tables)
    return _download(data, fmt, board, "all", _("Statistics"))


def _board() -> Dashboard:
    """The dashboard the request asks for; 404 for a town out of scope or a year out of range."""
    today = utcnow().astimezone(county_zone()).date()
    year = request.args.get("year", default=today.year, type=int)
    if year is None or not FIRST_YEAR <= year <= today.year + 1:
        abort(404)
    try:
        area = figures.area_for(current_scope(), request.args.get("town") or None)
    except OutOfScope:
        abort(404)
    try:
        sort = Sort(request.args.get("sort", Sort.VISITS.value))
    except ValueError:
        sort = Sort.VISITS
    return Dashboard(year, area, utcnow(), sort)


def _query(board: Dashboard) -> dict[str, str]:
    """The page's query, carried into every download link so the file is the page's table."""
    query = {"year": str(board.year), "sort": board.sort.value}
    if request.args.get("town"):
        query["town"] = request.args["town"]
    return query


def _download(data: bytes, fmt: str, board: Dashboard, name: str, title: str) -> Response:
    """The file, named in the reader's language (RFC 5987) with an ASCII name for old clients."""
    county = current_app.config["COUNTY_NAME"]
    area = figures.area_name(board.area)
    response = Response(data, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = content_disposition(
        f"{county}{area}-{board.year}-{title}.{fmt}", f"doorplate-stats-{board.year}-{name}.{fmt}"
    )
    return response
