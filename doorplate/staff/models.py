"""Staff users, their failed sign-ins, and audit events.

A role fixes the shape of a user's scope, and the database enforces it: county-wide roles have no
town or village, a reviewer has exactly one of them, an editor has a village.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from doorplate.db import UTCDateTime, db, str_enum, utcnow
from doorplate.places.models import Town, Village


class Role(enum.StrEnum):
    ADMIN = "admin"  # whole county, manages accounts
    COUNTY = "county"  # whole county (县府办)
    REVIEWER = "reviewer"  # a town, or one village (村务监督委员会)
    EDITOR = "editor"  # one village (村务员)


COUNTY_ROLES = frozenset({Role.ADMIN, Role.COUNTY})
ADDRESS_LENGTH = 64  # an IPv6 network in text, with room to spare


class StaffUser(db.Model):
    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(
            "(role IN ('admin', 'county') AND town_id IS NULL AND village_id IS NULL)"
            " OR (role = 'reviewer' AND (town_id IS NULL) <> (village_id IS NULL))"
            " OR (role = 'editor' AND town_id IS NULL AND village_id IS NOT NULL)",
            name="scope_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Failed sign-ins (and wrong current passwords) since the last sign-in: told to the user when
    # they next sign in, and what the sign-in delays grow with (``staff.signin``).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # Stored in each session at sign-in and compared on every staff request: adding one ends
    # every session (and every copy of its cookie) at once (``staff.access``).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    town: Mapped[Town | None] = relationship()
    village: Mapped[Village | None] = relationship()

    def __repr__(self) -> str:
        return f"<StaffUser {self.username}>"


class SignInFailure(db.Model):
    """When an address last failed to sign in to an account, since the account's last sign-in.

    Sign-in delays bind only addresses that have failed on the account, counted from their own
    last failure, so failures from elsewhere cannot keep the user out (``staff.signin``).
    """

    __tablename__ = "sign_in_failure"

    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(db.Model):
    """Who did what to which object, and when. Append-only.

    ``actor_name`` is copied so the trail survives a renamed or deleted account; command-line
    actions are recorded as ``cli:<os user>`` with no ``actor_id``. ``detail`` holds counts and
    identifiers, never personal data.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"
