"""The staff console (``/staff/...``): signing in and out, and the registry within the user's scope.

Every view but ``login`` is wrapped by ``staff_required`` (a test walks the URL map to keep it so).
Views stay thin: load through the scope-filtered queries (out of scope is a 404, the same as
missing) → check access → process; being the edge, a view that writes commits once, at the end.
"""

from __future__ import annotations

import math
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from doorplate import ratelimit
from doorplate.bookings import service as bookings
from doorplate.bounds import page_number
from doorplate.db import db
from doorplate.i18n import safe_next
from doorplate.places import registry
from doorplate.places.registry import HouseholdPage, households_in_scope
from doorplate.places.service import ContactError, update_village_contact
from doorplate.staff import audit, service, signin
from doorplate.staff.access import (
    current_scope,
    current_staff,
    load_current_staff,
    login_user,
    logout_user,
    may_open,
    staff_required,
)
from doorplate.staff.forms import (
    HouseholdSearchForm,
    LoginForm,
    PasswordForm,
    VillageContactForm,
)
from doorplate.staff.models import Role, StaffUser

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(load_current_staff)

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COUNTY: _l("County office"),
    Role.REVIEWER: _l("Reviewer"),
    Role.EDITOR: _l("Village editor"),
}


@bp.context_processor
def _console() -> dict[str, Any]:
    """What the console layout shows on every page: the county, who is signed in, where."""
    user: StaffUser | None = g.get("staff")
    return {
        "county_name": current_app.config["COUNTY_NAME"],
        "staff_user": user,
        "role_label": ROLE_LABELS[user.role] if user else None,
        "scope_label": _scope_label(user) if user else None,
        "may_open": may_open,
    }


def _scope_label(user: StaffUser) -> str:
    if user.village is not None:
        return f"{user.village.town.name} {user.village.name}"
    if user.town is not None:
        return user.town.name
    return _("Whole county")


@bp.route("/login", methods=["GET", "POST"])
@ratelimit.limited(ratelimit.SIGN_INS, methods={"POST"})
def login() -> ResponseReturnValue:
    """Sign in; public by necessity, the one staff endpoint without ``staff_required``."""
    next_path = safe_next(request.args.get("next"), "") or None
    target = next_path or url_for("staff.home")
    if g.staff is not None:
        return redirect(target)
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        signed_in: signin.SignedIn | None = None
        try:
            signed_in = signin.authenticate(
                form.username.data or "", form.password.data or "", _address()
            )
        except signin.LoginFailed as failure:
            error = str(failure)
        db.session.commit()  # a failure is a write too: the counter and the audit row
        if signed_in is not None:
            login_user(signed_in.user)
            if signed_in.failures:
                flash(_failures_message(signed_in.failures), "error")
            return redirect(target)
    return render_template(
        "staff/login.html",
        form=form,
        error=error,
        next_path=next_path,
        longest_wait=math.ceil(current_app.config["LOGIN_DELAY_MAX_SECONDS"] / 60),
    )


def _address() -> str:
    """The client's address, as the rate limiter sees it (after ``PROXY_COUNT`` proxies)."""
    return request.remote_addr or ""


def _failures_message(failures: int) -> str:
    return ngettext(
        "There was %(num)d failed sign-in attempt on your account since you last signed in. "
        "If it was not you, tell the county administrator.",
        "There were %(num)d failed sign-in attempts on your account since you last signed in. "
        "If they were not yours, tell the county administrator.",
        failures,
    )


@bp.post("/logout")
@staff_required()
def logout() -> ResponseReturnValue:
    """Sign out: every session of the account ends, so no copy of its cookie outlives it."""
    service.sign_out(current_staff())
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("staff.login"))


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
def password() -> ResponseReturnValue:
    """Change one's own password; every other session of the account ends with the old one."""
    user = current_staff()
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        changed = False
        try:
            signin.change_password(
                user, form.current_password.data or "", form.new_password.data or "", _address()
            )
            changed = True
        except service.StaffError as refused:
            error = str(refused)
        db.session.commit()  # a wrong current password is counted like a failed login
        if changed:
            login_user(user)  # re-issue this session under the new password
            flash(_("Your password has been changed; other sessions are signed out."), "success")
            return redirect(url_for("staff.home"))
    return render_template("staff/password.html", form=form, error=error)


