"""Listing and searching households within a staff member's scope."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from doorplate.db import db
from doorplate.places.importer import validate_rows
from doorplate.places.models import Town, Village
from doorplate.places.registry import households_in_scope
from doorplate.places.service import import_households
from doorplate.staff.service import Scope

from .files import HEADER, sample_rows


@pytest.fixture
def county(app: Flask) -> None:
    rows = [
        *sample_rows(),
        ["330327100", "灵溪镇", "330327100202", "坑垟村", "100%_路", None, None, None],
    ]
    import_households(validate_rows([(1, HEADER), *enumerate(rows, start=2)], "330327"), "t")
    db.session.commit()


def addresses(scope: Scope, **kwargs: object) -> list[str]:
    return [h.address for h in households_in_scope(scope, **kwargs).households]  # type: ignore[arg-type]


def village_id(code: str) -> int:
    return db.session.scalar(select(Village.id).where(Village.code == code))  # type: ignore[return-value]


def test_county_scope_sees_every_household_in_village_and_address_order(county: None) -> None:
    page = households_in_scope(Scope())
    assert page.total == 6
    assert [h.village.code for h in page.households] == [
        "330327100201",
        "330327100201",
        "330327100202",
        "330327100202",
        "330327101201",
        "330327101201",
    ]
    assert page.households[0].address < page.households[1].address


def test_town_and_village_scopes(county: None) -> None:
    town = db.session.scalar(select(Town.id).where(Town.code == "330327101"))
    assert addresses(Scope(town_id=town)) == ["矾山镇南岙村鳌山路4号", "矾山镇南岙村𠮷祥路5号"]
    assert addresses(Scope(village_id=village_id("330327100202"))) == [
        "100%_路",
        "灵溪镇坑垟村埭头巷3号",
    ]


def test_village_filter_outside_the_scope_finds_nothing(county: None) -> None:
    scope = Scope(village_id=village_id("330327100201"))
    assert households_in_scope(scope, village_code="330327101201").total == 0
    assert households_in_scope(Scope(), village_code="330327101201").total == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("岙底", ["灵溪镇渡龙村岙底街2号"]),  # address
        ("王镕基", ["灵溪镇坑垟村埭头巷3号"]),  # head's name
        ("68878130", ["灵溪镇坑垟村埭头巷3号"]),  # phone
        ("%", ["100%_路"]),  # a LIKE wildcard is matched literally
        ("_", ["100%_路"]),
    ],
)
def test_search(county: None, query: str, expected: list[str]) -> None:
    assert addresses(Scope(), query=query) == expected


def test_blank_search_is_no_filter(county: None) -> None:
    assert households_in_scope(Scope(), query="  ").total == 6


def test_pages(county: None) -> None:
    first = households_in_scope(Scope(), page=1, per_page=4)
    second = households_in_scope(Scope(), page=2, per_page=4)
    assert (first.total, second.total) == (6, 6)
    assert len(first.households) == 4 and len(second.households) == 2
    assert not {h.id for h in first.households} & {h.id for h in second.households}
