"""A small county for the staff console tests: two towns, three villages, staff made on demand.

Village B (in the other town) holds a household whose address, head and phone appear nowhere else,
so a test can grep any response for them to prove nothing of B leaked; each household has a plate.
Staff accounts are created only when a test asks for one, since each costs a deliberately slow
password hash.
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
from doorplate.places.models import Household, Town, Village
from doorplate.plates import service as plates
from doorplate.staff.models import Role, StaffUser


@dataclass(frozen=True)
class Secret:
    """What nobody outside a household's scope may see, and a search that finds only it."""

    household_id: int
    plate_id: int
    village_code: str
    town_code: str
    address: str
    head_name: str
    phone: str
    search: str

    def found_in(self, text: str) -> list[str]:
        return [value for value in (self.address, self.head_name, self.phone) if value in text]


@dataclass(frozen=True)
class County:
    a: Secret  # village A, town T
    a2: Secret  # village A2, also in town T
    b: Secret  # village B, town U
    village_names: dict[str, str]


def _secret(
    make_household: Callable[..., Household],
    village: Village,
    street: str,
    head_name: str,
    phone: str,
) -> Secret:
    household = make_household(
        village, address=f"{village.name}{street}8号", head_name=head_name, phone=phone
    )
    plates.issue_missing(household_ids=[household.id])
    plate = plates.active_plate(household)
    assert plate is not None
    db.session.commit()
    return Secret(
        household_id=household.id,
        plate_id=plate.id,
        village_code=village.code,
        town_code=village.town.code,
        address=household.address,
        head_name=head_name,
        phone=phone,
        search=street,
    )


@pytest.fixture
def county(
    make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> County:
    """Plain values only, so no test holds an ORM object (or, on SQLite, a lock) by accident."""
    village_a = make_village("330327100201", "渡龙村")
    village_a2 = make_village("330327100202", "坑垟村")
    village_b = make_village("330327101201", "南岙村")
    names = {v.code: v.name for v in (village_a, village_a2, village_b)}
    return County(
        a=_secret(make_household, village_a, "上垟路", "陈建华", "13800000001"),
        a2=_secret(make_household, village_a2, "埭头巷", "林丽娟", "13800000002"),
        b=_secret(make_household, village_b, "鳌山密巷", "郑秘岙", "13912345678"),
        village_names=names,
    )


@pytest.fixture
def member(county: County, make_staff: Callable[..., StaffUser]) -> Callable[[str], str]:
    """``member("editor")`` → the username of village A's editor, created on first use.

    Also ``"reviewer"`` (of A's town), ``"county"`` and ``"admin"``.
    """
    made: dict[str, str] = {}

    def get(who: str) -> str:
        if who not in made:
            village = db.session.scalar(select(Village).filter_by(code=county.a.village_code))
            assert village is not None
            town: Town = village.town
            scopes = {
                "editor": (Role.EDITOR, {"village": village}),
                "reviewer": (Role.REVIEWER, {"town": town}),
                "county": (Role.COUNTY, {}),
                "admin": (Role.ADMIN, {}),
            }
            role, scope = scopes[who]
            made[who] = make_staff(role, username=f"{who}-x", **scope).username
        return made[who]

    return get


@pytest.fixture
def signed_in(app: Flask, member: Callable[[str], str]) -> Callable[[str], FlaskClient]:
    """``signed_in("editor")`` → a new client signed in as that member through the login form."""

    def sign_in(who: str) -> FlaskClient:
        return signed_in_client(app, member(who))

    return sign_in
