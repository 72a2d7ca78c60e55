"""Staff use cases: accounts, authentication with lockout, and the scope a role may see."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, literal, select, true, update
from werkzeug.security import check_password_hash, generate_password_hash

from doorplate.db import UTCDateTime, db, utcnow
from doorplate.places.models import Town, Village
from doorplate.staff import audit
from doorplate.staff.models import COUNTY_ROLES, Role, StaffUser

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
MIN_PASSWORD_LENGTH = 10


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("doorplate-timing-equaliser", method=method)


def hash_password(password: str) -> str:
    """Hash with ``PASSWORD_HASH_METHOD`` (scrypt by default; tests choose a cheaper one)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


class StaffError(Exception):
    """A staff use case refused its input; the message is translated and fit to show."""


class LoginFailed(StaffError):
    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


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
    _check_new_password(password)
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


def _check_new_password(password: str) -> None:
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


def authenticate(username: str, password: str, now: datetime | None = None) -> StaffUser:
    """Return the user for a correct login, or raise :class:`LoginFailed`.

    Failures are counted in SQL so concurrent attempts cannot lose an increment; the account locks
    for ``LOGIN_LOCKOUT_MINUTES`` once ``LOGIN_MAX_FAILURES`` is reached. A locked account is
    refused even with the right password. The caller commits either way: a failure is a write too.
    """
    now = now or utcnow()
    wrong = _("Wrong username or password.")
    user = db.session.scalar(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    )
    if user is None:
        # Spend the same time as for a real account, so timing does not reveal which names exist.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        audit.record("anonymous", "login.failed", "staff_user", None)
        raise LoginFailed(wrong)
    if user.locked_until is not None and user.locked_until > now:
        audit.record(user, "login.refused_locked", "staff_user", user.id)
        raise LoginFailed(_locked_message(user.locked_until), user.locked_until)
    if not check_password_hash(user.password_hash, password) or not user.active:
        locked_until = _count_failure(user, now)
        if locked_until is not None:
            audit.record(user, "login.locked", "staff_user", user.id)
            raise LoginFailed(_locked_message(locked_until), locked_until)
        audit.record(user, "login.failed", "staff_user", user.id)
        raise LoginFailed(wrong)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(user, "login", "staff_user", user.id)
    return user


def _count_failure(user: StaffUser, now: datetime) -> datetime | None:
    """Add one failure in SQL; return the lock expiry if this failure locked the account.

    One ``UPDATE`` reads and writes the counter, so concurrent failures cannot lose an increment.
    After a lock has expired the count starts afresh: a returning user's first typo does not lock
    them out again at once.
    """
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    lock_expired = and_(
        StaffUser.locked_until.is_not(None), StaffUser.locked_until <= literal(now, UTCDateTime)
    )
    failures = case((lock_expired, 1), else_=StaffUser.failed_logins + 1)
    counted = db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(
            failed_logins=failures,
            locked_until=case(
                (failures >= limit, literal(until, UTCDateTime)),
                (lock_expired, None),
                else_=StaffUser.locked_until,
            ),
        )
        .returning(StaffUser.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.expire(user)
    return until if counted >= limit else None


def _locked_message(until: datetime) -> str:
    return _(
        "Too many failed attempts: this account is locked until %(time)s. "
        "Ask the county administrator to unlock it sooner.",
        time=format_time(until),
    )


def format_time(moment: datetime) -> str:
    return format_datetime(moment, "short")


def unlock(actor: audit.Actor, username: str) -> StaffUser:
    """Clear a lockout (county administrator's action)."""
    user = db.session.scalar(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    )
    if user is None:
        raise StaffError(_("There is no staff account %(username)s.", username=username))
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor, "staff.unlock", "staff_user", user.id)
    return user


def change_password(
    user: StaffUser, current_password: str, new_password: str, now: datetime | None = None
) -> None:
    """Replace ``user``'s password, which ends every other session (see ``access``).

    The current password is checked like a login, failures counted the same way, so a borrowed
    or stolen session cannot be used to guess it. The caller commits either way.
    """
    now = now or utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise LoginFailed(_locked_message(user.locked_until), user.locked_until)
    if not check_password_hash(user.password_hash, current_password):
        locked_until = _count_failure(user, now)
        audit.record(user, "password.change_failed", "staff_user", user.id)
        if locked_until is not None:
            raise LoginFailed(_locked_message(locked_until), locked_until)
        raise StaffError(_("The current password is wrong."))
    _check_new_password(new_password)
    if new_password == current_password:
        raise StaffError(_("The new password must differ from the current one."))
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    audit.record(user, "password.change", "staff_user", user.id)
