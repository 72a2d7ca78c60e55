"""Resident pages: services, booking from the plate, requests, "my booking".

Everything is reached from the plate page, under the plate's own address (``/P/<token>/...``):
the plate says which household books. The services page shows only what every household of the
village sees (apart from the token in its links). A booking's details are only ever the answer
to a POST: the success page, the status page and the cancelled page have no GET address that a
browser history, a shared link or someone else at the door could reopen. The lookup by reference
and phone digits is rate limited per address, together with the API's, so switching between them
gives a guesser nothing.

Pages with a form are sent with ``Referrer-Policy: same-origin``: over HTTPS Flask-WTF refuses a
form post without a same-site Referer, and "same-origin" still sends nothing to any other site.
Every page here is ``Cache-Control: no-store`` (booking answers carry a reference; the others the
plate's token).
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import groupby
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound, TooManyRequests
from werkzeug.wrappers import Response

from doorplate import ratelimit
from doorplate.bookings import catalogue
from doorplate.bookings import service as bookings
from doorplate.bookings.models import (
    ACTIVE_STATUSES,
    STATUS_LABELS,
    Booking,
    BookingStatus,
    Service,
    ServiceKind,
    Slot,
)
from doorplate.bookings.resident_forms import BookingForm, CancelForm, LookupForm, RequestForm
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.plates import service as plates
from doorplate.plates.models import Plate

bp = Blueprint("bookings", __name__)
bp.add_app_template_filter(bookings.reference_display, "reference")

NEXT_SLOTS = 3  # shown per service on the services page
FORM_HEADERS = {"Referrer-Policy": "same-origin"}


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(plates.PlateNotFound)
def _plate_unknown(_error: plates.PlateNotFound) -> ResponseReturnValue:
    if (refused := ratelimit.refused(ratelimit.PLATE_LOOKUPS)) is not None:
        return _too_many(refused)
    return render_template("resident/plate_unknown.html", lang_next="/"), 404


@bp.errorhandler(plates.PlateRevoked)
def _plate_gone(_error: plates.PlateRevoked) -> ResponseReturnValue:
    if (refused := ratelimit.refused(ratelimit.PLATE_LOOKUPS)) is not None:
        return _too_many(refused)
    return render_template("resident/plate_gone.html", lang_next="/"), 410


@bp.errorhandler(NotFound)
def _not_found(_error: NotFound) -> ResponseReturnValue:
    return render_template("resident/not_found.html"), 404


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> ResponseReturnValue:
    page, status = _message(
        _("Too many attempts"),
        ratelimit.wait_message(error),
        429,
    )
    return page, status, [(k, v) for k, v in error.get_headers() if k == "Retry-After"]


@bp.errorhandler(CSRFError)
def _form_expired(_error: CSRFError) -> ResponseReturnValue:
    return _message(
        _("This form has expired"),
        _("Please go back, reload the page and send the form again."),
        400,
    )


def _message(heading: str, message: str, status: int) -> tuple[str, int]:
    page = render_template(
        "bookings/resident_message.html", heading=heading, message=message, lang_next="/booking"
    )
    return page, status


@bp.get("/P/<token>/services")
def services(token: str) -> ResponseReturnValue:
    """What the household's village may book or ask for, with each service's next free times."""
    plate = plates.resolve(token)
    village = plate.household.village
    now = utcnow()
    offered = [
        (s, catalogue.open_slots(s, now, limit=NEXT_SLOTS) if s.kind is ServiceKind.SLOT else [])
        for s in catalogue.services_for_village(village)
    ]
    return render_template(
        "bookings/resident_services.html", token=plate.token, village=village, offered=offered
    )


@bp.route("/P/<token>/services/<int:service_id>", methods=["GET", "POST"])
@ratelimit.limited(ratelimit.BOOKINGS_SENT, methods={"POST"})
def service(token: str, service_id: int) -> ResponseReturnValue:
    """Book a slot of a slot service, or send a request to a request service.

    Answers 201 with the reference (200 for a replay of the form's idempotency key, showing the
    same booking), 409 with the next free times when the chosen one filled up, 422 with what was
    wrong next to each field.
    """
    plate = plates.resolve(token)
    offered = _offered(plate, service_id)
    if offered.kind is ServiceKind.REQUEST:
        return _request(plate, offered)
    now = utcnow()
    slots = catalogue.open_slots(offered, now)
    form = BookingForm.for_service(offered, [slot.id for slot in slots])
    if request.method == "GET":
        return _form_page(plate, offered, form, slots, 200)
    if not form.validate():
        return _form_page(plate, offered, form, slots, 422)
    data = bookings.BookingInput(
        slot_id=form.slot_id.data,
        contact_name=form.contact_name.data,
        phone=form.phone.data,
        purpose=form.purpose.data,
        idempotency_key=form.idempotency_key.data,
    )
    try:
        booking, created = bookings.book(plate.household, data, now)
    except bookings.InvalidBooking as error:
        db.session.rollback()
        problems = _put_errors(form, error.errors)
        return _form_page(plate, offered, form, slots, 422, problems=problems)
    except bookings.SlotFull as error:
        db.session.rollback()
        form.slot_id.data = None
        return _form_page(plate, offered, form, error.next_slots, 409, full=True)
    db.session.commit()
    return _done(plate, booking, created)


def _request(plate: Plate, offered: Service) -> ResponseReturnValue:
    form = RequestForm.for_service(offered)
    if request.method == "GET":
        return _form_page(plate, offered, form, [], 200)
    if not form.validate():
        return _form_page(plate, offered, form, [], 422)
    upload = form.photo.data
    data = bookings.RequestInput(
        service_id=offered.id,
        purpose=form.purpose.data,
        description=form.description.data,
        contact_name=form.contact_name.data,
        phone=form.phone.data,
        idempotency_key=form.idempotency_key.data,
        photo=upload.read() if upload else None,
    )
    try:
        booking, created = bookings.submit_request(plate.household, data)
    except bookings.InvalidBooking as error:
        db.session.rollback()
        problems = _put_errors(form, error.errors)
        return _form_page(plate, offered, form, [], 422, problems=problems)
    db.session.commit()
    return _done(plate, booking, created)


def _offered(plate: Plate, service_id: int) -> Service:
    """The service if the household's village is offered it (active); else a 404."""
    found = next(
        (s for s in catalogue.services_for_village(plate.household.village) if s.id == service_id),
        None,
    )
    if found is None:
        abort(404)
    return found


