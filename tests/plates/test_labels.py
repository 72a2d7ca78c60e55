"""The labels an export prints: plates issued first, active households only, natural order."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from doorplate.db import db
from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.plates import service
from doorplate.plates.labels import labels_for, natural_key
from doorplate.plates.models import Plate, RevokeReason


def test_natural_key_reads_numbers_as_numbers() -> None:
    addresses = [
        "上垟路10号",
        "上垟路2号之1",
        "上垟路2号",
        "上垟路1号",
        "岙底街3号",
        "上垟路10号之2",
        "上垟路",
        "上垟路100号",
        "上垟路10号之10",
    ]
    assert sorted(addresses, key=natural_key) == [
        "上垟路",
        "上垟路1号",
        "上垟路2号",
        "上垟路2号之1",
        "上垟路10号",
        "上垟路10号之2",
        "上垟路10号之10",
        "上垟路100号",
        "岙底街3号",
    ]


def test_natural_key_keeps_apart_spellings_of_one_number() -> None:
    assert sorted(["路02号", "路2号", "路１号"], key=natural_key) == ["路１号", "路02号", "路2号"]


def test_labels_are_in_town_village_then_natural_address_order(
    app: Flask,
    make_town: Callable[..., Town],
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
) -> None:
    later_town = make_town("330327101", "矾山镇")
    first_town = make_town("330327100", "灵溪镇")
    south = make_village("330327101201", "南岙村", town=later_town)
    dulong = make_village("330327100201", "渡龙村", town=first_town)
    kengyang = make_village("330327100202", "坑垟村", town=first_town)
    for village, numbers in ((south, [3, 1]), (kengyang, [20, 3]), (dulong, [10, 2, 1, 11])):
        for n in numbers:
            make_household(village, address=f"上垟路{n}号")
    labels = labels_for([south.id, dulong.id, kengyang.id])
    assert [(label.village, label.address) for label in labels] == [
        ("渡龙村", "上垟路1号"),
        ("渡龙村", "上垟路2号"),
        ("渡龙村", "上垟路10号"),
        ("渡龙村", "上垟路11号"),
        ("坑垟村", "上垟路3号"),
        ("坑垟村", "上垟路20号"),
        ("南岙村", "上垟路1号"),
        ("南岙村", "上垟路3号"),
    ]
    assert [label.town for label in labels] == ["灵溪镇"] * 6 + ["矾山镇"] * 2
    assert labels_for([south.id]) == labels[-2:]  # the same plates: issued once
    assert labels_for() == labels


def test_labels_issue_missing_plates_and_skip_inactive_households(
    app: Flask, make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> None:
    village = make_village()
    kept = make_household(village, address="上垟路1号")
    moved = make_household(village, address="上垟路2号")
    gone = make_household(village, address="上垟路3号", status=HouseholdStatus.INACTIVE)
    other = make_household(make_village("330327100202", "坑垟村"), address="上垟路4号")
    service.issue_missing(household_ids=[moved.id])
    moved_plate = service.active_plate(moved)
    assert moved_plate is not None
    service.revoke("tester", moved, RevokeReason.MOVED)

    labels = labels_for([village.id])

    assert [label.address for label in labels] == ["上垟路1号", "上垟路2号"]
    plates = {
        household_id: (token, generation)
        for household_id, token, generation in db.session.execute(
            select(Plate.household_id, Plate.token, Plate.generation).where(
                Plate.status == "active"
            )
        )
    }
    assert set(plates) == {kept.id, moved.id}  # not the inactive one, nor the other village
    assert plates[moved.id][1] == 2  # the revoked plate's successor
    assert gone.id not in plates and other.id not in plates
    by_address = {label.address: label for label in labels}
    token = plates[kept.id][0]
    label = by_address["上垟路1号"]
    assert label.token == token
    assert label.url == f"HTTPS://DP.EXAMPLE.GOV.CN/P/{token}"
    assert (label.village, label.town) == ("渡龙村", village.town.name)
    assert token not in label.ref and "上垟路1号" in label.ref
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Plate)) == 3
