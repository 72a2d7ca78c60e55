"""The annual report page in the console (``/staff/reports/annual``) and its downloads."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from python_calamine import CalamineWorkbook

from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.staff.models import Role, StaffUser
from doorplate.stats.report import annual_report, tables

from .conftest import County

PAGE = "/staff/reports/annual"
CUMULATIVE_EN = "residents had visited them 14 times in all"
IN_YEAR_EN = "in 2021, residents visited them 13 times"


@pytest.fixture
def signed_in(
    county: County, make_staff: Callable[..., StaffUser], login: Callable[..., Any]
) -> Callable[..., None]:
    """``signed_in(role)``: sign the test's client in as a new user of that role."""

    def sign_in(role: Role) -> None:
        if role is Role.REVIEWER:
            user = make_staff(role, town=db.session.get(Town, county.town_a))
        elif role is Role.EDITOR:
            user = make_staff(role, village=db.session.get(Village, county.village_a1))
        else:
            user = make_staff(role)
        assert login(user).status_code == 302

    return sign_in


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COUNTY])
def test_county_roles_see_the_report(
    client: FlaskClient, signed_in: Callable[..., None], role: Role
) -> None:
    signed_in(role)
    response = client.get(f"{PAGE}?year=2021")
    assert response.status_code == 200
    html = " ".join(response.get_data(as_text=True).split())
    assert CUMULATIVE_EN in html
    assert "The paragraph states cumulative figures" in html
    assert 'value="cumulative" checked' in html and 'value="in-year" checked' not in html
    assert "灵溪镇" in html and html.count('<rect class="bar"') == 12
    assert f'href="{PAGE}.pdf?year=2021&amp;basis=cumulative"' in html


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.EDITOR])
def test_other_roles_are_refused(
    client: FlaskClient, signed_in: Callable[..., None], role: Role
) -> None:
    signed_in(role)
    assert client.get(f"{PAGE}?year=2021").status_code == 403
    assert client.get(f"{PAGE}.xlsx?year=2021").status_code == 403


def test_anonymous_is_sent_to_sign_in(client: FlaskClient, county: County) -> None:
    for url in (PAGE, f"{PAGE}.pdf"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/login" in response.headers["Location"]


def test_the_basis_switch_changes_the_paragraph(
    client: FlaskClient, signed_in: Callable[..., None]
) -> None:
    signed_in(Role.COUNTY)
    html = " ".join(client.get(f"{PAGE}?year=2021&basis=in-year").get_data(as_text=True).split())
    assert IN_YEAR_EN in html and CUMULATIVE_EN not in html
    assert "The paragraph states in-year figures" in html
    assert 'value="in-year" checked' in html and 'value="cumulative" checked' not in html
    assert f'href="{PAGE}.txt?year=2021&amp;basis=in-year"' in html
    chinese = client.get(f"{PAGE}?year=2021&basis=in-year&lang=zh").get_data(as_text=True)
    assert "；2021年，群众访问13人次，" in chinese


@pytest.mark.parametrize(
    "query", ["year=abc", "year=1999", "year=3000", "year=２０２１", "year=2021&basis=both"]
)
def test_a_bad_query_is_400_with_a_message(
    client: FlaskClient, signed_in: Callable[..., None], query: str
) -> None:
    signed_in(Role.ADMIN)
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (
        "The year must be a whole number from 2000 to 2999." in html
        or "The basis must be cumulative or in-year." in html
    )
    assert client.get(f"{PAGE}.txt?{query}").status_code == 400


@pytest.mark.parametrize(
    ("year", "said"),
    [
        (2005, "By the end of 2005, smart doorplates covered 0 households"),
        (2035, "in 2035, residents visited them 0 times"),
    ],
)
def test_a_year_without_data_is_a_report_of_zeros(
    client: FlaskClient, signed_in: Callable[..., None], year: int, said: str
) -> None:
    """Before launch nothing at all; in a later year, nothing happening in it."""
    signed_in(Role.ADMIN)
    response = client.get(f"{PAGE}?year={year}&basis=in-year")
    assert response.status_code == 200
    assert said in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("txt", "text/plain; charset=utf-8"),
        ("html", "text/html; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", "application/pdf"),
    ],
)
def test_downloads(
    client: FlaskClient, signed_in: Callable[..., None], fmt: str, media_type: str
) -> None:
    signed_in(Role.COUNTY)
    response = client.get(f"{PAGE}.{fmt}?year=2021&basis=in-year")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == media_type
    readable = quote("苍南县 smart doorplates: annual report 2021".replace(":", "_"), safe="")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="doorplate-report-2021-in-year.{fmt}"; '
        f"filename*=UTF-8''{readable}.{fmt}"
    )
    data = response.get_data()
    if fmt in ("txt", "html"):
        assert IN_YEAR_EN in data.decode()
    elif fmt == "pdf":
        assert data.startswith(b"%PDF-")
    else:
        assert data.startswith(b"PK")


def test_the_workbook_matches_the_page(client: FlaskClient, signed_in: Callable[..., None]) -> None:
    signed_in(Role.ADMIN)
    html = client.get(f"{PAGE}?year=2021").get_data(as_text=True)
    data = client.get(f"{PAGE}.xlsx?year=2021").get_data()
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for index, table in enumerate(tables(annual_report(2021)), start=1):
        rows = book.get_sheet_by_index(index).to_python()
        assert rows[1:] == [["" if cell is None else cell for cell in row] for row in table.rows]
        page_rows = [
            [label, *CELL.findall(cells)]
            for label, cells in ROW.findall(html)
            if label in {row[0] for row in rows[1:]}
        ]
        shown = [[row[0], *map(as_shown, row[1:])] for row in rows[1:]]
        assert all(row in page_rows for row in shown), (shown, page_rows)


ROW = re.compile(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>')
CELL = re.compile(r'<td class="number">([^<]*)</td>')


def as_shown(value: object) -> str:
    """A spreadsheet cell as the page prints it (English: grouped thousands, one decimal); an
    empty cell is the county total's code (every median of the generated county is known)."""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    return str(value)