def _put_errors(form: BookingForm | RequestForm, errors: dict[str, str]) -> list[str]:
    """Each use case message beside its field; those about no field of the form (an expired
    idempotency key) are returned for the summary."""
    problems = []
    for name, message in errors.items():
        if name in form and name != "idempotency_key":
            form[name].errors = [*form[name].errors, message]
        else:
            problems.append(message)
    return problems


def _form_page(
    plate: Plate,
    offered: Service,
    form: BookingForm | RequestForm,
    slots: list[Slot],
    status: int,
    **context: Any,
) -> ResponseReturnValue:
    context.setdefault("problems", [])
    page = render_template(
        "bookings/resident_form.html",
        token=plate.token,
        village=plate.household.village,
        service=offered,
        form=form,
        days=_by_day(slots),
        retention_days=current_app.config["BOOKING_RETENTION_DAYS"],
        **context,
    )
    return page, status, FORM_HEADERS


def _by_day(slots: list[Slot]) -> list[tuple[date, list[Slot]]]:
    """Slots grouped by their day in the county's time, as people read a calendar."""
    zone = county_zone()

    def day(slot: Slot) -> date:
        return slot.starts_at.astimezone(zone).date()

    return [(d, list(group)) for d, group in groupby(slots, key=day)]


def _done(plate: Plate, booking: Booking, created: bool) -> ResponseReturnValue:
    page = render_template(
        "bookings/resident_done.html",
        token=plate.token,
        booking=booking,
        lang_next=request.path,
    )
    return page, 201 if created else 200


@bp.route("/booking", methods=["GET", "POST"])
def lookup() -> ResponseReturnValue:
    """The "my booking" page: the reference and the phone's last four digits show its status.

    An unknown reference and wrong digits get the same 404 and message, and every POST counts
    against the address's lookup limit (a GET, the empty form, does not).
    """
    form = LookupForm()
    if request.method == "GET":
        return _lookup_page(form, 200)
    ratelimit.check(ratelimit.REFERENCE_LOOKUPS)
    if not form.validate():
        return _lookup_page(form, 422)
    try:
        booking = bookings.find_booking(form.reference.data, form.phone_last4.data)
    except bookings.BookingNotFound as error:
        return _lookup_page(form, 404, not_found=str(error))
    return _status_page(booking, form.phone_last4.data, 200)


@bp.post("/booking/cancel")
@ratelimit.limited(ratelimit.REFERENCE_LOOKUPS)
def cancel() -> ResponseReturnValue:
    """Cancel from the status page; the answer says it is cancelled (or why it cannot be)."""
    form = CancelForm()
    try:
        if not form.validate():  # only a tampered form: it names no booking
            raise bookings.BookingNotFound()
        booking = bookings.cancel(form.reference.data, form.phone_last4.data)
    except bookings.BookingNotFound as error:
        db.session.rollback()
        return _lookup_page(LookupForm(formdata=None), 404, not_found=str(error))
    except bookings.WrongStatus as error:
        db.session.rollback()
        booking = bookings.find_booking(form.reference.data, form.phone_last4.data)
        return _status_page(booking, form.phone_last4.data, 409, problem=str(error))
    db.session.commit()
    return render_template(
        "bookings/resident_cancelled.html", booking=booking, lang_next="/booking"
    )


def _lookup_page(form: LookupForm, status: int, **context: Any) -> ResponseReturnValue:
    page = render_template(
        "bookings/resident_lookup.html", form=form, lang_next="/booking", **context
    )
    return page, status, FORM_HEADERS


def _status_page(
    booking: Booking, phone_last4: str, status: int, **context: Any
) -> ResponseReturnValue:
    cancel_form = None
    if _cancellable(booking, utcnow()):
        cancel_form = CancelForm(
            formdata=None, reference=booking.reference, phone_last4=phone_last4
        )
    page = render_template(
        "bookings/resident_status.html",
        booking=booking,
        status_label=STATUS_LABELS[booking.status],
        cancel_form=cancel_form,
        lang_next="/booking",
        **context,
    )
    return page, status, FORM_HEADERS


def _cancellable(booking: Booking, now: datetime) -> bool:
    """Whether to offer the cancel button: what :func:`bookings.cancel` accepts (it decides)."""
    if booking.slot is None:
        return booking.status is BookingStatus.SUBMITTED
    return booking.status in ACTIVE_STATUSES and booking.slot.starts_at > now
