"""Plate use cases: issue, resolve a scanned token, mark installed, revoke and reissue.

Plates are issued in bulk (an import creates 420,000 at once), so issuing works on sets of
households with Core statements; single-plate actions go through the ORM and are audited.
Every write only flushes: the request or command that called it commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.orm import contains_eager, joinedload

from doorplate.db import db, first_row, utcnow
from doorplate.places.models import Household, HouseholdStatus, Village
from doorplate.plates import tokens
from doorplate.plates.models import Plate, PlateStatus, RevokeReason
from doorplate.staff import audit
from doorplate.staff.models import StaffUser
from doorplate.staff.service import Scope

BATCH_SIZE = 5000
_PLATE = Plate.__table__


class PlateError(Exception):
    """A plate action was refused; the message is translated and fit to show."""


class PlateNotFound(PlateError):
    """No plate has this token (or it cannot be a token at all)."""


class PlateRevoked(PlateError):
    """The plate existed but was revoked: the scan gets 410, not the household (only its
    village, whose office can issue the new plate)."""

    def __init__(self, raw_token: str, village_id: int | None = None) -> None:
        super().__init__(raw_token)
        self.village_id = village_id


def issue_missing(
    village_ids: Collection[int] | None = None, household_ids: Collection[int] | None = None
) -> int:
    """Give every active household without an active plate a new one; return how many.

    A household that had plates before gets the next ``generation``. Limited to ``village_ids``
    (an import issues plates for the villages it touched) or ``household_ids`` when given.
    """
    has_active = exists().where(
        Plate.household_id == Household.id, Plate.status == PlateStatus.ACTIVE
    )
    last_generation = (
        select(func.coalesce(func.max(Plate.generation), 0))
        .where(Plate.household_id == Household.id)
        .scalar_subquery()
    )
    query = select(Household.id, last_generation).where(
        Household.status == HouseholdStatus.ACTIVE, ~has_active
    )
    if village_ids is not None:
        query = query.where(Household.village_id.in_(village_ids))
    if household_ids is not None:
        query = query.where(Household.id.in_(household_ids))
    missing = db.session.execute(query).all()
    now = utcnow()
    issued = tokens.new_tokens(len(missing))
    rows = [
        {
            "household_id": household_id,
            "token": token,
            "generation": generation + 1,
            "status": PlateStatus.ACTIVE,
            "issued_at": now,
        }
        for (household_id, generation), token in zip(missing, issued, strict=True)
    ]
    for start in range(0, len(rows), BATCH_SIZE):
        db.session.execute(insert(_PLATE), rows[start : start + BATCH_SIZE])
    return len(rows)


@dataclass(frozen=True)
class Scanned:
    """What a plate scan needs, read in one query: the plate page shows the address above the
    village's page and records the visit against these ids."""

    plate_id: int
    token: str
    household_id: int
    village_id: int
    address: str


_SCAN = (
    select(
        Plate.id, Plate.token, Plate.status, Plate.household_id, Household.village_id,
        Household.address,
    )
    .join(Plate.household)
    .where(Plate.token == bindparam("token"))
)  # fmt: skip


def scan(raw_token: str) -> Scanned:
    """:func:`resolve` for the plate page: plain values instead of the plate, household, village
    and town objects, read outside any transaction (:func:`doorplate.db.first_row`) at a tenth
    of the cost. Raises as :func:`resolve` does."""
    token = tokens.normalise(raw_token)
    if token is None:
        raise PlateNotFound(raw_token)
    row = first_row(_SCAN, {"token": token})
    if row is None:
        raise PlateNotFound(raw_token)
    plate_id, token, status, household_id, village_id, address = row
    if status != PlateStatus.ACTIVE.value:
        raise PlateRevoked(raw_token, village_id)
    return Scanned(plate_id, token, household_id, village_id, address)


def resolve(raw_token: str) -> Plate:
    """The active plate for a scanned or typed token, with its household, village and town.

    Raises :class:`PlateNotFound` for anything that is not a current token, whatever was guessed,
    and :class:`PlateRevoked` for a plate that has been replaced or withdrawn.
    """
    token = tokens.normalise(raw_token)
    if token is None:
        raise PlateNotFound(raw_token)
    plate = db.session.scalar(
        select(Plate)
        .where(Plate.token == token)
        .options(joinedload(Plate.household).joinedload(Household.village).joinedload(Village.town))
    )
    if plate is None:
        raise PlateNotFound(raw_token)
    if plate.status is not PlateStatus.ACTIVE:
        raise PlateRevoked(raw_token)
    return plate


def plate_in_scope(scope: Scope, plate_id: int) -> Plate | None:
    """The plate if ``scope`` covers its household's village, else None (as for an unknown id)."""
    return db.session.scalar(
        select(Plate)
        .join(Plate.household)
        .join(Household.village)
        .where(Plate.id == plate_id, scope.villages())
        .options(contains_eager(Plate.household).contains_eager(Household.village))
    )


