"""The service catalogue's use cases: validation, scope, audit, and slot generation on China's
working days with overrides, make-up days and a year the calendar does not cover."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from doorplate.bookings import catalogue
from doorplate.bookings import service as bookings
from doorplate.bookings.catalogue import CatalogueError, HoursInput, NotAllowed, ServiceInput
from doorplate.bookings.models import (
    Booking,
    BookingStatus,
    CalendarOverride,
    Service,
    ServiceKind,
    Slot,
)
from doorplate.bookings.service import BookingInput
from doorplate.db import db, utcnow
from doorplate.places.models import Household, Village
from doorplate.staff.models import AuditEvent, Role, StaffUser
from doorplate.staff.service import scope_of

TZ = ZoneInfo("Asia/Shanghai")
WEEKDAYS = range(5)


def _input(**changes: object) -> ServiceInput:
    values: dict[str, object] = {
        "name": "社保卡办理",
        "description": "社会保障卡新办、补办、换卡",
        "materials": ["身份证原件", "一寸照片"],
        "location": "灵溪镇便民服务中心3号窗口",
        "duration_minutes": 20,
        "kind": ServiceKind.SLOT,
        "purposes": ["新办", "补办"],
    }
    values.update(changes)
    return ServiceInput(**values)  # type: ignore[arg-type]


def _hours(
    *days: int, opens: str = "09:00", closes: str = "10:00", capacity: int = 3
) -> list[HoursInput]:
    return [
        HoursInput(day, time.fromisoformat(opens), time.fromisoformat(closes), 30, capacity)
        for day in days
    ]


@pytest.fixture
def village(make_village: Callable[..., Village]) -> Village:
    return make_village("330327100201", "渡龙村")


@pytest.fixture
def admin(make_staff: Callable[..., StaffUser]) -> StaffUser:
    return make_staff(Role.ADMIN)


@pytest.fixture
def service(admin: StaffUser, village: Village) -> Service:
    """A village slot service open Mon-Fri 09:00-10:00 local: two slots of 3 people a day."""
    made = catalogue.create_service(admin, _input(), None, village)
    catalogue.set_hours(admin, made, _hours(*WEEKDAYS))
    db.session.commit()
    return made


def _slot_days(service: Service) -> list[date]:
    starts = db.session.scalars(
        select(Slot.starts_at).where(Slot.service_id == service.id).order_by(Slot.starts_at)
    )
    return sorted({start.astimezone(TZ).date() for start in starts})


def _local_starts(service: Service, day: date) -> list[str]:
    starts = db.session.scalars(
        select(Slot.starts_at).where(Slot.service_id == service.id).order_by(Slot.starts_at)
    )
    return [f"{s.astimezone(TZ):%H:%M}" for s in starts if s.astimezone(TZ).date() == day]


def _book(
    slot: Slot, household: Household, status: BookingStatus = BookingStatus.CONFIRMED
) -> None:
    """A booking as the booking use case leaves it: the row, and the counter moved in SQL."""
    db.session.add(
        Booking(
            reference=f"R{slot.id:03d}H{household.id:03d}",
            service_id=slot.service_id,
            slot_id=slot.id,
            household_id=household.id,
            village_id=household.village_id,
            status=status,
            contact_name="陈",
            phone="13800138000",
            purpose="新办",
            idempotency_key=f"k{slot.id}",  # one per household: enough here
        )
    )
    if status in (BookingStatus.SUBMITTED, BookingStatus.CONFIRMED):
        db.session.execute(update(Slot).where(Slot.id == slot.id).values(booked=Slot.booked + 1))
    db.session.commit()


def _slot_at(service: Service, local: datetime) -> Slot:
    slot = db.session.scalar(
        select(Slot).where(Slot.service_id == service.id, Slot.starts_at == local.astimezone(UTC))
    )
    assert slot is not None, local
    return slot


# --- working days -------------------------------------------------------------------------------


def test_spring_festival_2026(service: Service, admin: StaffUser) -> None:
    now = datetime(2026, 2, 1, tzinfo=UTC)
    result = catalogue.generate_slots(service, date(2026, 2, 13), date(2026, 3, 1), now=now)
    db.session.commit()
    days = _slot_days(service)
    assert days == [
        date(2026, 2, 13),  # Friday
        date(2026, 2, 14),  # Saturday worked in place of a holiday
        date(2026, 2, 24),
        date(2026, 2, 25),
        date(2026, 2, 26),
        date(2026, 2, 27),
        date(2026, 2, 28),  # Saturday worked
    ]
    assert result.created == 2 * len(days)
    assert result.missing_years == []
    # A make-up Saturday without hours of its own follows Monday's.
    assert _local_starts(service, date(2026, 2, 14)) == ["09:00", "09:30"]


def test_national_day_2026(service: Service) -> None:
    now = datetime(2026, 9, 1, tzinfo=UTC)
    catalogue.generate_slots(service, date(2026, 9, 19), date(2026, 10, 11), now=now)
    days = set(_slot_days(service))
    assert date(2026, 9, 20) in days  # Sunday worked
    assert date(2026, 10, 10) in days  # Saturday worked
    assert date(2026, 9, 25) not in days  # Mid-autumn Festival, a Friday
    assert not days & {date(2026, 10, d) for d in range(1, 8)}
    assert date(2026, 10, 9) in days
    assert date(2026, 9, 19) not in days and date(2026, 10, 11) not in days  # plain weekend


def test_national_day_2025(service: Service) -> None:
    now = datetime(2025, 9, 1, tzinfo=UTC)
    catalogue.generate_slots(service, date(2025, 9, 27), date(2025, 10, 12), now=now)
    assert _slot_days(service) == [
        date(2025, 9, 28),  # Sunday worked
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
        date(2025, 10, 11),  # Saturday worked
    ]


def test_a_make_up_day_uses_its_own_hours_when_set(service: Service, admin: StaffUser) -> None:
    catalogue.set_hours(
        admin, service, [*_hours(*WEEKDAYS), *_hours(5, opens="10:00", closes="10:30")]
    )
    now = datetime(2026, 2, 1, tzinfo=UTC)
    catalogue.generate_slots(service, date(2026, 2, 7), date(2026, 2, 14), now=now)
    assert _local_starts(service, date(2026, 2, 14)) == ["10:00"]  # make-up Saturday
    assert _local_starts(service, date(2026, 2, 7)) == []  # an ordinary Saturday stays closed


def test_local_hours_are_stored_in_utc(service: Service) -> None:
    now = datetime(2026, 2, 1, tzinfo=UTC)
    catalogue.generate_slots(service, date(2026, 2, 13), date(2026, 2, 13), now=now)
    slots = db.session.scalars(select(Slot).order_by(Slot.starts_at)).all()
    assert [(s.starts_at, s.ends_at, s.capacity, s.booked) for s in slots] == [
        (datetime(2026, 2, 13, 1, 0, tzinfo=UTC), datetime(2026, 2, 13, 1, 30, tzinfo=UTC), 3, 0),
        (datetime(2026, 2, 13, 1, 30, tzinfo=UTC), datetime(2026, 2, 13, 2, 0, tzinfo=UTC), 3, 0),
    ]


def test_generation_is_idempotent_and_only_future(service: Service) -> None:
    now = datetime(2026, 2, 13, 9, 15, tzinfo=TZ)  # Friday, after the first slot started
    first = catalogue.generate_slots(service, date(2026, 2, 13), date(2026, 2, 14), now=now)
    assert first.created == 3  # 09:30 Friday, 09:00 and 09:30 on the make-up Saturday
    assert _local_starts(service, date(2026, 2, 13)) == ["09:30"]
    again = catalogue.generate_slots(service, date(2026, 2, 13), date(2026, 2, 14), now=now)
    assert again.created == 0
    assert db.session.scalar(select(func.count()).select_from(Slot)) == 3


# --- the year the calendar does not cover -------------------------------------------------------


def test_no_slots_in_a_year_without_calendar_data(service: Service, admin: StaffUser) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    result = catalogue.generate_slots(service, date(2026, 12, 28), date(2027, 1, 8), now=now)
    assert result.missing_years == [2027]
    assert _slot_days(service) == [date(2026, 12, d) for d in (28, 29, 30, 31)]
    # An override opens a date by hand: that day gets slots, the rest of 2027 still none.
    catalogue.set_override(admin, service, date(2027, 1, 4), True, "元旦后集中办理")
    result = catalogue.generate_slots(service, date(2026, 12, 28), date(2027, 1, 8), now=now)
    assert result.created == 2
    assert result.missing_years == [2027]
    assert _slot_days(service)[-1] == date(2027, 1, 4)
    assert len(_slot_days(service)) == 5


def test_generate_all_reports_the_missing_year(
    service: Service, admin: StaffUser, village: Village
) -> None:
    request = catalogue.create_service(
        admin, _input(name="报事报修", kind=ServiceKind.REQUEST), None, village
    )
    inactive = catalogue.create_service(admin, _input(name="老年证办理"), None, village)
    catalogue.set_hours(admin, inactive, _hours(*WEEKDAYS))
    catalogue.set_active(admin, inactive, False)
    result = catalogue.generate_all(date(2026, 12, 20), 28, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert result.missing_years == [2027]
    assert result.created == 2 * 9  # Dec 21-25 and 28-31
    counts = dict(
        db.session.execute(select(Slot.service_id, func.count()).group_by(Slot.service_id)).all()
    )
    assert counts == {service.id: 18}
    assert request.id not in counts and inactive.id not in counts


# --- overrides and changed hours ----------------------------------------------------------------


def test_closing_a_day_removes_free_slots_and_keeps_booked_ones(
    service: Service,
    admin: StaffUser,
    village: Village,
    make_household: Callable[..., Household],
) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    day = date(2026, 12, 8)
    catalogue.generate_slots(service, day, day, now=now)
    booked = _slot_at(service, datetime(2026, 12, 8, 9, 30, tzinfo=TZ))
    _book(booked, make_household(village))
    catalogue.set_override(admin, service, day, False, "台风停止办公")
    result = catalogue.generate_slots(service, day, day, now=now)
    db.session.commit()
    assert [slot.id for slot in result.kept] == [booked.id]
    assert _local_starts(service, day) == ["09:30"]
    assert db.session.get(Slot, booked.id).booked == 1  # type: ignore[union-attr]


def test_a_slot_with_past_bookings_is_closed_not_deleted_and_reopens(
    service: Service, admin: StaffUser, village: Village, make_household: Callable[..., Household]
) -> None:
    """A cancelled booking still points at its slot: on a closed day the slot stays but takes no
    booking (nobody to warn: no active booking), and it opens again with the day."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    day = date(2026, 12, 8)
    catalogue.generate_slots(service, day, day, now=now)
    slot = _slot_at(service, datetime(2026, 12, 8, 9, 0, tzinfo=TZ))
    household = make_household(village)
    _book(slot, household, BookingStatus.CANCELLED)
    catalogue.set_override(admin, service, day, False, "")
    result = catalogue.generate_slots(service, day, day, now=now)
    db.session.commit()
    assert result.kept == []
    assert _local_starts(service, day) == ["09:00"]
    assert slot.closed
    assert slot not in catalogue.open_slots(service, now)
    request = BookingInput(
        slot_id=slot.id, contact_name="陈", phone="13800138001", purpose="新办", idempotency_key="x"
    )
    with pytest.raises(bookings.InvalidBooking) as refused:
        bookings.book(household, request, now=now)
    assert set(refused.value.errors) == {"slot_id"}
    db.session.rollback()

    catalogue.remove_override(admin, service, day)
    catalogue.generate_slots(service, day, day, now=now)
    db.session.commit()
    assert not slot.closed
    assert slot in catalogue.open_slots(service, now)
    assert bookings.book(household, request, now=now)[1]


