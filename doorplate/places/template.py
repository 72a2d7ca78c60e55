"""The example household workbook that ``import-template`` writes.

Code and phone columns are formatted as text (Excel's "@"), whole columns included, so a code typed
or pasted in stays ``330327100201`` instead of becoming ``3.30327E+11`` and a landline keeps its
leading 0. The example town uses code ``<county>999`` so an accidental import of the template
cannot rename a real town.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from doorplate.places.importer import COLUMNS
from doorplate.spreadsheet import defuse

TEXT_FORMAT = "@"
TEXT_FIELDS = frozenset({"town_code", "village_code", "phone"})
WIDTHS = {"address": 36, "town_code": 16, "village_code": 16, "phone": 16}


def example_rows(county_code: str) -> list[list[str | None]]:
    place = [f"{county_code}999", "示例镇", f"{county_code}999201", "示例村"]
    return [
        [*place, "示例镇示例村上垟路8号", "8号", "陈喆", "13800138000"],
        [*place, "示例镇示例村岙底街12号", "12号", None, "0577-68878130"],
    ]


def notes(county_code: str) -> list[str]:
    """The instructions sheet: what each column takes and how re-importing behaves."""
    return [
        _("One household per row. Only the first sheet is imported; this one is ignored."),
        _(
            "Required columns: %(required)s. Optional: %(optional)s. The English headers "
            "%(english)s are accepted too.",
            required=", ".join(c.header for c in COLUMNS if c.required),
            optional=", ".join(c.header for c in COLUMNS if not c.required),
            english=", ".join(c.field for c in COLUMNS),
        ),
        _(
            "Town code: 9 digits, or 12 ending in 000. Village code: 12 digits beginning with its "
            "town's first 9. Both begin with the county code %(county)s.",
            county=county_code,
        ),
        _("Phone: a mobile (13800138000) or a landline with its area code (0577-68878130)."),
        _(
            "Keep the code and phone columns formatted as text, or Excel turns codes into "
            "numbers like 3.30327E+11."
        ),
        _(
            "Households are matched on village code + address: importing again updates them and "
            "adds new ones; households missing from the file are left alone, and a blank cell "
            "keeps the stored value."
        ),
        _("Delete the two example rows before importing."),
    ]


def write_template(path: Path, county_code: str) -> None:
    """Write the example workbook to ``path``."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "households"
    sheet.append([defuse(column.header) for column in COLUMNS])
    for row in example_rows(county_code):
        sheet.append([None if cell is None else defuse(cell) for cell in row])
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        dimension = sheet.column_dimensions[letter]
        dimension.width = WIDTHS.get(column.field, 12)
        if column.field in TEXT_FIELDS:
            dimension.number_format = TEXT_FORMAT
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = TEXT_FORMAT
    sheet.freeze_panes = "A2"
    instructions = workbook.create_sheet("notes")
    instructions.column_dimensions["A"].width = 100
    for line in notes(county_code):
        instructions.append([defuse(line)])
    workbook.save(path)
