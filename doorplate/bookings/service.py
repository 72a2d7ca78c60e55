"""Booking and request use cases: book a slot without ever overbooking, submit a request, look up
and cancel by reference, staff handling, the 办结 count, reminders and retention.

Concurrency is settled by the database, never by a read followed by a write:

- a place is taken by ``UPDATE slot SET booked = booked + 1 WHERE booked < capacity AND
  starts_at > now``, checked by its row count, and the booking is inserted in the same savepoint,
  so a failed insert gives the place back; ``CHECK (booked <= capacity)`` backs it up;
- the unique indexes decide between simultaneous taps: one idempotency key makes one booking per
  household (a replay gets that booking back), and a household holds one active booking per slot;
- every status change is one conditional ``UPDATE ... WHERE status IN (...)`` checked by its row
  count, and a change that frees a place decrements ``booked`` only when it happened.

Staff handle the bookings of the households their scope covers (by the household's village), for
whichever service. Use cases add and flush; the request or command that called them commits.
Notifications are queued with :func:`notify.notify` and sent only after that commit.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from doorplate.bookings import catalogue, notify
from doorplate.bookings.models import (
    ACTIVE_STATUSES,
    STATUS_LABELS,
    Booking,
    BookingStatus,
    RequestPhoto,
    Service,
    ServiceKind,
    ServiceScope,
    Slot,
)
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.places.models import Household, Village
from doorplate.plates import tokens
from doorplate.publications import attachments
from doorplate.staff import audit
from doorplate.staff.models import StaffUser
from doorplate.staff.service import Scope, scope_of

REFERENCE_LENGTH = 8  # 40 random bits
REFERENCE_ATTEMPTS = 5  # a collision is a one-in-a-trillion event; five in a row never happen
NAME_MAX_LENGTH = 20
DESCRIPTION_MAX_LENGTH = 500
TEXT_MAX_LENGTH = 500  # a staff note or a reason for rejecting
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, as a header or a form sends it
PHONE_PATTERN = re.compile(r"1[3-9][0-9]{9}")  # a mainland mobile number
PHONE_SEPARATORS = str.maketrans("", "", " -")
NEXT_SLOTS = 3
LARGEST_ID = 2**31 - 1  # an INTEGER column: a larger id is no row, not a database error
# Control characters other than line breaks and tabs: PostgreSQL refuses NUL in text outright.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BookingError(Exception):
    """A booking use case refused; the message is translated and fit to show."""


class InvalidBooking(BookingError):
    """Some fields are wrong; ``errors`` maps each field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


class SlotFull(BookingError):
    """The slot has no place left; ``next_slots`` are the service's next ones that have."""

    def __init__(self, next_slots: list[Slot]) -> None:
        self.next_slots = next_slots
        super().__init__(_("This time is fully booked: please choose another one."))


class BookingNotFound(BookingError):
    """No booking with that reference and phone: which of the two was wrong is not said."""

    def __init__(self) -> None:
        super().__init__(
            _("No booking matches this reference and these digits: check both and try again.")
        )


class WrongStatus(BookingError):
    """The booking is not (or no longer) in a status the action applies to."""


class NotAllowed(BookingError):
    """The staff member's scope does not cover the booking's village."""


_REFUSED_BECAUSE = {
    "cancel": _l("This booking can no longer be cancelled: it is %(status)s."),
    "handle": _l("This booking has already been handled: it is %(status)s."),
}


@dataclass(frozen=True)
class BookingInput:
    slot_id: int
    contact_name: str
    phone: str
    purpose: str
    idempotency_key: str


@dataclass(frozen=True)
class RequestInput:
    service_id: int
    purpose: str
    description: str
    contact_name: str
    phone: str
    idempotency_key: str
    photo: bytes | None = None


# --- references -----------------------------------------------------------------------------


def new_reference() -> str:
    """A fresh reference: 8 random Crockford base32 characters."""
    return "".join(secrets.choice(tokens.ALPHABET) for _ in range(REFERENCE_LENGTH))


def reference_display(reference: str) -> str:
    """The reference as shown to people: ``K7M2-9QXD``."""
    return f"{reference[:4]}-{reference[4:]}"


