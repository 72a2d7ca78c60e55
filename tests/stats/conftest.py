"""A generated county whose every figure is known, for the tallies and the report.

Two towns, three villages; households active and inactive; plates active, revoked (before and
after the year's end), replaced and never installed; visits either side of midnight and of the
year's end in county time, some recorded through the real recorder (a repeat within 30 minutes
and a bot that must not count); posts in every status and category at village, town and county
level; bookings and requests in every status. Times are county times (Asia/Shanghai, UTC+8), so
an event at 00:30 on 1 January 2022 is still 2021 in UTC and must count in 2022.

The expected figures are worked out by hand in the tests, from the comments here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from doorplate.bookings.models import (
    Booking,
    BookingStatus,
    Service,
    ServiceKind,
    ServiceScope,
    Slot,
)
from doorplate.db import db
from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.plates.models import Plate, PlateStatus
from doorplate.publications.models import Category, Post, PostScope, PostStatus
from doorplate.staff.models import Role, StaffUser
from doorplate.visits import service as visits
from doorplate.visits.models import Visit

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Chrome/107.0 Mobile MicroMessenger/8.0"
BOT = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A county time, as the aware UTC datetime the database keeps."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass(frozen=True)
class County:
    """The generated county's ids, as plain values."""

    town_a: int
    town_b: int
    village_a1: int
    village_a2: int
    village_b1: int
    household_h4: int  # deactivated in July 2021


@dataclass(frozen=True)
class Opened:
    plate_id: int
    household_id: int
    village_id: int


