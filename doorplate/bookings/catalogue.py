"""The service catalogue: services per place, their weekly hours, calendar overrides and slots.

Staff manage the services of their scope: an editor their village's, a reviewer their town's (the
town's own and its villages'), county roles any. Every change is audited in the same transaction.

Slots are generated from the weekly hours (county local time, stored as UTC) on China's working
days (:mod:`doorplate.workdays`), with a service's overrides closing a day or opening an extra one.
A date in a year the calendar does not cover gets no slot unless an override opens it, and the
year is reported so staff can act. Generation is idempotent (``UNIQUE(service_id, starts_at)``
with ``ON CONFLICT DO NOTHING``, so two runs at once cannot collide) and touches only future slots;
a slot someone has booked is never deleted, only reported.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, exists, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from doorplate import workdays
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.places.models import Town, Village
from doorplate.staff import audit
from doorplate.staff.models import StaffUser
from doorplate.staff.service import Scope, scope_of

from .models import (
    Booking,
    CalendarOverride,
    OpeningHours,
    Service,
    ServiceKind,
    ServiceScope,
    Slot,
)

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
LOCATION_MAX_LENGTH = 200
MATERIALS_MAX = 20
MATERIAL_MAX_LENGTH = 100
PURPOSES_MAX = 20
PURPOSE_MAX_LENGTH = 50
DURATION_MAX_MINUTES = 24 * 60
SLOT_MINUTES = (5, 240)
CAPACITY = (1, 200)
NOTE_MAX_LENGTH = 200
MONDAY = 0


class CatalogueError(Exception):
    """A catalogue use case refused its input; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(CatalogueError):
    """The service or place lies outside the actor's scope (the console answers 404)."""


@dataclass(frozen=True)
class ServiceInput:
    name: str
    description: str
    materials: list[str]
    location: str
    duration_minutes: int
    kind: ServiceKind
    purposes: list[str]


@dataclass(frozen=True)
class HoursInput:
    """One weekly period in county local time: ``weekday`` 0 is Monday."""

    weekday: int
    opens: time
    closes: time
    slot_minutes: int
    capacity: int


@dataclass
class Generated:
    """What a generation run did. ``kept`` are slots that stay although the calendar or hours no
    longer want them, because bookings point at them: staff must handle those by hand."""

    created: int = 0
    missing_years: list[int] = field(default_factory=list)
    kept: list[Slot] = field(default_factory=list)

    def add(self, other: Generated) -> None:
        self.created += other.created
        self.missing_years = sorted(set(self.missing_years) | set(other.missing_years))
        self.kept += other.kept


# --- scope -------------------------------------------------------------------------------------


def _may_manage_place(scope: Scope, town: Town | None, village: Village | None) -> bool:
    if scope.is_county:
        return True
    if village is not None:
        return scope.covers(village)
    return scope.village_id is None and town is not None and town.id == scope.town_id


def may_manage(scope: Scope, service: Service) -> bool:
    """Whether staff with ``scope`` manage ``service`` (county services: county roles only)."""
    return _may_manage_place(scope, service.town, service.village)


