"""Importing a post's finance or disbursement table from an ``.xlsx`` workbook or a ``.csv`` file.

Villages keep their 收支 and 资金发放 lists in Excel or WPS; the table on the phone must show what
the clerk sees in the spreadsheet, so cells become the text a village would write:

- numbers from a workbook: whole numbers without ``.0`` (``13800138000``, ``12``, so the
  personal-data gate sees a phone number as the digits it is); a fraction with at most two
  decimals is an amount and keeps exactly two (``1234.5`` → ``1234.50``); anything finer keeps
  its digits (``0.125``). Workbooks do not say how a cell was formatted (calamine reads values
  only), so thousands separators and percent signs are not reproduced: ``0.15`` stays ``0.15``.
  A figure that must look exactly as typed belongs in a text cell, or in a CSV file, whose cells
  are kept as written;
- dates ``YYYY-MM-DD``, times ``HH:MM``, date-times ``YYYY-MM-DD HH:MM``; booleans ``TRUE`` /
  ``FALSE`` as Excel shows them.

The first row holds the headings; trailing empty rows and columns (spreadsheets drag plenty of
them along) are dropped, empty rows inside the table are kept as separators. The type is decided
by the content as well as the name: an ``.xlsx`` must be a real workbook, a ``.csv`` must be text
(strict UTF-8, with or without BOM, then strict GB18030, as the household import reads it). Any
problem is reported with its spreadsheet row and column, several at once so a clerk can fix the
file in one pass, and nothing is kept.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import python_calamine
from flask_babel import gettext as _

from doorplate.places.tabular import Record, UnreadableFile, read_csv
from doorplate.publications.models import Table
from doorplate.publications.service import (
    CELL_MAX_LENGTH,
    TABLE_MAX_COLUMNS,
    TABLE_MAX_ROWS,
    PublicationError,
    validate_table,
)

FILE_MAX_BYTES = 10 * 1024 * 1024  # a 2000-row list is well under 1 MB
UNPACKED_MAX_BYTES = 100 * 1024 * 1024  # an .xlsx is a ZIP: refuse one that unpacks into a bomb
PROBLEMS_LISTED = 10

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old .xls (and .doc) container
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class TableFileError(PublicationError):
    """The file cannot become a table; ``problems`` lists each reason (translated, located)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


