"""The daily rollup: each past county day's figures, counted once from the raw rows.

The tallies read these rows for the days they cover and the raw rows for every other day, so a
figure is the same whether or not the rollup ran (see :mod:`doorplate.stats.rollup` for why a
rolled-up day cannot change afterwards). Flows are kept per day; the stock (households registered
and covered) as a snapshot at each day's end, per village only, since a household belongs to one
village and the towns' and county's stock is the sum of their villages'. Nothing about a person:
visitor keys and households are counted, not copied.

Every level keeps its own figures: the county's on :class:`RollupDay`, each town's on
:class:`TownDay`, each village's on :class:`VillageDay`. Unique visitors must be: they are
distinct keys per county day *within an area*, and one visitor seen in two villages that day is
one visitor of their town and of the county. The other flows could be added up from the villages,
but a year of the county then reads 365 rows instead of 180,000.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from doorplate.db import UTCDateTime, db


class Flows:
    """The figures of one area on one day that the tallies add up over a period's days."""

    visits: Mapped[int] = mapped_column(Integer)
    unique_visitors: Mapped[int] = mapped_column(Integer)  # distinct keys in the area that day
    bookings_received: Mapped[int] = mapped_column(Integer)
    requests_received: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[int] = mapped_column(Integer)
    no_show: Mapped[int] = mapped_column(Integer)


FLOWS = (
    "visits",
    "unique_visitors",
    "bookings_received",
    "requests_received",
    "completed",
    "cancelled",
    "no_show",
)


class RollupDay(Flows, db.Model):
    """One county day that has been rolled up, in the time zone its days were cut in.

    Days count only while ``zone`` is the configured county zone: changing the zone moves every
    day's boundaries, and the raw rows are counted instead until the rollup runs again.
    """

    __tablename__ = "rollup_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))
    rolled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TownDay(Flows, db.Model):
    """A town's figures on one rolled-up day (no row: all zero)."""

    __tablename__ = "rollup_town_day"

    day: Mapped[date] = mapped_column(
        ForeignKey("rollup_day.day", ondelete="CASCADE"), primary_key=True
    )
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"), primary_key=True, index=True)


class VillageDay(Flows, db.Model):
    """A village's flow figures on one rolled-up day and its stock at that day's end (no row:
    all zero)."""

    __tablename__ = "rollup_village_day"

    day: Mapped[date] = mapped_column(
        ForeignKey("rollup_day.day", ondelete="CASCADE"), primary_key=True
    )
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), primary_key=True, index=True)
    households_registered: Mapped[int] = mapped_column(Integer)  # at the day's end
    households_covered: Mapped[int] = mapped_column(Integer)  # at the day's end
