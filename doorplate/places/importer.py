"""Reading and validating a county's household file before anything touches the database.

The whole file is checked first and every problem is reported at once, with its spreadsheet row and
the column header as written, so a clerk can fix the spreadsheet in one pass: the import itself is
all or nothing. Values are cleaned the way spreadsheets need (surrounding and full-width spaces
stripped, NFC, numeric cells turned back into the digit strings they were typed as), so the same
register saved as .xlsx, UTF-8 CSV or GB18030 CSV yields the same rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from doorplate.places.tabular import Record, UnreadableFile, read_records

MAX_ERRORS = 1000
SHOWN_VALUE_LENGTH = 40

_TOWN_CODE = re.compile(r"[0-9]{9}(?:000)?")
_VILLAGE_CODE = re.compile(r"[0-9]{12}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Area code (010, 02x, or 4 digits) then a 7-8 digit subscriber number.
_LANDLINE = re.compile(r"0(?:10|2[0-9]|[3-9][0-9]{2})[2-9][0-9]{6,7}")
_PHONE_SEPARATORS = re.compile(r"[\s\-()—–.]")
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


@dataclass(frozen=True, slots=True)  # slots: a county file holds 420,000 of them
class HouseholdRow:
    """One valid household line of the file; ``line`` is its spreadsheet row (header = 1)."""

    line: int
    town_code: str
    town: str
    village_code: str
    village: str
    address: str
    house_no: str | None
    head_name: str | None
    phone: str | None


@dataclass(frozen=True)
class Column:
    """A column of the household file: its field, canonical Chinese header and length limit."""

    field: str
    header: str
    required: bool = True
    max_length: int | None = None  # codes and phones are bounded by their format instead


COLUMNS = (
    Column("town_code", "乡镇代码"),
    Column("town", "乡镇", max_length=64),
    Column("village_code", "村社代码"),
    Column("village", "村社", max_length=64),
    Column("address", "地址", max_length=200),
    Column("house_no", "门牌号", required=False, max_length=32),
    Column("head_name", "户主", required=False, max_length=50),
    Column("phone", "电话", required=False),
)
_COLUMN_BY_NAME = {name: c for c in COLUMNS for name in (c.field, c.header)}
FIELDS = tuple(c.field for c in COLUMNS)


@dataclass(frozen=True)
class RowError:
    """One problem found; ``column`` is the header as written in the file, ``field`` its meaning."""

    line: int | None
    column: str | None
    message: str
    field: str | None = None

    def __str__(self) -> str:
        column = self.column
        if column is not None and self.field and self.field != column.casefold():
            column = f"{column} ({self.field})"
        if self.line is not None and column is not None:
            return _(
                "row %(line)d, column %(column)s: %(message)s",
                line=self.line,
                column=column,
                message=self.message,
            )
        if self.line is not None:
            return _("row %(line)d: %(message)s", line=self.line, message=self.message)
        return self.message


class ImportRejected(Exception):
    """The file, or its fit with the registry, has errors; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s), the first: {errors[0]}")
        self.errors = errors


