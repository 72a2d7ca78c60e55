"""Factories for the bookings tests: services and slots inserted directly, so each test states
exactly the capacity and time it needs (the catalogue's own tests go through its use cases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from doorplate.bookings.models import Service, ServiceKind, ServiceScope, Slot
from doorplate.db import db
from doorplate.places.models import Town, Village


@pytest.fixture
def make_service(app: Flask) -> Callable[..., Service]:
    """``make_service(village=v)``, ``make_service(town=t)`` or ``make_service()`` (county)."""

    def make(
        *,
        village: Village | None = None,
        town: Town | None = None,
        kind: ServiceKind = ServiceKind.SLOT,
        **fields: Any,
    ) -> Service:
        scope = (
            ServiceScope.VILLAGE if village else ServiceScope.TOWN if town else ServiceScope.COUNTY
        )
        values: dict[str, Any] = {
            "name": "社保卡办理" if kind is ServiceKind.SLOT else "报事报修",
            "description": "",
            "materials": ["身份证"],
            "location": "村便民服务中心",
            "duration_minutes": 30,
            "purposes": ["新办", "补办"] if kind is ServiceKind.SLOT else ["道路", "路灯"],
        }
        values.update(fields)
        service = Service(scope=scope, town=town, village=village, kind=kind, **values)
        db.session.add(service)
        db.session.commit()
        return service

    return make


@pytest.fixture
def make_slot(app: Flask) -> Callable[..., Slot]:
    """``make_slot(service, capacity=5)``: by default a slot one day from now."""

    def make(
        service: Service,
        *,
        capacity: int = 5,
        starts_at: datetime | None = None,
        minutes: int = 30,
    ) -> Slot:
        start = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        slot = Slot(
            service=service,
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            capacity=capacity,
        )
        db.session.add(slot)
        db.session.commit()
        return slot

    return make
