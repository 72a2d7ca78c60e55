"""Towns, villages and households.

Codes are the national statistical division codes where the county has them; the county itself is
configuration, not a row. A household's head name and phone are staff-only data: no public page or
API may ever read them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from doorplate.db import UTCDateTime, db, str_enum, utcnow


class Town(db.Model):
    __tablename__ = "town"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    villages: Mapped[list[Village]] = relationship(back_populates="town", order_by="Village.code")

    def __repr__(self) -> str:
        return f"<Town {self.code}>"


class Village(db.Model):
    __tablename__ = "village"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), index=True)
    # The village office's public contact, shown on every plate page of the village: an office
    # line and opening hours, never a person's own number.
    office_phone: Mapped[str | None] = mapped_column(String(40))
    office_address: Mapped[str | None] = mapped_column(String(200))
    office_hours: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    town: Mapped[Town] = relationship(back_populates="villages")

    def __repr__(self) -> str:
        return f"<Village {self.code}>"


class HouseholdStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"  # moved away or demolished; kept so history and plates stay explainable


class Household(db.Model):
    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("village_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    address: Mapped[str] = mapped_column(String(200))
    house_no: Mapped[str | None] = mapped_column(String(32))
    head_name: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[HouseholdStatus] = mapped_column(
        str_enum(HouseholdStatus, "household_status"),
        default=HouseholdStatus.ACTIVE,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When it became inactive, for good; None while active. The county's "households registered"
    # at a past date reads it (created before then and not deactivated before then).
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    village: Mapped[Village] = relationship()

    def __repr__(self) -> str:
        return f"<Household {self.id}>"

    def deactivate(self, now: datetime | None = None) -> None:
        """Mark the household moved away or demolished, remembering when for the statistics.

        Deactivation is final: there is no way back to active, since that would rewrite the
        county's past figures (households registered at every date since), which the daily
        rollup has already kept (:mod:`doorplate.stats.rollup`). Every change to ``status``
        goes through here, so the two columns never disagree; deactivating an inactive
        household keeps its first date.
        """
        if self.status is not HouseholdStatus.INACTIVE:
            self.status = HouseholdStatus.INACTIVE
            self.deactivated_at = now or utcnow()
