"""Formula injection in the CSV and XLSX files: every text cell that a spreadsheet could run as a
formula, written in ASCII, full width or small forms, behind blanks, comes out prefixed with
``'`` in every export, and every module that writes such a file goes through the one helper."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from doorplate.plates.render import Label
from doorplate.plates.render.exports import csv_listing, xlsx_listing
from doorplate.spreadsheet import PREFIX, defuse
from doorplate.stats.dashboard import tables_csv
from doorplate.stats.tables import Table, to_csv, to_xlsx

PAYLOADS = [
    '=HYPERLINK("https://evil.example","点此")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "|cmd /C calc",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    '＝HYPERLINK("https://evil.example")',  # full width, as a Chinese input method types them
    "＋1+1",
    "－1+1",
    "＠SUM(1)",
    "｜cmd",
    "﹦1+1",  # small forms
    "﹢1+1",
    "﹣1+1",
    "﹫SUM(1)",
    "⁼1+1",  # superscript equals
    "−1+1",  # minus sign
    " =1+1",
    "  +1+1",
    "\u00a0=1+1",
    "\u3000＝1+1",
    "\u3000\u3000@SUM(1)",
]
CLEAN = [
    "上垟路2号",
    "渡龙村",
    "2024-01-02",
    "0577-68878130",
    "13800138000",
    "A=B",
    "1+1",
    "（一）收支",
    "#1",
    "'已是文本",
    "",
    "   ",
]


def test_every_payload_is_defused() -> None:
    assert len(PAYLOADS) >= 20
    for payload in PAYLOADS:
        assert defuse(payload) == PREFIX + payload, repr(payload)


def test_clean_text_is_left_alone() -> None:
    """The negative control: an address, a date or a phone is not touched."""
    for value in CLEAN:
        assert defuse(value) == value, repr(value)


def _label(payload: str) -> Label:
    return Label(
        url="HTTPS://DP.EXAMPLE.GOV.CN/P/ABCDEFGHJKMNPQRS",
        token="ABCDEFGHJKMNPQRS",
        address=payload,
        village=payload,
        town=payload,
        ref=payload,
    )


def _csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def _xlsx_cells(data: bytes) -> list[str]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        ]
    finally:
        workbook.close()


def _exports(payload: str) -> dict[str, list[str]]:
    """Every file the service writes with ``payload`` in each text place it has."""
    labels = [_label(payload)]
    table = Table(title=payload, headers=(payload, "n"), rows=((payload, 1),), note=payload)
    return {
        "plates csv": _csv_cells(csv_listing(labels)),
        "plates xlsx": _xlsx_cells(xlsx_listing(labels)),
        "stats csv": _csv_cells(to_csv(table)),
        "stats csv, all tables": _csv_cells(tables_csv([table, table])),
        "stats xlsx": _xlsx_cells(to_xlsx([table])),
    }


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_export_writes_a_formula(payload: str) -> None:
    for export, cells in _exports(payload).items():
        if "xlsx" in export:  # XML may read a carriage return back as a line feed (lxml keeps it)
            cells, written = [c.replace("\r", "\n") for c in cells], payload.replace("\r", "\n")
        else:
            written = payload
        found = [cell for cell in cells if written in cell]
        assert found, f"{export}: the payload is not in the file, so this proves nothing"
        assert all(cell == PREFIX + written for cell in found), f"{export}: {found}"


def test_clean_text_reaches_every_export_unchanged() -> None:
    for export, cells in _exports("上垟路2号").items():
        assert "上垟路2号" in cells, export


WRITERS = re.compile(r"csv\.writer\(|DictWriter\(|Workbook\(|xlsxwriter")


def test_every_module_writing_csv_or_xlsx_uses_the_helper() -> None:
    package = Path(__file__).parents[1] / "doorplate"
    writers = [
        path for path in package.rglob("*.py") if WRITERS.search(path.read_text(encoding="utf-8"))
    ]
    names = {path.relative_to(package).as_posix() for path in writers}
    assert {"stats/tables.py", "plates/render/exports.py", "stats/dashboard.py"} <= names
    unguarded = sorted(
        path.relative_to(package).as_posix()
        for path in writers
        if "from doorplate.spreadsheet import defuse" not in path.read_text(encoding="utf-8")
    )
    assert unguarded == [], f"write text cells through doorplate.spreadsheet.defuse in {unguarded}"
