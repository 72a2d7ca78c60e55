"""Reading a post's table from a real .xlsx (written with openpyxl) or .csv file: cell values as a
village writes them, trailing blanks dropped, and every bad file refused with its row and column."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time
from typing import Any

import openpyxl
import pytest
from flask import Flask

from doorplate.publications import service
from doorplate.publications.models import Table
from doorplate.publications.tables import TableFileError, read_table

HEADER = ["序号", "户主", "项目", "金额（元）"]
ROWS = [["1", "张三明", "高龄补贴", "1,200.00"], ["2", "欧阳娜娜", "低保金", "850.50"]]


def xlsx(rows: list[list[Any]], *, start: str = "A1") -> bytes:
    """A workbook whose first sheet holds ``rows`` from the cell ``start`` on."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    first = sheet[start]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(row=first.row + r, column=first.column + c, value=value)
    workbook.create_sheet("第二页")["A1"] = "ignored"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def refused(filename: str, data: bytes) -> list[str]:
    with pytest.raises(TableFileError) as caught:
        read_table(filename, data)
    assert isinstance(caught.value, service.PublicationError)  # views catch one error type
    return caught.value.problems


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_is_read_as_written(app: Flask, encoding: str) -> None:
    rows = [HEADER, *ROWS, ["3", "林垟岙", "", "0.5"]]
    assert read_table("发放名单.CSV", csv_bytes(rows, encoding)) == Table(
        header=tuple(HEADER), rows=tuple(tuple(row) for row in rows[1:])
    )


def test_a_workbook_gives_the_same_table(app: Flask) -> None:
    rows = [HEADER, *ROWS]
    assert read_table("发放名单.xlsx", xlsx(rows)) == read_table("发放名单.csv", csv_bytes(rows))


def test_workbook_values_read_as_a_village_writes_them(app: Flask) -> None:
    table = read_table(
        "a.xlsx",
        xlsx(
            [
                ["整数", "金额", "分", "小数", "负数", "日期", "时间", "日期时间", "是否", "手机"],
                [12, 1234.5, 0.07, 0.125, -30.25, date(2024, 3, 1), time(8, 30),
                 datetime(2024, 3, 1, 14, 5), True, 13800138000],
                [12.0, 1200, 99.99, 1 / 3, -1, datetime(2024, 3, 2), None, None, False, None],
            ]
        ),
    )  # fmt: skip
    assert table.rows == (
        ("12", "1234.50", "0.07", "0.125", "-30.25", "2024-03-01", "08:30", "2024-03-01 14:05",
         "TRUE", "13800138000"),
        ("12", "1200", "99.99", "0.3333333333333333", "-1", "2024-03-02", "", "", "FALSE", ""),
    )  # fmt: skip


def test_trailing_empty_rows_and_columns_are_dropped_inner_ones_kept(app: Flask) -> None:
    rows = [
        ["项目", "金额", "", ""],
        ["收入", "", "", ""],
        ["", "", "", ""],
        ["支出", "10", "", ""],
        ["", "", "", ""],
        ["", "", "", ""],
    ]
    expected = Table(header=("项目", "金额"), rows=(("收入", ""), ("", ""), ("支出", "10")))
    assert read_table("a.csv", csv_bytes(rows)) == expected
    assert read_table("a.xlsx", xlsx(rows)) == expected
    # A blank CSV line has no cells at all: still an empty row, not a ragged one.
    assert read_table("a.csv", "项目,金额\r\n\r\n支出,10\r\n\r\n".encode()) == Table(
        header=("项目", "金额"), rows=(("", ""), ("支出", "10"))
    )


def test_cells_are_cleaned(app: Flask) -> None:
    data = '项目, 金额 \n\u3000修路\u3000,"1,200\n（两段）"\n'.encode()
    assert read_table("a.csv", data) == Table(
        header=("项目", "金额"), rows=(("修路", "1,200\n（两段）"),)
    )
    assert read_table("a.csv", b'x\n"a\x07b\r\nc"\n').rows == (("ab\nc",),)


