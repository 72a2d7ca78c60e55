"""What counts as a visit: a 200 GET by a browser, once per visitor and plate per 30 minutes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates_service
from doorplate.plates.models import RevokeReason
from doorplate.staff.models import Role, StaffUser

from .conftest import PHONE, Clock, Plates, county_time, open_plate, visits


def test_an_opening_is_recorded_with_plate_household_village_and_time(
    client: FlaskClient, plates: Plates, clock: Clock
) -> None:
    assert open_plate(client, plates.tokens[0]).status_code == 200
    [visit] = visits()
    assert (visit.plate_id, visit.household_id, visit.village_id) == (
        plates.ids[0],
        plates.household_ids[0],
        plates.village_id,
    )
    assert visit.occurred_at == clock.at
    assert len(visit.visitor_key) == 16 and int(visit.visitor_key, 16) >= 0


def test_repeats_within_30_minutes_of_the_counted_visit_count_once(
    client: FlaskClient, plates: Plates, clock: Clock
) -> None:
    start = clock.at
    open_plate(client, plates.tokens[0])
    clock.advance(minutes=1)
    open_plate(client, plates.tokens[0])
    clock.advance(minutes=28)  # +29 min
    open_plate(client, plates.tokens[0])
    assert [v.occurred_at for v in visits()] == [start]
    clock.advance(minutes=2)  # +31 min: 31 minutes after the counted visit
    open_plate(client, plates.tokens[0])
    clock.advance(minutes=29)  # +60 min: 29 minutes after the second counted visit
    open_plate(client, plates.tokens[0])
    assert [(v.occurred_at - start).total_seconds() / 60 for v in visits()] == [0, 31]


def test_other_plates_and_other_visitors_count_separately(
    client: FlaskClient, plates: Plates, clock: Clock
) -> None:
    for token in plates.tokens:
        open_plate(client, token)
        open_plate(client, token)
    open_plate(client, plates.tokens[0], ip="198.51.100.1")
    open_plate(client, plates.tokens[0], user_agent=PHONE.replace("Android 12", "Android 13"))
    recorded = visits()
    assert len(recorded) == 5
    assert [v.plate_id for v in recorded] == [*plates.ids, plates.ids[0], plates.ids[0]]
    keys = [v.visitor_key for v in recorded]
    assert len(set(keys[:3])) == 1, "one visitor has one key for the day, whatever the plate"
    assert len(set(keys[2:])) == 3


def test_the_30_minutes_run_across_midnight_though_the_key_changes(
    client: FlaskClient, plates: Plates, clock: Clock
) -> None:
    token = plates.tokens[0]
    clock.at = county_time(2, 23, 50)
    open_plate(client, token)
    clock.at = county_time(3, 0, 5)  # a new day and a new key, but 15 minutes later
    open_plate(client, token)
    assert len(visits()) == 1
    clock.at = county_time(3, 0, 21)  # 31 minutes after the counted visit
    open_plate(client, token)
    first, second = visits()
    assert first.visitor_key != second.visitor_key
    clock.at = county_time(3, 0, 45)  # past the midnight half hour: today's key alone decides
    open_plate(client, token)
    assert len(visits()) == 2


def test_a_visit_counted_just_after_midnight_holds_both_days_keys(
    client: FlaskClient, plates: Plates, clock: Clock
) -> None:
    """Counted at 00:05 by a first-time visitor: a request still on yesterday's clock (one that
    read the time just before midnight) must see it, and so must one after the half hour."""
    token = plates.tokens[0]
    clock.at = county_time(3, 0, 5)
    open_plate(client, token)
    clock.at = county_time(2, 23, 59)
    open_plate(client, token)
    clock.at = county_time(3, 0, 34)
    open_plate(client, token)
    assert len(visits()) == 1
    clock.at = county_time(3, 0, 36)
    open_plate(client, token)
    assert len(visits()) == 2


def test_unknown_and_revoked_plates_are_not_visits(client: FlaskClient, plates: Plates) -> None:
    household = db.session.get(Household, plates.household_ids[0])
    assert household is not None
    old_token = plates.tokens[0]
    plates_service.revoke("tester", household, RevokeReason.LOST)
    db.session.commit()
    assert open_plate(client, old_token).status_code == 410
    assert open_plate(client, "0" * 16).status_code == 404
    assert visits() == []


@pytest.mark.parametrize(
    ("method", "user_agent"),
    [("HEAD", PHONE), ("GET", ""), ("GET", "   ")],
    ids=["head", "no-user-agent", "blank-user-agent"],
)
def test_probes_are_not_visits(
    client: FlaskClient, plates: Plates, method: str, user_agent: str
) -> None:
    response = open_plate(client, plates.tokens[0], method=method, user_agent=user_agent)
    assert response.status_code == 200
    assert visits() == []


def test_signed_in_staff_checking_plates_are_not_visitors(
    client: FlaskClient,
    plates: Plates,
    make_staff: Callable[..., StaffUser],
    login: Callable[..., Any],
) -> None:
    village = db.session.get(Village, plates.village_id)
    login(make_staff(Role.EDITOR, village=village))
    db.session.commit()
    assert "Mark as installed" in open_plate(client, plates.tokens[0]).get_data(as_text=True)
    assert visits() == []
    client.post("/staff/logout")
    open_plate(client, plates.tokens[0])
    assert len(visits()) == 1
