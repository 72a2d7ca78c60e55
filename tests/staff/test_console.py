"""The console's pages: layout, counts, village list, household search and detail, audit trail."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from doorplate.db import db
from doorplate.places.models import Village
from doorplate.staff import audit

from .conftest import County

SIGNED_IN_PAGES = [
    "/staff/",
    "/staff/villages",
    "/staff/households",
    "/staff/households/{a}",
    "/staff/audit",
    "/staff/password",
    "/staff/plates/",
    "/staff/plates/household/{a}",
]


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def _rows(html: str) -> list[str]:
    """The household addresses a listing shows, in order."""
    return re.findall(r'<a href="/staff/households/\d+">([^<]+)</a>', html)


@pytest.mark.parametrize("path", [*SIGNED_IN_PAGES, "/staff/login"])
def test_pages_share_the_layout_and_keep_to_the_csp(
    app: Flask, county: County, signed_in: Callable[[str], FlaskClient], path: str
) -> None:
    path = path.format(a=county.a.household_id)
    client = app.test_client() if path == "/staff/login" else signed_in("admin")
    html = _html(client.get(path))
    assert html.startswith('<!doctype html>\n<html lang="en">')  # the tests' language
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<link rel="stylesheet" href="/static/css/staff.css">' in html
    assert re.search(r"<script|<style|\sstyle=|\son[a-z]+=", html) is None  # default-src 'self'
    assert f'href="/lang/zh?next={path}"' in html
    assert "苍南县" in html
    if path != "/staff/login":
        logout = re.search(
            r'<form class="logout" method="post" action="/staff/logout">.*?</form>', html, re.S
        )
        assert logout is not None and 'name="csrf_token"' in logout.group(0)


def test_page_language_follows_the_choice(client: FlaskClient) -> None:
    client.get("/lang/en?next=/staff/login")
    html = _html(client.get("/staff/login"))
    assert '<html lang="en">' in html
    assert re.search(r'hreflang="en"\s+aria-current="true">English</a>', html)


def test_stylesheet_is_served(client: FlaskClient) -> None:
    response = client.get("/static/css/staff.css")
    assert response.status_code == 200
    assert ":focus-visible" in response.get_data(as_text=True)
    response.close()


def test_home_shows_who_and_how_much(
    county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    editor = _html(signed_in("editor").get("/staff/"))
    assert "editor-x" in editor and "Village editor" in editor and "渡龙村" in editor
    counts = re.findall(r'<span class="count">(\d+)</span>', editor)
    assert counts == ["1", "1", "1"]
    everyone = _html(signed_in("county").get("/staff/"))
    assert "Whole county" in everyone
    assert re.findall(r'<span class="count">(\d+)</span>', everyone) == ["2", "3", "3"]


def test_villages_are_grouped_by_town_with_household_counts(
    county: County, make_household: Callable[..., Any], signed_in: Callable[[str], FlaskClient]
) -> None:
    village_a = db.session.query(Village).filter_by(code=county.a.village_code).one()
    make_household(village_a)
    db.session.commit()
    html = _html(signed_in("county").get("/staff/villages"))
    towns = re.findall(r"<h2>([^<]+) <span", html)
    assert towns == ["镇100", "镇101"]
    rows = re.findall(
        r'village=(\d+)">([^<]+)</a></th>\s*<td class="code">\d+</td>\s*'
        r'<td class="number">(\d+)</td>',
        html,
    )
    assert rows == [
        ("330327100201", "渡龙村", "2"),
        ("330327100202", "坑垟村", "1"),
        ("330327101201", "南岙村", "1"),
    ]


@pytest.mark.parametrize("field", ["search", "head_name", "phone"])
def test_household_search_matches_address_name_or_phone(
    county: County, signed_in: Callable[[str], FlaskClient], field: str
) -> None:
    html = _html(
        signed_in("county").get("/staff/households", query_string={"q": getattr(county.b, field)})
    )
    assert _rows(html) == [county.b.address]
    assert "1 household found." in html


def test_household_list_pages_and_keeps_the_filter(
    app: Flask,
    county: County,
    make_household: Callable[..., Any],
    signed_in: Callable[[str], FlaskClient],
) -> None:
    village_a = db.session.query(Village).filter_by(code=county.a.village_code).one()
    for n in range(4):
        make_household(village_a, address=f"渡龙村上垟路{20 + n}号")
    app.config["STAFF_PAGE_SIZE"] = 2
    client = signed_in("county")
    query = {"village": county.a.village_code, "q": "上垟路"}
    first = _html(client.get("/staff/households", query_string=query))
    assert "5 households found." in first
    assert len(_rows(first)) == 2
    assert "Page 1 of 3" in first
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_link is not None
    link = next_link.group(1).replace("&amp;", "&")
    assert "page=2" in link and "village=330327100201" in link and "q=" in link
    last = _html(client.get("/staff/households", query_string={**query, "page": 3}))
    assert len(_rows(last)) == 1
    assert 'rel="next"' not in last
    shown = _rows(first) + _rows(_html(client.get(link))) + _rows(last)
    assert sorted(shown) == sorted({*shown}) and len(shown) == 5


def test_village_filter_offers_only_villages_in_scope(
    county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    reviewer = _html(signed_in("reviewer").get("/staff/households"))
    options = re.findall(r'<option value="(\d*)"', reviewer)
    assert options == ["", county.a.village_code, county.a2.village_code]
    editor = _html(signed_in("editor").get("/staff/households"))
    assert "<select" not in editor  # one village: nothing to choose


def test_household_outside_scope_looks_exactly_like_a_missing_one(
    county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    client = signed_in("editor")
    same_id = {"X-Request-Id": "probe"}  # the error page shows the request's id
    outside = client.get(f"/staff/households/{county.b.household_id}", headers=same_id)
    missing = client.get("/staff/households/999999", headers=same_id)
    assert outside.status_code == missing.status_code == 404
    # Equal but for the CSP nonce, which is new for every response.
    assert _without_nonce(outside.text) == _without_nonce(missing.text)
    unknown_village = client.get("/staff/households", query_string={"village": "999999999999"})
    other_village = client.get("/staff/households", query_string={"village": county.b.village_code})
    assert unknown_village.status_code == other_village.status_code == 404


def test_household_detail_shows_staff_only_fields(
    county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    html = _html(signed_in("editor").get(f"/staff/households/{county.a.household_id}"))
    assert county.a.found_in(html) == [county.a.address, county.a.head_name, county.a.phone]
    assert "Staff only" in html


def test_audit_trail_is_newest_first_and_paged(
    app: Flask, county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    client = signed_in("admin")
    for n in range(3):
        audit.record("tester", f"test.step{n}", "thing", n, count=n)
    db.session.commit()
    app.config["STAFF_PAGE_SIZE"] = 2
    first = _html(client.get("/staff/audit"))
    assert re.findall(r'<td class="code">(test\.step\d)</td>', first) == [
        "test.step2",
        "test.step1",
    ]
    assert "count=2" in first
    second = _html(client.get("/staff/audit?page=2"))
    assert re.findall(r'<td class="code">(test\.step\d)</td>', second) == ["test.step0"]


def _without_nonce(page: str) -> str:
    return re.sub(r'nonce="[^"]+"', 'nonce=""', page)
