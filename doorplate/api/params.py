"""The query parameters of the posts list and the statistics, and the JSON bodies of the
booking endpoints, checked strictly: a client that sends a wrong value is told which parameter
or field and what it may be, rather than getting a quietly different answer.

A body's fields are checked here only for their JSON type and for what the database could not
store (a number past an INTEGER column, a NUL character, an overlong key); what a value *means*
(a valid phone, a purpose from the service's list, an open slot) is for the booking use cases.
A body is parsed at all only when it is small (``BODY_MAX_BYTES``) and shallow
(:func:`doorplate.bounds.json_loads`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from doorplate.api.errors import INVALID, ApiError, invalid_input
from doorplate.bounds import (
    FIRST_DAY,
    JSON_DEPTH_MAX,
    LAST_DAY,
    MAX_ID,
    JsonTooDeep,
    json_loads,
    whole_number,
)
from doorplate.publications.models import Category

PER_PAGE = 20
PER_PAGE_MAX = 100
PAGE_MAX = 10_000  # far past the county's 6,500 items; keeps the OFFSET a small number
QUERY_MAX_LENGTH = 100  # a search is a word or two
SLOTS_LISTED = 50  # open slots listed per service: about two weeks of a busy service hall
KEY_MAX_LENGTH = 64  # Booking.idempotency_key
TEXT_MAX_LENGTH = 1000  # longer than any field the use cases accept; keeps junk out of them
BODY_MAX_BYTES = 64 * 1024  # seven fields of at most 1,000 characters, each escaped as \uXXXX
_LAST4 = re.compile(r"[0-9]{4}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Statistics: the dates a county's figures can be for (the days any form may name), and a
# period of at most ten years, leap days included, with a few days to spare.
STATS_FIRST_DAY = FIRST_DAY
STATS_LAST_DAY = LAST_DAY
STATS_MAX_DAYS = 3660
_KEPT_CONTROLS = frozenset("\n\r\t")  # a description may have lines

BOOKING_FIELDS = {
    "plate": str,
    "slot_id": int,
    "contact_name": str,
    "phone": str,
    "purpose": str,
    "idempotency_key": str,
}
REQUEST_FIELDS = {
    "plate": str,
    "service_id": int,
    "purpose": str,
    "description": str,
    "contact_name": str,
    "phone": str,
    "idempotency_key": str,
}
CANCEL_FIELDS = {"phone_last4": str}


@dataclass(frozen=True)
class ListQuery:
    category: Category | None
    text: str
    page: int
    per_page: int


def list_query(args: MultiDict[str, str]) -> ListQuery:
    """The list's parameters; an empty value counts as absent (a search form sends ``q=``)."""
    return ListQuery(
        category=_category(args.get("category", "")),
        text=_text(args.get("q", "")),
        page=_whole_number(args, "page", default=1, largest=PAGE_MAX),
        per_page=_whole_number(args, "per_page", default=PER_PAGE, largest=PER_PAGE_MAX),
    )


def _category(value: str) -> Category | None:
    if not value:
        return None
    try:
        return Category(value)
    except ValueError:
        raise ApiError(
            400,
            INVALID,
            _(
                "The parameter category must be one of: %(allowed)s.",
                allowed=", ".join(c.value for c in Category),
            ),
            "category",
        ) from None


def _text(value: str) -> str:
    text = value.strip()
    if len(text) > QUERY_MAX_LENGTH:
        raise ApiError(
            400,
            INVALID,
            _("The parameter q may be at most %(n)d characters long.", n=QUERY_MAX_LENGTH),
            "q",
        )
    return text


def _whole_number(args: MultiDict[str, str], name: str, *, default: int, largest: int) -> int:
    value = args.get(name, "").strip()
    if not value:
        return default
    number = whole_number(value, largest)
    if number is not None:
        return number
    raise ApiError(
        400,
        INVALID,
        _(
            "The parameter %(name)s must be a whole number from 1 to %(largest)d.",
            name=name,
            largest=largest,
        ),
        name,
    )


