"""Services, their opening hours and slots, and the bookings and requests residents make.

A *service* is offered by the county, a town or a village. A slot service (e.g. 社保卡办理) is
booked by time: staff set weekly opening hours with a capacity per slot, and slots are generated
on China's working days (see ``doorplate.workdays``) with the exceptions in ``calendar_override``.
A request service (报事报修, 办事申请) takes requests without a slot. Bookings and requests share
one table and one lifecycle: submitted → confirmed → completed | no_show, or cancelled by the
resident, or rejected (with a reason) by staff. ``completed`` is the 办结 the county reports.

The database enforces what concurrency must never break, whatever the code does: a slot's
``booked`` stays within ``0..capacity``; one household holds at most one active booking per slot;
one idempotency key makes at most one booking per household.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from doorplate.db import UTCDateTime, db, str_enum, utcnow
from doorplate.places.models import Household, Town, Village
from doorplate.staff.models import StaffUser


class ServiceScope(enum.StrEnum):
    COUNTY = "county"  # offered to every village
    TOWN = "town"  # offered to every village of the town
    VILLAGE = "village"


class ServiceKind(enum.StrEnum):
    SLOT = "slot"  # booked for a time slot
    REQUEST = "request"  # submitted without a slot: 报事报修, 办事申请


class BookingStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"  # 办结
    CANCELLED = "cancelled"  # by the resident
    NO_SHOW = "no_show"
    REJECTED = "rejected"  # by staff, with a reason


ACTIVE_STATUSES = frozenset({BookingStatus.SUBMITTED, BookingStatus.CONFIRMED})

STATUS_LABELS = {
    BookingStatus.SUBMITTED: _l("received"),
    BookingStatus.CONFIRMED: _l("confirmed"),
    BookingStatus.COMPLETED: _l("completed"),
    BookingStatus.CANCELLED: _l("cancelled"),
    BookingStatus.NO_SHOW: _l("did not come"),
    BookingStatus.REJECTED: _l("rejected"),
}

_SCOPE_MATCHES_PLACE = (
    "(scope = 'county' AND town_id IS NULL AND village_id IS NULL)"
    " OR (scope = 'town' AND town_id IS NOT NULL AND village_id IS NULL)"
    " OR (scope = 'village' AND town_id IS NULL AND village_id IS NOT NULL)"
)


class Service(db.Model):
    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint(_SCOPE_MATCHES_PLACE, name="scope_matches_place"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[ServiceScope] = mapped_column(str_enum(ServiceScope, "service_scope"))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind, "service_kind"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")  # what it is for
    materials: Mapped[list[str]] = mapped_column(JSON, default=list)  # 所需材料, one per entry
    location: Mapped[str] = mapped_column(String(200))  # service hall, village office, ...
    duration_minutes: Mapped[int]
    # What a resident may give as the purpose (or, for requests, the category): a fixed list, so
    # nobody is invited to type health or welfare details into a free-text box.
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    town: Mapped[Town | None] = relationship()
    village: Mapped[Village | None] = relationship()
    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="service",
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.opens)",
    )


class OpeningHours(db.Model):
    """One weekly opening period of a slot service, cut into slots of ``slot_minutes``."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),  # 0 = Monday
        CheckConstraint("opens < closes", name="opens_before_closes"),
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    weekday: Mapped[int]
    opens: Mapped[time] = mapped_column(Time)  # county local time
    closes: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int]
    capacity: Mapped[int]  # people per slot

    service: Mapped[Service] = relationship(back_populates="hours")


class CalendarOverride(db.Model):
    """A service's exception to the national calendar: a closure, or an extra opening day."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("service_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    day: Mapped[date] = mapped_column(Date)
    is_open: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    service: Mapped[Service] = relationship()


class Slot(db.Model):
    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("service_id", "starts_at"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)  # changed only in SQL, never in Python
    # A slot the calendar or the hours no longer want but that bookings still point at: it takes
    # no new booking, and comes back to life if its time is wanted again.
    closed: Mapped[bool] = mapped_column(default=False)

    service: Mapped[Service] = relationship()


class Booking(db.Model):
    """A booking of a slot, or a request (``slot_id`` NULL), made from a household's plate."""

    __tablename__ = "booking"
    __table_args__ = (
        UniqueConstraint("reference"),
        UniqueConstraint("household_id", "idempotency_key"),
        CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL", name="reject_reason"),
        CheckConstraint(
            "status <> 'completed' OR completed_at IS NOT NULL", name="completed_has_time"
        ),
        # One active booking per household and slot; requests (no slot) are not limited here.
        Index(
            "uq_booking_active_per_slot",
            "slot_id",
            "household_id",
            unique=True,
            sqlite_where=text("status IN ('submitted', 'confirmed') AND slot_id IS NOT NULL"),
            postgresql_where=text("status IN ('submitted', 'confirmed') AND slot_id IS NOT NULL"),
        ),
        # The console's queues: a place's bookings by status and time; the 办结 tally.
        Index("ix_booking_village_status", "village_id", "status", "created_at"),
        Index("ix_booking_completed", "status", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    status: Mapped[BookingStatus] = mapped_column(
        str_enum(BookingStatus, "booking_status"), default=BookingStatus.SUBMITTED
    )
    # Minimal contact data, purged BOOKING_RETENTION_DAYS after the booking is closed.
    contact_name: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(100))  # one of the service's purposes
    description: Mapped[str | None] = mapped_column(Text)  # a request's short description
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # any final status
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    staff_note: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service: Mapped[Service] = relationship()
    slot: Mapped[Slot | None] = relationship()
    household: Mapped[Household] = relationship()
    village: Mapped[Village] = relationship()
    handled_by: Mapped[StaffUser | None] = relationship()


class RequestPhoto(db.Model):
    """The optional photo of a request, re-encoded like a post's images; purged with the contact."""

    __tablename__ = "request_photo"

    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
