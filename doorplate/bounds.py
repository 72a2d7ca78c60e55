"""What a request may carry, checked once at the edge: ids and page numbers the database can
hold, days a datetime can hold, and no NUL character anywhere.

Each of these reached the database as a 500 before: PostgreSQL refuses an integer past its
column (2^31 for an INTEGER id, 2^63 for a LIMIT/OFFSET) and any text with a NUL in it, and
aborts the transaction; SQLite takes a NUL as the end of a LIKE pattern, so ``q=%00`` matched
every row. Rather than have every view guard itself:

- every ``<int:...>`` in a URL rule is an id (:class:`IdConverter` takes the name ``int``), so a
  number past ``MAX_ID`` is an unknown address, a 404, like any other;
- list views read their page through :func:`page_number` (400 naming the parameter);
- a NUL in a path segment, a query parameter, a form field or a file name is refused before any
  view runs (:func:`refuse_nul`), with the app's error page or the API's JSON error;
- forms bound their days with :class:`DayInRange`;
- JSON from a client is read by :func:`json_loads` (the API's bodies, and Flask's
  ``request.get_json``, which Flask-WTF calls for a form posted as JSON), which refuses deep
  nesting before Python's parser recurses into it (``[`` × 100,000 was a RecursionError).

:class:`BadInput` carries the message, in the request's language, that both error pages show.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map
from wtforms import Field, Form
from wtforms.validators import ValidationError

MAX_ID = 2**31 - 1  # ids are INTEGER columns
# Far past any list here (420,000 households are 8,400 pages of 50), and 10^6 pages of 100 rows
# keep the OFFSET well inside an INTEGER.
PAGE_MAX = 1_000_000
# The days a form may name: inside them a county day has UTC bounds (date.max + 1 day has none).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
JSON_DEPTH_MAX = 32  # the API's bodies are flat objects; a table is an object of lists of lists
# Outside its strings, JSON is ASCII: keep only the brackets, as one kind.
_BRACKETS_ONLY = {c: None for c in range(128) if chr(c) not in "[]{}"} | {
    ord("{"): "[",
    ord("}"): "]",
}
_TOO_DEEP = "[" * (JSON_DEPTH_MAX + 1)
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class BadInput(BadRequest):
    """400 with a message for the person (in their language) saying what was refused, and the
    parameter or field it was in, when there is one."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(description=message)
        self.parameter = parameter


class JsonTooDeep(ValueError):
    """JSON nested deeper than ``JSON_DEPTH_MAX``."""


class IdConverter(IntegerConverter):
    """``<int:...>``: an id from 1 to ``MAX_ID`` in ASCII digits, else the rule does not match.

    Werkzeug's own takes any Unicode digits (``\\d``) of any length, so ``int()`` met a
    5,000-digit number and the database an id past its column.
    """

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def whole_number(value: str, largest: int) -> int | None:
    """``value`` as a number from 1 to ``largest``, if it is one written in ASCII digits.

    ``isdecimal()`` alone would let full-width digits (１２) in, ``int()`` alone "+1" or "1_0";
    the length check keeps ``int()`` away from a 5,000-digit number, which it refuses with an
    error.
    """
    if value.isascii() and value.isdecimal() and len(value) <= len(str(largest)):
        number = int(value)
        if 1 <= number <= largest:
            return number
    return None


def page_number(args: MultiDict[str, str]) -> int:
    """The ``page`` query parameter: 1 when absent or empty, else a whole number from 1 to
    ``PAGE_MAX`` (a page past the last is for the list to judge)."""
    value = args.get("page", "").strip()
    if not value:
        return 1
    number = whole_number(value, PAGE_MAX)
    if number is None:
        raise BadInput(
            _("The page number must be a whole number from 1 to %(largest)d.", largest=PAGE_MAX),
            "page",
        )
    return number


def json_loads(raw: bytes | str, **options: Any) -> Any:
    """``json.loads``, but nesting deeper than ``JSON_DEPTH_MAX`` is a :class:`JsonTooDeep`.

    Python's parser recurses once per level, so the nesting is measured first, without
    recursion and in string operations that run in C (an 11 MB body in well under a second):
    the escapes are taken out, so that every quote left opens or closes a string; what lies
    outside the strings is kept, and of that only the brackets; then each pass removes the
    innermost pairs, i.e. one level. A body still nesting after ``JSON_DEPTH_MAX`` passes is
    too deep, and one whose brackets stop pairing is not JSON (``[`` × 100,000, never closed,
    is both). Bytes are decoded as ``json.loads`` decodes them (UTF-8, -16 or -32).
    """
    text = raw.decode(json.detect_encoding(raw)) if isinstance(raw, bytes) else raw
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(unescaped.split('"')[::2])
    if not outside.isascii():
        raise ValueError("not JSON: a character outside a string that JSON does not have")
    brackets = outside.translate(_BRACKETS_ONLY)
    for _level in range(JSON_DEPTH_MAX + 1):
        if not brackets:
            return json.loads(text, **options)
        if _TOO_DEEP in brackets:
            break
        brackets, before = brackets.replace("[]", ""), brackets
        if len(brackets) == len(before):
            raise ValueError("not JSON: brackets that do not pair")
    raise JsonTooDeep(f"nested deeper than {JSON_DEPTH_MAX}")


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, read through :func:`json_loads`: too deep is then a 400 like bad JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json_loads(s, **kwargs)


class DayInRange:
    """A WTForms validator: the day lies from ``FIRST_DAY`` to ``LAST_DAY``."""

    def __call__(self, _form: Form, field: Field) -> None:
        if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
            raise ValidationError(
                _l(
                    "Choose a day from %(first)s to %(last)s.",
                    first=FIRST_DAY.isoformat(),
                    last=LAST_DAY.isoformat(),
                )
            )


def _nul_in() -> str | None:
    """The name of the first path argument, query parameter, form field or file that holds a
    NUL, in its name or its value; None when there is none."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\0" in value:
            return name
    pairs = list(request.args.items(multi=True))
    if request.mimetype in _FORM_TYPES:
        pairs += request.form.items(multi=True)
        pairs += ((name, sent.filename or "") for name, sent in request.files.items(multi=True))
    for name, value in pairs:
        if "\0" in name or "\0" in value:
            return name.replace("\0", "")
    return None


def refuse_nul() -> None:
    """Before any view: 400 for a NUL anywhere in what the request carries.

    A request that matched no route is left to its 404: no view, so no database, meets it.
    """
    if request.routing_exception is not None:
        return
    name = _nul_in()
    if name:
        raise BadInput(
            _("%(name)s contains a NUL character (code 0), which is not allowed.", name=name),
            name,
        )
    if name is not None:  # the NUL was all of a parameter's name
        raise BadInput(_("The request contains a NUL character (code 0), which is not allowed."))


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: their ``<int:...>`` rules must use the bounded
    converter, and the NUL check must run before CSRF's, which reads the form too."""
    app.url_map.converters["int"] = IdConverter
    app.json = JsonProvider(app)
    app.before_request(refuse_nul)