def test_opening_an_extra_saturday_and_removing_it_again(
    service: Service, admin: StaffUser
) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    saturday = date(2026, 12, 12)
    catalogue.set_override(admin, service, saturday, True, "年底集中办理")
    assert catalogue.generate_slots(service, saturday, saturday, now=now).created == 2
    assert _local_starts(service, saturday) == ["09:00", "09:30"]  # Monday's hours
    catalogue.remove_override(admin, service, saturday)
    result = catalogue.generate_slots(service, saturday, saturday, now=now)
    assert result.kept == []
    assert _local_starts(service, saturday) == []
    with pytest.raises(CatalogueError):
        catalogue.remove_override(admin, service, saturday)


def test_set_override_replaces_the_days_override(service: Service, admin: StaffUser) -> None:
    catalogue.set_override(admin, service, date(2026, 12, 12), True, "")
    catalogue.set_override(admin, service, date(2026, 12, 12), False, "停电")
    db.session.commit()
    rows = db.session.scalars(select(CalendarOverride)).all()
    assert [(o.day, o.is_open, o.note) for o in rows] == [(date(2026, 12, 12), False, "停电")]


def test_new_hours_keep_booked_slots(
    service: Service, admin: StaffUser, village: Village, make_household: Callable[..., Household]
) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    day = date(2026, 12, 8)
    catalogue.generate_slots(service, day, day, now=now)
    booked = _slot_at(service, datetime(2026, 12, 8, 9, 0, tzinfo=TZ))
    _book(booked, make_household(village))
    catalogue.set_hours(
        admin, service, _hours(*WEEKDAYS, opens="14:00", closes="15:00", capacity=5)
    )
    result = catalogue.generate_slots(service, day, day, now=now)
    assert result.created == 2
    assert [s.id for s in result.kept] == [booked.id]
    assert _local_starts(service, day) == ["09:00", "14:00", "14:30"]


