"""Staff console: handling bookings and requests (``/staff/bookings``, ``/staff/requests``).

Nested in the staff blueprint by :mod:`doorplate.console`: every endpoint is ``staff.bookings.*``.
Each view loads the booking through the scope-filtered query (out of scope is a 404, the same as an
unknown reference), lets the use case in :mod:`doorplate.bookings.service` check and act, and
commits once; a refusal rolls back and is flashed with the message the use case gave. The contact
name and phone are shown to the staff whose scope holds the booking: calling back is their job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from doorplate.bookings import service
from doorplate.bookings.models import (
    ACTIVE_STATUSES,
    STATUS_LABELS,
    Booking,
    BookingStatus,
    RequestPhoto,
    ServiceKind,
)
from doorplate.bookings.staff_forms import (
    BookingFilterForm,
    CompleteForm,
    RejectForm,
    RequestFilterForm,
    service_choices,
)
from doorplate.bounds import page_number
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.publications.attachment_views import FILE_CSP
from doorplate.publications.attachments import EXTENSIONS, content_disposition
from doorplate.staff import audit
from doorplate.staff.access import current_scope, current_staff, staff_required

console = Blueprint("bookings", __name__)

ACTION_LABELS = {
    "booking.confirm": _l("confirmed it"),
    "booking.complete": _l("completed it"),
    "booking.no_show": _l("recorded that the resident did not come"),
    "booking.reject": _l("rejected it"),
}


@dataclass(frozen=True)
class TimeGroup:
    """The bookings of one slot time (UTC; the template shows it in county time)."""

    starts_at: datetime
    bookings: list[Booking]


@dataclass(frozen=True)
class DayGroup:
    day: date  # in county time
    times: list[TimeGroup]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str


@console.context_processor
def _labels() -> dict[str, object]:
    return {"status_labels": STATUS_LABELS, "reference_display": service.reference_display}


# --- the lists -------------------------------------------------------------------------------


@console.get("/bookings")
@staff_required()
def index() -> ResponseReturnValue:
    """Today's and upcoming slot bookings in scope, by day and time; a chosen day shows that day
    (a past one too: that is where no-shows are marked)."""
    scope = current_scope()
    form = BookingFilterForm(formdata=request.args)
    form.service.choices = [("", _("All services")), *service_choices(scope, ServiceKind.SLOT)]
    page, per_page = page_number(request.args), current_app.config["STAFF_PAGE_SIZE"]
    bookings: list[Booking] = []
    total = 0
    if form.validate():
        day = form.day.data
        wanted = service.BookingFilter(
            kind=ServiceKind.SLOT,
            status=BookingStatus(form.status.data) if form.status.data else None,
            day=day,
            service_id=int(form.service.data) if form.service.data else None,
            # Today and after, or a coming day: the schedule, earliest first. A past day is a
            # queue: what is still open (to complete or mark as not come) first.
            upcoming_only=day is None or day >= utcnow().astimezone(county_zone()).date(),
        )
        bookings, total = service.bookings_in_scope(scope, wanted, page=page, per_page=per_page)
    return render_template(
        "bookings/staff_bookings.html",
        form=form,
        days=_by_day(bookings),
        total=total,
        page=page,
        per_page=per_page,
        filter_args={
            k: request.args[k] for k in ("status", "service", "day") if request.args.get(k)
        },
        completed=service.completed_this_year(current_scope()),
    )


@console.get("/requests")
@staff_required()
def requests() -> ResponseReturnValue:
    """The requests in scope (报事报修, 办事申请), oldest open first."""
    scope = current_scope()
    form = RequestFilterForm(formdata=request.args)
    page, per_page = page_number(request.args), current_app.config["STAFF_PAGE_SIZE"]
    found: list[Booking] = []
    total = 0
    if form.validate():
        wanted = service.BookingFilter(
            kind=ServiceKind.REQUEST,
            status=BookingStatus(form.status.data) if form.status.data else None,
        )
        found, total = service.bookings_in_scope(scope, wanted, page=page, per_page=per_page)
    return render_template(
        "bookings/staff_requests.html",
        form=form,
        found=found,
        total=total,
        page=page,
        per_page=per_page,
        filter_args={"status": form.status.data} if form.status.data else {},
        completed=service.completed_this_year(current_scope()),
    )


def _by_day(bookings: list[Booking]) -> list[DayGroup]:
    """Group consecutive bookings by county-time day, then by slot time (a past day's queue
    puts its open bookings first, so a time may then appear twice: once open, once closed)."""
    zone = county_zone()

    def start(booking: Booking) -> datetime:
        assert booking.slot is not None  # the list holds slot bookings only
        return booking.slot.starts_at

    return [
        DayGroup(day, [TimeGroup(at, list(group)) for at, group in groupby(of_day, key=start)])
        for day, of_day in groupby(bookings, key=lambda b: start(b).astimezone(zone).date())
    ]


# --- one booking -----------------------------------------------------------------------------


@console.get("/bookings/<reference>")
@staff_required()
def detail(reference: str) -> ResponseReturnValue:
    """The booking or request, its contact, its history, and the actions its status allows."""
    return _detail_page(_booking_or_404(reference))


@console.get("/bookings/<reference>/photo")
@staff_required()
def photo(reference: str) -> ResponseReturnValue:
    """A request's photo, always as a download: even a file that slipped past the upload checks
    is never rendered as a page of this site. The staff blueprint marks it ``no-store``."""
    booking = _booking_or_404(reference)
    found = db.session.get(RequestPhoto, booking.id)
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.media_type)
    name = f"{booking.reference}{EXTENSIONS.get(found.media_type, '')}"
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response


@console.post("/bookings/<reference>/confirm")
@staff_required()
def confirm(reference: str) -> ResponseReturnValue:
    booking = _booking_or_404(reference)
    return _act(booking, lambda: service.confirm(current_staff(), booking), _("Confirmed."))


@console.post("/bookings/<reference>/complete")
@staff_required()
def complete(reference: str) -> ResponseReturnValue:
    booking = _booking_or_404(reference)
    form = CompleteForm()
    if not form.validate_on_submit():
        return _detail_page(booking, complete_form=form)
    note = (form.note.data or "").strip()
    return _act(
        booking,
        lambda: service.complete(current_staff(), booking, note=note),
        _("Completed."),
    )


@console.post("/bookings/<reference>/no-show")
@staff_required()
def no_show(reference: str) -> ResponseReturnValue:
    booking = _booking_or_404(reference)
    return _act(
        booking,
        lambda: service.mark_no_show(current_staff(), booking),
        _("Recorded: the resident did not come."),
    )


@console.post("/bookings/<reference>/reject")
@staff_required()
def reject(reference: str) -> ResponseReturnValue:
    booking = _booking_or_404(reference)
    form = RejectForm()
    if not form.validate_on_submit():
        return _detail_page(booking, reject_form=form)
    reason = (form.reason.data or "").strip()
    return _act(
        booking,
        lambda: service.reject(current_staff(), booking, reason),
        _("Rejected. The resident sees the reason."),
    )


def _act(booking: Booking, action: Callable[[], object], done: str) -> ResponseReturnValue:
    """Run a use case, commit, and go back to the booking saying what happened or why not."""
    target = url_for(".detail", reference=booking.reference)
    try:
        action()
    except service.BookingError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(target)


def _detail_page(
    booking: Booking,
    *,
    complete_form: CompleteForm | None = None,
    reject_form: RejectForm | None = None,
) -> str:
    active = booking.status in ACTIVE_STATUSES
    started = booking.slot is not None and booking.slot.starts_at <= utcnow()
    return render_template(
        "bookings/staff_bookings_detail.html",
        booking=booking,
        reference=service.reference_display(booking.reference),
        has_photo=_has_photo(booking),
        may_confirm=booking.status is BookingStatus.SUBMITTED,
        may_complete=active,
        may_no_show=active and started,
        may_reject=active,
        # Forms other than the one posted start afresh, not from the posted fields.
        complete_form=complete_form or CompleteForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None),
        history=_history(booking),
    )


def _history(booking: Booking) -> list[HistoryEntry]:
    """The audit events of this booking, oldest first: who did what, when."""
    return [
        HistoryEntry(
            at=event.at,
            actor=event.actor_name,
            action=str(ACTION_LABELS.get(event.action, event.action)),
        )
        for event in audit.events_for("booking", booking.reference)
    ]


def _has_photo(booking: Booking) -> bool:
    """Whether the request has a photo, without loading the image itself."""
    found = select(RequestPhoto.booking_id).where(RequestPhoto.booking_id == booking.id)
    return db.session.scalar(found) is not None


def _booking_or_404(reference: str) -> Booking:
    booking = service.booking_in_scope(current_scope(), reference)
    if booking is None:
        abort(404)
    return booking