def normalise_reference(raw: str) -> str | None:
    """The stored reference for what someone typed (any case, hyphens or spaces, O for 0, I or L
    for 1), or None if it cannot be one."""
    return tokens.canonical(raw, REFERENCE_LENGTH)


# --- validation -----------------------------------------------------------------------------


def _contact_errors(contact_name: str, phone: str) -> tuple[str, str, dict[str, str]]:
    """(clean name, clean phone, errors) for the contact fields."""
    errors: dict[str, str] = {}
    name = unicodedata.normalize("NFC", contact_name).strip()
    if not name:
        errors["contact_name"] = _("Give a name to ask for (a surname is enough).")
    elif len(name) > NAME_MAX_LENGTH:
        errors["contact_name"] = _(
            "The name may be at most %(n)d characters long.", n=NAME_MAX_LENGTH
        )
    elif any(ch.isdigit() or unicodedata.category(ch).startswith("C") for ch in name):
        errors["contact_name"] = _("The name cannot contain digits or control characters.")
    number = phone.translate(PHONE_SEPARATORS)
    if not PHONE_PATTERN.fullmatch(number):
        errors["phone"] = _("Give a mobile number of 11 digits, such as 138 0000 0000.")
    return name, number, errors


def _key_errors(key: str) -> dict[str, str]:
    if KEY_PATTERN.fullmatch(key):
        return {}
    return {"idempotency_key": _("The form has expired: please reload the page and try again.")}


def _purpose_errors(service: Service, purpose: str) -> dict[str, str]:
    if purpose in service.purposes:
        return {}
    return {"purpose": _("Choose one of the purposes listed.")}


def _offered_to(village: Village) -> ColumnElement[bool]:
    """Active services of the county, the village's town or the village itself."""
    return and_(
        Service.active.is_(True),
        or_(
            Service.scope == ServiceScope.COUNTY,
            Service.town_id == village.town_id,
            Service.village_id == village.id,
        ),
    )


# --- booking and requests -------------------------------------------------------------------


@dataclass
class _Checked:
    """What a booking or request check found: the cleaned values and every field's problem."""

    name: str
    phone: str
    errors: dict[str, str]
    slot: Slot | None = None
    service: Service | None = None
    description: str = ""
    photo: dict[str, Any] | None = None


def _check_booking(household: Household, data: BookingInput, now: datetime) -> _Checked:
    name, phone, errors = _contact_errors(data.contact_name, data.phone)
    slot = (
        None
        if not 1 <= data.slot_id <= LARGEST_ID
        else db.session.scalar(
            select(Slot)
            .join(Slot.service)
            .where(
                Slot.id == data.slot_id,
                Slot.starts_at > now,
                Slot.closed.is_(False),
                Service.kind == ServiceKind.SLOT,
                _offered_to(household.village),
            )
        )
    )
    if slot is None:
        errors["slot_id"] = _("This time cannot be booked: please choose one from the list.")
    else:
        errors |= _purpose_errors(slot.service, data.purpose)
    return _Checked(name, phone, errors, slot=slot)


def booking_errors(
    household: Household, data: BookingInput, now: datetime | None = None
) -> dict[str, str]:
    """Every field :func:`book` would refuse, without booking: a form that already found
    something missing still tells the resident everything else on the same answer."""
    return (
        _key_errors(data.idempotency_key) | _check_booking(household, data, now or utcnow()).errors
    )


def book(
    household: Household, data: BookingInput, now: datetime | None = None
) -> tuple[Booking, bool]:
    """Book a place in a slot for ``household``; (booking, created).

    A replay of the same idempotency key returns the first booking with ``created`` False, even
    if the slot has filled since. Only future slots of active slot services offered to the
    household's village can be booked; any other slot id is refused as if it did not exist.
    Raises :class:`InvalidBooking` (field by field) or :class:`SlotFull` (with the next free
    slots).
    """
    now = now or utcnow()
    errors = _key_errors(data.idempotency_key)
    if not errors and (replayed := _by_key(household.id, data.idempotency_key)) is not None:
        return replayed, False
    checked = _check_booking(household, data, now)
    errors |= checked.errors
    if errors:
        raise InvalidBooking(errors)
    slot = checked.slot
    assert slot is not None
    asked = (checked.name, checked.phone, data.purpose, data.idempotency_key)
    fields = dict(service_id=slot.service_id, slot_id=slot.id)
    return _create(household, asked, fields, slot, now)


