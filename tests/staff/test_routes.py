"""Every staff route checks who is asking: built from ``app.url_map``, so new routes are covered.

A route added to the ``staff`` blueprint is picked up here automatically: it must carry the
``staff_required`` mark, send anonymous users to the login page, and show nothing of a village
outside the user's scope however its URL and query are pointed at that village. A route whose URL
arguments this module cannot fill fails until its author teaches ``_url_values`` about them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from doorplate import create_app

from .conftest import County, Secret

PUBLIC_ENDPOINTS = {"staff.login"}  # the one page someone who is not signed in must reach
# Download formats whose files hold the address as plain text, so the leak check can see into them
# (PDF, ZIP and XLSX files are compressed; txt is the annual report as plain text); a download
# route is probed in the first it offers.
READABLE_FORMATS = ("csv", "svg", "txt")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _staff_routes() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every staff URL rule, read from a freshly built app."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.")
        for method in sorted((rule.methods or set()) - IGNORED_METHODS)
    )


ROUTES = _staff_routes()
GUARDED = [r for r in ROUTES if r[0] not in PUBLIC_ENDPOINTS]
ROUTE_IDS = [f"{method} {rule}" for _endpoint, rule, method in ROUTES]
GUARDED_IDS = [f"{method} {rule}" for _endpoint, rule, method in GUARDED]


def _rule(app: Flask, endpoint: str, path: str) -> Rule:
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path)


def _url_values(rule: Rule, target: Secret, fmt: str) -> dict[str, Any]:
    """URL arguments pointing at ``target``'s objects; extend this when a route takes new ones."""
    known = {
        "household_id": target.household_id,
        "village_code": target.village_code,
        "town_code": target.town_code,
        "plate_id": target.plate_id,
        # This county has no posts: any id is unknown (tests/publications/test_console.py
        # aims each post route at another village's real post).
        "post_id": target.household_id,
        # Likewise (tests/publications/test_attachments_web.py aims at another village's file).
        "attachment_id": target.plate_id,
        # Nor services or bookings (tests/bookings/test_catalogue_console.py and
        # test_staff_console.py aim each route at another village's real ones).
        "service_id": target.household_id,
        "reference": "ZZZZZZZZ",
        # Accounts belong to no village: their routes are the administrator's alone
        # (tests/staff/test_accounts.py).
        "staff_id": target.household_id,
        "fmt": fmt,
    }
    unknown = sorted(rule.arguments - known.keys())
    if unknown:
        pytest.fail(
            f"{rule.rule} takes {unknown}: teach tests/staff/test_routes.py::_url_values to point "
            "them at another village's objects"
        )
    return {name: known[name] for name in rule.arguments}


def _url(app: Flask, endpoint: str, path: str, target: Secret) -> str:
    """The route's URL aimed at ``target`` (a download: the first ``READABLE_FORMATS`` it has)."""
    rule = _rule(app, endpoint, path)
    adapter = app.url_map.bind("localhost")
    for fmt in READABLE_FORMATS:
        try:
            return adapter.build(endpoint, _url_values(rule, target, fmt))
        except ValueError:  # a download route offering other formats
            continue
    pytest.fail(f"{path} offers none of {READABLE_FORMATS}: extend READABLE_FORMATS")


def _probes(app: Flask, endpoint: str, path: str, target: Secret) -> list[str]:
    """The route's URL aimed at ``target``: bare, with its village as filter, with its search."""
    url = _url(app, endpoint, path, target)
    return [
        url,
        f"{url}?village={target.village_code}",
        f"{url}?q={target.search}",
        f"{url}?village={target.village_code}&q={target.search}&page=1",
    ]


def _request(client: FlaskClient, method: str, url: str, target: Secret) -> TestResponse:
    form = {"q": target.search, "village": target.village_code}
    return client.open(url, method=method, data=form if method != "GET" else None)


def _leaks(response: TestResponse, target: Secret) -> list[str]:
    shown = response.get_data(as_text=True) + unquote(response.headers.get("Location", ""))
    return target.found_in(shown)


def _still_signed_in(response: TestResponse) -> bool:
    return urlsplit(response.headers.get("Location", "")).path != "/staff/login"