@pytest.fixture
def county(
    app: Flask,
    make_town: Callable[..., Town],
    make_village: Callable[..., Village],
    make_staff: Callable[..., StaffUser],
) -> County:
    town_a = make_town("330327100", "灵溪镇")
    town_b = make_town("330327101", "钱库镇")
    a1 = make_village("330327100201", "渡龙村", town_a)
    a2 = make_village("330327100202", "上垟村", town_a)
    b1 = make_village("330327101201", "项东村", town_b)
    author = make_staff(Role.ADMIN, username="author")
    publisher = make_staff(Role.ADMIN, username="publisher")
    tokens = iter(f"T{n:015d}" for n in range(1, 1000))

    def household(
        village: Village, created: datetime, deactivated: datetime | None = None
    ) -> Household:
        row = Household(
            village=village,
            address=f"{village.name}{next(tokens)}号",
            status=HouseholdStatus.ACTIVE,
            created_at=created,
        )
        if deactivated is not None:
            row.deactivate(deactivated)
        db.session.add(row)
        return row

    def plate(
        owner: Household,
        installed: datetime | None,
        revoked: datetime | None = None,
        generation: int = 1,
    ) -> Plate:
        row = Plate(
            household=owner,
            token=next(tokens),
            generation=generation,
            status=PlateStatus.REVOKED if revoked else PlateStatus.ACTIVE,
            issued_at=installed or local(2020, 5, 1),
            installed_at=installed,
            revoked_at=revoked,
        )
        db.session.add(row)
        return row

    before = local(2020, 1, 1)
    # A1: h1 and h2 covered (h2 from March 2021), h3 never installed, h4 deactivated at noon on
    # 1 July 2021 (registered and covered until then).
    h1 = household(a1, before)
    p1 = plate(h1, local(2020, 6, 1))
    h2 = household(a1, before)
    p2 = plate(h2, local(2021, 3, 10))
    h3 = household(a1, before)
    plate(h3, None)
    h4 = household(a1, before, deactivated=local(2021, 7, 1))
    plate(h4, local(2020, 6, 1))
    # A2: h5's plate replaced (revoked in May, the new one installed in June), h6's revoked in
    # February 2022, h7 registered only in 2022.
    h5 = household(a2, before)
    plate(h5, local(2020, 6, 1), revoked=local(2021, 5, 10), generation=1)
    p5 = plate(h5, local(2021, 6, 5), generation=2)
    h6 = household(a2, before)
    plate(h6, local(2020, 6, 1), revoked=local(2022, 2, 1))
    h7 = household(a2, local(2022, 1, 10))
    plate(h7, local(2022, 1, 15))
    # B1: h8 installed half an hour before 2022, h9's plate revoked in August and not
    # replaced, h10's installed half an hour into 2022 (still 2021 in UTC).
    h8 = household(b1, before)
    p8 = plate(h8, local(2021, 12, 31, 23, 30))
    h9 = household(b1, before)
    plate(h9, local(2020, 6, 1), revoked=local(2021, 8, 20))
    h10 = household(b1, before)
    plate(h10, local(2022, 1, 1, 0, 30))
    db.session.flush()

    def visit(owner: Plate, at: datetime, key: str) -> None:
        db.session.add(
            Visit(
                plate_id=owner.id,
                household_id=owner.household_id,
                village_id=owner.household.village_id,
                occurred_at=at,
                visitor_key=key.ljust(16, "0"),
            )
        )

    visit(p1, local(2020, 12, 31, 23, 50), "k1")  # 2020: cumulative only
    visit(p1, local(2021, 1, 1, 0, 10), "k1")
    visit(p1, local(2021, 1, 15, 10, 0), "k1")  # the same key on another day: another visitor
    visit(p1, local(2021, 1, 15, 10, 45), "k1")
    visit(p1, local(2021, 3, 2), "k2")
    visit(p5, local(2021, 6, 10), "k3")
    visit(p5, local(2021, 6, 10), "k4")
    visit(p5, local(2021, 12, 31, 23, 59), "k3")
    visit(p5, local(2022, 1, 1, 0, 1), "k5")  # 2022 in county time
    visit(p8, local(2021, 12, 31, 20, 0), "k6")
    visit(p8, local(2021, 2, 1, 23, 50), "k7")  # one UTC day, two county days
    visit(p8, local(2021, 2, 2, 0, 10), "k7")
    visit(p8, local(2021, 3, 2), "k2")  # the same visitor as in A1 that day
    db.session.commit()
    # Through the recorder: counted at 10:00 and 10:45; the repeat at 10:10 and the bot don't.
    opened = Opened(p2.id, p2.household_id, a1.id)
    for minute, agent in ((0, PHONE), (10, PHONE), (20, BOT), (45, PHONE)):
        visits.record(
            opened,
            method="GET",
            remote_addr="203.0.113.9",
            user_agent=agent,
            now=local(2021, 7, 1, 10, minute),
        )
    db.session.commit()

    def post(
        category: Category,
        status: PostStatus,
        live: datetime | None = None,
        *,
        village: Village | None = None,
        town: Town | None = None,
        approved: datetime | None = None,
        withdrawn: datetime | None = None,
        **fields: object,
    ) -> None:
        scope = PostScope.VILLAGE if village else PostScope.TOWN if town else PostScope.COUNTY
        db.session.add(
            Post(
                scope=scope,
                village=village,
                town=town,
                category=category,
                title=f"{category} {status}",
                status=status,
                author=author,
                publisher=publisher if live else None,
                reviewer=publisher if live else None,
                publish_at=live,
                published_at=approved or live,
                withdrawn_at=withdrawn,
                **fields,
            )
        )

    live, done = PostStatus.PUBLISHED, PostStatus.WITHDRAWN
    post(Category.AFFAIRS, live, local(2021, 2, 1), village=a1)
    # Approved in 2020, scheduled for January 2021: counts in 2021.
    post(Category.FINANCE, live, local(2021, 1, 5), village=a1, approved=local(2020, 12, 20))
    post(Category.PARTY, done, local(2021, 4, 1), village=a1, withdrawn=local(2021, 5, 1))
    # Withdrawn before its publish time: never seen, never counts.
    post(
        Category.AFFAIRS,
        done,
        local(2021, 6, 10),
        village=a1,
        approved=local(2021, 6, 1),
        withdrawn=local(2021, 6, 5),
    )
    post(Category.AFFAIRS, PostStatus.DRAFT, village=a1)
    post(Category.AFFAIRS, PostStatus.SUBMITTED, village=a2)
    post(Category.FINANCE, PostStatus.REJECTED, village=a2, reject_reason="数据有误")
    post(Category.NOTICE, live, local(2021, 12, 31, 23, 0), village=a2)
    post(Category.AFFAIRS, live, local(2022, 1, 1, 0, 30), village=a2)  # 2022 in county time
    post(Category.POLICY, live, local(2021, 7, 1), town=town_a)
    post(Category.PARTY, live, local(2021, 8, 1), town=town_b)
    post(Category.FINANCE, live, local(2021, 9, 1))  # the county's own
    post(Category.DISCLOSURE, live, local(2020, 11, 1))  # 2020: cumulative only
    post(Category.AFFAIRS, live, local(2021, 10, 10), village=b1)
    # Expired since, but it went live in 2021.
    post(
        Category.DISCLOSURE,
        live,
        local(2021, 10, 10),
        village=b1,
        has_personal_data=True,
        expires_at=local(2021, 10, 20),
    )

    slot_service = Service(
        scope=ServiceScope.COUNTY,
        kind=ServiceKind.SLOT,
        name="社保卡办理",
        location="便民中心",
        duration_minutes=30,
    )
    request_service = Service(
        scope=ServiceScope.COUNTY,
        kind=ServiceKind.REQUEST,
        name="报事报修",
        location="村委",
        duration_minutes=30,
    )
    slot = Slot(
        service=slot_service,
        starts_at=local(2021, 3, 1, 9),
        ends_at=local(2021, 3, 1, 9, 30),
        capacity=50,
    )
    db.session.add_all([slot_service, request_service, slot])
    references = iter(range(1, 100))

    def booking(
        owner: Household,
        status: BookingStatus,
        created: datetime,
        closed: datetime | None = None,
        *,
        with_slot: bool,
    ) -> None:
        number = next(references)
        db.session.add(
            Booking(
                reference=f"R{number:05d}",
                service=slot_service if with_slot else request_service,
                slot=slot if with_slot else None,
                household=owner,
                village=owner.village,
                status=status,
                purpose="新办",
                idempotency_key=f"key-{number}",
                created_at=created,
                completed_at=closed if status is BookingStatus.COMPLETED else None,
                closed_at=closed,
                reject_reason="材料不全" if status is BookingStatus.REJECTED else None,
            )
        )

    completed, cancelled = BookingStatus.COMPLETED, BookingStatus.CANCELLED
    # Completed in 2021, handled in 3 h, 48 h, 72 h (received in 2020) and 30 min.
    booking(h1, completed, local(2021, 3, 1, 9), local(2021, 3, 1, 12), with_slot=True)
    booking(h2, completed, local(2021, 3, 5, 8), local(2021, 3, 7, 8), with_slot=False)
    booking(h5, completed, local(2020, 12, 30, 10), local(2021, 1, 2, 10), with_slot=False)
    booking(h8, completed, local(2021, 6, 1, 10), local(2021, 6, 1, 10, 30), with_slot=False)
    # Received in 2021, completed half an hour into 2022.
    booking(h8, completed, local(2021, 12, 31, 10), local(2022, 1, 1, 0, 30), with_slot=True)
    booking(h3, cancelled, local(2021, 4, 1), local(2021, 4, 2), with_slot=True)
    # Received in 2020, cancelled half an hour into 2021 (still 2020 in UTC).
    booking(h5, cancelled, local(2020, 12, 1), local(2021, 1, 1, 0, 30), with_slot=True)
    booking(h9, BookingStatus.NO_SHOW, local(2021, 5, 1), local(2021, 5, 3), with_slot=True)
    booking(h6, BookingStatus.REJECTED, local(2021, 6, 1), local(2021, 6, 2), with_slot=False)
    booking(h10, BookingStatus.SUBMITTED, local(2021, 11, 1), with_slot=False)
    booking(h1, BookingStatus.CONFIRMED, local(2021, 11, 2), with_slot=True)
    db.session.commit()
    return County(town_a.id, town_b.id, a1.id, a2.id, b1.id, h4.id)