@bp.get("/")
@staff_required()
def home() -> ResponseReturnValue:
    scope = current_scope()
    return render_template(
        "staff/home.html",
        counts=registry.scope_counts(scope),
        completed=bookings.completed_this_year(scope),
    )


@bp.get("/villages")
@staff_required()
def villages() -> ResponseReturnValue:
    groups = registry.villages_by_town(current_scope())
    return render_template("staff/villages.html", groups=groups)


@bp.route("/villages/<village_code>/contact", methods=["GET", "POST"])
@staff_required()
def village_contact(village_code: str) -> ResponseReturnValue:
    """Edit the public contact of a village in scope (its own staff, its town's, the county)."""
    village = registry.village_in_scope(current_scope(), village_code)
    if village is None:
        abort(404)
    form = VillageContactForm(obj=village)
    if form.validate_on_submit():
        try:
            update_village_contact(
                current_staff(),
                village,
                office_phone=form.office_phone.data or "",
                office_address=form.office_address.data or "",
                office_hours=form.office_hours.data or "",
            )
        except ContactError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The contact of %(village)s is saved.", village=village.name), "success")
            return redirect(url_for("staff.villages"))
    return render_template("staff/village_contact.html", form=form, village=village)


@bp.get("/households")
@staff_required()
def households() -> ResponseReturnValue:
    """Search the households in scope; a village outside the scope is a 404, like an unknown one."""
    scope = current_scope()
    form = HouseholdSearchForm(formdata=request.args)
    village_code = form.village.data or None
    if village_code and registry.village_in_scope(scope, village_code) is None:
        abort(404)
    choices = registry.village_choices(scope)
    form.village.choices = [("", _("All villages")), *choices]
    search = (form.q.data or "").strip()
    page, per_page = page_number(request.args), current_app.config["STAFF_PAGE_SIZE"]
    found = (
        households_in_scope(
            scope, query=search, village_code=village_code, page=page, per_page=per_page
        )
        if form.validate()
        else HouseholdPage([], 0)
    )
    return render_template(
        "staff/households.html",
        form=form,
        rows=found.households,
        total=found.total,
        page=page,
        per_page=per_page,
        search_args={k: v for k, v in (("q", search), ("village", village_code)) if v},
        show_village_filter=len(choices) > 1,
    )


@bp.get("/households/<int:household_id>")
@staff_required()
def household(household_id: int) -> ResponseReturnValue:
    found = registry.household_in_scope(current_scope(), household_id)
    if found is None:
        abort(404)
    return render_template("staff/household.html", household=found)


@bp.get("/audit")
@staff_required(Role.ADMIN, Role.COUNTY)
def audit_trail() -> ResponseReturnValue:
    page, per_page = page_number(request.args), current_app.config["STAFF_PAGE_SIZE"]
    events, total = audit.trail(page, per_page)
    return render_template(
        "staff/audit.html", events=events, total=total, page=page, per_page=per_page
    )


@bp.get("/accounts")
@staff_required(Role.ADMIN)
def accounts() -> ResponseReturnValue:
    """The staff accounts, with what the administrator may do to their sessions."""
    return render_template(
        "staff/accounts.html",
        accounts=service.staff_accounts(),
        account_scope=_scope_label,
        role_labels=ROLE_LABELS,
    )


@bp.post("/accounts/<int:staff_id>/sign-out")
@staff_required(Role.ADMIN)
def sign_out_everywhere(staff_id: int) -> ResponseReturnValue:
    """End every session of one account at once (a lost phone, a shared computer)."""
    user = db.session.get(StaffUser, staff_id)
    if user is None:
        abort(404)
    service.sign_out_everywhere(current_staff(), user)
    db.session.commit()
    if user.id == current_staff().id:
        logout_user()
        flash(_("You have signed out."), "info")
        return redirect(url_for("staff.login"))
    flash(_("%(username)s is signed out everywhere.", username=user.username), "success")
    return redirect(url_for("staff.accounts"))
