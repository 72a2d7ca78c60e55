"""Signing in, and changing one's password: checked so that guessing is slow, names stay secret,
and a stranger cannot keep a clerk out (ASVS 5.0 V6.1.1, V6.3.1).

**The same answer for every failure.** An unknown username, a wrong password, an inactive
account and an attempt held back by a delay (below) all raise :class:`LoginFailed` with one
message, and all compute one password hash (an unknown name or a held-back attempt against a
dummy hash), so neither the page nor its timing tells a name that exists from one that does not.

**Delays instead of a lock.** An account lock (ten failures, fifteen minutes) let anyone who knew
a username keep its clerk out, for ever, with ten requests every fifteen minutes. Instead:

- *Per address* (every account): the rate limiter's ``LOGIN_LIMIT`` bucket bounds the attempts
  one address may make at all (``ratelimit.SIGN_INS``, on the view).
- *Per account and address*: an account's failures since its last sign-in are counted
  (``failed_logins``), and each address's last failure on it is kept (``SignInFailure``). Once
  the account has ``LOGIN_FREE_FAILURES`` failures, an address that has failed on it must wait
  ``LOGIN_DELAY_SECONDS``, doubled for every further failure of the account, at most
  ``LOGIN_DELAY_MAX_SECONDS``, after its *own* last checked failure before it is checked again.
  An attempt inside the wait is held back (refused unchecked, and counted): it does not
  restart the wait, though like every failure of the account it may lengthen it, up to the
  cap. So one address hammering an account gets one guess per ``LOGIN_DELAY_MAX_SECONDS``
  (~12 an hour at 5 minutes), however many requests it sends.

Why a stranger cannot keep the clerk out: a wait binds only an address that has failed on the
account, and only until the wait after that address's own last failure is over. The clerk's
right password from an address that has not failed (the office, a phone on mobile data) is
checked at once, whatever others are doing; from an address where the clerk mistyped, they wait
at most ``LOGIN_DELAY_MAX_SECONDS`` after their own mistake, which nobody elsewhere can prolong.
Only someone behind the clerk's own address (the same office NAT) can keep them waiting, and
every attempt is in the audit trail, and is told to the clerk at their next sign-in.

What this gives up, knowingly: many addresses (a botnet) each get a first guess on an account
unhindered, then one per wait each; nothing short of a lock stops that, and a lock is what let
strangers lock clerks out. Against it stand the per-address limit, the ten-character minimum
password, a slow hash, and the clerk being told the count.

An IPv6 address counts by its /64 network (:mod:`doorplate.clients`), which one household or
phone is given whole: else a single machine could step through addresses, each "one that has not
failed".

Two attempts from one address arriving together may both be checked (the wait is read, not
claimed); the per-address limit bounds such bursts. A successful sign-in clears the account's
count and waits, after telling the clerk how many failures there were.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from doorplate.clients import client_key
from doorplate.db import db, utcnow
from doorplate.staff import audit
from doorplate.staff.models import ADDRESS_LENGTH, SignInFailure, StaffUser
from doorplate.staff.service import StaffError, check_new_password, end_sessions, hash_password

# At most 2^MAX_DOUBLINGS times the first delay: the cap is reached long before, and the power
# must not grow with an attacker's count.
MAX_DOUBLINGS = 32


class LoginFailed(StaffError):
    """A sign-in was refused; the message is the same whatever the reason (see the module)."""


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in, and how many failed attempts the account had since the last one."""

    user: StaffUser
    failures: int


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("doorplate-timing-equaliser", method=method)


def _spend_a_hash(password: str) -> None:
    """Cost what checking a real password costs, when there is none to check."""
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)


def authenticate(
    username: str, password: str, address: str, now: datetime | None = None
) -> SignedIn:
    """Sign in from ``address``, or raise :class:`LoginFailed`; the caller commits either way
    (a failure is a write too: the count, the address's failure and the audit row)."""
    now, address = now or utcnow(), address_key(address)
    failed = LoginFailed(_("Wrong username or password."))
    user = db.session.scalar(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    )
    if user is None:
        _spend_a_hash(password)
        audit.record("anonymous", "login.failed", "staff_user", None)
        raise failed
    if not _password_accepted(user, password, address, now, "login"):
        raise failed
    if not user.active:
        _count_failure(user, address, now)
        audit.record(user, "login.failed", "staff_user", user.id)
        raise failed
    failures = user.failed_logins
    _forget_failures(user)
    user.last_login_at = now
    audit.record(user, "login", "staff_user", user.id, failures=failures)
    return SignedIn(user, failures)


