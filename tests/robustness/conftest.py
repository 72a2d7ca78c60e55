"""The robustness tests' county: the demo county (towns, villages, households with plates,
published posts, services with slots, staff) plus what the demo lacks, a post with an attachment,
a booking and a request with a photo, so that every route has real values to be pointed at.

The app answers as in production (an exception is a 500 page, not a test error) with the plate
page cache on, so that the scan's fast path is walked too, and with the rate limits far above
what a walk sends: a refusal would hide the answer behind it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from doorplate.bookings import service as bookings
from doorplate.bookings.models import Service, ServiceKind, Slot
from doorplate.config import DEFAULTS
from doorplate.db import db
from doorplate.demo import DEMO_STAFF, DULONG, seed_if_empty
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates
from doorplate.publications import attachments
from doorplate.publications import service as publications
from doorplate.publications.models import Category
from doorplate.staff.models import Role, StaffUser

TITLE = "消防演练通知"  # the demo has no other post with these words
ADMIN, ADMIN_PASSWORD = next((s[0], s[5]) for s in DEMO_STAFF if s[2] is Role.ADMIN)
RATE_LIMITS = [k for k, v in DEFAULTS.items() if k.endswith("_LIMIT") and " per " in str(v)]


@dataclass(frozen=True)
class Known:
    """Real values for the URL arguments of every route, by argument name."""

    values: dict[str, str]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def walk_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(
        PROPAGATE_EXCEPTIONS=False,
        RESIDENT_PAGE_CACHE_SECONDS=30,
        **dict.fromkeys(RATE_LIMITS, "1000000 per minute"),
    )


@pytest.fixture
def known(walk_app: Flask) -> Known:
    with walk_app.app_context():
        assert seed_if_empty()
        village = db.session.scalar(select(Village).where(Village.code == DULONG))
        assert village is not None
        household = db.session.scalars(
            select(Household).where(Household.village_id == village.id).order_by(Household.id)
        ).first()
        assert household is not None
        plate = plates.active_plate(household)
        assert plate is not None
        staff = {u.username: u for u in db.session.scalars(select(StaffUser))}
        editor = next(u for u in staff.values() if u.village_id == village.id)
        reviewer = next(u for u in staff.values() if u.role is Role.REVIEWER)
        post = publications.create_post(
            editor, category=Category.NOTICE, title=TITLE, body="周三演练。", village=village
        )
        attachment = attachments.add_attachment(editor, post, "map.png", png())
        publications.submit(editor, post)
        publications.approve(reviewer, post)
        services = db.session.scalars(select(Service).order_by(Service.id)).all()
        slot_service = next(s for s in services if s.kind is ServiceKind.SLOT)
        request_service = next(s for s in services if s.kind is ServiceKind.REQUEST)
        soon = datetime.now(UTC) + timedelta(days=1)
        slot = db.session.scalar(
            select(Slot).where(Slot.service_id == slot_service.id, Slot.starts_at > soon).limit(1)
        )
        assert slot is not None, "the demo's services have no slots to book"
        booking, _ = bookings.book(
            household,
            bookings.BookingInput(slot.id, "王", "13800138000", slot_service.purposes[0], "walk-1"),
        )
        bookings.submit_request(
            household,
            bookings.RequestInput(
                request_service.id,
                request_service.purposes[0],
                "路灯坏了",
                "王",
                "13800138000",
                "walk-2",
                photo=png(),
            ),
        )
        db.session.commit()
        return Known(
            {
                "token": plate.token,
                "code": village.code,
                "village_code": village.code,
                "town_code": village.town.code,
                "category": Category.AFFAIRS.value,
                "post_id": str(post.id),
                "attachment_id": str(attachment.id),
                "household_id": str(household.id),
                "plate_id": str(plate.id),
                "service_id": str(slot_service.id),
                "staff_id": str(editor.id),
                "reference": booking.reference,
                "filename": "css/staff.css",
                "size": "large",
            }
        )
