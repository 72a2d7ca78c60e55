"""The county dashboard (/staff/stats/) and its downloads, on the generated county.

The figures on the page and in every file are compared with the tallies and with the
:class:`Table` the page is built from, never with numbers copied by hand.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from conftest import signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import format_number
from openpyxl import load_workbook

from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.staff.models import Role, StaffUser
from doorplate.staff.service import Scope
from doorplate.stats import dashboard as figures
from doorplate.stats.dashboard import Dashboard, Sort
from doorplate.stats.tables import Table
from doorplate.stats.tallies import COUNTY, Period, by_village, tally

from .conftest import County

YEAR = 2021
TOWN_A, TOWN_B = "330327100", "330327101"
BOM = "\ufeff".encode()


class _Tables(HTMLParser):
    """Each <table> of a page, keyed by the id of the heading of its section, as rows of text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._section = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "h2" and found.get("id"):
            self._section = str(found["id"])
        elif tag == "table":
            self.tables[self._section] = []
        elif tag == "tr":
            self.tables[self._section].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._section][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def shown(cell: object) -> str:
    """A cell as the page writes it."""
    if cell is None:
        return "–"
    return f"{cell:,}" if isinstance(cell, int | Decimal) else str(cell)


def written(cell: object) -> str:
    """A cell as the CSV writes it."""
    return "" if cell is None else str(cell)


@pytest.fixture
def staff(
    app: Flask, county: County, make_staff: Callable[..., StaffUser]
) -> Callable[[str], FlaskClient]:
    """``staff("county")`` → a client signed in as the county, a town A reviewer, a village
    A1 reviewer or A1's editor."""
    town_a = db.session.get(Town, county.town_a)
    a1 = db.session.get(Village, county.village_a1)
    made = {
        "county": make_staff(Role.COUNTY, username="county-x"),
        "town": make_staff(Role.REVIEWER, username="town-x", town=town_a),
        "village": make_staff(Role.REVIEWER, username="village-x", village=a1),
        "editor": make_staff(Role.EDITOR, username="editor-x", village=a1),
    }
    names = {who: user.username for who, user in made.items()}
    return lambda who: signed_in_client(app, names[who])


def board(area: Scope = COUNTY, sort: Sort = Sort.VISITS) -> Dashboard:
    return Dashboard(YEAR, area, datetime.now(UTC), sort)


def test_the_headline_figures_are_the_tallies(
    app: Flask, staff: Callable[[str], FlaskClient]
) -> None:
    html = staff("county").get(f"/staff/stats/?year={YEAR}").get_data(as_text=True)
    year, since = tally(Period.year(YEAR)), tally(Period.until(date(YEAR + 1, 1, 1)))
    with app.test_request_context():
        expected = [
            [format_number(figure(year)), format_number(figure(since))]
            for figure in (
                lambda t: t.households_registered,
                lambda t: t.households_covered,
            )
        ]
        rest = [
            [format_number(figure(year)), format_number(figure(since))]
            for figure in (
                lambda t: t.visits,
                lambda t: t.unique_visitors,
                lambda t: t.published.three_affairs,
                lambda t: t.received,
                lambda t: t.completed,
            )
        ]
    rows = page_tables(html)["table-headline"]
    assert rows[0] == ["Figure", str(YEAR), "Since launch"]
    assert [row[1:] for row in rows[1:3]] == expected
    share = figures.coverage_of(year.households_registered, year.households_covered)
    assert rows[3][1] == str(share) and share is not None and 0 < share < 100
    assert [row[1:] for row in rows[4:9]] == rest
    hours = year.median_handling.total_seconds() / 3600 if year.median_handling else None
    assert rows[9][1] == f"{hours:.1f}"


def test_county_sees_every_town_and_village(staff: Callable[[str], FlaskClient]) -> None:
    response = staff("county").get(f"/staff/stats/?year={YEAR}")
    assert response.status_code == 200
    tables = page_tables(response.get_data(as_text=True))
    assert {row[2] for row in tables["table-towns"][1:]} == {TOWN_A, TOWN_B}
    assert {row[2] for row in tables["table-villages"][1:]} == {
        village.code for village in by_village(Period.year(YEAR))
    }


def test_county_can_narrow_to_a_town(staff: Callable[[str], FlaskClient]) -> None:
    client = staff("county")
    tables = page_tables(client.get(f"/staff/stats/?year={YEAR}&town={TOWN_B}").get_data(True))
    assert "table-towns" not in tables
    assert [row[2] for row in tables["table-villages"][1:]] == ["330327101201"]
    assert client.get("/staff/stats/?town=999999999").status_code == 404


def test_a_town_reviewer_sees_only_their_town(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    client = staff("town")
    html = client.get(f"/staff/stats/?year={YEAR}").get_data(as_text=True)
    tables = page_tables(html)
    assert "table-towns" not in tables
    assert {row[2] for row in tables["table-villages"][1:]} == {"330327100201", "330327100202"}
    assert "项东村" not in html and "钱库镇" not in html
    ours = tally(Period.year(YEAR), Scope(town_id=county.town_a))
    assert tables["table-headline"][4][1] == str(ours.visits)
    assert client.get(f"/staff/stats/?town={TOWN_A}").status_code == 200
    for url in (
        f"/staff/stats/all.csv?town={TOWN_B}",
        f"/staff/stats/?town={TOWN_B}",
        f"/staff/stats/villages.csv?town={TOWN_B}",
        f"/staff/stats/all.xlsx?town={TOWN_B}",
        "/staff/stats/towns.csv",
    ):
        assert client.get(url).status_code == 404, url


def test_a_village_reviewer_sees_only_their_village(staff: Callable[[str], FlaskClient]) -> None:
    client = staff("village")
    tables = page_tables(client.get(f"/staff/stats/?year={YEAR}").get_data(as_text=True))
    assert [row[2] for row in tables["table-villages"][1:]] == ["330327100201"]
    assert client.get(f"/staff/stats/?town={TOWN_B}").status_code == 404


def test_editors_may_not_and_strangers_must_sign_in(
    client: FlaskClient, staff: Callable[[str], FlaskClient]
) -> None:
    editor = staff("editor")
    urls = (
        "/staff/stats/",
        "/staff/stats/months.csv",
        "/staff/stats/all.xlsx",
        "/staff/stats/all.csv",
    )
    for url in urls:
        assert editor.get(url).status_code == 403, url
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/staff/login?next="), url


def test_a_year_out_of_range_is_not_found(staff: Callable[[str], FlaskClient]) -> None:
    client = staff("county")
    assert client.get("/staff/stats/?year=1999").status_code == 404
    assert client.get("/staff/stats/?year=99999").status_code == 404


@pytest.mark.parametrize("name", list(figures.TABLES))
def test_each_csv_is_the_pages_table(
    app: Flask, staff: Callable[[str], FlaskClient], name: str
) -> None:
    client = staff("county")
    response = client.get(f"/staff/stats/{name}.csv?year={YEAR}&sort=completed")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith(BOM)
    rows = list(csv.reader(io.StringIO(data[len(BOM) :].decode())))
    with app.test_request_context():
        table = figures.TABLES[name](board(sort=Sort.COMPLETED))
    assert rows == [list(table.headers), *([written(cell) for cell in row] for row in table.rows)]
    page = page_tables(client.get(f"/staff/stats/?year={YEAR}&sort=completed").get_data(True))
    assert page[f"table-{name}"] == [
        list(table.headers),
        *([shown(cell) for cell in row] for row in table.rows),
    ]


def test_the_workbook_holds_every_table_as_the_page_shows_it(
    app: Flask, staff: Callable[[str], FlaskClient]
) -> None:
    response = staff("county").get(f"/staff/stats/all.xlsx?year={YEAR}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    with app.test_request_context():
        tables = list(figures.tables(board()).values())
    assert len(workbook.sheetnames) == len(tables) == len(figures.TABLES)
    for sheet_name, table in zip(workbook.sheetnames, tables, strict=True):
        _assert_sheet(list(workbook[sheet_name].values), table)


def test_the_one_csv_holds_every_table_in_turn(
    app: Flask, staff: Callable[[str], FlaskClient]
) -> None:
    response = staff("county").get(f"/staff/stats/all.csv?year={YEAR}")
    data = response.get_data()
    assert data.startswith(BOM) and data.count(BOM) == 1
    rows = list(csv.reader(io.StringIO(data[len(BOM) :].decode())))
    with app.test_request_context():
        tables = list(figures.tables(board()).values())
    expected: list[list[str]] = []
    for table in tables:
        if expected:
            expected.append([])
        expected += [[table.title], list(table.headers)]
        expected += [[written(cell) for cell in row] for row in table.rows]
        expected += [[table.note]] if table.note else []
    assert rows == expected


def test_one_table_as_xlsx(app: Flask, staff: Callable[[str], FlaskClient]) -> None:
    response = staff("town").get(f"/staff/stats/coverage.xlsx?year={YEAR}&town={TOWN_A}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    with app.test_request_context():
        table = figures.coverage_table(board(Scope(town_id=_town_id(TOWN_A))))
    assert len(workbook.sheetnames) == 1
    _assert_sheet(list(workbook.worksheets[0].values), table)
    assert {row[1] for row in table.rows} >= {"渡龙村", "上垟村"}


def test_files_are_named_in_chinese_with_an_ascii_fallback(
    staff: Callable[[str], FlaskClient],
) -> None:
    response = staff("county").get(f"/staff/stats/villages.csv?year={YEAR}")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="doorplate-stats-{YEAR}-villages.csv"')
    readable = unquote(disposition.split("filename*=UTF-8''")[1])
    assert readable.startswith(f"苍南县Whole county-{YEAR}-") and readable.endswith(".csv")


def test_the_page_holds_the_charts_and_their_numbers(
    app: Flask, staff: Callable[[str], FlaskClient]
) -> None:
    html = staff("county").get(f"/staff/stats/?year={YEAR}").get_data(as_text=True)
    for chart in ("chart-visits", "chart-published", "chart-completed"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    assert not re.search(r'="[^"]*\b(nan|inf)\b', html, re.IGNORECASE)
    months = page_tables(html)["table-months"]
    year = tally(Period.year(YEAR))
    with app.test_request_context():
        assert sum(int(row[1].replace(",", "")) for row in months[1:]) == year.visits
        assert sum(int(row[5].replace(",", "")) for row in months[1:]) == year.completed


def test_rankings_follow_the_sort(app: Flask, staff: Callable[[str], FlaskClient]) -> None:
    with app.test_request_context():
        by_visits = figures.villages_table(board(sort=Sort.VISITS))
        by_completed = figures.villages_table(board(sort=Sort.COMPLETED))
    visits = [row[4] for row in by_visits.rows]
    completed = [row[5] for row in by_completed.rows]
    assert visits == sorted(visits, reverse=True)
    assert completed == sorted(completed, reverse=True)
    assert [row[0] for row in by_visits.rows][0] == 1


def _town_id(code: str) -> int:
    town = db.session.query(Town).filter_by(code=code).one()
    return town.id


def _assert_sheet(values: list[tuple[object, ...]], table: Table) -> None:
    assert list(values[0]) == list(table.headers)
    assert len(values) == len(table.rows) + 1
    for got, want in zip(values[1:], table.rows, strict=True):
        assert [_plain(cell) for cell in got] == [_plain(cell) for cell in want]


def _plain(cell: object) -> object:
    """Numbers compared as numbers (the workbook gives floats back for decimals)."""
    if isinstance(cell, Decimal | float):
        return round(float(cell), 6)
    return cell


def test_the_page_renders_for_a_chinese_reader(staff: Callable[[str], FlaskClient]) -> None:
    response = staff("county").get(f"/staff/stats/?year={YEAR}&lang=zh")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "渡龙村" in html
