"""Staff console: the service catalogue, opening hours, calendar overrides and slots.

Nested in the staff blueprint, so every endpoint is ``staff.services.*`` under ``/staff/services``.
Each view loads the service through the scope-filtered query (out of scope is a 404, like an unknown
id), lets :mod:`doorplate.bookings.catalogue` check and act, and commits once. Every page warns when
the booking horizon reaches a year China's working-day calendar does not cover.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from doorplate import workdays
from doorplate.bookings import catalogue
from doorplate.bookings.catalogue_forms import (
    BLANK_HOURS_ROWS,
    KIND_LABELS,
    OPEN,
    WEEKDAY_LABELS,
    ActionForm,
    HoursForm,
    NewServiceForm,
    OverrideForm,
    RemoveOverrideForm,
    ServiceForm,
    lines,
)
from doorplate.bookings.models import Service, ServiceKind
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.places import registry
from doorplate.places.models import Town, Village
from doorplate.publications.forms import COUNTY, place_choices
from doorplate.staff.access import current_scope, current_staff, staff_required

console = Blueprint("services", __name__, url_prefix="/services")


def _today() -> date:
    return utcnow().astimezone(county_zone()).date()


def _horizon() -> tuple[date, date]:
    today = _today()
    return today, today + timedelta(days=current_app.config["BOOKING_HORIZON_DAYS"])


def _missing_years() -> list[int]:
    return workdays.missing_years(*_horizon())


# --- the list ------------------------------------------------------------------------------------


@console.get("")
@staff_required()
def index() -> ResponseReturnValue:
    """The services in scope, with their upcoming slots."""
    services = catalogue.services_in_scope(current_scope())
    return render_template(
        "bookings/staff_services.html",
        services=services,
        counts=catalogue.future_slot_counts(services, utcnow()),
        kind_labels=KIND_LABELS,
        missing_years=_missing_years(),
        action_form=ActionForm(),
    )


@console.post("/generate")
@staff_required()
def generate_all() -> ResponseReturnValue:
    """Generate the slots of every active slot service in scope for the booking horizon."""
    start, end = _horizon()
    result = catalogue.Generated(missing_years=workdays.missing_years(start, end))
    services = catalogue.services_in_scope(current_scope())
    for service in services:
        if service.active and service.kind is ServiceKind.SLOT:
            result.add(catalogue.generate_slots(service, start, end))
    db.session.commit()
    _flash_generated(result)
    return redirect(url_for(".index"))


# --- one service ---------------------------------------------------------------------------------


@console.route("/new", methods=["GET", "POST"])
@staff_required()
def new() -> ResponseReturnValue:
    form = NewServiceForm()
    places = place_choices(current_scope())
    form.place.choices = places if len(places) == 1 else [("", _("Choose…")), *places]
    if not form.validate_on_submit():
        return _form_page(form, None)
    place = _place(form.place.data)
    try:
        service = catalogue.create_service(current_staff(), _service_input(form), **place)
    except catalogue.CatalogueError as refused:
        db.session.rollback()
        return _form_page(form, None, refused)
    db.session.commit()
    flash(_("The service has been created."), "success")
    if service.kind is ServiceKind.SLOT:
        flash(_("Now set its weekly opening hours, then generate its slots."), "info")
        return redirect(url_for(".hours", service_id=service.id))
    return redirect(url_for(".detail", service_id=service.id))


@console.get("/<int:service_id>")
@staff_required()
def detail(service_id: int) -> ResponseReturnValue:
    return _detail_page(_service_or_404(service_id))


@console.route("/<int:service_id>/edit", methods=["GET", "POST"])
@staff_required()
def edit(service_id: int) -> ResponseReturnValue:
    service = _service_or_404(service_id)
    if request.method == "GET":
        form = ServiceForm(
            data={
                "name": service.name,
                "description": service.description,
                "materials": "\n".join(service.materials),
                "location": service.location,
                "duration_minutes": service.duration_minutes,
                "purposes": "\n".join(service.purposes),
            }
        )
        return _form_page(form, service)
    form = ServiceForm()
    if not form.validate():
        return _form_page(form, service)
    data = _service_input(form, kind=service.kind)
    try:
        catalogue.update_service(current_staff(), service, data)
    except catalogue.CatalogueError as refused:
        db.session.rollback()
        return _form_page(form, service, refused)
    db.session.commit()
    flash(_("The service has been saved."), "success")
    return redirect(url_for(".detail", service_id=service.id))


@console.post("/<int:service_id>/active")
@staff_required()
def set_active(service_id: int) -> ResponseReturnValue:
    """Stop offering the service to residents, or offer it again."""
    service = _service_or_404(service_id)
    if ActionForm().validate_on_submit():
        active = request.form.get("active") == "1"
        catalogue.set_active(current_staff(), service, active)
        db.session.commit()
        flash(
            _("Residents can use the service again.")
            if active
            else _("Residents no longer see the service."),
            "success",
        )
    return redirect(url_for(".detail", service_id=service.id))


@console.route("/<int:service_id>/hours", methods=["GET", "POST"])
@staff_required()
def hours(service_id: int) -> ResponseReturnValue:
    """The weekly opening hours as rows of a form; empty rows are left out."""
    service = _slot_service_or_404(service_id)
    if request.method == "GET":
        rows = [
            {
                "weekday": str(h.weekday),
                "opens": h.opens,
                "closes": h.closes,
                "slot_minutes": h.slot_minutes,
                "capacity": h.capacity,
            }
            for h in service.hours
        ]
        form = HoursForm(data={"hours": rows + [{}] * BLANK_HOURS_ROWS})
        return _hours_page(service, form)
    form = HoursForm()
    if not form.validate():
        return _hours_page(service, form)
    periods = []
    for index, row in enumerate(form.hours):
        try:
            period = row.form.period()
        except ValueError:
            row.form.weekday.errors = [
                _("Row %(row)d: fill in every column, or choose no day.", row=index + 1)
            ]
            return _hours_page(service, form)
        if period is not None:
            periods.append(period)
    try:
        catalogue.set_hours(current_staff(), service, periods)
    except catalogue.CatalogueError as refused:
        db.session.rollback()
        return _hours_page(service, form, refused)
    db.session.commit()
    flash(_("The opening hours have been saved. Generate the slots to apply them."), "success")
    return redirect(url_for(".detail", service_id=service.id))


@console.post("/<int:service_id>/generate")
@staff_required()
def generate(service_id: int) -> ResponseReturnValue:
    """Create the slots of the booking horizon now, and say which booked slots were kept."""
    service = _slot_service_or_404(service_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".detail", service_id=service.id))
    result = catalogue.generate_slots(service, *_horizon())
    db.session.commit()
    return _detail_page(service, generated=result)


@console.post("/<int:service_id>/overrides")
@staff_required()
def add_override(service_id: int) -> ResponseReturnValue:
    """Close a day or open an extra one; that day's slots follow at once."""
    service = _slot_service_or_404(service_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        return _detail_page(service, override_form=form)
    day = form.day.data
    assert day is not None  # InputRequired
    try:
        catalogue.set_override(
            current_staff(), service, day, form.state.data == OPEN, form.note.data or ""
        )
    except catalogue.CatalogueError as refused:
        db.session.rollback()
        _attach(form, refused)
        return _detail_page(service, override_form=form)
    result = catalogue.generate_slots(service, day, day)
    db.session.commit()
    flash(_("The day has been set."), "success")
    return _detail_page(service, generated=result)


@console.post("/<int:service_id>/overrides/remove")
@staff_required()
def remove_override(service_id: int) -> ResponseReturnValue:
    """Let the national calendar decide the day again."""
    service = _slot_service_or_404(service_id)
    form = RemoveOverrideForm()
    try:
        day = date.fromisoformat(form.day.data or "")
    except ValueError:
        day = None
    if not form.validate_on_submit() or day is None:
        return redirect(url_for(".detail", service_id=service.id))
    try:
        catalogue.remove_override(current_staff(), service, day)
    except catalogue.CatalogueError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for(".detail", service_id=service.id))
    result = catalogue.generate_slots(service, day, day)
    db.session.commit()
    flash(_("The override has been removed."), "success")
    return _detail_page(service, generated=result)


