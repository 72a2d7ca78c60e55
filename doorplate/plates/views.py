"""The plates part of the staff console (``/staff/plates/...``): print, install, revoke, reissue.

Nested in the staff blueprint by :mod:`doorplate.console`, so every endpoint is ``staff.plates.*``
and the staff before-request hook has resolved who is signed in. Each view loads its object
through a scope-filtered query (out of scope is a 404, the same as unknown), then acts, then
commits once. Downloads are POSTs with the CSRF token, answered with the file itself (one click
on the page's button downloads it): an export issues the plates still missing and writes an audit
row, so it must never run because a page, an image in a post or a link on another site made the
browser fetch a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm

from doorplate.db import db
from doorplate.places import registry
from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.plates import printing, service, tokens
from doorplate.plates.forms import REASON_LABELS, ReissueForm, RevokeForm
from doorplate.plates.models import PlateStatus, RevokeReason
from doorplate.plates.render import RenderError
from doorplate.staff.access import current_scope, current_staff, staff_required
from doorplate.staff.models import Role

console = Blueprint("plates", __name__, url_prefix="/plates")

FORMAT = "<any(" + ", ".join(f.value for f in printing.Format) + "):fmt>"
SINGLE_FORMAT = "<any(" + ", ".join(f.value for f in printing.SINGLE_FORMATS) + "):fmt>"


@dataclass(frozen=True)
class VillagePlates:
    village: Village
    coverage: service.Coverage


@dataclass(frozen=True)
class TownPlates:
    town: Town
    villages: list[VillagePlates]


@console.get("/")
@staff_required()
def overview() -> ResponseReturnValue:
    """Coverage and downloads for each village in scope, grouped by town."""
    scope = current_scope()
    groups = registry.villages_by_town(scope)
    ids = [row.village.id for group in groups for row in group.villages]
    by_village = service.coverage_by_village(ids)
    empty = service.Coverage(households=0, active=0, installed=0)
    towns = [
        TownPlates(
            town=group.town,
            villages=[
                VillagePlates(row.village, by_village.get(row.village.id, empty))
                for row in group.villages
            ],
        )
        for group in groups
    ]
    total = service.Coverage(
        households=sum(c.households for c in by_village.values()),
        active=sum(c.active for c in by_village.values()),
        installed=sum(c.installed for c in by_village.values()),
    )
    return render_template(
        "staff/plates.html",
        towns=towns,
        total=total,
        formats=printing.Format,
        format_labels=printing.FORMAT_LABELS,
        whole_towns=scope.village_id is None,
    )


@console.post(f"/village/<village_code>/{FORMAT}")
@staff_required()
def export_village(village_code: str, fmt: str) -> ResponseReturnValue:
    """A village's plates as a download (PDF sheets, PNG/SVG ZIP, CSV or XLSX)."""
    village = registry.village_in_scope(current_scope(), village_code)
    if village is None:
        abort(404)
    make = partial(printing.export_village, current_staff(), village, printing.Format(fmt))
    return _download(make, url_for(".overview"))


@console.post(f"/town/<town_code>/{FORMAT}")
@staff_required(Role.ADMIN, Role.COUNTY, Role.REVIEWER)
def export_town(town_code: str, fmt: str) -> ResponseReturnValue:
    """A whole town's plates, for its reviewers and the county; a village's reviewer gets 404."""
    town = registry.whole_town_in_scope(current_scope(), town_code)
    if town is None:
        abort(404)
    make = partial(printing.export_town, current_staff(), town, printing.Format(fmt))
    return _download(make, url_for(".overview"))


@console.post(f"/household/<int:household_id>/{SINGLE_FORMAT}")
@staff_required()
def export_household(household_id: int, fmt: str) -> ResponseReturnValue:
    """One household's plate, to print a replacement without a whole village's sheets."""
    found = _household_or_404(household_id)
    make = partial(printing.export_household, current_staff(), found, printing.Format(fmt))
    return _download(make, url_for(".household", household_id=household_id))