class ErrorList:
    """Collects errors, keeping the first ``MAX_ERRORS`` and counting the rest."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.count = 0

    def add(
        self, line: int | None, column: str | None, message: str, field: str | None = None
    ) -> None:
        self.count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, column, message, field))

    def raise_if_any(self) -> None:
        if not self.count:
            return
        errors = list(self.errors)
        if self.count > len(errors):
            errors.append(RowError(None, None, _("... and %(n)d more", n=self.count - len(errors))))
        raise ImportRejected(errors)


def read_household_file(path: str | PathLike[str]) -> list[HouseholdRow]:
    """Read and validate a household file (.xlsx, first sheet, or .csv) for this county.

    Raises :class:`ImportRejected` with every problem found.
    """
    try:
        records = read_records(Path(path))
    except UnreadableFile as error:
        raise ImportRejected([RowError(None, None, str(error))]) from error
    return validate_rows(records, current_app.config["COUNTY_CODE"])


def validate_rows(records: Iterable[Record], county_code: str) -> list[HouseholdRow]:
    """Check a table whose first non-blank row is the header; return its households.

    Blank rows are skipped. Raises :class:`ImportRejected` with every problem found.
    """
    errors = ErrorList()
    records = iter(records)
    header = next((r for r in records if any(_text(cell) for cell in r[1])), None)
    if header is None:
        raise ImportRejected([RowError(None, None, _("The file is empty."))])
    checker = _Checker(_Layout.parse(*header, errors), county_code, errors)
    errors.raise_if_any()
    rows = [row for line, cells in records if (row := checker.check(line, cells)) is not None]
    errors.raise_if_any()
    if not rows:
        raise ImportRejected([RowError(None, None, _("The file has a header but no households."))])
    return rows


def accepted_headers() -> str:
    """The accepted headers, for messages: ``乡镇代码 / town_code, ...``."""
    optional = _("optional")
    return ", ".join(
        f"{c.header} / {c.field}" + ("" if c.required else f" ({optional})") for c in COLUMNS
    )


@dataclass(frozen=True)
class _Layout:
    """Where each field is in a row, the headers as written, and unnamed columns."""

    index: dict[str, int]
    headers: dict[str, str]
    unnamed: tuple[int, ...]
    width: int

    @classmethod
    def parse(cls, line: int, cells: Sequence[object], errors: ErrorList) -> _Layout:
        index: dict[str, int] = {}
        headers: dict[str, str] = {}
        unnamed: list[int] = []
        for i, cell in enumerate(cells):
            written = _text(cell)
            column = _COLUMN_BY_NAME.get(unicodedata.normalize("NFKC", written).casefold())
            if not written:
                unnamed.append(i)
            elif column is None:
                errors.add(
                    line,
                    written,
                    _(
                        "unknown column; accepted headers: %(accepted)s",
                        accepted=accepted_headers(),
                    ),
                )
            elif column.field in index:
                errors.add(
                    line,
                    written,
                    _(
                        'duplicated column: "%(other)s" is the same column',
                        other=headers[column.field],
                    ),
                    column.field,
                )
            else:
                index[column.field] = i
                headers[column.field] = written
        missing = [
            f"{c.header} ({c.field})" for c in COLUMNS if c.required and c.field not in index
        ]
        if missing:
            errors.add(
                line,
                None,
                _(
                    "missing required column(s): %(missing)s; accepted headers: %(accepted)s",
                    missing=", ".join(missing),
                    accepted=accepted_headers(),
                ),
            )
        return cls(index, headers, tuple(unnamed), len(cells))


class _Checker:
    """Validates rows one by one, remembering what earlier rows said for consistency checks."""

    def __init__(self, layout: _Layout, county_code: str, errors: ErrorList) -> None:
        self.layout = layout
        self.county_code = county_code
        self.errors = errors
        self.towns: dict[str, tuple[str, int]] = {}  # code -> (name, first row)
        self.town_forms: dict[str, tuple[str, int]] = {}  # first 9 digits -> (code, first row)
        self.villages: dict[str, tuple[str, str, int]] = {}  # code -> (name, town code, row)
        # village code -> address -> first row (nested, not tuple keys: fewer objects for the GC)
        self.addresses: dict[str, dict[str, int]] = {}
        # Codes repeat on every row: each distinct one is checked once, and one string object kept.
        self.codes: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self.columns = [c for c in COLUMNS if c.field in layout.index]
        self.indexes = [layout.index[c.field] for c in self.columns]
        self.reported_unnamed: set[int] = set()

    def error(self, line: int, field: str, message: str) -> None:
        self.errors.add(line, self.layout.headers.get(field), message, field)

    def check(self, line: int, cells: Sequence[object]) -> HouseholdRow | None:
        """The row's household, or None if it is blank or has errors (which are recorded)."""
        before = self.errors.count
        self.check_unnamed(line, cells)
        count = len(cells)
        raws = [cells[i] if i < count else None for i in self.indexes]
        texts = [_text(raw) for raw in raws]
        if not any(texts):
            return None
        hidden = _INVISIBLE.search("".join(texts)) is not None  # rare: then look at each value
        values: dict[str, str | None] = dict.fromkeys(FIELDS)
        for column, raw, text in zip(self.columns, raws, texts, strict=True):
            values[column.field] = self.check_value(line, column, raw, text, hidden)
        self.check_consistency(line, values)
        if self.errors.count != before:
            return None
        return HouseholdRow(line=line, **values)  # required values are not None by now

    def check_value(
        self, line: int, column: Column, raw: object, text: str, hidden: bool
    ) -> str | None:
        if not text:
            if column.required:
                self.error(line, column.field, _("a value is required"))
            return None
        if hidden and _INVISIBLE.search(text):
            self.error(line, column.field, _("contains a line break or an invisible character"))
            return None
        if column.max_length is not None and len(text) > column.max_length:
            self.error(
                line,
                column.field,
                _(
                    "is %(length)d characters long; at most %(max)d are allowed",
                    length=len(text),
                    max=column.max_length,
                ),
            )
            return None
        if column.field in ("town_code", "village_code"):
            return self.check_code(line, column.field, text)
        if column.field == "phone":
            phone = normalise_phone(text, numeric=isinstance(raw, (int, float)))
            if phone is None:
                self.error(
                    line,
                    "phone",
                    _(
                        '"%(value)s" is not a valid mainland mobile or landline number',
                        value=_shown(text),
                    ),
                )
            return phone
        return text

    def check_code(self, line: int, field: str, text: str) -> str | None:
        key = (field, text)
        if key not in self.codes:
            code = unicodedata.normalize("NFKC", text)
            self.codes[key] = (code, self.code_error(field, code))
        code, message = self.codes[key]
        if message is not None:
            self.error(line, field, message)
            return None
        return code

    def code_error(self, field: str, code: str) -> str | None:
        if field == "town_code" and not _TOWN_CODE.fullmatch(code):
            return _(
                '"%(value)s" is not a town code: it must be 9 digits, or 12 digits ending in 000',
                value=_shown(code),
            )
        if field == "village_code" and not _VILLAGE_CODE.fullmatch(code):
            return _('"%(value)s" is not a village code: it must be 12 digits', value=_shown(code))
        if not code.startswith(self.county_code):
            return _(
                "%(code)s is not in this county: codes here start with %(county)s",
                code=code,
                county=self.county_code,
            )
        return None

    def check_unnamed(self, line: int, cells: Sequence[object]) -> None:
        if not self.layout.unnamed and len(cells) <= self.layout.width:
            return
        for i in (*self.layout.unnamed, *range(self.layout.width, len(cells))):
            if i < len(cells) and i not in self.reported_unnamed and _text(cells[i]):
                self.reported_unnamed.add(i)
                self.errors.add(line, column_letter(i), _("a value in a column that has no header"))

    def check_consistency(self, line: int, values: dict[str, str | None]) -> None:
        """Compare with earlier rows, using only the values that are valid on their own."""
        town_code, town = values["town_code"], values["town"]
        village_code, village = values["village_code"], values["village"]
        address = values["address"]
        if town_code and town:
            name, first = self.towns.setdefault(town_code, (town, line))
            values["town"] = name  # one string object per town, not one per row
            if name != town:
                self.error(
                    line,
                    "town",
                    _(
                        'town %(code)s is called "%(name)s" on row %(line)d; a code must always '
                        "have the same name",
                        code=town_code,
                        name=name,
                        line=first,
                    ),
                )
        if town_code:
            form, first = self.town_forms.setdefault(town_code[:9], (town_code, line))
            if form != town_code:
                self.error(
                    line,
                    "town_code",
                    _(
                        "the same town is written %(code)s on row %(line)d; write its code the "
                        "same way everywhere",
                        code=form,
                        line=first,
                    ),
                )
        if village_code and town_code and village_code[:9] != town_code[:9]:
            self.error(
                line,
                "village_code",
                _(
                    "village %(village)s is not in town %(town)s: its first 9 digits must be "
                    "%(prefix)s",
                    village=village_code,
                    town=town_code,
                    prefix=town_code[:9],
                ),
            )
        elif village_code and town_code and village:
            values["village"] = self.check_village(line, village_code, village, town_code)
        if village_code and address:
            first = self.addresses.setdefault(village_code, {}).setdefault(address, line)
            if first != line:
                self.error(
                    line, "address", _("duplicate address: also on row %(line)d", line=first)
                )

    def check_village(self, line: int, code: str, name: str, town_code: str) -> str:
        """Check the village against its first row; return the name as first seen."""
        first_name, first_town, first = self.villages.setdefault(code, (name, town_code, line))
        if first_name != name:
            self.error(
                line,
                "village",
                _(
                    'village %(code)s is called "%(name)s" on row %(line)d; a code must always '
                    "have the same name",
                    code=code,
                    name=first_name,
                    line=first,
                ),
            )
        if first_town != town_code:
            self.error(
                line,
                "village_code",
                _(
                    "village %(code)s is in town %(town)s on row %(line)d; a village belongs to "
                    "one town",
                    code=code,
                    town=first_town,
                    line=first,
                ),
            )
        return first_name


def normalise_phone(text: str, *, numeric: bool = False) -> str | None:
    """A mainland mobile (``13800138000``) or landline (``0577-68878130``), or None if malformed.

    ``numeric`` says the value came from a number cell, which drops a landline's leading 0.
    """
    digits = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if numeric and digits[:1] not in ("0", "1"):
        digits = "0" + digits
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(digits):
        split = 3 if digits[1] in "12" else 4
        return f"{digits[:split]}-{digits[split:]}"
    return None


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _text(value: object) -> str:
    """A cell as the text it was typed as: stripped, NFC, integral floats as digits."""
    if isinstance(value, str):
        text = value.strip()
    elif value is None:
        return ""
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))  # Excel stores 330327100201 and 13800138000 as floats
    else:
        text = str(value).strip()
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _shown(text: str) -> str:
    if len(text) <= SHOWN_VALUE_LENGTH:
        return text
    return text[: SHOWN_VALUE_LENGTH - 1] + "…"
