"""Resident pages: services, booking from the plate, requests, "my booking".

Everything is reached from the plate page, under the plate's own address (``/P/<token>/...``):
the plate says which household books. The services page shows only what every household of the
village sees (apart from the token in its links). A booking's details are only ever the answer
to a POST: the success page, the status page and the cancelled page have no GET address that a
browser history, a shared link or someone else at the door could reopen. The lookup by reference
and phone digits is rate limited per address, together with the API's, so switching between them
gives a guesser nothing.

A slot's form is picked in two taps (:mod:`doorplate.bookings.day_picker`): a day chip is a
submit button named ``day`` of the same form, so a POST that carries ``day`` only draws that day
with what was typed kept; it books nothing and is not counted as a booking sent. Every error is
shown on the first answer: what the form finds missing and what the use case would refuse.
Cancelling takes two POSTs: the status page's button asks "确认取消？", and only that page's
button (``confirmed``) cancels.

Pages with a form are sent with ``Referrer-Policy: same-origin``: over HTTPS Flask-WTF refuses a
form post without a same-site Referer, and "same-origin" still sends nothing to any other site.
Every page here is ``Cache-Control: no-store`` (booking answers carry a reference; the others the
plate's token).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_skeleton
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound, TooManyRequests
from werkzeug.wrappers import Response

from doorplate import ratelimit
from doorplate.api.queries import MAX_ID
from doorplate.bookings import catalogue, day_picker
from doorplate.bookings import service as bookings
from doorplate.bookings.models import (
    ACTIVE_STATUSES,
    STATUS_LABELS,
    Booking,
    BookingStatus,
    Service,
    ServiceKind,
)
from doorplate.bookings.resident_forms import (
    BookingForm,
    CancelForm,
    LookupForm,
    RequestForm,
    RequestLookupForm,
)
from doorplate.bookings.resident_words import status_label, words_for
from doorplate.db import db, utcnow
from doorplate.places import registry
from doorplate.places.models import Village
from doorplate.plates import service as plates
from doorplate.plates.models import Plate

bp = Blueprint("bookings", __name__)
bp.add_app_template_filter(bookings.reference_display, "reference")


@bp.app_template_filter("month_day")
def _month_day(day: date) -> str:
    """A day chip's date as the reader's language writes it short: 3月5日, Mar 5."""
    return format_skeleton("MMMd", day, locale=get_locale())


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
    """What the household's village may book or ask for, with each service's next free times
    (each a link that opens the form with that time chosen)."""
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
def service(token: str, service_id: int) -> ResponseReturnValue:
    """Book a slot of a slot service, or send a request to a request service.

    Answers 201 with the reference (200 for a replay of the form's idempotency key, showing the
    same booking), 409 with the day's other free times when the chosen one filled up, 422 with
    what was wrong next to each field; a day chip's POST answers 200 with that day's times.
    """
    sending = request.method == "POST" and "day" not in request.form
    if sending:
        ratelimit.check(ratelimit.BOOKINGS_SENT)
    plate = plates.resolve(token)
    offered = _offered(plate, service_id)
    if offered.kind is ServiceKind.REQUEST:
        return _request(plate, offered, sending)
    return _booking(plate, offered, sending)


def _booking(plate: Plate, offered: Service, sending: bool) -> ResponseReturnValue:
    now = utcnow()
    form = BookingForm.for_service(offered)
    if request.method == "GET":
        picker = day_picker.pick(offered, now, _linked_day(offered, form, now))
        return _form_page(plate, offered, form, 200, picker=picker)
    if not sending:  # a day chip: that day's times, with what was typed
        picker = day_picker.pick(offered, now, day_picker.parse_day(request.form["day"]))
        return _form_page(plate, offered, form, 200, picker=picker)
    on_day = day_picker.parse_day(request.form.get("on_day"))
    data = bookings.BookingInput(
        slot_id=form.slot_id.data if isinstance(form.slot_id.data, int) else 0,
        contact_name=form.contact_name.data or "",
        phone=form.phone.data or "",
        purpose=form.purpose.data or "",
        idempotency_key=form.idempotency_key.data or "",
    )
    try:
        if not form.validate():
            raise bookings.InvalidBooking(bookings.booking_errors(plate.household, data, now))
        booking, created = bookings.book(plate.household, data, now)
    except bookings.InvalidBooking as error:
        db.session.rollback()
        problems = _put_errors(form, error.errors)
        picker = day_picker.pick(offered, now, on_day)
        return _form_page(plate, offered, form, 422, picker=picker, problems=problems)
    except bookings.SlotFull:
        db.session.rollback()
        form.slot_id.data = None
        picker = day_picker.pick(offered, now, on_day)
        return _form_page(plate, offered, form, 409, picker=picker, full=True)
    db.session.commit()
    return _done(plate, booking, created)


def _linked_day(offered: Service, form: BookingForm, now: datetime) -> date | None:
    """The day a services page link asks for: ``?slot=`` (that time chosen) or ``?day=``."""
    slot_id = request.args.get("slot", type=int)
    if slot_id is not None and 1 <= slot_id <= MAX_ID:
        day = day_picker.slot_day(offered, slot_id, now)
        if day is not None:
            form.slot_id.data = slot_id
            return day
    return day_picker.parse_day(request.args.get("day"))


def _request(plate: Plate, offered: Service, sending: bool) -> ResponseReturnValue:
    form = RequestForm.for_service(offered)
    if not sending:
        return _form_page(plate, offered, form, 200)
    upload = form.photo.data
    data = bookings.RequestInput(
        service_id=offered.id,
        purpose=form.purpose.data or "",
        description=form.description.data or "",
        contact_name=form.contact_name.data or "",
        phone=form.phone.data or "",
        idempotency_key=form.idempotency_key.data or "",
        photo=upload.read() if upload else None,
    )
    try:
        if not form.validate():
            raise bookings.InvalidBooking(bookings.request_errors(plate.household, data))
        booking, created = bookings.submit_request(plate.household, data)
    except bookings.InvalidBooking as error:
        db.session.rollback()
        problems = _put_errors(form, error.errors)
        if upload and not form.photo.errors:  # a browser cannot fill a file picker in again
            form.photo.errors = [_("Please choose the photo again.")]
        return _form_page(plate, offered, form, 422, problems=problems)
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
    """Each use case message beside its field, unless the form already says what is wrong
    there (one message a field); those about no field the reader can change (an expired
    idempotency key) are returned for the summary."""
    problems = []
    for name, message in errors.items():
        if name in form and name != "idempotency_key":
            form[name].errors = list(form[name].errors) or [message]
        elif name != "idempotency_key" or not form.idempotency_key.errors:
            problems.append(message)
    return problems


def _form_page(
    plate: Plate,
    offered: Service,
    form: BookingForm | RequestForm,
    status: int,
    **context: Any,
) -> ResponseReturnValue:
    problems = [*form.idempotency_key.errors, *context.pop("problems", [])]
    page = render_template(
        "bookings/resident_form.html",
        token=plate.token,
        village=plate.household.village,
        service=offered,
        form=form,
        words=words_for(offered.kind),
        problems=problems,
        retention_days=current_app.config["BOOKING_RETENTION_DAYS"],
        **context,
    )
    return page, status, FORM_HEADERS


def _done(plate: Plate, booking: Booking, created: bool) -> ResponseReturnValue:
    page = render_template(
        "bookings/resident_done.html",
        token=plate.token,
        booking=booking,
        words=words_for(booking.service.kind),
        photo_received=booking.slot_id is None and bookings.photo_received(booking),
        home=url_for("resident.plate", token=plate.token),
        lang_next=request.path,
    )
    return page, 201 if created else 200


def _for_requests() -> bool:
    """Whether the lookup is for a request (``?kind=request``): it then says 受理号."""
    return request.args.get("kind") == ServiceKind.REQUEST.value


def _home_village() -> Village | None:
    """The village a lookup link came from (``?v=<code>``): its page is the way home."""
    code = request.args.get("v", "")
    return registry.village_by_code(code) if code.isdigit() else None


@bp.route("/booking", methods=["GET", "POST"])
def lookup() -> ResponseReturnValue:
    """The "my booking" page: the reference and the phone's last four digits show its status.

    An unknown reference and wrong digits get the same 404 and message, and every POST counts
    against the address's lookup limit (a GET, the empty form, does not).
    """
    form = RequestLookupForm() if _for_requests() else LookupForm()
    if request.method == "GET":
        return _lookup_page(form, 200)
    ratelimit.check(ratelimit.REFERENCE_LOOKUPS)
    if not form.validate():
        return _lookup_page(form, 422)
    try:
        booking = bookings.find_booking(form.reference.data, form.phone_last4.data)
    except bookings.BookingNotFound:
        return _lookup_page(form, 404, not_found=True)
    return _status_page(booking, form.phone_last4.data, 200)


@bp.route("/booking/cancel", methods=["GET", "POST"])
@ratelimit.limited(ratelimit.REFERENCE_LOOKUPS, methods={"POST"})
def cancel() -> ResponseReturnValue:
    """Cancel from the status page, in two steps: its button asks "确认取消？" (nothing changes),
    and only that page's button, which posts ``confirmed``, cancels. A GET (a reload, a link)
    shows the lookup: it never names or cancels a booking."""
    if request.method == "GET":
        kept = {name: request.args[name] for name in ("kind", "v") if name in request.args}
        return redirect(url_for("bookings.lookup", **kept), 303)
    form = CancelForm()
    try:
        if not form.validate():  # only a tampered form: it names no booking
            raise bookings.BookingNotFound()
        if form.confirmed.data != "yes":
            booking = bookings.find_booking(form.reference.data, form.phone_last4.data)
            return _confirm_page(booking, form.phone_last4.data)
        booking = bookings.cancel(form.reference.data, form.phone_last4.data)
    except bookings.BookingNotFound:
        db.session.rollback()
        return _lookup_page(LookupForm(formdata=None), 404, not_found=True)
    except bookings.WrongStatus as error:
        db.session.rollback()
        booking = bookings.find_booking(form.reference.data, form.phone_last4.data)
        return _status_page(booking, form.phone_last4.data, 409, problem=str(error))
    db.session.commit()
    return render_template(
        "bookings/resident_cancelled.html",
        booking=booking,
        words=words_for(booking.service.kind),
        home_village=booking.village,
        lang_next="/booking",
    )


def _lookup_page(form: LookupForm, status: int, not_found: bool = False) -> ResponseReturnValue:
    for_requests = isinstance(form, RequestLookupForm)
    village = _home_village()
    # Only what the page means is kept in its own address (never a reference typed into a URL).
    here = url_for(
        "bookings.lookup",
        kind=ServiceKind.REQUEST.value if for_requests else None,
        v=village.code if village else None,
    )
    page = render_template(
        "bookings/resident_lookup.html",
        form=form,
        words=words_for(ServiceKind.REQUEST if for_requests else ServiceKind.SLOT),
        not_found=not_found,
        for_requests=for_requests,
        here=here,
        home_village=village,
        lang_next=here,
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
        words=words_for(booking.service.kind),
        status_label=status_label(booking, STATUS_LABELS),
        cancel_form=cancel_form,
        home_village=booking.village,
        lang_next="/booking",
        **context,
    )
    return page, status, FORM_HEADERS


def _confirm_page(booking: Booking, phone_last4: str) -> ResponseReturnValue:
    """ "确认取消？": the booking, the cancelling button and the way back to its status."""
    if not _cancellable(booking, utcnow()):
        return _status_page(booking, phone_last4, 409)
    form = CancelForm(
        formdata=None, reference=booking.reference, phone_last4=phone_last4, confirmed="yes"
    )
    page = render_template(
        "bookings/resident_confirm.html",
        booking=booking,
        words=words_for(booking.service.kind),
        form=form,
        kind=booking.service.kind.value,
        home_village=booking.village,
        lang_next="/booking",
    )
    return page, 200, FORM_HEADERS


def _cancellable(booking: Booking, now: datetime) -> bool:
    """Whether to offer the cancel button: what :func:`bookings.cancel` accepts (it decides)."""
    if booking.slot is None:
        return booking.status is BookingStatus.SUBMITTED
    return booking.status in ACTIVE_STATUSES and booking.slot.starts_at > now
