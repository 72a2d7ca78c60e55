"""A household remembers when it became inactive, for the county's past figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from doorplate import create_app
from doorplate.db import db
from doorplate.places.models import Household, HouseholdStatus, Village


def test_deactivating_keeps_the_first_date(
    make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> None:
    household = make_household(make_village())
    assert household.deactivated_at is None
    first, second = datetime(2021, 7, 1, tzinfo=UTC), datetime(2021, 8, 1, tzinfo=UTC)
    household.deactivate(first)
    household.deactivate(second)
    db.session.commit()
    db.session.expire_all()
    assert (household.status, household.deactivated_at) == (HouseholdStatus.INACTIVE, first)


def test_the_migration_dates_existing_inactive_households_by_their_last_update(
    tmp_path: Path,
) -> None:
    """On a SQLite file of its own: the shared test database stays at the latest schema."""
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    with create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url}).app_context():
        upgrade(revision="0006")
        db.session.execute(
            text(
                "INSERT INTO town (id, code, name, created_at) "
                "VALUES (1, '330327100', '灵溪镇', '2020-01-01 00:00:00.000000');"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO village (id, code, name, town_id, created_at) "
                "VALUES (1, '330327100201', '渡龙村', 1, '2020-01-01 00:00:00.000000')"
            )
        )
        for number, status in ((1, "active"), (2, "inactive")):
            db.session.execute(
                text(
                    "INSERT INTO household (id, village_id, address, status, created_at, "
                    "updated_at) VALUES (:id, 1, :address, :status, "
                    "'2020-01-01 00:00:00.000000', '2021-07-01 04:00:00.000000')"
                ),
                {"id": number, "address": f"{number}号", "status": status},
            )
        db.session.commit()
        upgrade()
        dates = dict(db.session.execute(text("SELECT id, deactivated_at FROM household")).all())
        assert dates == {1: None, 2: "2021-07-01 04:00:00.000000"}
        db.session.rollback()
        downgrade(revision="0006")
        db.engine.dispose()