def _check_request(household: Household, data: RequestInput) -> _Checked:
    name, phone, errors = _contact_errors(data.contact_name, data.phone)
    service = (
        None
        if not 1 <= data.service_id <= LARGEST_ID
        else db.session.scalar(
            select(Service).where(
                Service.id == data.service_id,
                Service.kind == ServiceKind.REQUEST,
                _offered_to(household.village),
            )
        )
    )
    if service is None:
        errors["service_id"] = _("This service does not take requests here.")
    else:
        errors |= _purpose_errors(service, data.purpose)
    description = unicodedata.normalize("NFC", data.description).replace("\r\n", "\n").strip()
    if not 1 <= len(description) <= DESCRIPTION_MAX_LENGTH:
        errors["description"] = _(
            "Describe the matter in 1 to %(n)d characters.", n=DESCRIPTION_MAX_LENGTH
        )
    elif CONTROL.search(description):
        errors["description"] = _("The description cannot contain control characters.")
    photo = None
    if data.photo:
        photo, photo_error = _photo(data.photo)
        if photo_error:
            errors["photo"] = photo_error
    return _Checked(name, phone, errors, service=service, description=description, photo=photo)


def request_errors(household: Household, data: RequestInput) -> dict[str, str]:
    """Every field :func:`submit_request` would refuse, without submitting (see
    :func:`booking_errors`)."""
    return _key_errors(data.idempotency_key) | _check_request(household, data).errors


def submit_request(
    household: Household, data: RequestInput, now: datetime | None = None
) -> tuple[Booking, bool]:
    """Submit a request (报事报修, 办事申请) for ``household``; (booking, created).

    The same idempotency rule as :func:`book`. The optional photo is checked and re-encoded like
    a post's images (JPEG or PNG only, EXIF and GPS stripped). Raises :class:`InvalidBooking`.
    """
    now = now or utcnow()
    errors = _key_errors(data.idempotency_key)
    if not errors and (replayed := _by_key(household.id, data.idempotency_key)) is not None:
        return replayed, False
    checked = _check_request(household, data)
    errors |= checked.errors
    if errors:
        raise InvalidBooking(errors)
    assert checked.service is not None
    asked = (checked.name, checked.phone, data.purpose, data.idempotency_key)
    fields = dict(service_id=checked.service.id, description=checked.description)
    booking, created = _create(household, asked, fields, None, now)
    if created and checked.photo is not None:
        db.session.add(RequestPhoto(booking_id=booking.id, **checked.photo))
        db.session.flush()
    return booking, created


def photo_received(booking: Booking) -> bool:
    """Whether a request's photo is kept: its done page confirms that it arrived."""
    return db.session.get(RequestPhoto, booking.id) is not None


def _photo(data: bytes) -> tuple[dict[str, Any] | None, str]:
    """(RequestPhoto fields, "") for an acceptable photo, or (None, why not)."""
    if attachments.detect(data) not in {attachments.JPEG, attachments.PNG}:
        return None, _("The photo must be a JPEG or PNG image.")
    try:
        media_type, content = attachments.checked_image(data, current_app.config)
    except attachments.Refused as refusal:
        return None, _("The photo was not accepted: %(reason)s.", reason=str(refusal))
    return {"media_type": media_type, "data": content, "size": len(content)}, ""


def _create(
    household: Household,
    asked: tuple[str, str, str, str],
    fields: dict[str, Any],
    slot: Slot | None,
    now: datetime,
) -> tuple[Booking, bool]:
    """Take a place (for a slot) and insert the booking in one savepoint: the household's
    validated ``asked`` (contact name, phone, purpose, idempotency key) and the kind's own
    ``fields`` (service, slot or description).

    When the insert hits a unique index, the savepoint (and the place) is given back and the
    winner decides: the same key → that booking; an active booking of the same slot → refused;
    only a reference collision is tried again with a new reference.
    """
    name, phone, purpose, key = asked
    attempts = 0
    while True:
        attempts += 1
        reference = new_reference()
        try:
            with db.session.begin_nested():
                if slot is not None and not _take_place(slot, now):
                    raise SlotFull(catalogue.next_free_slots(slot.service_id, now, NEXT_SLOTS))
                booking = Booking(
                    reference=reference,
                    household_id=household.id,
                    village_id=household.village_id,
                    contact_name=name,
                    phone=phone,
                    purpose=purpose,
                    idempotency_key=key,
                    created_at=now,
                    **fields,
                )
                db.session.add(booking)
                db.session.flush()
        except IntegrityError:
            if (existing := _by_key(household.id, key)) is not None:
                return existing, False
            if slot is not None and _holds_active(household.id, slot.id):
                raise InvalidBooking(
                    {"slot_id": _("This household already has a booking for this time.")}
                ) from None
            if attempts == REFERENCE_ATTEMPTS or not _reference_taken(reference):
                raise
            continue
        _notify("received", booking)
        return booking, True


