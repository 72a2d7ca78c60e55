"""Plates to visit, a movable clock, and a helper that opens a plate page as a given visitor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates.models import Plate
from doorplate.plates.service import issue_missing
from doorplate.visits import service
from doorplate.visits.models import Visit

IP = "203.0.113.77"
PHONE = (
    "Mozilla/5.0 (Linux; Android 12; V2134A Build/SP1A.210812.003; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 "
    "MMWEBSDK/20230202 MMWEBID/2585 MicroMessenger/8.0.33.2320(0x2800213B) WeChat/arm64 Weixin "
    "NetType/4G Language/zh_CN ABI/arm64"
)


@dataclass(frozen=True)
class Plates:
    """Three households' active plates in one village, as plain values (no live ORM objects)."""

    tokens: tuple[str, ...]
    ids: tuple[int, ...]
    household_ids: tuple[int, ...]
    village_id: int


@pytest.fixture
def plates(
    app: Flask, make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> Plates:
    village = make_village()
    for _ in range(3):
        make_household(village)
    issue_missing()
    db.session.commit()
    rows = db.session.execute(
        select(Plate.token, Plate.id, Plate.household_id).order_by(Plate.id)
    ).all()
    made = Plates(
        tokens=tuple(r.token for r in rows),
        ids=tuple(r.id for r in rows),
        household_ids=tuple(r.household_id for r in rows),
        village_id=village.id,
    )
    # End the read: on SQLite an open transaction holds the write lock the requests need.
    db.session.commit()
    return made


def open_plate(
    client: FlaskClient,
    token: str,
    *,
    ip: str = IP,
    user_agent: str = PHONE,
    method: str = "GET",
) -> TestResponse:
    return client.open(
        f"/P/{token}",
        method=method,
        headers={"User-Agent": user_agent},
        environ_base={"REMOTE_ADDR": ip},
    )


def visits() -> list[Visit]:
    """Every recorded visit, oldest first; the read is ended so requests can write again."""
    rows = list(db.session.scalars(select(Visit).order_by(Visit.id)))
    db.session.commit()
    return rows


class Clock:
    """Stands in for ``utcnow`` in the visits service; tests move it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


COUNTY = ZoneInfo("Asia/Shanghai")  # the default BABEL_DEFAULT_TIMEZONE


def county_time(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 on the county's clock, as the UTC the app works in."""
    return datetime(2026, 3, day, hour, minute, tzinfo=COUNTY).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(county_time(2, 10))
    monkeypatch.setattr(service, "utcnow", clock)
    return clock