def test_a_new_capacity_applies_to_existing_slots_but_not_below_bookings(
    service: Service, admin: StaffUser, village: Village, make_household: Callable[..., Household]
) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    day = date(2026, 12, 8)
    catalogue.generate_slots(service, day, day, now=now)
    full = _slot_at(service, datetime(2026, 12, 8, 9, 0, tzinfo=TZ))
    for _ in range(2):
        _book(full, make_household(village))
    catalogue.set_hours(admin, service, _hours(*WEEKDAYS, capacity=1))
    result = catalogue.generate_slots(service, day, day, now=now)
    db.session.commit()
    assert result.created == 0
    capacities = db.session.execute(select(Slot.starts_at, Slot.capacity, Slot.booked)).all()
    assert sorted((f"{at.astimezone(TZ):%H:%M}", c, b) for at, c, b in capacities) == [
        ("09:00", 3, 2),  # two people booked: it cannot shrink below them
        ("09:30", 1, 0),
    ]


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "  "}, "name", "Name"),
        ({"name": "办" * 101}, "name", "100"),
        ({"location": ""}, "location", "Location"),
        ({"duration_minutes": 0}, "duration_minutes", "Duration"),
        ({"purposes": ["", " "]}, "purposes", "at least one"),
        ({"purposes": [f"事项{n}" for n in range(21)]}, "purposes", "20"),
        ({"purposes": ["长" * 51]}, "purposes", "50"),
        ({"materials": ["材" * 101]}, "materials", "100"),
    ],
)
def test_service_input_is_checked(
    admin: StaffUser, village: Village, changes: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(CatalogueError) as refused:
        catalogue.create_service(admin, _input(**changes), None, village)
    assert refused.value.field == field
    assert words in str(refused.value)


def test_lists_are_cleaned(admin: StaffUser, village: Village) -> None:
    made = catalogue.create_service(
        admin,
        _input(materials=[" 身份证 ", "", "身份证", "户口簿"], purposes=["道路", "  路灯"]),
        None,
        village,
    )
    assert made.materials == ["身份证", "户口簿"]
    assert made.purposes == ["道路", "路灯"]


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([HoursInput(7, time(9), time(10), 30, 3)], "hours-0-weekday"),
        ([HoursInput(0, time(10), time(9), 30, 3)], "hours-0-closes"),
        ([HoursInput(0, time(9), time(10), 4, 3)], "hours-0-slot_minutes"),
        ([HoursInput(0, time(9), time(17), 241, 3)], "hours-0-slot_minutes"),
        ([HoursInput(0, time(9), time(9, 20), 30, 3)], "hours-0-slot_minutes"),
        ([HoursInput(0, time(9), time(10), 30, 0)], "hours-0-capacity"),
        ([HoursInput(0, time(9), time(10), 30, 201)], "hours-0-capacity"),
        (
            [HoursInput(0, time(9), time(11), 30, 3), HoursInput(0, time(10), time(12), 30, 3)],
            "hours-1-opens",
        ),
    ],
)
def test_hours_are_checked(
    service: Service, admin: StaffUser, hours: list[HoursInput], field: str
) -> None:
    with pytest.raises(CatalogueError) as refused:
        catalogue.set_hours(admin, service, hours)
    assert refused.value.field == field


