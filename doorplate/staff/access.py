"""Who is signed in to the staff console, and the permission check every staff view declares.

A session is Flask's signed cookie, which the server cannot take back by itself: each carries the
account's ``session_version`` from its sign-in, and a request whose version is no longer the
account's is signed out (``service.end_sessions``: sign-out, password change, deactivation, an
administrator's "sign out everywhere"), so a copied cookie dies with the session it was copied
from. The version is read from the account's row, which every staff request loads anyway.

Each staff view is wrapped by :func:`staff_required`, which records the roles it allows on the view
function (``view.access_roles``). A test walks ``app.url_map`` and fails for any staff endpoint
without that mark, so a new route cannot ship without a permission check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from doorplate.db import db, utcnow
from doorplate.staff.models import Role, StaffUser
from doorplate.staff.service import Scope, scope_of

F = TypeVar("F", bound=Callable[..., Any])
ALL_ROLES = frozenset(Role)
SESSION_KEYS = ("staff_id", "staff_version", "seen_at")


def login_user(user: StaffUser) -> None:
    session.clear()  # a fresh session on login: nothing carried over from before
    session.permanent = True
    session["staff_id"] = user.id
    session["staff_version"] = user.session_version
    session["seen_at"] = utcnow().timestamp()


def logout_user() -> None:
    for key in SESSION_KEYS:
        session.pop(key, None)


def load_current_staff() -> None:
    """Before each staff request: resolve the session to an active user, ending idle sessions
    and those whose account has ended them since (see the module)."""
    g.staff = None
    staff_id = session.get("staff_id")
    if staff_id is None:
        return
    idle = timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    seen_at = datetime.fromtimestamp(session.get("seen_at", 0), tz=UTC)
    if utcnow() - seen_at > idle:
        logout_user()
        flash(_("You were signed out after a period of inactivity."), "info")
        return
    user = db.session.get(StaffUser, staff_id)
    if user is None or not user.active or session.get("staff_version") != user.session_version:
        logout_user()
        flash(_("This session has ended. Please sign in again."), "info")
        return
    session["seen_at"] = utcnow().timestamp()
    g.staff = user


def current_staff() -> StaffUser:
    """The signed-in user; only valid inside a view wrapped by :func:`staff_required`."""
    user: StaffUser = g.staff
    return user


def current_scope() -> Scope:
    return scope_of(current_staff())


def may_open(endpoint: str) -> bool:
    """Whether the signed-in user passes ``endpoint``'s role check: menus offer only what works."""
    user = g.get("staff")
    roles = getattr(current_app.view_functions[endpoint], "access_roles", frozenset())
    return user is not None and user.role in roles


def staff_required(*roles: Role) -> Callable[[F], F]:
    """Allow the view to signed-in staff with one of ``roles`` (any role when none are given)."""
    allowed = frozenset(roles) or ALL_ROLES

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = g.get("staff")
            if user is None:
                # Only a page can be gone back to after signing in; a form post cannot be replayed.
                back = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("staff.login", next=back))
            if user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.access_roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