# --- helpers -------------------------------------------------------------------------------------


def _service_or_404(service_id: int) -> Service:
    service = catalogue.service_in_scope(current_scope(), service_id)
    if service is None:
        abort(404)
    return service


def _slot_service_or_404(service_id: int) -> Service:
    """Hours, overrides and slots exist only for services booked by time slot."""
    service = _service_or_404(service_id)
    if service.kind is not ServiceKind.SLOT:
        abort(404)
    return service


def _place(value: str | None) -> dict[str, Town | Village | None]:
    """The town or village a place value names, if in scope (404 otherwise: a forged value)."""
    scope = current_scope()
    if value == COUNTY and scope.is_county:
        return {"town": None, "village": None}
    kind, _sep, code = (value or "").partition(":")
    if kind == "town" and (town := registry.whole_town_in_scope(scope, code)) is not None:
        return {"town": town, "village": None}
    if kind == "village" and (village := registry.village_in_scope(scope, code)) is not None:
        return {"town": None, "village": village}
    abort(404)


def _service_input(form: ServiceForm, kind: ServiceKind | None = None) -> catalogue.ServiceInput:
    if kind is None:
        kind = ServiceKind(form.kind.data)  # type: ignore[attr-defined]
    return catalogue.ServiceInput(
        name=form.name.data or "",
        description=form.description.data or "",
        materials=lines(form.materials.data),
        location=form.location.data or "",
        duration_minutes=form.duration_minutes.data or 0,
        kind=kind,
        purposes=lines(form.purposes.data),
    )


