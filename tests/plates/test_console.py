"""The plates console: coverage, downloads within scope, installing, revoking and reissuing."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from conftest import PASSWORD, csrf_token_from
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from doorplate.db import db
from doorplate.places.models import Household, HouseholdStatus, Village
from doorplate.plates import service
from doorplate.plates.models import Plate, PlateStatus
from doorplate.staff.models import AuditEvent, Role, StaffUser
from doorplate.staff.service import create_staff

from .conftest import County, active_plate

FORMATS = ["pdf", "png", "svg", "csv", "xlsx"]


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def _counts(html: str, village: str) -> list[str]:
    """The numbers in a village's overview row: households, active, installed, coverage."""
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>{village}</a>.*?</tr>", html, re.S)
    assert row is not None, village
    return re.findall(r'<td class="number">([^<]*)</td>', row.group(0))


def _audit(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _plates(household_id: int) -> list[tuple[int, PlateStatus]]:
    rows = db.session.execute(
        select(Plate.generation, Plate.status)
        .where(Plate.household_id == household_id)
        .order_by(Plate.generation)
    )
    return [(generation, status) for generation, status in rows]


def test_overview_shows_counts_and_coverage_per_village(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    service.mark_installed("tester", active_plate(county.a.household_ids[0]))
    db.session.commit()
    html = _html(staff("county").get("/staff/plates/"))
    assert _counts(html, "渡龙村") == ["3", "3", "1", "33%"]
    assert _counts(html, "坑垟村") == ["1", "1", "0", "0%"]
    assert _counts(html, "南岙村") == ["1", "1", "0", "0%"]
    totals = re.findall(r'<span class="count">([^<]+)</span>', html)
    assert totals == ["5", "5", "1", "20%"]
    for fmt in FORMATS:
        assert f'formaction="/staff/plates/village/{county.b.village_code}/{fmt}"' in html
        assert f'formaction="/staff/plates/town/{county.b.town_code}/{fmt}"' in html
    assert 'action="/staff/plates/village/330327100201/install"' in html
    assert re.search(r'<a href="/staff/plates/"\s+aria-current="page">Plates</a>', html)


def test_an_editor_sees_only_their_village_and_no_town_downloads(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    html = _html(staff("editor").get("/staff/plates/"))
    assert "渡龙村" in html and "坑垟村" not in html and "南岙村" not in html
    assert "/staff/plates/town/" not in html
    assert f'formaction="/staff/plates/village/{county.a.village_code}/pdf"' in html


def test_mark_all_installed_counts_and_is_audited(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    client = staff("editor")
    response = client.post(f"/staff/plates/village/{county.a.village_code}/install")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/plates/"
    html = _html(client.get("/staff/plates/"))
    assert "渡龙村: 3 plates marked as installed." in html
    assert _counts(html, "渡龙村") == ["3", "3", "3", "100%"]
    assert "All installed" in html
    assert service.coverage() == service.Coverage(households=5, active=5, installed=3)
    [event] = _audit("plate.install_village")
    assert (event.actor_name, event.object_id, event.detail) == (
        "editor-p",
        county.a.village_code,
        {"plates": 3},
    )
    installer = db.session.scalar(select(StaffUser).filter_by(username="editor-p"))
    assert installer is not None
    assert active_plate(county.a.household_ids[1]).installed_by_id == installer.id


def test_staff_mark_a_plate_installed_from_its_page_with_csrf_over_https(
    make_app: Callable[..., Flask],
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
) -> None:
    """The real flow at the door, as production runs it: HTTPS, CSRF tokens, Referer checks."""
    app = make_app(TESTING=False, WTF_CSRF_ENABLED=True, SECRET_KEY="k" * 40)
    site = "https://dp.example.gov.cn"
    with app.app_context():
        village = make_village()
        household = make_household(village, address="上垟路2号")
        service.issue_missing()
        create_staff(
            "test",
            username="door",
            display_name="",
            password=PASSWORD,
            role=Role.EDITOR,
            village_code=village.code,
        )
        db.session.commit()
        plate = active_plate(household.id)
        token, plate_id = plate.token, plate.id
    client = app.test_client()
    login_page = client.get("/staff/login", base_url=site)
    client.post(
        "/staff/login",
        base_url=site,
        headers={"Referer": f"{site}/staff/login"},
        data={
            "username": "door",
            "password": PASSWORD,
            "csrf_token": csrf_token_from(login_page.text),
        },
    )

    page = client.get(f"/P/{token}", base_url=site)
    assert "Mark as installed" in page.text
    # The browser may send a Referer with the form: the page must allow a same-site one.
    assert page.headers["Referrer-Policy"] == "same-origin"
    action = re.search(r'<form method="post" action="([^"]+)">', page.text)
    assert action is not None and action.group(1) == f"/staff/plates/{plate_id}/install"
    referer = {"Referer": f"{site}/P/{token}"}
    forged = client.post(action.group(1), base_url=site, headers=referer)
    assert forged.status_code == 400  # no CSRF token
    response = client.post(
        action.group(1),
        base_url=site,
        headers=referer,
        data={"csrf_token": csrf_token_from(page.text)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/P/{token}"
    after = client.get(f"/P/{token}", base_url=site).text
    assert "Installed on" in after and "Mark as installed" not in after
    with app.app_context():
        assert service.coverage() == service.Coverage(households=1, active=1, installed=1)
        assert [e.object_id for e in _audit("plate.install")] == [str(plate_id)]


def test_installing_a_revoked_plate_goes_to_the_household_instead(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    household_id = county.a.household_ids[0]
    plate_id = active_plate(household_id).id
    household = db.session.get(Household, household_id)
    assert household is not None
    service.reissue("tester", household, service.RevokeReason.LOST)
    db.session.commit()
    client = staff("editor")
    response = client.post(f"/staff/plates/{plate_id}/install")
    assert response.headers["Location"] == f"/staff/plates/household/{household_id}"
    assert "it cannot be marked installed" in _html(client.get(response.headers["Location"]))
    assert _audit("plate.install") == []


def test_household_page_shows_the_plate_and_links(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    household_id = county.a.household_ids[0]
    plate = active_plate(household_id)
    client = staff("editor")
    detail = _html(client.get(f"/staff/households/{household_id}"))
    assert f'href="/staff/plates/household/{household_id}"' in detail
    html = _html(client.get(f"/staff/plates/household/{household_id}"))
    grouped = "-".join(plate.token[i : i + 4] for i in range(0, 16, 4))
    assert f'<dd class="token">{grouped}</dd>' in html
    assert f"HTTPS://DP.EXAMPLE.GOV.CN/P/{plate.token}" in html
    assert "Active, generation 1" in html and "Not yet installed" in html
    for fmt in ("pdf", "png", "svg"):
        assert f'formaction="/staff/plates/household/{household_id}/{fmt}"' in html
    assert 'name="revoke-reason"' in html and 'name="reissue-reason"' in html
    assert re.search(r"<script|<style|\sstyle=|\son[a-z]+=", html) is None  # CSP: default-src


def test_revoke_needs_confirmation_then_the_old_url_answers_410(
    county: County, staff: Callable[[str], FlaskClient], client: FlaskClient
) -> None:
    household_id = county.a.household_ids[1]
    token = active_plate(household_id).token
    editor = staff("editor")
    url = f"/staff/plates/household/{household_id}/revoke"

    unconfirmed = editor.post(url, data={"revoke-reason": "moved"})
    assert "Tick the box to confirm." in _html(unconfirmed)
    assert _plates(household_id) == [(1, PlateStatus.ACTIVE)]

    response = editor.post(url, data={"revoke-reason": "moved", "revoke-confirm": "y"})
    assert response.headers["Location"] == f"/staff/plates/household/{household_id}"
    assert client.get(f"/P/{token}").status_code == 410
    assert _plates(household_id) == [(1, PlateStatus.REVOKED)]
    html = _html(editor.get(response.headers["Location"]))
    assert "The plate has been revoked" in html
    assert "This household has no active plate." in html
    assert "Household moved or address changed" in html  # the reason, in the history
    assert 'name="revoke-reason"' not in html  # nothing left to revoke
    [event] = _audit("plate.revoke")
    assert event.detail == {"generation": 1, "reason": "moved"}

    again = editor.post(url, data={"revoke-reason": "moved", "revoke-confirm": "y"})
    assert again.status_code == 302 and _audit("plate.revoke") == [event]


def test_reissue_gives_a_working_new_code_and_keeps_the_history(
    county: County, staff: Callable[[str], FlaskClient], client: FlaskClient
) -> None:
    household_id = county.a.household_ids[2]
    old = active_plate(household_id).token
    editor = staff("editor")
    response = editor.post(
        f"/staff/plates/household/{household_id}/reissue",
        data={"reissue-reason": "damaged", "reissue-confirm": "y"},
    )
    assert response.status_code == 302
    new = active_plate(household_id)
    assert new.generation == 2 and new.token != old
    assert client.get(f"/P/{old}").status_code == 410
    assert county.a.addresses[2] in _html(client.get(f"/P/{new.token}"))
    html = _html(editor.get(response.headers["Location"]))
    assert "A new plate (generation 2) has been issued." in html
    assert "Active, generation 2" in html
    history = re.findall(r'<td class="number">(\d)</td>\s*<td class="code">([0-9A-Z-]+)</td>', html)
    grouped_old = "-".join(old[i : i + 4] for i in range(0, 16, 4))
    assert [generation for generation, _ in history] == ["2", "1"]
    assert history[1][1] == grouped_old
    assert "Damaged or unreadable" in html and "Revoked" in html
    assert [e.action for e in _audit("plate.revoke") + _audit("plate.reissue")] == [
        "plate.revoke",
        "plate.reissue",
    ]


def test_an_inactive_household_is_not_offered_a_new_plate(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    household_id = county.a.household_ids[0]
    household = db.session.get(Household, household_id)
    assert household is not None
    service.revoke("tester", household, service.RevokeReason.MOVED)
    household.status = HouseholdStatus.INACTIVE
    db.session.commit()
    editor = staff("editor")
    html = _html(editor.get(f"/staff/plates/household/{household_id}"))
    assert 'name="reissue-reason"' not in html
    response = editor.post(
        f"/staff/plates/household/{household_id}/reissue",
        data={"reissue-reason": "other", "reissue-confirm": "y"},
    )
    assert "Plates are issued only to active households." in _html(
        editor.get(response.headers["Location"])
    )
    assert _plates(household_id) == [(1, PlateStatus.REVOKED)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_editor_downloads_their_village_in_every_format(
    county: County, staff: Callable[[str], FlaskClient], fmt: str
) -> None:
    response = staff("editor").post(f"/staff/plates/village/{county.a.village_code}/{fmt}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"doorplates-{county.a.village_code}-" in disposition
    extension = {"png": "zip", "svg": "zip"}.get(fmt, fmt)
    assert re.search(
        rf'filename="?doorplates-{county.a.village_code}-[^"]*\.{extension}', disposition
    )
    assert response.headers["Content-Type"].count("charset=") <= 1
    data = response.get_data()
    magic = {"pdf": b"%PDF-", "png": b"PK", "svg": b"PK", "csv": b"\xef\xbb\xbf", "xlsx": b"PK"}
    assert data.startswith(magic[fmt])
    [event] = _audit("plates.export")
    assert (event.object_type, event.object_id, event.detail) == (
        "village",
        county.a.village_code,
        {"format": fmt, "count": 3},
    )


def test_village_files_hold_its_plates_in_address_order(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    client = staff("editor")
    base = f"/staff/plates/village/{county.a.village_code}"
    listing = client.post(f"{base}/csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(listing)))
    assert [row[2] for row in rows[1:]] == list(county.a.addresses)
    tokens = [active_plate(i).token for i in county.a.household_ids]
    assert [row[4] for row in rows[1:]] == [f"HTTPS://DP.EXAMPLE.GOV.CN/P/{t}" for t in tokens]
    with zipfile.ZipFile(io.BytesIO(client.post(f"{base}/svg").get_data())) as archive:
        assert len(archive.namelist()) == 3
    workbook = load_workbook(io.BytesIO(client.post(f"{base}/xlsx").get_data()), read_only=True)
    cells = [str(c) for row in workbook.active.iter_rows(values_only=True) for c in row]
    workbook.close()
    assert all(f"HTTPS://DP.EXAMPLE.GOV.CN/P/{t}" in cells for t in tokens)


@pytest.mark.parametrize("who", ["editor", "village-reviewer", "reviewer"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_nobody_downloads_another_towns_village(
    county: County, staff: Callable[[str], FlaskClient], who: str, fmt: str
) -> None:
    client = staff(who)
    for code in (county.b.village_code, "330327999999"):
        response = client.post(f"/staff/plates/village/{code}/{fmt}")
        assert response.status_code == 404
        assert "Content-Disposition" not in response.headers
        assert county.b.addresses[0] not in response.get_data(as_text=True)
    assert _audit("plates.export") == []


def test_an_editor_cannot_download_a_neighbour_or_a_town(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    client = staff("editor")
    assert client.post(f"/staff/plates/village/{county.a2.village_code}/csv").status_code == 404
    assert client.post(f"/staff/plates/town/{county.a.town_code}/csv").status_code == 403
    village_reviewer = staff("village-reviewer")
    assert village_reviewer.post(f"/staff/plates/town/{county.a.town_code}/csv").status_code == 404
    household = county.a2.household_ids[0]
    assert client.get(f"/staff/plates/household/{household}").status_code == 404
    assert client.post(f"/staff/plates/household/{household}/svg").status_code == 404
    plate_id = active_plate(household).id
    assert client.post(f"/staff/plates/{plate_id}/install").status_code == 404
    assert client.post(f"/staff/plates/village/{county.a2.village_code}/install").status_code == 404
    assert service.coverage().installed == 0
    assert _audit("plates.export") == []


def test_a_town_reviewer_downloads_the_whole_town_only(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    client = staff("reviewer")
    assert client.post(f"/staff/plates/town/{county.b.town_code}/pdf").status_code == 404
    assert client.post(f"/staff/plates/village/{county.b.village_code}/pdf").status_code == 404
    response = client.post(f"/staff/plates/town/{county.a.town_code}/csv")
    assert response.status_code == 200
    assert f"doorplates-{county.a.town_code}-" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == [*county.a.addresses, *county.a2.addresses]
    pdf = client.post(f"/staff/plates/town/{county.a.town_code}/pdf")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF-")
    assert pdf.get_data().count(b"/Type /Page\n") + pdf.get_data().count(b"/Type /Page ") >= 2
    events = _audit("plates.export")
    assert [(e.object_type, e.object_id, e.detail) for e in events] == [
        ("town", county.a.town_code, {"format": "csv", "count": 4}),
        ("town", county.a.town_code, {"format": "pdf", "count": 4}),
    ]


def test_exporting_issues_plates_still_missing(
    county: County,
    staff: Callable[[str], FlaskClient],
    make_household: Callable[..., Household],
) -> None:
    village = db.session.scalar(select(Village).filter_by(code=county.a.village_code))
    newcomer = make_household(village, address="上垟路3号")
    assert _plates(newcomer.id) == []
    listing = staff("editor").post(f"/staff/plates/village/{county.a.village_code}/csv")
    rows = list(csv.reader(io.StringIO(listing.get_data().decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["上垟路2号", "上垟路3号", "上垟路10号", "上垟路11号之1"]
    assert _plates(newcomer.id) == [(1, PlateStatus.ACTIVE)]


def test_one_households_plate_downloads_as_an_image(
    county: County, staff: Callable[[str], FlaskClient]
) -> None:
    household_id = county.a.household_ids[0]
    client = staff("editor")
    png = client.post(f"/staff/plates/household/{household_id}/png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.get_data().startswith(b"\x89PNG")
    svg = client.post(f"/staff/plates/household/{household_id}/svg")
    assert svg.mimetype == "image/svg+xml" and county.a.addresses[0] in svg.get_data(as_text=True)
    assert client.post(f"/staff/plates/household/{household_id}/pdf").get_data().startswith(b"%PDF")
    assert client.post(f"/staff/plates/household/{household_id}/csv").status_code == 404
    assert [e.object_id for e in _audit("plates.export")] == [str(household_id)] * 3


def test_a_file_that_cannot_be_printed_is_explained_and_nothing_is_kept(
    county: County,
    staff: Callable[[str], FlaskClient],
    make_household: Callable[..., Household],
) -> None:
    village = db.session.scalar(select(Village).filter_by(code=county.a2.village_code))
    odd = make_household(village, address="埭头巷\ue000号")  # a character no font can draw
    client = staff("reviewer")
    response = client.post(f"/staff/plates/village/{county.a2.village_code}/pdf")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/plates/"
    html = _html(client.get("/staff/plates/"))
    assert "No file was made:" in html and "U+E000" in html
    assert _plates(odd.id) == []  # the issuing was rolled back with the failed export
    assert _audit("plates.export") == []
    assert db.session.scalar(select(func.count()).select_from(Plate)) == 5


def test_revoke_and_reissue_forms_carry_their_csrf_tokens(
    make_app: Callable[..., Flask],
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        village = make_village()
        household_id = make_household(village, address="上垟路2号").id
        service.issue_missing()
        create_staff(
            "test", username="office", display_name="", password=PASSWORD, role=Role.COUNTY
        )
        db.session.commit()
    client = app.test_client()
    login_page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "username": "office",
            "password": PASSWORD,
            "csrf_token": csrf_token_from(login_page),
        },
    )
    url = f"/staff/plates/household/{household_id}"
    for action in ("revoke", "reissue"):
        fields = {f"{action}-reason": "lost", f"{action}-confirm": "y"}
        assert client.post(f"{url}/{action}", data=fields).status_code == 400
        form = re.search(rf'action="{url}/{action}".*?</form>', client.get(url).text, re.S)
        assert form is not None
        token = re.search(r'name="[a-z]+-csrf_token" type="hidden" value="([^"]+)"', form.group(0))
        assert token is not None
        response = client.post(f"{url}/{action}", data={**fields, f"{action}-csrf_token": token[1]})
        assert response.status_code == 302, action
    with app.app_context():
        assert _plates(household_id) == [(1, PlateStatus.REVOKED), (2, PlateStatus.ACTIVE)]
