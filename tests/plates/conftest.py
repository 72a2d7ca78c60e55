"""A small county with plates for the console and CLI tests: two towns, three villages.

Village A (渡龙村) has three households whose addresses sort differently as text and as numbers;
A2 (坑垟村) is A's neighbour in the same town; B (南岙村) lies in the other town, with an address
found nowhere else so a response can be searched for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from conftest import signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service
from doorplate.plates.models import Plate, PlateStatus
from doorplate.staff.models import Role, StaffUser


@dataclass(frozen=True)
class Place:
    village_code: str
    town_code: str
    village_name: str
    addresses: tuple[str, ...]  # in natural order
    household_ids: tuple[int, ...]  # in the same order


@dataclass(frozen=True)
class County:
    a: Place
    a2: Place
    b: Place


def _place(
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    code: str,
    name: str,
    addresses: list[str],
) -> Place:
    village = make_village(code, name)
    ids = [make_household(village, address=address).id for address in addresses]
    return Place(code, village.town.code, name, tuple(addresses), tuple(ids))


@pytest.fixture
def county(
    app: Flask, make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> County:
    """Households with their first plates issued, as an import leaves them."""
    made = County(
        a=_place(
            make_village,
            make_household,
            "330327100201",
            "渡龙村",
            ["上垟路2号", "上垟路10号", "上垟路11号之1"],
        ),
        a2=_place(make_village, make_household, "330327100202", "坑垟村", ["埭头巷1号"]),
        b=_place(make_village, make_household, "330327101201", "南岙村", ["鳌山密巷8号"]),
    )
    service.issue_missing()
    db.session.commit()
    return made


def active_plate(household_id: int) -> Plate:
    plate = db.session.scalar(
        select(Plate).where(Plate.household_id == household_id, Plate.status == PlateStatus.ACTIVE)
    )
    assert plate is not None
    return plate


@pytest.fixture
def staff(
    app: Flask, county: County, make_staff: Callable[..., StaffUser]
) -> Callable[[str], FlaskClient]:
    """``staff("editor")`` → a client signed in as A's editor; also "reviewer" (A's town),
    "village-reviewer" (A only), "county"."""

    def sign_in(who: str) -> FlaskClient:
        village = db.session.scalar(select(Village).filter_by(code=county.a.village_code))
        assert village is not None
        scopes = {
            "editor": (Role.EDITOR, {"village": village}),
            "reviewer": (Role.REVIEWER, {"town": village.town}),
            "village-reviewer": (Role.REVIEWER, {"village": village}),
            "county": (Role.COUNTY, {}),
        }
        role, scope = scopes[who]
        user = make_staff(role, username=f"{who}-p", **scope)
        return signed_in_client(app, user.username)

    return sign_in