def _scope_filter(scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause on ``Service`` selecting the services staff with ``scope`` manage."""
    if scope.is_county:
        return true()
    in_villages = Service.village_id.in_(select(Village.id).where(scope.villages()))
    if scope.village_id is not None:
        return in_villages
    return or_(Service.town_id == scope.town_id, in_villages)


def services_in_scope(scope: Scope) -> list[Service]:
    """The services staff with ``scope`` manage: county first, then towns, then villages."""
    return list(
        db.session.scalars(
            select(Service)
            .where(_scope_filter(scope))
            .options(joinedload(Service.town), joinedload(Service.village))
            .order_by(Service.scope, Service.town_id, Service.village_id, Service.name)
        )
    )


def service_in_scope(scope: Scope, service_id: int) -> Service | None:
    """The service if staff with ``scope`` manage it; None otherwise, as for an unknown id."""
    return db.session.scalar(select(Service).where(Service.id == service_id, _scope_filter(scope)))


def services_for_village(village: Village, kind: ServiceKind | None = None) -> list[Service]:
    """The active services a village's residents may use: the county's, their town's, their own."""
    query = select(Service).where(
        Service.active.is_(True),
        or_(
            Service.scope == ServiceScope.COUNTY,
            Service.town_id == village.town_id,
            Service.village_id == village.id,
        ),
    )
    if kind is not None:
        query = query.where(Service.kind == kind)
    order = (Service.scope == ServiceScope.COUNTY, Service.scope == ServiceScope.TOWN, Service.name)
    return list(db.session.scalars(query.order_by(*order)))


# --- validation --------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _clean_list(values: Iterable[str]) -> list[str]:
    """Entries stripped, blanks and repeats dropped, order kept."""
    return list(dict.fromkeys(v for v in (_clean(value) for value in values) if v))


def _validated(data: ServiceInput) -> ServiceInput:
    name = _clean(data.name)
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        raise CatalogueError(_("Name: give 1 to %(n)d characters.", n=NAME_MAX_LENGTH), "name")
    description = _clean(data.description)
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise CatalogueError(
            _("Description: at most %(n)d characters.", n=DESCRIPTION_MAX_LENGTH), "description"
        )
    location = _clean(data.location)
    if not location:
        raise CatalogueError(_("Location: say where residents go."), "location")
    if len(location) > LOCATION_MAX_LENGTH:
        raise CatalogueError(
            _("Location: at most %(n)d characters.", n=LOCATION_MAX_LENGTH), "location"
        )
    if not 0 < data.duration_minutes <= DURATION_MAX_MINUTES:
        raise CatalogueError(
            _("Duration: give the minutes it takes, from 1 to %(n)d.", n=DURATION_MAX_MINUTES),
            "duration_minutes",
        )
    materials = _clean_list(data.materials)
    if len(materials) > MATERIALS_MAX:
        raise CatalogueError(_("Materials: at most %(n)d entries.", n=MATERIALS_MAX), "materials")
    if any(len(m) > MATERIAL_MAX_LENGTH for m in materials):
        raise CatalogueError(
            _("Materials: each line at most %(n)d characters.", n=MATERIAL_MAX_LENGTH),
            "materials",
        )
    purposes = _clean_list(data.purposes)
    if not purposes:
        raise CatalogueError(
            _("Purposes: give at least one, so residents can say what they come for."),
            "purposes",
        )
    if len(purposes) > PURPOSES_MAX:
        raise CatalogueError(_("Purposes: at most %(n)d entries.", n=PURPOSES_MAX), "purposes")
    if any(len(p) > PURPOSE_MAX_LENGTH for p in purposes):
        raise CatalogueError(
            _("Purposes: each line at most %(n)d characters.", n=PURPOSE_MAX_LENGTH), "purposes"
        )
    return ServiceInput(
        name=name,
        description=description,
        materials=materials,
        location=location,
        duration_minutes=data.duration_minutes,
        kind=ServiceKind(data.kind),
        purposes=purposes,
    )


def _check(actor: StaffUser, service: Service) -> None:
    if not may_manage(scope_of(actor), service):
        raise NotAllowed(_("This service is outside your area."))


# --- services ----------------------------------------------------------------------------------


def create_service(
    actor: StaffUser, data: ServiceInput, town: Town | None, village: Village | None
) -> Service:
    """A service of the village, else of the town, else of the county."""
    if town is not None and village is not None:
        raise CatalogueError(_("Offered by: choose a town or a village, not both."), "place")
    if not _may_manage_place(scope_of(actor), town, village):
        raise NotAllowed(_("This place is outside your area."))
    clean = _validated(data)
    service = Service(
        scope=ServiceScope.VILLAGE
        if village
        else ServiceScope.TOWN
        if town
        else ServiceScope.COUNTY,
        town=town,
        village=village,
        kind=clean.kind,
        name=clean.name,
        description=clean.description,
        materials=clean.materials,
        location=clean.location,
        duration_minutes=clean.duration_minutes,
        purposes=clean.purposes,
        created_by_id=actor.id,
    )
    db.session.add(service)
    db.session.flush()
    audit.record(
        actor,
        "service.create",
        "service",
        service.id,
        scope=service.scope.value,
        town_id=service.town_id,
        village_id=service.village_id,
        kind=service.kind.value,
        name=service.name,
    )
    return service


def update_service(actor: StaffUser, service: Service, data: ServiceInput) -> Service:
    """Change what a service says about itself; its kind and place stay (bookings depend on
    them: create a new service instead)."""
    _check(actor, service)
    clean = _validated(data)
    if clean.kind is not service.kind:
        raise CatalogueError(_("Kind: cannot be changed; create a new service instead."), "kind")
    changed = [
        name
        for name in ("name", "description", "materials", "location", "duration_minutes", "purposes")
        if getattr(service, name) != getattr(clean, name)
    ]
    for name in changed:
        setattr(service, name, getattr(clean, name))
    db.session.flush()
    audit.record(actor, "service.update", "service", service.id, fields=changed)
    return service


def set_active(actor: StaffUser, service: Service, active: bool) -> Service:
    """Offer a service again, or stop offering it (its bookings stay as they are)."""
    _check(actor, service)
    service.active = active
    db.session.flush()
    audit.record(
        actor, "service.activate" if active else "service.deactivate", "service", service.id
    )
    return service


def set_hours(actor: StaffUser, service: Service, hours: list[HoursInput]) -> Service:
    """Replace the service's weekly hours. Existing slots change at the next generation."""
    _check(actor, service)
    if service.kind is not ServiceKind.SLOT:
        raise CatalogueError(_("Only services booked by time slot have opening hours."), "hours")
    for index, period in enumerate(hours):
        _check_period(index, period)
    for index, period in enumerate(hours):
        for other in hours[:index]:
            if (
                other.weekday == period.weekday
                and other.opens < period.closes
                and (period.opens < other.closes)
            ):
                raise CatalogueError(
                    _("Row %(row)d overlaps another period on the same day.", row=index + 1),
                    f"hours-{index}-opens",
                )
    service.hours.clear()
    db.session.flush()
    service.hours.extend(
        OpeningHours(
            weekday=p.weekday,
            opens=p.opens,
            closes=p.closes,
            slot_minutes=p.slot_minutes,
            capacity=p.capacity,
        )
        for p in hours
    )
    db.session.flush()
    audit.record(
        actor,
        "service.hours",
        "service",
        service.id,
        hours=[
            f"{p.weekday} {p.opens:%H:%M}-{p.closes:%H:%M} {p.slot_minutes}min x{p.capacity}"
            for p in sorted(hours, key=lambda p: (p.weekday, p.opens))
        ],
    )
    return service


def _check_period(index: int, period: HoursInput) -> None:
    row = index + 1
    if not 0 <= period.weekday <= 6:
        raise CatalogueError(
            _("Row %(row)d: choose a day of the week.", row=row), f"hours-{index}-weekday"
        )
    if not period.opens < period.closes:
        raise CatalogueError(
            _("Row %(row)d: the closing time must be after the opening time.", row=row),
            f"hours-{index}-closes",
        )
    low, high = SLOT_MINUTES
    if not low <= period.slot_minutes <= high:
        raise CatalogueError(
            _(
                "Row %(row)d: a slot lasts %(low)d to %(high)d minutes.",
                row=row,
                low=low,
                high=high,
            ),
            f"hours-{index}-slot_minutes",
        )
    span = datetime.combine(date.min, period.closes) - datetime.combine(date.min, period.opens)
    if span < timedelta(minutes=period.slot_minutes):
        raise CatalogueError(
            _("Row %(row)d: the period is shorter than one slot.", row=row),
            f"hours-{index}-slot_minutes",
        )
    low, high = CAPACITY
    if not low <= period.capacity <= high:
        raise CatalogueError(
            _("Row %(row)d: a slot takes %(low)d to %(high)d people.", row=row, low=low, high=high),
            f"hours-{index}-capacity",
        )


# --- calendar overrides ------------------------------------------------------------------------


def overrides_of(service: Service, start: date | None = None) -> list[CalendarOverride]:
    """The service's overrides from ``start`` on (all when None), by date."""
    query = select(CalendarOverride).where(CalendarOverride.service_id == service.id)
    if start is not None:
        query = query.where(CalendarOverride.day >= start)
    return list(db.session.scalars(query.order_by(CalendarOverride.day)))


def set_override(
    actor: StaffUser, service: Service, day: date, is_open: bool, note: str
) -> CalendarOverride:
    """Close ``day`` or open it as an extra day, replacing any override it had. Slots follow at
    the next generation (the console generates that day at once)."""
    _check(actor, service)
    note = _clean(note)
    if len(note) > NOTE_MAX_LENGTH:
        raise CatalogueError(_("Note: at most %(n)d characters.", n=NOTE_MAX_LENGTH), "note")
    override = db.session.scalar(
        select(CalendarOverride).where(
            CalendarOverride.service_id == service.id, CalendarOverride.day == day
        )
    )
    if override is None:
        override = CalendarOverride(service_id=service.id, day=day)
        db.session.add(override)
    override.is_open = is_open
    override.note = note
    override.created_by_id = actor.id
    db.session.flush()
    audit.record(
        actor, "service.override", "service", service.id, day=day.isoformat(), is_open=is_open
    )
    return override


def remove_override(actor: StaffUser, service: Service, day: date) -> None:
    """Let the national calendar decide ``day`` again."""
    _check(actor, service)
    removed = db.session.execute(
        delete(CalendarOverride).where(
            CalendarOverride.service_id == service.id, CalendarOverride.day == day
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise CatalogueError(_("There is no override on that day."), "day")
    audit.record(actor, "service.override_remove", "service", service.id, day=day.isoformat())


# --- slots -------------------------------------------------------------------------------------


def _periods_for(service: Service, day: date) -> list[OpeningHours]:
    """The hours that apply on an open ``day``: its own weekday's. A weekend day worked in place
    of a holiday (调休), or opened by an override, has no weekday of its own to follow, and which
    weekday it "replaces" is not known: it uses its own hours if the service has any for that day,
    else Monday's, the fullest regular day."""
    own = [h for h in service.hours if h.weekday == day.weekday()]
    if own or day.weekday() < 5:
        return own
    return [h for h in service.hours if h.weekday == MONDAY]


def _wanted(service: Service, day: date, zone: ZoneInfo) -> dict[datetime, tuple[datetime, int]]:
    """Slot start → (end, capacity) in UTC for an open ``day``."""
    wanted: dict[datetime, tuple[datetime, int]] = {}
    for period in _periods_for(service, day):
        start = datetime.combine(day, period.opens, tzinfo=zone)
        closes = datetime.combine(day, period.closes, tzinfo=zone)
        step = timedelta(minutes=period.slot_minutes)
        while start + step <= closes:
            wanted[start.astimezone(UTC)] = ((start + step).astimezone(UTC), period.capacity)
            start += step
    return wanted


def _is_open(day: date, overrides: dict[date, bool]) -> bool | None:
    """Open per the override, else the calendar; None when the calendar has no data."""
    if day in overrides:
        return overrides[day]
    try:
        return workdays.is_working_day(day)
    except workdays.CalendarMissing:
        return None


def _insert(rows: list[dict[str, object]]) -> int:
    """Insert the slots not there yet; a concurrent run's rows are skipped, not an error."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Slot)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["service_id", "starts_at"])
        .returning(Slot.id)
    )
    return len(db.session.execute(statement).all())


def generate_slots(
    service: Service, start: date, end: date, now: datetime | None = None
) -> Generated:
    """Make the service's future slots from ``start`` to ``end`` (local dates, inclusive) match
    its hours and calendar: create what is missing, fit unbooked slots to changed capacity, delete
    unbooked slots the calendar or hours no longer want, keep (and report) booked ones."""
    result = Generated(missing_years=workdays.missing_years(start, end))
    if service.kind is not ServiceKind.SLOT or end < start:
        return result
    now = now or utcnow()
    zone = county_zone()
    overrides = {o.day: o.is_open for o in overrides_of(service, start) if o.day <= end}
    first = datetime.combine(start, time(), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    existing = list(
        db.session.scalars(
            select(Slot).where(
                Slot.service_id == service.id,
                Slot.starts_at >= max(first, now),
                Slot.starts_at < after,
            )
        )
    )
    wanted: dict[datetime, tuple[datetime, int]] = {}
    day = start
    while day <= end:
        if _is_open(day, overrides):
            wanted.update(_wanted(service, day, zone))
        day += timedelta(days=1)
    wanted = {at: v for at, v in wanted.items() if at > now}
    unwanted = [slot for slot in existing if slot.starts_at not in wanted]
    for slot in existing:
        if slot.starts_at in wanted:
            _fit(slot, *wanted[slot.starts_at])
    result.kept = _remove(unwanted)
    have = {slot.starts_at for slot in existing}
    result.created = _insert(
        [
            {
                "service_id": service.id,
                "starts_at": at,
                "ends_at": ends_at,
                "capacity": capacity,
                "booked": 0,
            }
            for at, (ends_at, capacity) in sorted(wanted.items())
            if at not in have
        ]
    )
    logger.info(
        "service %s: %d slots created, %d kept", service.id, result.created, len(result.kept)
    )
    return result


def _fit(slot: Slot, ends_at: datetime, capacity: int) -> None:
    """New hours for an existing (perhaps closed) slot that is wanted; the capacity never drops
    below what is booked."""
    if slot.ends_at == ends_at and slot.capacity == capacity and not slot.closed:
        return
    db.session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.booked <= capacity)
        .values(ends_at=ends_at, capacity=capacity, closed=False)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(slot)


def _remove(slots: list[Slot]) -> list[Slot]:
    """Delete the slots no booking ever pointed at (checked in the DELETE itself, against a
    booking landing meanwhile) and close the others, so none takes a new booking; return those
    still booked, which staff must sort out with their residents."""
    if not slots:
        return []
    ids = [slot.id for slot in slots]
    deleted = set(
        db.session.scalars(
            delete(Slot)
            .where(
                Slot.id.in_(ids),
                Slot.booked == 0,
                ~exists().where(Booking.slot_id == Slot.id),
            )
            .returning(Slot.id)
            .execution_options(synchronize_session=False)
        )
    )
    for slot in slots:
        if slot.id in deleted:
            db.session.expunge(slot)
    remaining = [slot for slot in slots if slot.id not in deleted]
    if not remaining:
        return []
    db.session.execute(
        update(Slot)
        .where(Slot.id.in_([slot.id for slot in remaining]))
        .values(closed=True)
        .execution_options(synchronize_session=False)
    )
    for slot in remaining:
        db.session.refresh(slot)
    return [slot for slot in remaining if slot.booked > 0]


def generate_all(today: date, horizon_days: int, now: datetime | None = None) -> Generated:
    """Generate every active slot service's slots from ``today`` for ``horizon_days`` days."""
    total = Generated()
    services = db.session.scalars(
        select(Service)
        .where(Service.active.is_(True), Service.kind == ServiceKind.SLOT)
        .order_by(Service.id)
    )
    end = today + timedelta(days=horizon_days)
    total.missing_years = workdays.missing_years(today, end)
    for service in services:
        total.add(generate_slots(service, today, end, now=now))
    return total


def open_slots(service: Service, now: datetime, limit: int = 50) -> list[Slot]:
    """The service's future slots with a place left, soonest first."""
    return list(
        db.session.scalars(
            select(Slot)
            .where(
                Slot.service_id == service.id,
                Slot.starts_at > now,
                Slot.booked < Slot.capacity,
                Slot.closed.is_(False),
            )
            .order_by(Slot.starts_at)
            .limit(limit)
        )
    )


def next_free_slots(service_id: int, after: datetime, limit: int = 3) -> list[Slot]:
    """The first slots with a place left after ``after``: what a full slot's 409 offers."""
    return list(
        db.session.scalars(
            select(Slot)
            .where(
                Slot.service_id == service_id,
                Slot.starts_at > after,
                Slot.booked < Slot.capacity,
                Slot.closed.is_(False),
            )
            .order_by(Slot.starts_at)
            .limit(limit)
        )
    )


def future_slot_counts(services: list[Service], now: datetime) -> dict[int, tuple[int, int]]:
    """Service id → (future slots, places booked in them), for the console's list."""
    rows = db.session.execute(
        select(Slot.service_id, func.count(), func.coalesce(func.sum(Slot.booked), 0))
        .where(Slot.service_id.in_([s.id for s in services]), Slot.starts_at > now)
        .group_by(Slot.service_id)
    ).all()
    return {service_id: (slots, booked) for service_id, slots, booked in rows}
