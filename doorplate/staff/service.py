"""Staff use cases: accounts, ending their sessions, and the scope a role may see.

Signing in, its delays and changing one's password live in ``staff.signin``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.staff import audit
from doorplate.staff.models import COUNTY_ROLES, Role, StaffUser

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """Hash with ``PASSWORD_HASH_METHOD`` (scrypt by default; tests choose a cheaper one)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


class StaffError(Exception):
    """A staff use case refused its input; the message is translated and fit to show."""


@dataclass(frozen=True)
class Scope:
    """The part of the county a staff member may see: all of it, one town, or one village."""

    town_id: int | None = None
    village_id: int | None = None

    @property
    def is_county(self) -> bool:
        return self.town_id is None and self.village_id is None

    def villages(self) -> ColumnElement[bool]:
        """A WHERE clause on ``Village`` selecting the villages in scope."""
        if self.village_id is not None:
            return Village.id == self.village_id
        if self.town_id is not None:
            return Village.town_id == self.town_id
        return true()

    def towns(self) -> ColumnElement[bool]:
        """A WHERE clause on ``Town``: every town, the reviewer's town, or the village's town."""
        if self.village_id is not None:
            return (
                Town.id
                == select(Village.town_id).where(Village.id == self.village_id).scalar_subquery()
            )
        if self.town_id is not None:
            return Town.id == self.town_id
        return true()

    def covers(self, village: Village) -> bool:
        if self.village_id is not None:
            return village.id == self.village_id
        if self.town_id is not None:
            return village.town_id == self.town_id
        return True


def scope_of(user: StaffUser) -> Scope:
    return Scope(town_id=user.town_id, village_id=user.village_id)


def create_staff(
    actor: audit.Actor,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    town_code: str | None = None,
    village_code: str | None = None,
) -> StaffUser:
    """Create an account whose scope fits its role; the password is stored hashed only."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise StaffError(_("Username must be 3-64 lowercase letters, digits, '.', '_' or '-'."))
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise StaffError(_("The username %(username)s is already taken.", username=username))
    check_new_password(password)
    town, village = _resolve_scope(role, town_code, village_code)
    user = StaffUser(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role,
        town=town,
        village=village,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "staff.create",
        "staff_user",
        user.id,
        username=username,
        role=role.value,
        town=town_code,
        village=village_code,
    )
    return user


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(
            _("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH)
        )


def _resolve_scope(
    role: Role, town_code: str | None, village_code: str | None
) -> tuple[Town | None, Village | None]:
    if role in COUNTY_ROLES:
        if town_code or village_code:
            raise StaffError(_("County-wide roles take no town or village."))
        return None, None
    if role is Role.REVIEWER and bool(town_code) == bool(village_code):
        raise StaffError(_("A reviewer needs either a town or a village, not both."))
    if role is Role.EDITOR and (town_code or not village_code):
        raise StaffError(_("An editor needs a village (and no town)."))
    if town_code:
        town = db.session.scalar(select(Town).where(Town.code == town_code))
        if town is None:
            raise StaffError(_("There is no town with code %(code)s.", code=town_code))
        return town, None
    village = db.session.scalar(select(Village).where(Village.code == village_code))
    if village is None:
        raise StaffError(_("There is no village with code %(code)s.", code=village_code))
    return None, village


def find_staff(username: str) -> StaffUser:
    """The account named ``username`` (as typed: case and spaces do not matter)."""
    user = db.session.scalar(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    )
    if user is None:
        raise StaffError(_("There is no staff account %(username)s.", username=username))
    return user


def end_sessions(user: StaffUser) -> None:
    """End every session of ``user``, and every copy of its cookie, at once.

    Sessions are Flask's signed cookies, which the server cannot take back; each carries the
    account's ``session_version`` from its sign-in, which ``access.load_current_staff`` compares
    on every staff request, so adding one here (in SQL: concurrent calls both count) makes every
    cookie issued before it worthless, copied or not.
    """
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(session_version=StaffUser.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["session_version"])


def sign_out(user: StaffUser) -> None:
    """Sign ``user`` out: their sessions on every device end, so a copied cookie cannot outlive it.

    One version per account means signing out on one device signs out the others too; for a
    console holding residents' personal data that is what "sign out" should mean.
    """
    end_sessions(user)
    audit.record(user, "logout", "staff_user", user.id)


def sign_out_everywhere(actor: audit.Actor, user: StaffUser) -> None:
    """An administrator ends every session of ``user`` (a lost phone, a shared computer)."""
    end_sessions(user)
    audit.record(actor, "staff.sign_out_everywhere", "staff_user", user.id)


def set_active(actor: audit.Actor, user: StaffUser, *, active: bool) -> None:
    """Deactivate (or reactivate) an account; deactivating ends its sessions at once."""
    user.active = active
    if not active:
        end_sessions(user)
    audit.record(actor, "staff.activate" if active else "staff.deactivate", "staff_user", user.id)


def staff_accounts() -> list[StaffUser]:
    """Every account, for the administrator's list, by username."""
    return list(
        db.session.scalars(
            select(StaffUser)
            .options(
                selectinload(StaffUser.town),
                selectinload(StaffUser.village).selectinload(Village.town),
            )
            .order_by(StaffUser.username)
        )
    )
