"""The import use case against the database: creating, idempotency, updates, conflicts, audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from doorplate.db import db
from doorplate.places.importer import HouseholdRow, ImportRejected, validate_rows
from doorplate.places.models import Household, Town, Village
from doorplate.places.service import ImportSummary, import_households
from doorplate.staff.models import AuditEvent

from .files import HEADER, RARE, registry_counts, sample_rows


def rows_of(table: list[list[object]]) -> list[HouseholdRow]:
    return validate_rows([(1, HEADER), *enumerate(table, start=2)], "330327")


def stored() -> dict[str, tuple[object, ...]]:
    """Every household as (town, village, house_no, head_name, phone, updated_at), by address."""
    db.session.expire_all()
    return {
        h.address: (
            h.village.town.name,
            h.village.name,
            h.house_no,
            h.head_name,
            h.phone,
            h.updated_at,
        )
        for h in db.session.scalars(select(Household))
    }


def test_first_import_creates_everything(app: Flask) -> None:
    summary = import_households(rows_of(sample_rows()), "tester")
    db.session.commit()
    assert summary == ImportSummary(
        towns_created=2,
        villages_created=3,
        households_created=5,
        households_unchanged=0,
    )
    village = db.session.scalar(select(Village).where(Village.code == "330327100202"))
    assert village is not None
    assert (village.name, village.town.code, village.town.name) == ("坑垟村", "330327100", "灵溪镇")
    household = db.session.scalar(select(Household).where(Household.address.like("%埭头巷%")))
    assert household is not None
    assert (household.house_no, household.head_name, household.phone) == (
        "3号",
        "王镕基",
        "0577-68878130",
    )
    assert household.created_at is not None and household.created_at.tzinfo is not None


def test_rare_characters_round_trip_through_the_database(app: Flask) -> None:
    import_households(rows_of(sample_rows()), "tester")
    db.session.commit()
    db.session.expire_all()
    text = "".join(f"{a}{v}{h}" for a, (_t, v, _n, h, _p, _u) in stored().items())
    assert set(RARE) <= set(text)
    assert "矾山镇南岙村𠮷祥路5号" in stored()


def test_the_import_is_audited_with_its_counts(app: Flask) -> None:
    import_households(rows_of(sample_rows()), "cli:clerk")
    db.session.commit()
    (event,) = db.session.scalars(select(AuditEvent))
    assert (event.actor_name, event.action, event.object_type, event.object_id) == (
        "cli:clerk",
        "households.import",
        "county",
        None,
    )
    assert event.detail["households_created"] == 5
    assert event.detail["villages_created"] == 3


def test_reimporting_the_same_file_changes_nothing(app: Flask) -> None:
    rows = rows_of(sample_rows())
    import_households(rows, "tester")
    db.session.commit()
    before = stored()

    summary = import_households(rows, "tester")
    db.session.commit()
    assert summary == ImportSummary(households_unchanged=5)
    assert stored() == before  # updated_at included


def test_a_changed_file_updates_renames_and_adds(app: Flask) -> None:
    import_households(rows_of(sample_rows()), "tester")
    db.session.commit()
    before = stored()
    changed = sample_rows()
    changed[0][6:8] = ["陈新", "13700000000"]  # new head and phone
    changed[1][7] = "0577 6887 0000"  # phone added
    for row in changed[3:]:
        row[1] = "矾山"  # town renamed
    changed[2][3] = "坑垟新村"  # village renamed
    changed.append(
        ["330327102", "钱库镇", "330327102201", "新埭村", "钱库镇新埭村1号", None, None, None]
    )
    del changed[4]  # absent from the file: left alone

    summary = import_households(rows_of(changed), "tester")
    db.session.commit()
    assert summary == ImportSummary(
        towns_created=1,
        towns_renamed=1,
        villages_created=1,
        villages_renamed=1,
        households_created=1,
        households_updated=2,
        households_unchanged=2,
    )
    after = stored()
    first, second = "灵溪镇渡龙村上垟路1号", "灵溪镇渡龙村岙底街2号"
    assert after[first][2:5] == ("1号", "陈新", "13700000000")
    assert after[second][4] == "0577-68870000"
    assert after[first][5] > before[first][5]
    assert after["灵溪镇坑垟村埭头巷3号"][:2] == ("灵溪镇", "坑垟新村")
    assert after["灵溪镇坑垟村埭头巷3号"][5] == before["灵溪镇坑垟村埭头巷3号"][5]
    assert after["矾山镇南岙村𠮷祥路5号"] == ("矾山", *before["矾山镇南岙村𠮷祥路5号"][1:])
    assert after["钱库镇新埭村1号"][:2] == ("钱库镇", "新埭村")


def test_a_blank_cell_keeps_the_stored_value(app: Flask) -> None:
    import_households(rows_of(sample_rows()), "tester")
    db.session.commit()
    rows = [
        replace(row, house_no=None, head_name=None, phone=None) for row in rows_of(sample_rows())
    ]
    assert import_households(rows, "tester").households_unchanged == 5
    db.session.commit()
    assert stored()["灵溪镇渡龙村上垟路1号"][2:5] == ("1号", "陈喆", "13800138000")


def test_dry_run_reports_and_writes_nothing(app: Flask) -> None:
    summary = import_households(rows_of(sample_rows()), "tester", dry_run=True)
    assert summary.households_created == 5
    assert summary.towns_created == 2
    assert registry_counts() == (0, 0, 0, 0)
    assert not db.session.new


def test_dry_run_of_a_changed_file(app: Flask) -> None:
    import_households(rows_of(sample_rows()), "tester")
    db.session.commit()
    before = stored()
    changed = sample_rows()
    changed[0][6] = "陈新"
    changed[0][1] = "灵溪"
    changed[1][1] = "灵溪"
    changed[2][1] = "灵溪"
    summary = import_households(rows_of(changed), "tester", dry_run=True)
    assert summary == ImportSummary(towns_renamed=1, households_updated=1, households_unchanged=4)
    db.session.commit()
    assert stored() == before
    assert registry_counts()[3] == 1  # the first import's audit event only


def test_progress_counts_every_row(app: Flask) -> None:
    reported: list[int] = []
    import_households(rows_of(sample_rows()), "tester", progress=reported.append)
    assert sum(reported) == 5


def test_village_registered_in_another_town_is_a_conflict(
    app: Flask, make_village: Callable[..., Village], make_town: Callable[..., Town]
) -> None:
    """The registry may hold a village under a town its code does not start with (entered by
    hand, or merged towns); an import must not silently move it."""
    make_village("330327100201", "渡龙村", town=make_town("330327101", "矾山镇"))
    before = registry_counts()
    with pytest.raises(ImportRejected) as caught:
        import_households(rows_of(sample_rows()), "tester")
    assert [str(e) for e in caught.value.errors] == [
        "row 2: village 330327100201 is registered in town 330327101, not 330327100; moving a "
        "village to another town is not done by import"
    ]
    assert registry_counts() == before
    assert not db.session.new and not db.session.dirty


def test_town_code_written_another_way_is_a_conflict(
    app: Flask, make_town: Callable[..., Town]
) -> None:
    make_town("330327100", "灵溪镇")
    before = registry_counts()
    rows = rows_of(
        [["330327100000", "灵溪镇", "330327100201", "渡龙村", "渡龙村1号", None, None, None]]
    )
    with pytest.raises(ImportRejected) as caught:
        import_households(rows, "tester")
    assert [str(e) for e in caught.value.errors] == [
        "row 2: town 330327100000 is already registered as 330327100; use that code"
    ]
    assert registry_counts() == before


def test_existing_households_of_other_villages_are_left_alone(
    app: Flask, make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> None:
    other = make_household(make_village("330327105201", "外村"), head_name="某某")
    import_households(rows_of(sample_rows()), "tester")
    db.session.commit()
    assert stored()[other.address][3] == "某某"
