"""Plates: the random token on a household's door, with its history.

A household has at most one active plate (a partial unique index says so); revoking and reissuing
keeps the old rows with their ``generation``, so a scan of an old plate can be answered with 410
and the county can tell how many plates were replaced.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from doorplate.db import UTCDateTime, db, str_enum, utcnow
from doorplate.places.models import Household


class PlateStatus(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class RevokeReason(enum.StrEnum):
    LOST = "lost"
    DAMAGED = "damaged"
    MOVED = "moved"  # the household moved or the address changed
    OTHER = "other"


class Plate(db.Model):
    __tablename__ = "plate"
    __table_args__ = (
        UniqueConstraint("household_id", "generation"),
        Index(
            "uq_plate_household_active",
            "household_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    token: Mapped[str] = mapped_column(String(16), unique=True)
    generation: Mapped[int] = mapped_column(Integer)
    status: Mapped[PlateStatus] = mapped_column(
        str_enum(PlateStatus, "plate_status"),
        default=PlateStatus.ACTIVE,
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    installed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    installed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[RevokeReason | None] = mapped_column(
        str_enum(RevokeReason, "revoke_reason")
    )

    household: Mapped[Household] = relationship()

    def __repr__(self) -> str:
        return f"<Plate {self.id} gen {self.generation} {self.status}>"