def active_plate(household: Household) -> Plate | None:
    return db.session.scalar(
        select(Plate).where(Plate.household_id == household.id, Plate.status == PlateStatus.ACTIVE)
    )


def history(household: Household) -> list[Plate]:
    """All plates a household has had, newest first."""
    return list(
        db.session.scalars(
            select(Plate)
            .where(Plate.household_id == household.id)
            .order_by(Plate.generation.desc())
        )
    )


def mark_installed(actor: audit.Actor, plate: Plate, now: datetime | None = None) -> bool:
    """Record that ``plate`` is on its door; False if it already was (or is no longer active).

    A conditional UPDATE, so two staff confirming the same plate record one installation.
    """
    done = db.session.execute(
        update(Plate)
        .where(
            Plate.id == plate.id,
            Plate.status == PlateStatus.ACTIVE,
            Plate.installed_at.is_(None),
        )
        .values(installed_at=now or utcnow(), installed_by_id=_staff_id(actor))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(plate)
    if done:
        audit.record(actor, "plate.install", "plate", plate.id)
    return bool(done)


def install_village(actor: audit.Actor, village: Village, now: datetime | None = None) -> int:
    """Mark every active, not yet installed plate of ``village`` installed; return how many."""
    in_village = select(Household.id).where(Household.village_id == village.id)
    count = db.session.execute(
        update(Plate)
        .where(
            Plate.household_id.in_(in_village),
            Plate.status == PlateStatus.ACTIVE,
            Plate.installed_at.is_(None),
        )
        .values(installed_at=now or utcnow(), installed_by_id=_staff_id(actor))
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.record(actor, "plate.install_village", "village", village.code, plates=count)
    return count


def revoke(
    actor: audit.Actor, household: Household, reason: RevokeReason, now: datetime | None = None
) -> Plate:
    """Withdraw the household's active plate: scans of it answer 410 from now on."""
    plate = active_plate(household)
    if plate is None:
        raise PlateError(_("This household has no active plate to revoke."))
    done = db.session.execute(
        update(Plate)
        .where(Plate.id == plate.id, Plate.status == PlateStatus.ACTIVE)
        .values(status=PlateStatus.REVOKED, revoked_at=now or utcnow(), revoke_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:  # someone else revoked it between our read and write
        raise PlateError(_("This plate has already been revoked."))
    db.session.expire(plate)
    audit.record(
        actor, "plate.revoke", "plate", plate.id, generation=plate.generation, reason=reason.value
    )
    return plate


def reissue(
    actor: audit.Actor, household: Household, reason: RevokeReason, now: datetime | None = None
) -> Plate:
    """Revoke the current plate (if any) and issue the next generation; return the new plate."""
    if household.status is not HouseholdStatus.ACTIVE:
        raise PlateError(_("Plates are issued only to active households."))
    if active_plate(household) is not None:
        revoke(actor, household, reason, now)
    issue_missing(household_ids=[household.id])
    plate = active_plate(household)
    assert plate is not None  # issue_missing just gave the household one
    audit.record(actor, "plate.reissue", "plate", plate.id, generation=plate.generation)
    return plate


@dataclass(frozen=True)
class Coverage:
    """Households and their plates: ``installed`` is the coverage the county reports."""

    households: int
    active: int
    installed: int


def coverage(village_ids: Collection[int] | None = None) -> Coverage:
    """Active households, those with an active plate, and those whose active plate is installed."""
    query = (
        select(
            func.count(Household.id),
            func.count(Plate.id),
            func.count(Plate.installed_at),
        )
        .select_from(Household)
        .outerjoin(
            Plate, (Plate.household_id == Household.id) & (Plate.status == PlateStatus.ACTIVE)
        )
        .where(Household.status == HouseholdStatus.ACTIVE)
    )
    if village_ids is not None:
        query = query.where(Household.village_id.in_(village_ids))
    households, active, installed = db.session.execute(query).one()
    return Coverage(households=households, active=active, installed=installed)


def coverage_by_village(village_ids: Collection[int]) -> dict[int, Coverage]:
    """:func:`coverage` for each of ``village_ids`` in one grouped query (the console's overview).

    A village without active households is absent from the result.
    """
    rows = db.session.execute(
        select(
            Household.village_id,
            func.count(Household.id),
            func.count(Plate.id),
            func.count(Plate.installed_at),
        )
        .outerjoin(
            Plate, (Plate.household_id == Household.id) & (Plate.status == PlateStatus.ACTIVE)
        )
        .where(Household.status == HouseholdStatus.ACTIVE, Household.village_id.in_(village_ids))
        .group_by(Household.village_id)
    ).all()
    return {
        village_id: Coverage(households=households, active=active, installed=installed)
        for village_id, households, active, installed in rows
    }


def _staff_id(actor: audit.Actor) -> int | None:
    return actor.id if isinstance(actor, StaffUser) else None