def _download(make: Callable[[], printing.Export], back: str) -> ResponseReturnValue:
    """Send the file ``make`` renders, committing its issued plates and audit row.

    A file that cannot be made (nothing to print, a character the plate font lacks) is explained
    on the page at ``back`` instead, and nothing is kept.
    """
    try:
        made = make()
    except (service.PlateError, RenderError) as refused:
        db.session.rollback()
        flash(_("No file was made: %(reason)s", reason=str(refused)), "error")
        return redirect(back)
    db.session.commit()
    return send_file(
        made.stream(),
        mimetype=made.mimetype,
        as_attachment=True,
        download_name=made.filename,
        max_age=0,
    )


@console.post("/village/<village_code>/install")
@staff_required()
def install_village(village_code: str) -> ResponseReturnValue:
    """Mark every active plate of a village installed (after a village-wide fitting round)."""
    village = registry.village_in_scope(current_scope(), village_code)
    if village is None:
        abort(404)
    count = service.install_village(current_staff(), village)
    db.session.commit()
    flash(
        ngettext(
            "%(village)s: %(num)d plate marked as installed.",
            "%(village)s: %(num)d plates marked as installed.",
            count,
            village=village.name,
        ),
        "success",
    )
    return redirect(url_for(".overview"))


@console.post("/<int:plate_id>/install")
@staff_required()
def install(plate_id: int) -> ResponseReturnValue:
    """Mark one plate installed: the form staff see on the plate's own page at the door.

    Back to that page, which now says when it was installed. A plate revoked in the meantime has
    no page to go back to, so that case goes to the household in the console instead.
    """
    plate = service.plate_in_scope(current_scope(), plate_id)
    if plate is None:
        abort(404)
    if plate.status is not PlateStatus.ACTIVE:
        flash(_("That plate has been revoked; it cannot be marked installed."), "error")
        return redirect(url_for(".household", household_id=plate.household_id))
    service.mark_installed(current_staff(), plate)
    db.session.commit()
    return redirect(url_for("resident.plate", token=plate.token))


@console.get("/household/<int:household_id>")
@staff_required()
def household(household_id: int) -> ResponseReturnValue:
    """One household's plate: token, URL, status and every earlier generation."""
    found = _household_or_404(household_id)
    return _household_page(found, RevokeForm(prefix="revoke"), ReissueForm(prefix="reissue"))


@console.post("/household/<int:household_id>/revoke")
@staff_required()
def revoke(household_id: int) -> ResponseReturnValue:
    found = _household_or_404(household_id)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        return _household_page(found, form, ReissueForm(prefix="reissue"))
    try:
        service.revoke(current_staff(), found, RevokeReason(form.reason.data))
    except service.PlateError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("The plate has been revoked: scanning it now shows “no longer valid”."), "success")
    return redirect(url_for(".household", household_id=household_id))


@console.post("/household/<int:household_id>/reissue")
@staff_required()
def reissue(household_id: int) -> ResponseReturnValue:
    found = _household_or_404(household_id)
    form = ReissueForm(prefix="reissue")
    if not form.validate_on_submit():
        return _household_page(found, RevokeForm(prefix="revoke"), form)
    try:
        plate = service.reissue(current_staff(), found, RevokeReason(form.reason.data))
    except service.PlateError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(
            _(
                "A new plate (generation %(generation)d) has been issued. Print it and install it.",
                generation=plate.generation,
            ),
            "success",
        )
    return redirect(url_for(".household", household_id=household_id))


def _household_or_404(household_id: int) -> Household:
    found = registry.household_in_scope(current_scope(), household_id)
    if found is None:
        abort(404)
    return found


def _household_page(found: Household, revoke_form: FlaskForm, reissue_form: FlaskForm) -> str:
    plate = service.active_plate(found)
    return render_template(
        "staff/plate.html",
        household=found,
        plate=plate,
        plate_url=tokens.plate_url(current_app.config["BASE_URL"], plate.token) if plate else None,
        grouped_token=tokens.grouped(plate.token) if plate else None,
        history=service.history(found),
        reason_labels=REASON_LABELS,
        revoke_form=revoke_form,
        reissue_form=reissue_form,
        may_issue=found.status is HouseholdStatus.ACTIVE,
        single_formats=printing.SINGLE_FORMATS,
        grouped=tokens.grouped,
    )
