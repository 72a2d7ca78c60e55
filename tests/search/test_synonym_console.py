"""The synonym list in the console: county staff edit it (CSRF, audited, every mistake named at
once, a stale copy refused); village and town staff only read it; a change applies to the next
search."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import PASSWORD, csrf_token_from, signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from publications.conftest import County
from sqlalchemy import select

from doorplate.db import db
from doorplate.search import service
from doorplate.search import synonyms as synonym_list
from doorplate.staff.models import AuditEvent, StaffUser

from .conftest import post_in

PAGE = "/staff/search/synonyms"


@pytest.fixture
def as_staff(app: Flask, county: County) -> Callable[[StaffUser], FlaskClient]:
    return lambda user: signed_in_client(app, user.username)


def _form(client: FlaskClient) -> dict[str, str]:
    html = client.get(PAGE).get_data(as_text=True)
    version = html.split('name="version" type="hidden" value="')[1].split('"')[0]
    return {"csrf_token": csrf_token_from(html), "version": version}


def _found(county: County, query: str) -> int:
    """How many posts village A finds, read in a transaction ended at once (SQLite: the app
    under test writes from another connection)."""
    total = service.find_posts(county.a, query).total
    db.session.rollback()
    return total


def test_county_staff_change_the_list_and_the_next_search_uses_it(
    make_app: Callable[..., Flask], county: County, synonyms: list[tuple[str, ...]]
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)  # as in production
    post_in(county, "a", "上垟路段停水通知")
    assert _found(county, "断水") == 0
    client = app.test_client()
    login = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    credentials = {"username": "county", "password": PASSWORD}
    assert client.post("/staff/login", data={**credentials, "csrf_token": login}).status_code == 302
    text = "\n".join("=".join(g) for g in synonyms) + "\n停水 = 断水 = 停止供水"
    refused = client.post(PAGE, data={"text": text, "version": _form(client)["version"]})
    assert refused.status_code == 400
    assert _found(county, "断水") == 0  # refused without its CSRF token
    response = client.post(PAGE, data={**_form(client), "text": text})
    assert response.status_code == 302
    assert _found(county, "断水") == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "search.synonyms"))
    recorded = event.one()
    assert recorded.actor_name == county.county.username
    assert recorded.detail == {"added": ["停水=断水=停止供水"], "removed": []}


@pytest.mark.parametrize("who", ["editor_a", "reviewer_town1", "reviewer_a"])
def test_village_and_town_staff_only_read_it(
    as_staff: Callable[[StaffUser], FlaskClient], county: County, synonyms: object, who: str
) -> None:
    client = as_staff(getattr(county, who))
    html = client.get(PAGE).get_data(as_text=True)
    assert "医保 = 医疗保险" in html and "<textarea" not in html
    response = client.post(PAGE, data={"text": "医保=医疗", "version": "x"})
    assert response.status_code == 403
    assert synonym_list.groups()[0] == ("医保", "医疗保险")


def test_every_mistake_is_named_at_once_and_nothing_is_saved(
    as_staff: Callable[[StaffUser], FlaskClient], county: County, synonyms: object
) -> None:
    client = as_staff(county.admin)
    before = synonym_list.groups()
    text = "医保=医疗保险\n孤单\n\n低保=最低生活保障=医保\n的了=救助\n长=长期"
    response = client.post(PAGE, data={**_form(client), "text": text})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Line 2: write two or more phrases separated by =." in html
    assert "Line 4: “医保” is already on line 1." in html
    assert "Line 5: “的了” has no word to search for." in html
    assert "Line 6: “长” must be 2 to 20 characters long." in html
    assert "孤单" in html  # the text as typed, to correct
    assert synonym_list.groups() == before


def test_a_list_saved_meanwhile_is_not_overwritten(
    as_staff: Callable[[StaffUser], FlaskClient], county: County, synonyms: object
) -> None:
    first, second = as_staff(county.county), as_staff(county.admin)
    stale = _form(second)
    assert first.post(PAGE, data={**_form(first), "text": "医保=医疗保险"}).status_code == 302
    response = second.post(PAGE, data={**stale, "text": "低保=最低生活保障"})
    assert response.status_code == 400
    assert "Someone saved the list while you were editing it" in response.get_data(as_text=True)
    assert synonym_list.groups() == [("医保", "医疗保险")]
    assert second.post(PAGE, data={**_form(second), "text": "低保=最低生活保障"}).status_code == 302


def test_the_use_case_refuses_other_roles(county: County, synonyms: object) -> None:
    with pytest.raises(synonym_list.SynonymError):
        synonym_list.save(
            county.reviewer_town1, "医保=医疗", synonym_list.version(synonym_list.groups())
        )