def test_adjacent_periods_and_other_days_do_not_overlap(service: Service, admin: StaffUser) -> None:
    catalogue.set_hours(
        admin,
        service,
        [
            HoursInput(0, time(8, 30), time(12), 30, 3),
            HoursInput(0, time(12), time(13), 30, 3),
            HoursInput(1, time(8, 30), time(12), 30, 3),
        ],
    )
    db.session.commit()
    assert len(service.hours) == 3


def test_a_request_service_has_no_hours(admin: StaffUser, village: Village) -> None:
    made = catalogue.create_service(admin, _input(kind=ServiceKind.REQUEST), None, village)
    with pytest.raises(CatalogueError):
        catalogue.set_hours(admin, made, _hours(0))
    with pytest.raises(CatalogueError) as refused:
        catalogue.update_service(admin, made, _input(kind=ServiceKind.SLOT))
    assert refused.value.field == "kind"


# --- scope and audit ----------------------------------------------------------------------------


def test_scope_of_each_role(
    make_village: Callable[..., Village], make_staff: Callable[..., StaffUser]
) -> None:
    mine = make_village("330327100201", "渡龙村")
    neighbour = make_village("330327100202", "坑垟村")
    other = make_village("330327101201", "南岙村")
    editor = make_staff(Role.EDITOR, village=mine)
    reviewer = make_staff(Role.REVIEWER, town=mine.town)
    county = make_staff(Role.COUNTY)

    own = catalogue.create_service(editor, _input(), None, mine)
    for place in ({"town": None, "village": neighbour}, {"town": mine.town, "village": None}):
        with pytest.raises(NotAllowed):
            catalogue.create_service(editor, _input(), **place)
    with pytest.raises(NotAllowed):
        catalogue.create_service(editor, _input(), None, None)

    town = catalogue.create_service(reviewer, _input(), mine.town, None)
    next_door = catalogue.create_service(reviewer, _input(), None, neighbour)
    for place in ({"town": None, "village": other}, {"town": other.town, "village": None}):
        with pytest.raises(NotAllowed):
            catalogue.create_service(reviewer, _input(), **place)
    with pytest.raises(NotAllowed):
        catalogue.create_service(reviewer, _input(), None, None)

    whole = catalogue.create_service(county, _input(), None, None)
    far = catalogue.create_service(county, _input(), None, other)
    db.session.commit()

    def ids(user: StaffUser) -> set[int]:
        return {s.id for s in catalogue.services_in_scope(scope_of(user))}

    assert ids(editor) == {own.id}
    assert ids(reviewer) == {own.id, town.id, next_door.id}
    assert ids(county) == {own.id, town.id, next_door.id, whole.id, far.id}
    assert catalogue.service_in_scope(scope_of(editor), town.id) is None
    assert catalogue.service_in_scope(scope_of(reviewer), far.id) is None
    assert catalogue.service_in_scope(scope_of(reviewer), own.id) is own
    with pytest.raises(NotAllowed):
        catalogue.update_service(editor, town, _input(name="改名"))
    with pytest.raises(NotAllowed):
        catalogue.set_override(reviewer, whole, date(2026, 12, 12), False, "")


