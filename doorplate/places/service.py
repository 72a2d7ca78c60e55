"""Registry use cases: importing the county's household file; a village's public contact.

The import is built for a whole county (420,000 households) in one transaction: the registry's
towns and villages and the existing households of the file's villages are loaded once, compared in
memory, and only the differences are written, in batches of Core-level bulk statements. Re-importing
the same file therefore writes nothing, and every conflict with the registry is found before the
first write. The import adds and updates; it never deletes a household or clears a value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import contains_eager

from doorplate.db import db, utcnow
from doorplate.places.importer import ErrorList, HouseholdRow
from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.staff import audit
from doorplate.staff.models import StaffUser

BATCH_SIZE = 5000
_HOUSEHOLD = Household.__table__
# Core executemany statements rather than ORM bulk ones: the ORM leaves None values out of a row's
# parameters, which splits a batch wherever optional cells are blank, and its per-row bookkeeping
# made the write ~35% slower.
_INSERT_HOUSEHOLD = insert(_HOUSEHOLD)
_UPDATED = ("house_no", "head_name", "phone")  # what a re-import may change in a household
_UPDATE_HOUSEHOLD = update(_HOUSEHOLD).where(_HOUSEHOLD.c.id == bindparam("household_id"))


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed (or, for a dry run, would change)."""

    towns_created: int = 0
    towns_renamed: int = 0
    villages_created: int = 0
    villages_renamed: int = 0
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0


@dataclass(frozen=True)
class _Place:
    """A town or village as the file states it; ``line`` is its first row, for messages."""

    code: str
    name: str
    line: int
    town_code: str = ""


def import_households(
    rows: Sequence[HouseholdRow],
    actor: audit.Actor,
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Create or update the towns, villages and households of validated ``rows``.

    Households are keyed on village code + address: a new key is created; an existing one gets the
    file's house number, head and phone where the file gives one (a blank cell keeps the stored
    value), and is left untouched, ``updated_at`` included, when nothing differs. Households absent
    from the file are left alone. Conflicts with the registry raise
    :class:`~doorplate.places.importer.ImportRejected` before anything is written. Only adds and
    flushes: the caller commits. ``progress`` is called with the number of rows handled per batch.
    """
    towns, villages = _places_in(rows)
    registered_towns = {t.code: t for t in db.session.scalars(select(Town))}
    registered_villages = {
        v.code: v
        for v in db.session.scalars(
            select(Village).join(Village.town).options(contains_eager(Village.town))
        )
    }
    _check_conflicts(towns, villages, registered_towns, registered_villages)

    existing = _existing_households(
        [registered_villages[code] for code in villages if code in registered_villages]
    )
    new_rows, changed = _diff(rows, existing)
    towns_created, towns_renamed = _changes(towns, registered_towns)
    villages_created, villages_renamed = _changes(villages, registered_villages)
    summary = ImportSummary(
        towns_created=towns_created,
        towns_renamed=towns_renamed,
        villages_created=villages_created,
        villages_renamed=villages_renamed,
        households_created=len(new_rows),
        households_updated=len(changed),
        households_unchanged=len(rows) - len(new_rows) - len(changed),
    )
    if dry_run:
        return summary

    village_ids = _save_places(towns, villages, registered_towns, registered_villages)
    report = progress or (lambda _n: None)
    report(summary.households_unchanged)
    now = utcnow()
    for batch in _batches(new_rows):
        db.session.execute(_INSERT_HOUSEHOLD, [_new_household(r, village_ids, now) for r in batch])
        report(len(batch))
    for batch in _batches(changed):
        db.session.execute(_UPDATE_HOUSEHOLD, [values | {"updated_at": now} for values in batch])
        report(len(batch))
    audit.record(actor, "households.import", "county", None, **asdict(summary))
    db.session.flush()
    return summary


def _places_in(rows: Sequence[HouseholdRow]) -> tuple[dict[str, _Place], dict[str, _Place]]:
    towns: dict[str, _Place] = {}
    villages: dict[str, _Place] = {}
    for row in rows:
        if row.village_code not in villages:
            villages[row.village_code] = _Place(
                row.village_code, row.village, row.line, row.town_code
            )
            if row.town_code not in towns:
                towns[row.town_code] = _Place(row.town_code, row.town, row.line)
    return towns, villages


def _changes(
    places: dict[str, _Place], registered: dict[str, Town] | dict[str, Village]
) -> tuple[int, int]:
    """How many of ``places`` are new, and how many registered ones change name."""
    created = sum(code not in registered for code in places)
    renamed = sum(
        code in registered and registered[code].name != place.name for code, place in places.items()
    )
    return created, renamed


def _check_conflicts(
    towns: dict[str, _Place],
    villages: dict[str, _Place],
    registered_towns: dict[str, Town],
    registered_villages: dict[str, Village],
) -> None:
    """Refuse a file that would move a village to another town or fork a town's code."""
    errors = ErrorList()
    town_forms = {code[:9]: code for code in registered_towns}
    for town in towns.values():
        form = town_forms.get(town.code[:9], town.code)
        if form != town.code:
            errors.add(
                town.line,
                None,
                _(
                    "town %(code)s is already registered as %(registered)s; use that code",
                    code=town.code,
                    registered=form,
                ),
            )
    for village in villages.values():
        registered = registered_villages.get(village.code)
        if registered is not None and registered.town.code != village.town_code:
            errors.add(
                village.line,
                None,
                _(
                    "village %(code)s is registered in town %(registered)s, not %(town)s; "
                    "moving a village to another town is not done by import",
                    code=village.code,
                    registered=registered.town.code,
                    town=village.town_code,
                ),
            )
    errors.raise_if_any()