def change_password(
    user: StaffUser,
    current_password: str,
    new_password: str,
    address: str,
    now: datetime | None = None,
) -> None:
    """Replace ``user``'s password and end every session of the account (the caller starts this
    one afresh). The current password is checked like a sign-in, with the same delays, so a
    borrowed or stolen session cannot be used to guess it. The caller commits either way."""
    now, address = now or utcnow(), address_key(address)
    if not _password_accepted(user, current_password, address, now, "password.change"):
        raise StaffError(_("The current password is wrong."))
    check_new_password(new_password)
    if new_password == current_password:
        raise StaffError(_("The new password must differ from the current one."))
    user.password_hash = hash_password(new_password)
    end_sessions(user)
    audit.record(user, "password.change", "staff_user", user.id)


def clear_delays(actor: audit.Actor, user: StaffUser) -> None:
    """End the sign-in waits of every address on ``user`` (county administrator's action).

    The failure count stays, so the clerk is still told of the attempts at their next sign-in.
    """
    db.session.execute(delete(SignInFailure).where(SignInFailure.staff_user_id == user.id))
    audit.record(actor, "staff.unlock", "staff_user", user.id)


def address_key(address: str) -> str:
    """Where an attempt comes from, as the delays count it (:func:`clients.client_key`), cut to
    the column's length."""
    return client_key(address)[:ADDRESS_LENGTH]


def _password_accepted(
    user: StaffUser, password: str, address: str, now: datetime, action: str
) -> bool:
    """Whether ``password`` is ``user``'s and ``address`` may be checked now; a failure is counted
    and audited as ``<action>.failed`` (or ``<action>.held_back`` when not checked)."""
    if _held_back(user, address, now):
        _spend_a_hash(password)
        _count_failure(user, address, None)
        audit.record(user, f"{action}.held_back", "staff_user", user.id)
        return False
    if not check_password_hash(user.password_hash, password):
        _count_failure(user, address, now)
        audit.record(user, f"{action}.failed", "staff_user", user.id)
        return False
    return True


def delay_after(failures: int) -> timedelta:
    """How long an address that has failed on an account with ``failures`` failures must wait
    after its own last failure (none before ``LOGIN_FREE_FAILURES``)."""
    config = current_app.config
    free = config["LOGIN_FREE_FAILURES"]
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, MAX_DOUBLINGS)
    seconds = min(config["LOGIN_DELAY_SECONDS"] * 2**doublings, config["LOGIN_DELAY_MAX_SECONDS"])
    return timedelta(seconds=seconds)


def _held_back(user: StaffUser, address: str, now: datetime) -> bool:
    wait = delay_after(user.failed_logins)
    if not wait:
        return False
    last_failed_at = db.session.scalar(
        select(SignInFailure.last_failed_at).where(
            SignInFailure.staff_user_id == user.id, SignInFailure.address == address
        )
    )
    return last_failed_at is not None and now < last_failed_at + wait


def _count_failure(user: StaffUser, address: str, checked_at: datetime | None) -> None:
    """Add one to the account's count, in SQL so concurrent failures all count; a checked
    failure (``checked_at``) also restarts ``address``'s wait."""
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_logins=StaffUser.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["failed_logins"])
    if checked_at is None:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(SignInFailure).values(
        staff_user_id=user.id, address=address, last_failed_at=checked_at
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[SignInFailure.staff_user_id, SignInFailure.address],
            set_={"last_failed_at": statement.excluded.last_failed_at},
        )
    )


def _forget_failures(user: StaffUser) -> None:
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_logins=0)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["failed_logins"])
    db.session.execute(delete(SignInFailure).where(SignInFailure.staff_user_id == user.id))
