"""No address is ever stored, keys change every county day, and old salts and windows go."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import insert, select

from doorplate.db import db
from doorplate.visits import service
from doorplate.visits.models import VisitSalt, VisitWindow

from .conftest import COUNTY, IP, PHONE, Clock, Plates, county_time, open_plate, visits

IPV6 = "2408:8456:3a10:1f2e::7"


def _salt_days() -> list[date]:
    days = list(db.session.scalars(select(VisitSalt.day).order_by(VisitSalt.day)))
    db.session.commit()
    return days


def test_no_table_holds_the_address_or_the_user_agent(
    client: FlaskClient, plates: Plates, clock: Clock
) -> None:
    for ip in (IP, IPV6):
        for token in plates.tokens:
            open_plate(client, token, ip=ip)
    clock.at = county_time(3, 0, 10)  # after midnight: yesterday's window rows are written too
    open_plate(client, plates.tokens[0])
    assert len(visits()) == 7
    secrets = [IP, IPV6, "MMWEBID/2585"]
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            for value in row:
                text = value.hex() if isinstance(value, bytes) else str(value)
                raw = value if isinstance(value, bytes) else text.encode()
                for secret in secrets:
                    assert secret not in text and secret.encode() not in raw, table.name
    db.session.commit()


def test_keys_change_with_the_county_day_and_old_salts_are_deleted(
    client: FlaskClient, plates: Plates, clock: Clock
) -> None:
    clock.at = county_time(2, 10)
    open_plate(client, plates.tokens[0])
    clock.at = county_time(2, 23, 59)
    open_plate(client, plates.tokens[1])
    assert _salt_days() == [date(2026, 3, 2)]
    clock.at = county_time(3, 0, 40)  # 16:40 UTC: still 2 March in UTC, but 3 March in the county
    open_plate(client, plates.tokens[2])
    # Yesterday's salt is kept into the new day, for repeats across midnight...
    assert _salt_days() == [date(2026, 3, 2), date(2026, 3, 3)]
    clock.at = county_time(3, 1, 5)
    open_plate(client, plates.tokens[0])
    # ...and deleted by the day's purge after 01:00 (the visit writer's or cron's, never the
    # request's).
    assert _salt_days() == [date(2026, 3, 2), date(2026, 3, 3)]
    service.purge(clock.at)
    db.session.commit()
    assert _salt_days() == [date(2026, 3, 3)]
    keys = [v.visitor_key for v in visits()]
    assert len(keys) == 4
    assert keys[0] == keys[1] and keys[2] == keys[3] and keys[1] != keys[2]


def test_a_salt_is_cached_only_once_committed(app: Flask, make_app: Callable[..., Flask]) -> None:
    """A worker whose transaction rolled back must not keep the salt it had inserted."""
    day = date(2026, 3, 2)
    lost = service.salt_for(day)
    db.session.rollback()
    with make_app().app_context():  # another worker
        kept = service.salt_for(day)
        db.session.commit()
    assert kept != lost
    assert service.salt_for(day) == kept
    db.session.commit()


def test_visitor_key_is_a_keyed_hash_of_address_and_browser() -> None:
    salt, other_salt = b"s" * 32, b"t" * 32
    key = service.visitor_key(salt, IP, PHONE)
    assert len(key) == 16 and key == service.visitor_key(salt, IP, PHONE)
    assert key != service.visitor_key(other_salt, IP, PHONE)
    assert key != service.visitor_key(salt, "203.0.113.78", PHONE)
    assert key != service.visitor_key(salt, IP, PHONE + " ")


def _stale_data(now: datetime) -> None:
    """Window rows an hour and a half old and just now, and salts of the last four days."""
    rows = [
        {"visitor_key": "a" * 16, "plate_id": 1, "counted_at": now - timedelta(minutes=90)},
        {"visitor_key": "b" * 16, "plate_id": 1, "counted_at": now - timedelta(minutes=1)},
    ]
    db.session.execute(insert(VisitWindow), rows)
    today = now.astimezone(COUNTY).date()
    db.session.execute(
        insert(VisitSalt),
        [{"day": today - timedelta(days=n), "salt": bytes([n]) * 32} for n in range(4)],
    )
    db.session.commit()


def test_purge_command_keeps_only_what_can_still_matter(
    runner: FlaskCliRunner, clock: Clock
) -> None:
    clock.at = county_time(3, 0, 20)
    _stale_data(clock.at)
    result = runner.invoke(args=["visits", "purge"])
    assert result.exit_code == 0 and result.output == ""  # quiet, for cron
    assert _salt_days() == [date(2026, 3, 2), date(2026, 3, 3)]
    clock.at = county_time(3, 1, 0)
    assert runner.invoke(args=["visits", "purge"]).exit_code == 0
    assert _salt_days() == [date(2026, 3, 3)]
    remaining = db.session.scalars(select(VisitWindow.visitor_key)).all()
    db.session.commit()
    assert remaining == ["b" * 16]