def test_every_staff_endpoint_declares_its_roles(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    staff = sorted(e for e in endpoints if e.startswith("staff.") and e not in PUBLIC_ENDPOINTS)
    assert staff, "no staff routes found"
    unmarked = [e for e in staff if not getattr(app.view_functions[e], "access_roles", None)]
    assert unmarked == [], f"add @staff_required(...) to {unmarked}"
    assert not hasattr(app.view_functions["staff.login"], "access_roles")


def test_routes_are_read_from_the_url_map() -> None:
    """Guards the parametrisation below against silently testing nothing."""
    endpoints = {endpoint for endpoint, _rule, _method in ROUTES}
    assert {"staff.login", "staff.home", "staff.households", "staff.household"} <= endpoints
    assert {
        "staff.plates.overview",
        "staff.plates.household",
        "staff.plates.export_village",
        "staff.plates.export_town",
        "staff.plates.export_household",
        "staff.plates.install_village",
        "staff.plates.install",
        "staff.plates.revoke",
        "staff.plates.reissue",
    } <= endpoints


DOWNLOADS = [r for r in GUARDED if r[0].startswith("staff.plates.export_")]


def test_downloads_aimed_at_another_village_would_show_it(
    app: Flask, county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    """The control for the leak checks: the probed files do carry the address when allowed."""
    assert len(DOWNLOADS) == 3
    client = signed_in("county")
    for endpoint, path, method in DOWNLOADS:
        response = client.open(_url(app, endpoint, path, county.b), method=method)
        assert response.status_code == 200, path
        assert county.b.address in response.get_data(as_text=True), path


@pytest.mark.parametrize(("endpoint", "path", "method"), GUARDED, ids=GUARDED_IDS)
def test_anonymous_is_sent_to_login(
    app: Flask, client: FlaskClient, county: County, endpoint: str, path: str, method: str
) -> None:
    for url in _probes(app, endpoint, path, county.b):
        response = _request(client, method, url, county.b)
        assert response.status_code == 302, url
        location = urlsplit(response.headers["Location"])
        assert location.path == "/staff/login", url
        # A page is returned to after signing in; a form post cannot be replayed, so no next.
        assert location.query.startswith("next=") == (method == "GET"), url
        assert _leaks(response, county.b) == []


@pytest.mark.parametrize("viewer", ["editor", "reviewer"])
@pytest.mark.parametrize(("endpoint", "path", "method"), ROUTES, ids=ROUTE_IDS)
def test_nothing_outside_the_scope_is_shown(
    app: Flask,
    client: FlaskClient,
    county: County,
    member: Callable[[str], str],
    login: Callable[..., Any],
    viewer: str,
    endpoint: str,
    path: str,
    method: str,
) -> None:
    """Village B lies outside both viewers' scopes; every way of asking for it shows nothing."""
    login(member(viewer))
    for url in _probes(app, endpoint, path, county.b):
        if endpoint == "staff.logout":
            login(member(viewer))
        response = _request(client, method, url, county.b)
        assert response.status_code in {200, 302, 403, 404, 405}, url
        assert _leaks(response, county.b) == [], url
        if endpoint != "staff.logout":
            assert _still_signed_in(response), f"{url} signed the viewer out: proves nothing"


@pytest.mark.parametrize(("endpoint", "path", "method"), ROUTES, ids=ROUTE_IDS)
def test_a_village_editor_sees_nothing_of_a_neighbour_in_the_same_town(
    app: Flask,
    client: FlaskClient,
    county: County,
    member: Callable[[str], str],
    login: Callable[..., Any],
    endpoint: str,
    path: str,
    method: str,
) -> None:
    login(member("editor"))
    for url in _probes(app, endpoint, path, county.a2):
        if endpoint == "staff.logout":
            login(member("editor"))
        response = _request(client, method, url, county.a2)
        assert _leaks(response, county.a2) == [], url


def test_scope_decides_which_households_are_listed(
    county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    """The positive side of the tests above: each viewer does see what is theirs."""
    expected = {
        "editor": {county.a.address},
        "reviewer": {county.a.address, county.a2.address},
        "county": {county.a.address, county.a2.address, county.b.address},
    }
    every = {county.a.address, county.a2.address, county.b.address}
    for who, visible in expected.items():
        page = signed_in(who).get("/staff/households").get_data(as_text=True)
        assert {address for address in every if address in page} == visible, who


def test_county_sees_every_village_and_household(
    county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    client = signed_in("county")
    villages = client.get("/staff/villages").get_data(as_text=True)
    assert all(name in villages for name in county.village_names.values())
    detail = client.get(f"/staff/households/{county.b.household_id}")
    assert detail.status_code == 200
    assert county.b.found_in(detail.get_data(as_text=True)) == [
        county.b.address,
        county.b.head_name,
        county.b.phone,
    ]
    found = client.get("/staff/households", query_string={"q": county.b.search})
    assert county.b.address in found.get_data(as_text=True)


def test_town_reviewer_sees_only_the_towns_villages(
    county: County, signed_in: Callable[[str], FlaskClient]
) -> None:
    page = signed_in("reviewer").get("/staff/villages").get_data(as_text=True)
    shown = {code for code, name in county.village_names.items() if name in page}
    assert shown == {county.a.village_code, county.a2.village_code}


@pytest.mark.parametrize("who", ["editor", "reviewer"])
def test_audit_trail_is_for_county_roles_only(
    signed_in: Callable[[str], FlaskClient], who: str
) -> None:
    client = signed_in(who)
    assert client.get("/staff/audit").status_code == 403
    assert "/staff/audit" not in client.get("/staff/").get_data(as_text=True)  # not offered
    assert signed_in("county").get("/staff/audit").status_code == 200
