"""The county registry (towns, villages, households) as one staff member's scope shows it.

Every query here takes a :class:`~doorplate.staff.service.Scope` and filters by it in SQL, so a
view cannot forget the check: an object outside the scope is simply not found, exactly like one
that does not exist, and ids or codes cannot be probed. The two public lookups at the end are
the exception: a village's code and name are public, and the resident pages and API need them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from doorplate.db import db
from doorplate.places.models import Household, Town, Village
from doorplate.staff.service import Scope


@dataclass(frozen=True)
class ScopeCounts:
    towns: int
    villages: int
    households: int


@dataclass(frozen=True)
class VillageRow:
    village: Village
    households: int


@dataclass(frozen=True)
class TownGroup:
    town: Town
    villages: list[VillageRow]


def scope_counts(scope: Scope) -> ScopeCounts:
    """How much of the county the scope covers, for the console's home page."""
    towns = db.session.scalar(select(func.count()).select_from(Town).where(scope.towns()))
    villages = db.session.scalar(select(func.count()).select_from(Village).where(scope.villages()))
    households = db.session.scalar(
        select(func.count(Household.id)).join(Household.village).where(scope.villages())
    )
    return ScopeCounts(towns=towns or 0, villages=villages or 0, households=households or 0)


def villages_by_town(scope: Scope) -> list[TownGroup]:
    """The villages in scope with their household counts, grouped by town in code order."""
    rows = db.session.execute(
        select(Village, func.count(Household.id))
        .join(Village.town)
        .outerjoin(Household, Household.village_id == Village.id)
        .where(scope.villages())
        .group_by(Village.id, Town.id)  # the other columns depend on these keys
        .options(contains_eager(Village.town))
        .order_by(Town.code, Village.code)
    ).all()
    groups: list[TownGroup] = []
    for village, households in rows:
        if not groups or groups[-1].town.id != village.town_id:
            groups.append(TownGroup(town=village.town, villages=[]))
        groups[-1].villages.append(VillageRow(village=village, households=households))
    return groups


def village_choices(scope: Scope) -> list[tuple[str, str]]:
    """(code, "town village") for each village in scope, for a filter menu."""
    rows = db.session.execute(
        select(Village.code, Town.name, Village.name)
        .join(Village.town)
        .where(scope.villages())
        .order_by(Town.code, Village.code)
    ).all()
    return [(code, f"{town} {village}") for code, town, village in rows]


def village_in_scope(scope: Scope, code: str) -> Village | None:
    """The village with ``code`` if the scope covers it; otherwise None, as for an unknown code."""
    return db.session.scalar(select(Village).where(Village.code == code, scope.villages()))


def whole_town_in_scope(scope: Scope, code: str) -> Town | None:
    """The town with ``code`` if the scope covers all of it (county roles, the town's reviewers).

    A village's staff get None even for their own town, as for an unknown code.
    """
    if scope.village_id is not None:
        return None
    return db.session.scalar(select(Town).where(Town.code == code, scope.towns()))


def household_in_scope(scope: Scope, household_id: int) -> Household | None:
    """The household if the scope covers its village; otherwise None, as for an unknown id."""
    return db.session.scalar(
        select(Household)
        .join(Household.village)
        .where(Household.id == household_id, scope.villages())
        .options(contains_eager(Household.village).joinedload(Village.town))
    )


@dataclass(frozen=True)
class HouseholdPage:
    """One page of a household listing and the total number of matches."""

    households: list[Household]
    total: int


def households_in_scope(
    scope: Scope,
    *,
    query: str | None = None,
    village_code: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> HouseholdPage:
    """Households a staff member may see, optionally in one village and matching ``query``.

    ``query`` matches part of the address, house number, head's name or phone. Ordered by village
    code and address; each household's village is loaded with it. A village outside the scope
    simply matches nothing.
    """
    conditions = [scope.villages()]
    if village_code:
        conditions.append(Village.code == village_code.strip())
    text = unicodedata.normalize("NFC", (query or "").strip())
    if text:
        columns = (Household.address, Household.house_no, Household.head_name, Household.phone)
        # autoescape: a typed % or _ is matched literally, not as a wildcard.
        conditions.append(or_(*(column.icontains(text, autoescape=True) for column in columns)))
    total = db.session.scalar(
        select(func.count(Household.id)).join(Household.village).where(*conditions)
    )
    households = db.session.scalars(
        select(Household)
        .join(Household.village)
        .where(*conditions)
        .options(contains_eager(Household.village))
        .order_by(Village.code, Household.address, Household.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return HouseholdPage(list(households), total or 0)


def village_by_code(code: str) -> Village | None:
    """The village with that public code, its town loaded with it (public pages name both).

    Village codes are public (printed in statistics yearbooks), so this needs no scope.
    """
    return db.session.scalar(
        select(Village).where(Village.code == code).options(joinedload(Village.town))
    )


def village_by_id(village_id: int) -> Village:
    """A village known to exist (a scanned plate's household points at it), with its town."""
    return db.session.scalars(
        select(Village).where(Village.id == village_id).options(joinedload(Village.town))
    ).one()