def _attach(form: FlaskForm, refused: catalogue.CatalogueError) -> str | None:
    """Show the use case's message at its field; return it if the form has no such field."""
    name = refused.field or ""
    target = form
    for part in name.split("-"):
        if part.isdigit():
            target = target.entries[int(part)].form  # type: ignore[attr-defined]
        elif part in target:  # type: ignore[operator]
            target = target[part]  # type: ignore[index]
        else:
            return str(refused)
    target.errors.append(str(refused))  # type: ignore[union-attr]
    return None


def _form_page(
    form: ServiceForm, service: Service | None, refused: catalogue.CatalogueError | None = None
) -> str:
    error = _attach(form, refused) if refused else None
    return render_template(
        "bookings/staff_services_form.html", form=form, service=service, error=error
    )


def _hours_page(
    service: Service, form: HoursForm, refused: catalogue.CatalogueError | None = None
) -> str:
    error = _attach(form, refused) if refused else None
    return render_template(
        "bookings/staff_services_hours.html", service=service, form=form, error=error
    )


def _detail_page(
    service: Service,
    *,
    override_form: OverrideForm | None = None,
    generated: catalogue.Generated | None = None,
) -> str:
    today = _today()
    now = utcnow()
    slots, booked = catalogue.future_slot_counts([service], now).get(service.id, (0, 0))
    return render_template(
        "bookings/staff_services_detail.html",
        service=service,
        kind_labels=KIND_LABELS,
        weekday_labels=WEEKDAY_LABELS,
        overrides=catalogue.overrides_of(service, today),
        override_form=override_form or OverrideForm(formdata=None),
        remove_form=RemoveOverrideForm(formdata=None),
        action_form=ActionForm(formdata=None),
        future_slots=slots,
        future_booked=booked,
        next_slots=catalogue.open_slots(service, now, limit=5),
        generated=generated,
        missing_years=_missing_years(),
    )


def _flash_generated(result: catalogue.Generated) -> None:
    flash(_("Slots generated: %(n)d new.", n=result.created), "success")
    if result.kept:
        flash(
            _(
                "%(n)d slots on days now closed or outside the hours were kept because they "
                "have bookings: contact those residents or handle them as usual.",
                n=len(result.kept),
            ),
            "error",
        )
