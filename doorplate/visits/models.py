"""Visits to plate pages, and the two small tables that keep counting them exact and anonymous.

``Visit`` is the raw record the county's figures are counted from: append-only, one row per
counted visit, with the village denormalised so "visits per village per day" reads one index.
``VisitWindow`` is scratch state for the 30-minute rule and ``VisitSalt`` holds the random salt of
each day's visitor keys; rows of both are deleted as soon as they can no longer matter.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from doorplate.db import UTCDateTime, db

KEY_LENGTH = 16  # hex digits: 64 bits, so two visitors on one day practically never share a key


class Visit(db.Model):
    """One counted opening of a plate page (访问人次)."""

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_village_id_occurred_at", "village_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plate_id: Mapped[int] = mapped_column(ForeignKey("plate.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # HMAC of the visitor's address and browser under the salt of the visit's (county) day: the
    # same within a day, so unique visitors per day can be counted, and unlinkable across days.
    visitor_key: Mapped[str] = mapped_column(String(KEY_LENGTH))

    def __repr__(self) -> str:
        return f"<Visit {self.id} plate {self.plate_id}>"


class VisitWindow(db.Model):
    """When a visitor's visit to a plate was last counted: the row the 30-minute rule locks.

    The primary key makes "is there a counted visit within 30 minutes? if not, count this one" a
    single atomic upsert. No foreign key: the rows are scratch data purged within hours, and
    nothing joins them.
    """

    __tablename__ = "visit_window"

    visitor_key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    plate_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VisitSalt(db.Model):
    """The random salt of one county day's visitor keys; deleted once that day is over.

    Random rather than derived from the app's secret key, so that once the row is gone nobody,
    not even someone holding the database and the configuration, can tell which address made a
    visit.
    """

    __tablename__ = "visit_salt"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
