"""The statistics tables as data, and as the CSV and XLSX files the county downloads.

The dashboard, the annual report and their exports show the same :class:`Table`, so a download
always matches the page it came from. CSV is UTF-8 with a byte-order mark, which is what makes
Excel (and WPS) read the Chinese correctly; XLSX keeps numbers as numbers so they can be summed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import Workbook

from doorplate.spreadsheet import defuse

Cell = str | int | float | Decimal | date | None

_SHEET_NAME_UNSAFE = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_LENGTH = 31  # Excel's limit


@dataclass(frozen=True)
class Table:
    """A titled table: one header row, then rows of cells (numbers stay numbers), and an
    optional note said under it."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def __post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.headers):
                raise ValueError(
                    f"{self.title}: row {number} has {len(row)} cells for "
                    f"{len(self.headers)} columns"
                )


def to_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with a BOM, CRLF line ends, text that looks like a formula
    defused (:mod:`doorplate.spreadsheet`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([defuse(header) for header in table.headers])
    writer.writerows([_csv_cell(cell) for cell in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """The tables as one workbook, a sheet each (named after its title), header row frozen."""
    workbook = Workbook(write_only=True)
    names: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_name(table.title, names))
        sheet.freeze_panes = "A2"
        sheet.append([defuse(header) for header in table.headers])
        for row in table.rows:
            sheet.append([defuse(cell) if isinstance(cell, str) else cell for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return defuse(cell)
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``, unique in the workbook."""
    base = _SHEET_NAME_UNSAFE.sub("_", title).strip("'")[:SHEET_NAME_LENGTH] or "Sheet"
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: SHEET_NAME_LENGTH - len(suffix)] + suffix
    taken.add(name.casefold())
    return name
