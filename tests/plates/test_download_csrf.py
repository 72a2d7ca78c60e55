"""Plate downloads are POSTs with a CSRF token: an export issues missing plates and is audited,
so a URL fetched by an image in a post, a link or another site must change nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import PASSWORD, csrf_token_from
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates.models import Plate
from doorplate.staff.models import AuditEvent, Role
from doorplate.staff.service import create_staff

from .conftest import County

SITE = "https://dp.example.gov.cn"


def _plates() -> int:
    return db.session.scalar(select(func.count()).select_from(Plate)) or 0


def _exports() -> int:
    query = select(func.count()).where(AuditEvent.action == "plates.export")
    return db.session.scalar(query) or 0


@pytest.mark.parametrize("fmt", ["pdf", "png", "svg", "csv", "xlsx"])
def test_a_get_of_a_download_changes_nothing(
    county: County,
    staff: Callable[[str], FlaskClient],
    make_household: Callable[..., Household],
    fmt: str,
) -> None:
    """What ``![a](/staff/plates/town/…/pdf)`` in a post made a reviewer's browser do."""
    village = db.session.scalar(select(Village).filter_by(code=county.a.village_code))
    newcomer = make_household(village, address="上垟路3号")  # no plate yet: an export issues one
    plates = _plates()
    client = staff("county")
    urls = [
        f"/staff/plates/town/{county.a.town_code}/{fmt}",
        f"/staff/plates/village/{county.a.village_code}/{fmt}",
        f"/staff/plates/household/{newcomer.id}/{fmt}",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in {404, 405}, url  # 404: no single-plate CSV or XLSX
        assert "Content-Disposition" not in response.headers
    assert (_plates(), _exports()) == (plates, 0)
    # The control: the same URL posted is the export, issuing the newcomer's plate.
    assert client.post(urls[1]).status_code == 200
    assert (_plates(), _exports()) == (plates + 1, 1)


def test_the_download_button_needs_the_pages_csrf_token_and_answers_with_the_file(
    make_app: Callable[..., Flask],
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
) -> None:
    """As production runs it (HTTPS, CSRF, Referer checks): one click on the button downloads."""
    app = make_app(TESTING=False, WTF_CSRF_ENABLED=True, SECRET_KEY="k" * 40)
    with app.app_context():
        village = make_village()
        code = village.code
        make_household(village, address="上垟路2号")
        create_staff(
            "test",
            username="clerk",
            display_name="",
            password=PASSWORD,
            role=Role.EDITOR,
            village_code=code,
        )
        db.session.commit()
    client = app.test_client()
    login_page = client.get("/staff/login", base_url=SITE)
    client.post(
        "/staff/login",
        base_url=SITE,
        headers={"Referer": f"{SITE}/staff/login"},
        data={
            "username": "clerk",
            "password": PASSWORD,
            "csrf_token": csrf_token_from(login_page.text),
        },
    )
    page = client.get("/staff/plates/", base_url=SITE)
    form = re.search(r'<form class="downloads" method="post">(.*?)</form>', page.text, re.S)
    assert form is not None
    action = re.search(r'formaction="([^"]+/pdf)"', form.group(1))
    assert action is not None and action.group(1) == f"/staff/plates/village/{code}/pdf"
    referer = {"Referer": f"{SITE}/staff/plates/"}
    forged = client.post(action.group(1), base_url=SITE, headers=referer)
    assert forged.status_code == 400  # no CSRF token: what another site's form would send
    with app.app_context():
        assert (_plates(), _exports()) == (0, 0)
    response = client.post(
        action.group(1),
        base_url=SITE,
        headers=referer,
        data={"csrf_token": csrf_token_from(form.group(1))},
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.get_data().startswith(b"%PDF-")
    with app.app_context():
        assert (_plates(), _exports()) == (1, 1)
