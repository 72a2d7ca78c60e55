"""Telling residents about their bookings, through a notifier chosen by configuration.

``BOOKING_NOTIFIER`` names a factory ("module:callable") that returns a :class:`Notifier`; the
default, :class:`LogNotifier`, only logs, and an SMS or WeChat gateway is added by naming its
own factory. A notification is queued on the database session and handed to the notifier only
after that transaction commits: a resident must never hear "received" about a booking that was
rolled back (a full slot, a failed commit). The end of the whole transaction without a commit
(rollback, close) drops the queue; a savepoint's rollback does not, since use cases queue only
after their savepoint succeeded.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from doorplate.bookings.models import BookingStatus
from doorplate.db import db

logger = logging.getLogger(__name__)

_PENDING = "doorplate.bookings.notifications"  # key in Session.info
_EXTENSION = "doorplate.bookings.notifier"  # key in app.extensions


@dataclass(frozen=True)
class Notification:
    """What a gateway needs to tell a resident about a booking; nothing is looked up later."""

    event: str  # "received" | "confirmed" | "reminder" | "status"
    booking_id: int
    reference: str
    status: BookingStatus
    phone: str | None
    service_name: str
    starts_at: datetime | None


class Notifier(Protocol):
    def send(self, notification: Notification) -> None: ...


class LogNotifier:
    """The default: one log line per notification, without the phone number or any name, and
    by booking id rather than reference (a reference and a phone's last four digits open a
    booking, so references stay out of logs)."""

    def send(self, notification: Notification) -> None:
        logger.info(
            "booking notification %s: booking %d is %s",
            notification.event,
            notification.booking_id,
            notification.status.value,
        )


def notifier() -> Notifier:
    """The current app's notifier, built from ``BOOKING_NOTIFIER`` on first use."""
    built: Notifier | None = current_app.extensions.get(_EXTENSION)
    if built is None:
        module, _, name = current_app.config["BOOKING_NOTIFIER"].partition(":")
        built = getattr(importlib.import_module(module), name)()
        current_app.extensions[_EXTENSION] = built
    return built


def notify(notification: Notification) -> None:
    """Queue ``notification`` for delivery once the current transaction commits."""
    pending = db.session.info.setdefault(_PENDING, [])
    pending.append((notifier(), notification))


@event.listens_for(db.session, "after_commit")
def _deliver(session: Session) -> None:
    """Send what the committed transaction queued; a failing gateway cannot undo the commit, so
    its error is logged (by booking id only) and the others are still sent."""
    for target, notification in session.info.pop(_PENDING, []):
        try:
            target.send(notification)
        except Exception:
            logger.exception("booking notification for booking %d failed", notification.booking_id)


@event.listens_for(db.session, "after_transaction_end")
def _drop(session: Session, transaction: SessionTransaction) -> None:
    """Forget what a transaction that ended without committing (rolled back, closed) queued."""
    if transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)
