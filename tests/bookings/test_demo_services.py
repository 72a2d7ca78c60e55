"""`serve --demo` offers bookable services at every level, with slots on working days, and the
报事报修 requests, all created through the catalogue's use cases."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from doorplate import demo
from doorplate.bookings import catalogue
from doorplate.bookings.models import Service, ServiceKind, ServiceScope, Slot
from doorplate.db import db, utcnow
from doorplate.places.models import Village
from doorplate.staff.models import AuditEvent
from doorplate.workdays import CalendarMissing, is_working_day

TZ = ZoneInfo("Asia/Shanghai")
SLOTS_A_DAY = 7 + 7  # 08:30-12:00 and 14:00-17:30 in half hours


def _seeded() -> dict[str, Village]:
    assert demo.seed_if_empty()
    return {v.name: v for v in db.session.scalars(select(Village))}


def test_a_slot_service_at_every_level_and_requests(app: Flask) -> None:
    _seeded()
    services = db.session.scalars(select(Service)).all()
    slot = [s for s in services if s.kind is ServiceKind.SLOT]
    assert {s.scope for s in slot} == set(ServiceScope)
    for service in slot:
        assert service.materials and service.location and service.purposes
        assert {h.weekday for h in service.hours} == set(range(5))
        assert all(h.slot_minutes == 30 and 3 <= h.capacity <= 5 for h in service.hours)
    requests = [s for s in services if s.kind is ServiceKind.REQUEST]
    assert requests and all(s.name == "报事报修" for s in requests)
    assert all({"道路", "路灯", "供水", "环境卫生"} <= set(s.purposes) for s in requests)
    created = db.session.scalars(
        select(AuditEvent.actor_name).where(AuditEvent.action == "service.create")
    ).all()
    assert set(created) == {"county", "lingxi", "dulong", "nanao"}


def test_slots_for_the_horizon_on_working_days_only(app: Flask) -> None:
    _seeded()
    now = utcnow()
    today = now.astimezone(TZ).date()
    horizon = today + timedelta(days=app.config["BOOKING_HORIZON_DAYS"])
    slots = db.session.scalars(select(Slot)).all()
    assert slots and all(now < s.starts_at for s in slots)
    per_day = Counter((s.service_id, s.starts_at.astimezone(TZ).date()) for s in slots)
    services = [s for s in db.session.scalars(select(Service)) if s.kind is ServiceKind.SLOT]
    day = today + timedelta(days=1)  # today may be partly over
    checked = 0
    while day <= horizon:
        try:
            working = is_working_day(day)
        except CalendarMissing:
            working = False  # a year without data gets no slots
        for service in services:
            assert per_day[(service.id, day)] == (SLOTS_A_DAY if working else 0), (service, day)
        checked += working
        day += timedelta(days=1)
    assert checked > 0


def test_what_each_village_is_offered(app: Flask) -> None:
    villages = _seeded()
    dulong = {s.name for s in catalogue.services_for_village(villages["渡龙村"])}
    assert dulong == {"城乡居民医保参保登记", "社会保障卡办理", "村级证明开具及代办", "报事报修"}
    nanao = catalogue.services_for_village(villages["南岙村"])
    assert {(s.name, s.scope) for s in nanao} == {
        ("城乡居民医保参保登记", ServiceScope.COUNTY),
        ("报事报修", ServiceScope.VILLAGE),
    }
    assert all(catalogue.open_slots(s, utcnow()) for s in nanao if s.kind is ServiceKind.SLOT)