def read_table(filename: str, data: bytes) -> Table:
    """The table in an uploaded ``.xlsx`` or ``.csv`` file, validated like any post's table."""
    if not data:
        raise TableFileError([_("The file is empty.")])
    if len(data) > FILE_MAX_BYTES:
        raise TableFileError(
            [_("The file is larger than %(n)d MB.", n=FILE_MAX_BYTES // (1024 * 1024))]
        )
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "xlsx":
        records, convert = _xlsx_records(data), _workbook_cell
    elif extension == "csv":
        records, convert = _csv_records(data), _text_cell
    else:
        raise TableFileError([_("A table must be an .xlsx workbook or a .csv file.")])
    table = _table(records, convert)
    return validate_table(table.to_json())


# --- reading ------------------------------------------------------------------------------------


def _xlsx_records(data: bytes) -> Iterator[Record]:
    """The first sheet's rows, numbered as the spreadsheet numbers them."""
    if data.startswith(_OLE_MAGIC):
        raise TableFileError(
            [_("This is an old Excel .xls file. Save it as an .xlsx workbook and try again.")]
        )
    not_a_workbook = TableFileError(
        [_("The file is not an Excel workbook. Save it from Excel or WPS as .xlsx.")]
    )
    if not data.startswith(_ZIP_MAGIC):
        raise not_a_workbook
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise not_a_workbook from error
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise not_a_workbook
    if sum(member.file_size for member in members) > UNPACKED_MAX_BYTES:
        raise TableFileError([_("The workbook is too large. Keep only the table in it.")])
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except (python_calamine.CalamineError, IndexError, ValueError) as error:
        raise TableFileError(
            [_("Cannot read the workbook (%(reason)s). Save it again as .xlsx.", reason=error)]
        ) from error
    # Rows come from the first spreadsheet row, but columns only from the first one used: put
    # the empty leading columns back so column numbers are the spreadsheet's.
    leading: list[object] = [""] * (sheet.start[1] if sheet.start else 0)
    return ((number, leading + row) for number, row in enumerate(sheet.iter_rows(), start=1))


def _csv_records(data: bytes) -> Iterator[Record]:
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise TableFileError(
            [_("This is an Excel workbook, not a CSV file. Upload it with the .xlsx ending.")]
        )
    if b"\x00" in data:
        raise TableFileError([_("The file is not a text CSV file.")])
    try:
        return iter(read_csv(data))
    except UnreadableFile as error:
        raise TableFileError([str(error)]) from error


def _text_cell(value: object) -> str:
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def _workbook_cell(value: object) -> str:
    """A workbook value as the text a village would write (see the module docstring)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time() else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):  # a duration cell ([h]:mm)
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    return _text_cell(value)


def _number(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):  # NaN, ±inf: not from a cell
        return ""
    if value.is_integer():
        return str(int(value))
    cents = value * 100
    if abs(cents - round(cents)) < 1e-6:
        return f"{value:.2f}"
    return format(Decimal(repr(value)), "f")


# --- shaping ------------------------------------------------------------------------------------


def _filled(cells: list[str]) -> int:
    """How many cells up to and including the last non-empty one."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index]:
            return index + 1
    return 0


@dataclass(frozen=True)
class _Row:
    number: int  # as the spreadsheet numbers it
    cells: list[str]  # up to the last non-empty cell
    read: int  # how many cells the file gave: fewer than the table's width is a ragged row


def _table(records: Iterable[Record], convert: Callable[[object], str]) -> Table:
    """Read rows up to the last non-empty one, checking limits as they come (a file of a million
    rows is refused at the first row too many, not after reading it all), then check the shape
    and the cells."""
    rows: list[_Row] = []
    empty_since: int | None = None  # the first of the empty rows read since the last filled one
    for number, raw in records:
        cells = [convert(value) for value in raw]
        width = _filled(cells)
        if width == 0:
            empty_since = number if empty_since is None else empty_since
            continue
        if empty_since is not None:
            rows += [_Row(n, [], 0) for n in range(empty_since, number)]
            empty_since = None
        if len(rows) > TABLE_MAX_ROWS:
            too_many = _("a table may have at most %(n)d rows of data.", n=TABLE_MAX_ROWS)
            raise TableFileError([_located(number, None, too_many)])
        if width > TABLE_MAX_COLUMNS:
            too_wide = _("a table may have at most %(n)d columns.", n=TABLE_MAX_COLUMNS)
            raise TableFileError([_located(number, width, too_wide)])
        rows.append(_Row(number, cells[:width], len(cells)))
    if not rows:
        raise TableFileError([_("The file holds no table: every row is empty.")])
    if not rows[0].cells:
        no_header = _("the first row must hold the column headings; it is empty.")
        raise TableFileError([_located(1, None, no_header)])
    width = max(len(row.cells) for row in rows)
    problems = _problems(rows, width)
    if problems:
        more = len(problems) - PROBLEMS_LISTED
        listed = problems[:PROBLEMS_LISTED]
        if more > 0:
            listed.append(_("And %(n)d more problems.", n=more))
        raise TableFileError(listed)
    padded = [tuple(row.cells + [""] * (width - len(row.cells))) for row in rows]
    return Table(header=padded[0], rows=tuple(padded[1:]))


def _problems(rows: list[_Row], width: int) -> list[str]:
    header, *body = rows
    problems = [
        _located(header.number, column, _("the column has no heading."))
        for column in range(1, width + 1)
        if column > len(header.cells) or not header.cells[column - 1]
    ]
    for row in body:
        if row.cells and row.read < width:
            ragged = _("the row ends here, but the table has %(n)d columns.", n=width)
            problems.append(_located(row.number, row.read + 1, ragged))
        problems += [
            _located(
                row.number,
                column,
                _(
                    "the cell has %(length)d characters; at most %(n)d are allowed.",
                    length=len(cell),
                    n=CELL_MAX_LENGTH,
                ),
            )
            for column, cell in enumerate(row.cells, start=1)
            if len(cell) > CELL_MAX_LENGTH
        ]
    return problems


def _located(row: int, column: int | None, problem: str) -> str:
    if column is None:
        return _("Row %(row)d: %(problem)s", row=row, problem=problem)
    return _("Row %(row)d, column %(column)d: %(problem)s", row=row, column=column, problem=problem)
