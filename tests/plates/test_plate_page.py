"""Plates issued on import, and what a scan of ``/P/<token>`` answers: 200, 410 or the same 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from doorplate.db import db
from doorplate.places.importer import HouseholdRow
from doorplate.places.models import Household, Village
from doorplate.places.service import import_households
from doorplate.plates import service, tokens
from doorplate.plates.models import Plate, PlateStatus, RevokeReason
from doorplate.staff.models import AuditEvent, Role, StaffUser


def _row(line: int, village_code: str, village: str, address: str) -> HouseholdRow:
    return HouseholdRow(
        line=line,
        town_code=village_code[:9],
        town="灵溪镇" if village_code.startswith("330327100") else "矾山镇",
        village_code=village_code,
        village=village,
        address=address,
        house_no=None,
        head_name="王镕基",
        phone="13800138000",
    )


ROWS = [
    _row(2, "330327100201", "渡龙村", "灵溪镇渡龙村上垟路2号"),
    _row(3, "330327100201", "渡龙村", "灵溪镇渡龙村上垟路10号"),
    _row(4, "330327101201", "南岙村", "矾山镇南岙村埭头巷1号"),
]


@pytest.fixture
def imported(app: Flask) -> dict[str, Plate]:
    """The three households imported and their plates issued; the active plates by address."""
    import_households(ROWS, "tester")
    service.issue_missing()
    db.session.commit()
    plates = db.session.scalars(select(Plate).join(Plate.household)).all()
    return {p.household.address: p for p in plates}


def test_each_household_gets_one_active_plate_once(app: Flask) -> None:
    import_households(ROWS, "tester")
    assert service.issue_missing() == 3
    plates = db.session.scalars(select(Plate)).all()
    assert {p.generation for p in plates} == {1}
    assert {p.status for p in plates} == {PlateStatus.ACTIVE}
    assert len({p.token for p in plates}) == 3
    # Issuing again (the next export) and importing again issue nothing new.
    assert service.issue_missing() == 0
    import_households(ROWS, "tester")
    assert service.issue_missing() == 0
    assert db.session.scalar(select(func.count()).select_from(Plate)) == 3


def test_the_database_refuses_a_second_active_plate(imported: dict[str, Plate]) -> None:
    plate = imported[ROWS[0].address]
    with pytest.raises(IntegrityError):
        db.session.execute(
            insert(Plate).values(
                household_id=plate.household_id,
                token=tokens.new_token(),
                generation=2,
                status=PlateStatus.ACTIVE,
                issued_at=plate.issued_at,
            )
        )
    db.session.rollback()


def test_scan_shows_address_village_and_town(
    client: FlaskClient, imported: dict[str, Plate]
) -> None:
    plate = imported[ROWS[0].address]
    response = client.get(f"/P/{plate.token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "灵溪镇渡龙村上垟路2号" in page and "渡龙村" in page and "灵溪镇" in page
    assert "王镕基" not in page and "13800138000" not in page  # staff-only data
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_scan_accepts_any_case_groups_and_lookalikes(
    client: FlaskClient, imported: dict[str, Plate]
) -> None:
    token = imported[ROWS[0].address].token
    lookalike = token.replace("0", "O").replace("1", "l")
    for path in (
        f"/P/{token}",
        f"/P/{token.lower()}",
        f"/p/{token.lower()}",
        f"/P/{tokens.grouped(token)}",
        f"/P/{lookalike}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert ROWS[0].address in response.get_data(as_text=True)


def test_unknown_tokens_all_get_the_same_404(
    client: FlaskClient, imported: dict[str, Plate]
) -> None:
    guesses = [
        tokens.new_token(),
        tokens.new_token().lower(),
        "AAAAAAAAAAAAAAAA",
        "short",
        "U" * 16,
        "<script>alert(1)</script>",
        imported[ROWS[0].address].token + "X",
    ]
    responses = [client.get(f"/P/{guess}") for guess in guesses]
    assert {r.status_code for r in responses} == {404}
    # Identical but for the per-request CSP nonce, which is random for every response anyway.
    bodies = {re.sub(rb'nonce="[^"]+"', b'nonce=""', r.get_data()) for r in responses}
    assert len(bodies) == 1, "the 404 page must not depend on what was guessed"
    assert b"<script" not in bodies.pop()


def test_revoked_plate_answers_410_and_its_replacement_works(
    client: FlaskClient, imported: dict[str, Plate]
) -> None:
    old = imported[ROWS[0].address]
    old_token = old.token
    new = service.reissue("tester", old.household, RevokeReason.DAMAGED)
    db.session.commit()
    gone = client.get(f"/P/{old_token}")
    assert gone.status_code == 410
    assert ROWS[0].address not in gone.get_data(as_text=True)  # neutral: no address
    assert gone.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert new.generation == 2 and new.token != old_token
    assert client.get(f"/P/{new.token}").status_code == 200
    history = service.history(new.household)
    assert [(p.generation, p.status, p.revoke_reason) for p in history] == [
        (2, PlateStatus.ACTIVE, None),
        (1, PlateStatus.REVOKED, RevokeReason.DAMAGED),
    ]
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["plate.revoke", "plate.reissue"]


def test_revoke_without_reissue_leaves_no_active_plate(imported: dict[str, Plate]) -> None:
    household = imported[ROWS[2].address].household
    service.revoke("tester", household, RevokeReason.MOVED)
    assert service.active_plate(household) is None
    with pytest.raises(service.PlateError):
        service.revoke("tester", household, RevokeReason.MOVED)
    # An export issues the missing plate (generation 2) "at the latest".
    assert service.issue_missing(household_ids=[household.id]) == 1
    plate = service.active_plate(household)
    assert plate is not None and plate.generation == 2


def test_installation_is_recorded_once_and_counts_as_coverage(
    imported: dict[str, Plate],
) -> None:
    assert service.coverage() == service.Coverage(households=3, active=3, installed=0)
    plate = imported[ROWS[2].address]
    assert service.mark_installed("tester", plate) is True
    assert service.mark_installed("tester", plate) is False  # a second tap changes nothing
    village = db.session.scalar(select(Village).where(Village.code == "330327100201"))
    assert village is not None
    assert service.install_village("tester", village) == 2
    assert service.install_village("tester", village) == 0
    assert service.coverage() == service.Coverage(households=3, active=3, installed=3)
    assert service.coverage([village.id]) == service.Coverage(households=2, active=2, installed=2)
    service.reissue("tester", plate.household, RevokeReason.LOST)
    # The new plate is not on the door yet: coverage drops until it is installed.
    assert service.coverage() == service.Coverage(households=3, active=3, installed=2)


def test_staff_of_the_village_are_asked_to_mark_it_installed(
    client: FlaskClient,
    imported: dict[str, Plate],
    make_staff: Callable[..., StaffUser],
    login: Callable[..., Any],
) -> None:
    plate = imported[ROWS[0].address]
    question = "Mark as installed"
    assert question not in client.get(f"/P/{plate.token}").get_data(as_text=True)
    other_village = db.session.scalar(select(Village).where(Village.code == "330327101201"))
    outsider = make_staff(Role.EDITOR, village=other_village)
    login(outsider)
    assert question not in client.get(f"/P/{plate.token}").get_data(as_text=True)
    client.post("/staff/logout")
    editor = make_staff(Role.EDITOR, village=db.session.get(Household, plate.household_id).village)
    login(editor)
    assert question in client.get(f"/P/{plate.token}").get_data(as_text=True)