def phone_last4(args: MultiDict[str, str]) -> str:
    """The ``phone_last4`` query parameter: exactly four ASCII digits."""
    value = args.get("phone_last4", "")
    if not _LAST4.fullmatch(value):
        raise ApiError(
            400,
            INVALID,
            _("The parameter phone_last4 must be the last four digits of the phone number."),
            "phone_last4",
        )
    return value


def json_body(raw: bytes, fields: dict[str, type]) -> dict[str, Any]:
    """The body as an object with exactly ``fields``, each of its JSON type, else a 422 naming
    every field at fault at once (a form on a phone should show all its mistakes together)."""
    if len(raw) > BODY_MAX_BYTES:
        raise invalid_input({}, _("The body may be at most %(n)d bytes long.", n=BODY_MAX_BYTES))
    try:
        data = json_loads(raw)
    except JsonTooDeep:
        raise invalid_input(
            {},
            _(
                "The body nests arrays and objects more than %(n)d levels deep.",
                n=JSON_DEPTH_MAX,
            ),
        ) from None
    except ValueError:  # UnicodeDecodeError and JSONDecodeError alike
        data = None
    if not isinstance(data, dict):
        raise invalid_input(
            {}, _("The body must be a JSON object with the fields the API document describes.")
        )
    problems = {name: _("This field is not known here.") for name in data.keys() - fields.keys()}
    for name, kind in fields.items():
        problem = _field_problem(name, data.get(name), kind)
        if problem:
            problems[name] = problem
    if problems:
        raise invalid_input(problems)
    return data


def cancel_body(raw: bytes) -> str:
    """The ``phone_last4`` of a cancellation's body."""
    value: str = json_body(raw, CANCEL_FIELDS)["phone_last4"]
    if not _LAST4.fullmatch(value):
        raise invalid_input({"phone_last4": _("Give the last four digits of the phone number.")})
    return value


def _field_problem(name: str, value: Any, kind: type) -> str | None:
    if value is None:
        return _("This field is required.")
    if kind is int:
        # bool is an int to Python, not to JSON
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            return _("This must be a whole number from 1 to %(largest)d.", largest=MAX_ID)
        return None
    if not isinstance(value, str):
        return _("This must be a string.")
    largest = KEY_MAX_LENGTH if name == "idempotency_key" else TEXT_MAX_LENGTH
    if len(value) > largest:
        return _("This may be at most %(n)d characters long.", n=largest)
    if name == "idempotency_key" and not value:
        return _("This field is required.")
    if any(unicodedata.category(c) == "Cc" and c not in _KEPT_CONTROLS for c in value):
        return _("This may not contain control characters.")
    return None


@dataclass(frozen=True)
class StatsQuery:
    """County dates [start, end): ``start`` None is since launch; ``end`` is exclusive."""

    start: date | None
    end: date
    town: str | None
    village: str | None


def stats_query(args: MultiDict[str, str], today: date) -> StatsQuery:
    """The statistics query: ``from`` (optional), ``to`` (exclusive, default tomorrow: up to and
    including today), ``town`` and ``village`` codes; an empty value counts as absent."""
    start = _date(args, "from")
    end = _date(args, "to") or today + timedelta(days=1)
    if start is not None:
        if start >= end:
            raise ApiError(
                400, INVALID, _("The parameter from must be a day before the parameter to."), "from"
            )
        if (end - start).days > STATS_MAX_DAYS:
            raise ApiError(
                400,
                INVALID,
                _(
                    "The parameters from and to may be at most %(days)d days apart.",
                    days=STATS_MAX_DAYS,
                ),
                "from",
            )
    return StatsQuery(
        start=start,
        end=end,
        town=args.get("town", "").strip() or None,
        village=args.get("village", "").strip() or None,
    )


def _date(args: MultiDict[str, str], name: str) -> date | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    if _DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:  # 2021-02-30
            day = None
        if day is not None and STATS_FIRST_DAY <= day <= STATS_LAST_DAY:
            return day
    raise ApiError(
        400,
        INVALID,
        _(
            "The parameter %(name)s must be a date written YYYY-MM-DD, from %(first)s to %(last)s.",
            name=name,
            first=STATS_FIRST_DAY.isoformat(),
            last=STATS_LAST_DAY.isoformat(),
        ),
        name,
    )