def test_every_change_is_audited(service: Service, admin: StaffUser) -> None:
    catalogue.update_service(admin, service, _input(name="社保卡补换"))
    catalogue.set_active(admin, service, False)
    catalogue.set_active(admin, service, True)
    catalogue.set_override(admin, service, date(2026, 12, 12), True, "")
    catalogue.remove_override(admin, service, date(2026, 12, 12))
    db.session.commit()
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "service", AuditEvent.object_id == str(service.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "service.create",
        "service.hours",
        "service.update",
        "service.deactivate",
        "service.activate",
        "service.override",
        "service.override_remove",
    ]
    assert all(e.actor_name == admin.username for e in events)
    assert events[2].detail == {"fields": ["name"]}
    assert events[1].detail["hours"][0] == "0 09:00-10:00 30min x3"


# --- what residents see -------------------------------------------------------------------------


def test_services_for_village(make_village: Callable[..., Village], admin: StaffUser) -> None:
    mine = make_village("330327100201", "渡龙村")
    neighbour = make_village("330327100202", "坑垟村")
    other = make_village("330327101201", "南岙村")
    offered = [
        catalogue.create_service(admin, _input(name="县"), None, None),
        catalogue.create_service(admin, _input(name="镇"), mine.town, None),
        catalogue.create_service(admin, _input(name="村", kind=ServiceKind.REQUEST), None, mine),
    ]
    catalogue.create_service(admin, _input(name="邻村"), None, neighbour)
    catalogue.create_service(admin, _input(name="外镇"), other.town, None)
    hidden = catalogue.create_service(admin, _input(name="停办"), None, mine)
    catalogue.set_active(admin, hidden, False)
    db.session.commit()
    assert [s.name for s in catalogue.services_for_village(mine)] == ["村", "镇", "县"]
    assert {s.id for s in catalogue.services_for_village(mine)} == {s.id for s in offered}
    assert [s.name for s in catalogue.services_for_village(mine, ServiceKind.SLOT)] == ["镇", "县"]


def test_open_and_next_free_slots(service: Service, make_slot: Callable[..., Slot]) -> None:
    now = utcnow()
    past = make_slot(service, starts_at=now - timedelta(hours=1))
    full, *free = (make_slot(service, starts_at=now + timedelta(hours=n)) for n in range(1, 6))
    db.session.execute(update(Slot).where(Slot.id == full.id).values(booked=Slot.capacity))
    db.session.commit()
    assert [s.id for s in catalogue.open_slots(service, now)] == [s.id for s in free]
    assert past.id in {s.id for s in catalogue.open_slots(service, now - timedelta(hours=2))}
    assert [s.id for s in catalogue.open_slots(service, now, limit=2)] == [s.id for s in free[:2]]
    assert [s.id for s in catalogue.next_free_slots(service.id, now)] == [s.id for s in free[:3]]
    assert catalogue.next_free_slots(service.id, free[-1].starts_at) == []
