"""The booking form's two taps: a day among the next ones with a free place, then a time of it.

Fifty radio buttons over four days put the submit button six screens down on a phone; a few
day chips and the chosen day's times keep it within two. Which days are shown is worked out
from the request alone (the chosen day, or a slot asked for from the services page), so the
form needs no JavaScript and no session: a chip is a submit button of the same form, and the
page it answers is this picker for that day with what was typed kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, select

from doorplate.bookings.models import Service, Slot
from doorplate.db import db
from doorplate.i18n import county_zone

DAYS_SHOWN = 5  # chips at a time: two rows on a 360 px phone, with "later days"


@dataclass(frozen=True)
class DayPicker:
    """The chips of one window of days, the chosen day and its free slots."""

    days: list[date]
    chosen: date | None
    slots: list[Slot]
    earlier: date | None  # the day an "earlier days" chip opens, if any
    later: date | None


def _open(service: Service, now: datetime) -> ColumnElement[bool]:
    return and_(
        Slot.service_id == service.id,
        Slot.starts_at > now,
        Slot.booked < Slot.capacity,
        Slot.closed.is_(False),
    )


def open_days(service: Service, now: datetime) -> list[date]:
    """The county days on which the service has a future slot with a place left, soonest first."""
    zone = county_zone()
    starts = db.session.scalars(
        select(Slot.starts_at).where(_open(service, now)).order_by(Slot.starts_at)
    )
    return list(dict.fromkeys(start.astimezone(zone).date() for start in starts))


def slots_on(service: Service, day: date, now: datetime) -> list[Slot]:
    """The service's free slots that start on ``day`` in the county, in time order."""
    zone = county_zone()
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    return list(
        db.session.scalars(
            select(Slot)
            .where(_open(service, now), Slot.starts_at >= start, Slot.starts_at < end)
            .order_by(Slot.starts_at)
        )
    )


def slot_day(service: Service, slot_id: int, now: datetime) -> date | None:
    """The county day of the service's free slot ``slot_id`` (a services page link), if any."""
    starts = db.session.scalar(
        select(Slot.starts_at).where(_open(service, now), Slot.id == slot_id)
    )
    return None if starts is None else starts.astimezone(county_zone()).date()


def pick(service: Service, now: datetime, wanted: date | None) -> DayPicker:
    """The picker showing ``wanted`` if it has a free place; else the first later day that has
    one (a day that filled up meanwhile), else the first day."""
    days = open_days(service, now)
    if not days:
        return DayPicker([], None, [], None, None)
    chosen = next((d for d in days if wanted is None or d >= wanted), days[0])
    first = days.index(chosen) // DAYS_SHOWN * DAYS_SHOWN
    last = first + DAYS_SHOWN
    return DayPicker(
        days=days[first:last],
        chosen=chosen,
        slots=slots_on(service, chosen, now),
        earlier=days[first - 1] if first else None,
        later=days[last] if last < len(days) else None,
    )


def parse_day(raw: str | None) -> date | None:
    """A day chip's value (``2030-03-05``), or None for anything else."""
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return None