def _take_place(slot: Slot, now: datetime) -> bool:
    taken = db.session.execute(
        update(Slot)
        .where(
            Slot.id == slot.id,
            Slot.booked < Slot.capacity,
            Slot.starts_at > now,
            Slot.closed.is_(False),
        )
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(slot, ["booked"])
    return bool(taken)


def _free_place(slot_id: int) -> None:
    db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def _by_key(household_id: int, key: str) -> Booking | None:
    return db.session.scalar(
        select(Booking).where(Booking.household_id == household_id, Booking.idempotency_key == key)
    )


def _holds_active(household_id: int, slot_id: int) -> bool:
    found = db.session.scalar(
        select(Booking.id).where(
            Booking.household_id == household_id,
            Booking.slot_id == slot_id,
            Booking.status.in_(ACTIVE_STATUSES),
        )
    )
    return found is not None


def _reference_taken(reference: str) -> bool:
    return db.session.scalar(select(Booking.id).where(Booking.reference == reference)) is not None


# --- the resident's lookup and cancellation -------------------------------------------------


def find_booking(reference: str, phone_last4: str) -> Booking:
    """The booking with ``reference`` whose phone ends in ``phone_last4``.

    An unknown reference, wrong digits and a purged phone all raise the same
    :class:`BookingNotFound`, and the digits are compared in constant time, so the lookup
    tells nobody which references exist.
    """
    normalised = normalise_reference(reference)
    booking = (
        None
        if normalised is None
        else db.session.scalar(select(Booking).where(Booking.reference == normalised))
    )
    expected = booking.phone[-4:] if booking is not None and booking.phone else "----"
    given = phone_last4.strip().encode()
    if not hmac.compare_digest(expected.encode(), given) or booking is None:
        raise BookingNotFound()
    return booking


def cancel(reference: str, phone_last4: str, now: datetime | None = None) -> Booking:
    """The resident cancels: a booking while submitted or confirmed and before its slot starts,
    a request while submitted. The place is freed in the same transaction."""
    now = now or utcnow()
    booking = find_booking(reference, phone_last4)
    if booking.slot is not None and booking.slot.starts_at <= now:
        raise WrongStatus(_("The time of this booking has passed: it can no longer be cancelled."))
    expected = ACTIVE_STATUSES if booking.slot_id is not None else {BookingStatus.SUBMITTED}
    _transition(booking, "cancel", expected, status=BookingStatus.CANCELLED, closed_at=now)
    if booking.slot_id is not None:
        _free_place(booking.slot_id)
    _notify("status", booking)
    return booking


# --- staff handling -------------------------------------------------------------------------


def _check_scope(actor: StaffUser, booking: Booking) -> None:
    if not scope_of(actor).covers(booking.village):
        raise NotAllowed(_("You may not handle bookings for this village."))


def _clean_text(text: str, field: str, required: bool) -> str | None:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()
    if required and not text:
        raise InvalidBooking({field: _("Say why, so the resident knows what to do.")})
    if CONTROL.search(text):
        raise InvalidBooking({field: _("This cannot contain control characters.")})
    if len(text) > TEXT_MAX_LENGTH:
        raise InvalidBooking(
            {field: _("This may be at most %(n)d characters long.", n=TEXT_MAX_LENGTH)}
        )
    return text or None


def confirm(actor: StaffUser, booking: Booking, now: datetime | None = None) -> Booking:
    """Staff accept a submitted booking or request."""
    now = now or utcnow()
    _check_scope(actor, booking)
    _transition(
        booking,
        "handle",
        {BookingStatus.SUBMITTED},
        status=BookingStatus.CONFIRMED,
        confirmed_at=now,
        handled_by_id=actor.id,
    )
    audit.record(actor, "booking.confirm", "booking", booking.reference)
    _notify("confirmed", booking)
    return booking


def complete(
    actor: StaffUser, booking: Booking, note: str = "", now: datetime | None = None
) -> Booking:
    """Staff record that the matter was dealt with (办结), with an optional note."""
    now = now or utcnow()
    _check_scope(actor, booking)
    staff_note = _clean_text(note, "note", required=False)
    _transition(
        booking,
        "handle",
        ACTIVE_STATUSES,
        status=BookingStatus.COMPLETED,
        completed_at=now,
        closed_at=now,
        handled_by_id=actor.id,
        staff_note=staff_note,
    )
    audit.record(actor, "booking.complete", "booking", booking.reference, note=bool(staff_note))
    _notify("status", booking)
    return booking


def mark_no_show(actor: StaffUser, booking: Booking, now: datetime | None = None) -> Booking:
    """Staff record that nobody came to a booked time, once that time has started."""
    now = now or utcnow()
    _check_scope(actor, booking)
    if booking.slot is None:
        raise WrongStatus(_("A request has no time to miss: complete or reject it instead."))
    if booking.slot.starts_at > now:
        raise WrongStatus(_("The booked time has not started yet."))
    _transition(
        booking,
        "handle",
        ACTIVE_STATUSES,
        status=BookingStatus.NO_SHOW,
        closed_at=now,
        handled_by_id=actor.id,
    )
    audit.record(actor, "booking.no_show", "booking", booking.reference)
    _notify("status", booking)
    return booking


def reject(actor: StaffUser, booking: Booking, reason: str, now: datetime | None = None) -> Booking:
    """Staff turn a booking or request down with a reason the resident will see; a booked place
    is freed. The reason stays out of the audit trail (it may quote the resident)."""
    now = now or utcnow()
    _check_scope(actor, booking)
    reject_reason = _clean_text(reason, "reason", required=True)
    _transition(
        booking,
        "handle",
        ACTIVE_STATUSES,
        status=BookingStatus.REJECTED,
        closed_at=now,
        handled_by_id=actor.id,
        reject_reason=reject_reason,
    )
    if booking.slot_id is not None:
        _free_place(booking.slot_id)
    audit.record(actor, "booking.reject", "booking", booking.reference)
    _notify("status", booking)
    return booking


def _transition(
    booking: Booking, action: str, expected: Collection[BookingStatus], **values: Any
) -> None:
    """One ``UPDATE`` that applies only if the booking is still in an ``expected`` status."""
    done = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status.in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(booking)
    if not done:
        raise WrongStatus(_REFUSED_BECAUSE[action] % {"status": STATUS_LABELS[booking.status]})


def _notify(event: str, booking: Booking) -> None:
    notify.notify(
        notify.Notification(
            event=event,
            booking_id=booking.id,
            reference=booking.reference,
            status=booking.status,
            phone=booking.phone,
            service_name=booking.service.name,
            starts_at=booking.slot.starts_at if booking.slot is not None else None,
        )
    )


# --- staff queries --------------------------------------------------------------------------


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    """Bookings made by households of the villages ``scope`` covers."""
    if scope.is_county:
        return true()
    if scope.village_id is not None:
        return Booking.village_id == scope.village_id
    return Booking.village_id.in_(select(Village.id).where(Village.town_id == scope.town_id))


def booking_in_scope(scope: Scope, reference: str) -> Booking | None:
    """The booking if ``scope`` covers its village; otherwise None, as for an unknown one."""
    normalised = normalise_reference(reference)
    if normalised is None:
        return None
    return db.session.scalar(
        select(Booking).where(Booking.reference == normalised, _in_scope(scope))
    )


@dataclass(frozen=True)
class BookingFilter:
    """Which bookings a console list shows: every condition given applies.

    ``day`` is a county-local day: a booking's slot starts on it, or a request was made on it.
    ``upcoming_only`` keeps bookings whose slot starts today (county time) or later, earliest
    first (the day's schedule); otherwise the list is a queue: open bookings first, earliest
    first, then the closed ones, most recent first.
    """

    kind: ServiceKind | None = None
    status: BookingStatus | None = None
    day: date | None = None
    service_id: int | None = None
    upcoming_only: bool = False


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a county-local day starts and ends."""
    zone = county_zone()
    start = datetime.combine(day, time(), zone)
    return start, datetime.combine(day + timedelta(days=1), time(), zone)


def bookings_in_scope(
    scope: Scope, flt: BookingFilter, page: int, per_page: int
) -> tuple[list[Booking], int]:
    """One page of the bookings in ``scope`` matching ``flt``, and the number of matches, with
    their services, slots and villages loaded (the lists show them)."""
    when = func.coalesce(Slot.starts_at, Booking.created_at)
    query = select(Booking).outerjoin(Booking.slot).join(Booking.service).where(_in_scope(scope))
    if flt.kind is not None:
        query = query.where(Service.kind == flt.kind)
    if flt.status is not None:
        query = query.where(Booking.status == flt.status)
    if flt.service_id is not None:
        query = query.where(Booking.service_id == flt.service_id)
    if flt.day is not None:
        start, end = _day_bounds(flt.day)
        query = query.where(when >= start, when < end)
    if flt.upcoming_only:
        today = utcnow().astimezone(county_zone()).date()
        query = query.where(Slot.starts_at >= _day_bounds(today)[0])
        query = query.order_by(when, Booking.id)
    else:
        is_open = Booking.status.in_(ACTIVE_STATUSES)
        query = query.order_by(
            case((is_open, 0), else_=1),
            case((is_open, when)),
            case((is_open, None), else_=when).desc(),
            Booking.id,
        )
    result = db.paginate(
        query.options(
            joinedload(Booking.service), joinedload(Booking.slot), joinedload(Booking.village)
        ),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return list(result.items), result.total or 0


def completed_count(
    scope: Scope, start: datetime | None = None, end: datetime | None = None
) -> int:
    """办结: bookings and requests completed in ``[start, end)`` in ``scope``."""
    query = select(func.count(Booking.id)).where(
        Booking.status == BookingStatus.COMPLETED, _in_scope(scope)
    )
    if start is not None:
        query = query.where(Booking.completed_at >= start)
    if end is not None:
        query = query.where(Booking.completed_at < end)
    return db.session.scalar(query) or 0


def completed_this_year(scope: Scope, now: datetime | None = None) -> int:
    """办结 in ``scope`` since 1 January, county time: the figure the console shows."""
    zone = county_zone()
    year = (now or utcnow()).astimezone(zone).year
    start = datetime.combine(date(year, 1, 1), time(), zone)
    return completed_count(scope, start=start.astimezone(UTC))


# --- housekeeping ---------------------------------------------------------------------------


def purge_contacts(now: datetime, retention_days: int) -> int:
    """Forget the name, phone and photo of bookings closed more than ``retention_days`` ago;
    statuses and times stay for the counts. Returns how many bookings were purged."""
    due = and_(
        Booking.closed_at < now - timedelta(days=retention_days), Booking.purged_at.is_(None)
    )
    db.session.execute(
        delete(RequestPhoto)
        .where(RequestPhoto.booking_id.in_(select(Booking.id).where(due)))
        .execution_options(synchronize_session=False)
    )
    purged = db.session.execute(
        update(Booking)
        .where(due)
        .values(contact_name=None, phone=None, purged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire_all()
    return purged


def send_reminders(now: datetime) -> int:
    """Remind residents of bookings whose slot is on the next county-local day, once each (the
    conditional ``reminded_at`` update keeps two runs at once from both reminding)."""
    tomorrow = now.astimezone(county_zone()).date() + timedelta(days=1)
    start, end = _day_bounds(tomorrow)
    due = db.session.scalars(
        select(Booking)
        .join(Booking.slot)
        .where(
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.reminded_at.is_(None),
            Slot.starts_at >= start,
            Slot.starts_at < end,
        )
        .order_by(Slot.starts_at, Booking.id)
    ).all()
    sent = 0
    for booking in due:
        claimed = db.session.execute(
            update(Booking)
            .where(
                Booking.id == booking.id,
                Booking.reminded_at.is_(None),
                Booking.status.in_(ACTIVE_STATUSES),
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            db.session.expire(booking)
            _notify("reminder", booking)
            sent += 1
    return sent
