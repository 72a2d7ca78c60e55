"""The query parameters of the posts list, checked strictly: a client that sends a wrong value
is told which parameter and what it may be, rather than getting a quietly different list."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from doorplate.api.errors import ApiError
from doorplate.publications.models import Category

PER_PAGE = 20
PER_PAGE_MAX = 100
PAGE_MAX = 10_000  # far past the county's 6,500 items; keeps the OFFSET a small number
QUERY_MAX_LENGTH = 100  # a search is a word or two
INVALID = "invalid_parameter"


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
    # isdecimal() alone would let full-width digits (１２) in, int() alone "+1" or "1_0"; the
    # length check keeps int() away from a 5,000-digit number, which it refuses with an error.
    if (
        value.isascii()
        and value.isdecimal()
        and len(value) <= len(str(largest))
        and 1 <= int(value) <= largest
    ):
        return int(value)
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