def test_the_limits_themselves_are_allowed(app: Flask) -> None:
    """(2000 rows of 20 cells of 200 Chinese characters would be 24 MB: the file size limit.)"""
    rows = [[f"列{i}" for i in range(20)]] + [["x" * 200] * 20] * 2000
    table = read_table("a.csv", csv_bytes(rows))
    assert len(table.header) == 20 and len(table.rows) == 2000
    assert read_table("a.csv", csv_bytes([["a"], ["长" * 200]])).rows == (("长" * 200,),)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["a", "", "c"], ["1", "2", "3"]], ["Row 1, column 2: the column has no heading."]),
        ([["a"], ["1", "2"]], ["Row 1, column 2: the column has no heading."]),
        (
            [["a", "b"], ["1", "长" * 201], ["长" * 250, "2"]],
            [
                "Row 2, column 2: the cell has 201 characters; at most 200 are allowed.",
                "Row 3, column 1: the cell has 250 characters; at most 200 are allowed.",
            ],
        ),
        ([["", ""], ["", ""], ["a", "b"]], ["Row 1: the first row must hold the column headings; "
                                            "it is empty."]),
        ([[f"c{i}" for i in range(21)]], ["Row 1, column 21: a table may have at most 20 "
                                           "columns."]),
        ([["a"]] + [["x"]] * 2001, ["Row 2002: a table may have at most 2000 rows of data."]),
        ([["", ""], ["", ""]], ["The file holds no table: every row is empty."]),
    ],
)  # fmt: skip
def test_bad_tables_are_refused_with_row_and_column(
    app: Flask, kind: str, rows: list[list[str]], expected: list[str]
) -> None:
    data = csv_bytes(rows) if kind == "csv" else xlsx(rows)  # type: ignore[arg-type]
    assert refused(f"a.{kind}", data) == expected


def test_a_ragged_csv_row_is_refused(app: Flask) -> None:
    assert refused("a.csv", b"a,b,c\n1,2,3\n4,5\n") == [
        "Row 3, column 3: the row ends here, but the table has 3 columns."
    ]


def test_leading_blank_columns_of_a_workbook_keep_their_numbers(app: Flask) -> None:
    """calamine starts a sheet at its first used column; the error must still say column 1."""
    assert refused("a.xlsx", xlsx([["项目", "金额"], ["x", 1]], start="B1")) == [
        "Row 1, column 1: the column has no heading."
    ]


def test_many_problems_are_listed_up_to_ten(app: Flask) -> None:
    rows = [["a"]] + [["长" * 201]] * 15
    problems = refused("a.csv", csv_bytes(rows))
    assert len(problems) == 11
    assert problems[0].startswith("Row 2, column 1:") and problems[9].startswith("Row 11,")
    assert problems[10] == "And 5 more problems."


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("a.csv", b"", "The file is empty."),
        ("a.xlsx", b"", "The file is empty."),
        ("a.txt", b"a,b\n1,2\n", "A table must be an .xlsx workbook or a .csv file."),
        ("a", b"a,b\n1,2\n", "A table must be an .xlsx workbook or a .csv file."),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "A table must be an .xlsx"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "old Excel .xls file"),
        ("a.xlsx", "项目,金额\n".encode(), "not an Excel workbook"),
        ("a.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not an Excel workbook"),
        ("a.xlsx", _zip({"word/document.xml": b"<w/>"}), "not an Excel workbook"),
        ("a.xlsx", b"PK\x03\x04 broken", "not an Excel workbook"),
        ("a.xlsx", _zip({"xl/workbook.xml": b"garbage"}), "Cannot read the workbook"),
        ("a.csv", _zip({"xl/workbook.xml": b"x"}), "an Excel workbook, not a CSV file"),
        ("a.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not a text CSV file"),
        ("a.csv", b"<html>\0<script>", "not a text CSV file"),
        ("a.csv", b"a,b\n\x80\xff\xfe,1\n", "Unknown encoding"),
        ("a.csv", b'a,b\n"1,2\n', "malformed"),
    ],
)
def test_unreadable_files_are_refused_by_content(
    app: Flask, filename: str, data: bytes, message: str
) -> None:
    (problem,) = refused(filename, data)
    assert message in problem


def test_a_workbook_bomb_is_refused_before_it_is_unpacked(app: Flask) -> None:
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/big.xml": b"\0" * (101 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    assert refused("a.xlsx", bomb) == ["The workbook is too large. Keep only the table in it."]


def test_an_oversized_file_is_refused_unread(app: Flask) -> None:
    assert refused("a.csv", b"a\n" + b"x\n" * (5 * 1024 * 1024 + 1)) == [
        "The file is larger than 10 MB."
    ]


def test_only_the_first_sheet_is_read(app: Flask) -> None:
    assert read_table("a.xlsx", xlsx([["项目"], ["修路"]])).rows == (("修路",),)


def test_located_messages_in_chinese_i18n(zh_app: Flask) -> None:
    """Needs the Chinese catalogue with this feature's strings (deselect with -k "not i18n")."""
    with zh_app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert refused("a.csv", b"a,,c\n") == ["第1行 第2列：该列没有标题。"]
