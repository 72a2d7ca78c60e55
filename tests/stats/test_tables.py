"""Statistics tables as CSV and XLSX: what Excel needs, and the same cells back."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from doorplate.stats.tables import Table, to_csv, to_xlsx

TOWNS = Table(
    title="按乡镇",
    headers=("乡镇", "访问人次", "覆盖率"),
    rows=(("灵溪镇", 12345, 0.5), ("=HYPERLINK(1)", 0, None)),
)


def test_csv_is_utf8_with_a_bom_and_reads_back() -> None:
    data = to_csv(TOWNS)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["乡镇", "访问人次", "覆盖率"],
        ["灵溪镇", "12345", "0.5"],
        ["'=HYPERLINK(1)", "0", ""],
    ]


def test_xlsx_has_a_sheet_per_table_with_numbers_as_numbers() -> None:
    months = Table("月份 [2021]", ("月", "日期"), ((1, date(2021, 1, 1)),))
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(to_xlsx([TOWNS, months, TOWNS])))
    assert workbook.sheet_names == ["按乡镇", "月份 _2021_", "按乡镇 (2)"]
    rows = workbook.get_sheet_by_name("按乡镇").to_python()
    assert rows[1] == ["灵溪镇", 12345, 0.5]
    assert rows[2][0] == "'=HYPERLINK(1)"  # a formula stays text


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="row 2 has 1 cells for 3 columns"):
        Table("t", ("a", "b", "c"), (("x", 1, 2), ("y",)))