# A stored household for the diff: (id, house_no, head_name, phone); tuples keep 420,000 cheap.
_Stored = tuple[int, str | None, str | None, str | None]


def _existing_households(villages: list[Village]) -> dict[tuple[str, str], _Stored]:
    """The stored households of ``villages``, keyed on (village code, address), in one query."""
    if not villages:
        return {}
    code_of = {v.id: v.code for v in villages}
    result = db.session.connection().execute(
        select(
            _HOUSEHOLD.c.village_id,
            _HOUSEHOLD.c.address,
            _HOUSEHOLD.c.id,
            _HOUSEHOLD.c.house_no,
            _HOUSEHOLD.c.head_name,
            _HOUSEHOLD.c.phone,
        ).where(_HOUSEHOLD.c.village_id.in_(code_of))
    )
    return {(code_of[row[0]], row[1]): row[2:] for row in result}


def _diff(
    rows: Sequence[HouseholdRow], existing: dict[tuple[str, str], _Stored]
) -> tuple[list[HouseholdRow], list[dict[str, Any]]]:
    """Split rows into new households and the updates of changed ones (unchanged: neither).

    A blank optional cell keeps the stored value.
    """
    new_rows: list[HouseholdRow] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        stored = existing.get((row.village_code, row.address))
        if stored is None:
            new_rows.append(row)
            continue
        household_id, *old = stored
        new = [row.house_no or old[0], row.head_name or old[1], row.phone or old[2]]
        if new != old:
            changed.append({"household_id": household_id, **dict(zip(_UPDATED, new, strict=True))})
    return new_rows, changed


def _save_places(
    towns: dict[str, _Place],
    villages: dict[str, _Place],
    registered_towns: dict[str, Town],
    registered_villages: dict[str, Village],
) -> dict[str, int]:
    """Create and rename towns and villages (a few hundred rows); return village ids by code."""
    for place in towns.values():
        town = registered_towns.get(place.code)
        if town is None:
            registered_towns[place.code] = town = Town(code=place.code, name=place.name)
            db.session.add(town)
        town.name = place.name
    for place in villages.values():
        village = registered_villages.get(place.code)
        if village is None:
            village = Village(code=place.code, town=registered_towns[place.town_code])
            registered_villages[place.code] = village
            db.session.add(village)
        village.name = place.name
    db.session.flush()
    return {code: registered_villages[code].id for code in villages}


def _new_household(row: HouseholdRow, village_ids: dict[str, int], now: datetime) -> dict[str, Any]:
    return {
        "village_id": village_ids[row.village_code],
        "address": row.address,
        "house_no": row.house_no,
        "head_name": row.head_name,
        "phone": row.phone,
        "status": HouseholdStatus.ACTIVE,
        "created_at": now,
        "updated_at": now,
    }


def _batches(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


# An office line as people write it: 0577-68712345, (0577) 6871 2345, +86 577 6871 2345 转 8012.
OFFICE_PHONE = re.compile(r"^\+?[0-9()\- ]{5,25}(?:(?: ?转 ?| ?ext\.? ?)[0-9]{1,6})?$")
CONTACT_LIMITS = {"office_phone": 40, "office_address": 200, "office_hours": 100}


class ContactError(ValueError):
    """A village contact field is invalid; ``field`` names it and the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def update_village_contact(
    actor: StaffUser, village: Village, *, office_phone: str, office_address: str, office_hours: str
) -> None:
    """Set the village office's public contact, shown on every plate page of the village.

    The caller has checked that ``actor``'s scope covers ``village``. A blank field clears the
    value (the section then leaves it out). Only an office line belongs here, never a person's
    own number: the form says so, and it is the village's choice to publish it.
    """
    values = {
        "office_phone": office_phone,
        "office_address": office_address,
        "office_hours": office_hours,
    }
    cleaned: dict[str, str | None] = {}
    for field, value in values.items():
        text = " ".join(unicodedata.normalize("NFC", value).split())
        if len(text) > CONTACT_LIMITS[field]:
            raise ContactError(
                field, _("At most %(n)d characters, please.", n=CONTACT_LIMITS[field])
            )
        cleaned[field] = text or None
    phone = cleaned["office_phone"]
    if phone is not None and not OFFICE_PHONE.match(phone):
        raise ContactError(
            "office_phone",
            _("Write the office number with digits, spaces and dashes, e.g. 0577-68712345."),
        )
    changed = [field for field, value in cleaned.items() if getattr(village, field) != value]
    for field in changed:
        setattr(village, field, cleaned[field])
    db.session.flush()
    audit.record(
        actor, "village.contact", "village", village.id, code=village.code, changed=changed
    )
