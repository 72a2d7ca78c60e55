"""Recording staff actions in the audit trail, and reading it back.

Use cases call :func:`record` in the same transaction as the change they describe, so an action
and its audit row commit or roll back together.
"""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy import select

from doorplate.db import db
from doorplate.staff.models import AuditEvent, StaffUser

Actor = StaffUser | str


def cli_actor() -> str:
    """The actor name for changes made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return "cli"


def record(
    actor: Actor, action: str, object_type: str, object_id: Any = None, **detail: Any
) -> AuditEvent:
    """Add an audit event for ``actor`` doing ``action`` to ``object_type:object_id``."""
    event = AuditEvent(
        actor_id=actor.id if isinstance(actor, StaffUser) else None,
        actor_name=actor.username if isinstance(actor, StaffUser) else actor,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
    )
    db.session.add(event)
    return event


def trail(page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    """One page of the trail, newest first, and the total number of events."""
    result = db.paginate(
        select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return list(result.items), result.total or 0


def events_for(object_type: str, object_id: object) -> list[AuditEvent]:
    """Everything done to one object, oldest first: its history as the console shows it."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
