"""Reading and validating household files: formats, encodings, cleaning, and every error kind."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from flask import Flask

from doorplate.places.importer import (
    MAX_ERRORS,
    HouseholdRow,
    ImportRejected,
    RowError,
    normalise_phone,
    read_household_file,
    validate_rows,
)

from .files import ENGLISH, HEADER, RARE, Cells, sample_rows, write_csv, write_xlsx

COUNTY = "330327"


def household(**fields: object) -> list[object]:
    """A valid row (the first sample) with some fields replaced."""
    values = dict(zip(ENGLISH, sample_rows()[0], strict=True)) | fields
    return [values[field] for field in ENGLISH]


def records(rows: list[Cells], header: Cells = HEADER) -> list[tuple[int, Cells]]:
    return [(1, header), *enumerate(rows, start=2)]


def rejected(rows: list[Cells], header: Cells = HEADER) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ImportRejected) as caught:
        validate_rows(records(rows, header), COUNTY)
    return [(e.line, e.column, e.message) for e in caught.value.errors]


def expected_rows() -> list[HouseholdRow]:
    return [
        HouseholdRow(line, *(None if cell is None else str(cell) for cell in row))
        for line, row in enumerate(sample_rows(), start=2)
    ]


# --- formats and encodings ---------------------------------------------------------------------


def test_reads_xlsx(app: Flask, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "households.xlsx", sample_rows())
    assert read_household_file(path) == expected_rows()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_reads_csv_in_every_encoding_excel_and_wps_save(
    app: Flask, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "households.csv", sample_rows(), encoding=encoding)
    assert read_household_file(path) == expected_rows()


def test_rare_characters_outside_gbk_survive_gb18030(app: Flask, tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        "刘䶮".encode("gbk")  # why the importer decodes as GB18030, not GBK
    path = write_csv(tmp_path / "households.csv", sample_rows(), encoding="gb18030")
    text = "".join(f"{r.address}{r.head_name}{r.village}" for r in read_household_file(path))
    assert set(RARE) <= set(text)


def test_gbk_file_from_wps(app: Flask, tmp_path: Path) -> None:
    rows = [household(head_name="陈建华")]
    path = write_csv(tmp_path / "households.csv", rows, encoding="gbk")
    assert read_household_file(path)[0].head_name == "陈建华"


def test_english_headers_any_case_any_order_optional_columns_left_out(
    app: Flask, tmp_path: Path
) -> None:
    header = [" Village_Code ", "ADDRESS", "town", "Town_Code", "village"]
    rows = [["330327100201", "渡龙村上垟路1号", "灵溪镇", "330327100", "渡龙村"]]
    path = write_csv(tmp_path / "households.csv", rows, header=header)
    assert read_household_file(path) == [
        HouseholdRow(
            2, "330327100", "灵溪镇", "330327100201", "渡龙村", "渡龙村上垟路1号", None, None, None
        )
    ]


def test_numeric_xlsx_cells_become_the_digits_typed(app: Flask, tmp_path: Path) -> None:
    """Excel stores codes and phones typed into General cells as numbers (floats to calamine)."""
    rows = [
        household(town_code=330327100, village_code=330327100201, house_no=12, phone=13800138000),
        household(address="灵溪镇渡龙村上垟路3号", phone=57768878130),  # landline lost its 0
    ]
    path = write_xlsx(tmp_path / "households.xlsx", rows)
    first, second = read_household_file(path)
    assert (first.town_code, first.village_code, first.house_no, first.phone) == (
        "330327100",
        "330327100201",
        "12",
        "13800138000",
    )
    assert second.phone == "0577-68878130"


def test_values_are_stripped_and_nfc_normalised(tmp_path: Path) -> None:
    rows = [household(village="\u3000渡龙村 ", address=" Cafe\u0301路1号\t", head_name="\u3000")]
    (row,) = validate_rows(records(rows), COUNTY)
    assert (row.village, row.address, row.head_name) == ("渡龙村", "Café路1号", None)


def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers(tmp_path: Path) -> None:
    rows: list[Cells] = [
        household(),
        ["", None, " ", "", "", "", "", ""],
        household(address="灵溪镇渡龙村上垟路9号", phone="12345"),
    ]
    assert rejected(rows) == [
        (4, "电话", '"12345" is not a valid mainland mobile or landline number')
    ]


def test_xlsx_with_leading_blank_rows_reports_real_row_numbers(app: Flask, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(household(phone="12345"))
    workbook.save(tmp_path / "households.xlsx")
    with pytest.raises(ImportRejected) as caught:
        read_household_file(tmp_path / "households.xlsx")
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "电话")]


# --- file-level errors -------------------------------------------------------------------------


def file_errors(path: Path) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        read_household_file(path)
    return [str(error) for error in caught.value.errors]


def test_empty_csv(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"\xef\xbb\xbf\r\n")
    assert file_errors(tmp_path / "empty.csv") == ["The file is empty."]


def test_empty_xlsx(app: Flask, tmp_path: Path) -> None:
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    assert file_errors(tmp_path / "empty.xlsx") == ["The file is empty."]


def test_header_without_households(app: Flask, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "households.csv", [])
    assert file_errors(path) == ["The file has a header but no households."]


def test_unknown_encoding_names_the_byte_offsets(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "households.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n\xff\xfe")
    header_bytes = len(",".join(HEADER).encode()) + 1
    (message,) = file_errors(path)
    assert message.startswith("Unknown encoding")
    assert f"offset {header_bytes}" in message  # UTF-8 fails at the 0xFF
    assert "CSV UTF-8" in message and ".xlsx" in message


def test_unsupported_file_type(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "households.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert file_errors(tmp_path / "households.xls") == [
        'Cannot read "households.xls": household files must be .xlsx or .csv.'
    ]


def test_corrupt_workbook(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "households.xlsx").write_text("乡镇代码,乡镇\n", encoding="utf-8")
    (message,) = file_errors(tmp_path / "households.xlsx")
    assert message.startswith("Cannot read the workbook")


def test_malformed_csv_quotes(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "households.csv"
    path.write_text(",".join(HEADER) + '\n"330327100"x,灵溪镇\n', encoding="utf-8")
    (message,) = file_errors(path)
    assert message.startswith("The CSV file is malformed near line 2")


# --- header errors -----------------------------------------------------------------------------


def test_missing_required_columns_are_listed_with_accepted_names() -> None:
    ((line, column, message),) = rejected([["渡龙村上垟路1号"]], header=["地址"])
    assert (line, column) == (1, None)
    assert message.startswith(
        "missing required column(s): 乡镇代码 (town_code), 乡镇 (town), 村社代码 (village_code), "
        "村社 (village); accepted headers: 乡镇代码 / town_code, "
    )
    assert "电话 / phone (optional)" in message


def test_unknown_and_duplicated_columns() -> None:
    header = [*HEADER, "备注", "TOWN"]
    assert rejected([household()], header=header) == [
        (1, "备注", rejected_unknown_message()),
        (1, "TOWN", 'duplicated column: "乡镇" is the same column'),
    ]


def rejected_unknown_message() -> str:
    return (
        "unknown column; accepted headers: 乡镇代码 / town_code, 乡镇 / town, 村社代码 / "
        "village_code, 村社 / village, 地址 / address, 门牌号 / house_no (optional), 户主 / "
        "head_name (optional), 电话 / phone (optional)"
    )


def test_values_in_a_column_without_header() -> None:
    rows = [[*household(), "", "note"], [*household(address="别的地址"), "", "again"]]
    assert rejected(rows, header=[*HEADER, ""]) == [
        (2, "J", "a value in a column that has no header")
    ]


# --- value errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "column", "message"),
    [
        ("town", None, "乡镇", "a value is required"),
        ("address", "  ", "地址", "a value is required"),
        ("village", "村" * 65, "村社", "is 65 characters long; at most 64 are allowed"),
        ("address", "路" * 201, "地址", "is 201 characters long; at most 200 are allowed"),
        ("house_no", "号" * 33, "门牌号", "is 33 characters long; at most 32 are allowed"),
        ("head_name", "名" * 51, "户主", "is 51 characters long; at most 50 are allowed"),
        ("address", "上垟路\n1号", "地址", "contains a line break or an invisible character"),
        ("head_name", "陈\u200b喆", "户主", "contains a line break or an invisible character"),
        (
            "town_code",
            "33032710O",
            "乡镇代码",
            '"33032710O" is not a town code: it must be 9 digits, or 12 digits ending in 000',
        ),
        (
            "town_code",
            "330327100001",
            "乡镇代码",
            '"330327100001" is not a town code: it must be 9 digits, or 12 digits ending in 000',
        ),
        (
            "village_code",
            "3303271002011",
            "村社代码",
            '"3303271002011" is not a village code: it must be 12 digits',
        ),
        (
            "village_code",
            "330327101201",
            "村社代码",
            "village 330327101201 is not in town 330327100: its first 9 digits must be 330327100",
        ),
        (
            "phone",
            "12345",
            "电话",
            '"12345" is not a valid mainland mobile or landline number',
        ),
    ],
)
def test_invalid_value(field: str, value: object, column: str, message: str) -> None:
    assert rejected([household(**{field: value})]) == [(2, column, message)]


def test_codes_of_another_county() -> None:
    row = household(town_code="330328100", village_code="330328100201")
    assert rejected([row]) == [
        (2, "乡镇代码", "330328100 is not in this county: codes here start with 330327"),
        (2, "村社代码", "330328100201 is not in this county: codes here start with 330327"),
    ]


def test_every_invalid_row_is_reported_not_just_the_first() -> None:
    rows = [
        household(phone="12345"),
        household(address="地址2"),
        household(address="地址3", town=None, village_code="33"),
    ]
    assert [(line, column) for line, column, _m in rejected(rows)] == [
        (2, "电话"),
        (4, "乡镇"),
        (4, "村社代码"),
    ]


def test_error_list_is_capped() -> None:
    rows = [household(address=f"地址{n}", phone="12345") for n in range(MAX_ERRORS + 50)]
    errors = rejected(rows)
    assert len(errors) == MAX_ERRORS + 1
    assert errors[-1] == (None, None, "... and 50 more")


# --- consistency within the file ---------------------------------------------------------------


def test_a_town_code_has_one_name() -> None:
    rows = [household(), household(address="地址2", town="灵溪")]
    assert rejected(rows) == [
        (
            3,
            "乡镇",
            'town 330327100 is called "灵溪镇" on row 2; a code must always have the same name',
        )
    ]


def test_a_village_code_has_one_name_and_one_town() -> None:
    rows = [
        household(),
        household(address="地址2", village="渡龙"),
        household(
            address="地址3", town_code="330327100000", village_code="330327100201"
        ),  # same town, written in 12 digits
    ]
    assert rejected(rows) == [
        (
            3,
            "村社",
            'village 330327100201 is called "渡龙村" on row 2; '
            "a code must always have the same name",
        ),
        (
            4,
            "乡镇代码",
            "the same town is written 330327100 on row 2; write its code the same way everywhere",
        ),
        (
            4,
            "村社代码",
            "village 330327100201 is in town 330327100 on row 2; a village belongs to one town",
        ),
    ]


def test_duplicate_address_names_both_rows() -> None:
    rows = [household(), household(address="地址2"), household(head_name="别人")]
    assert rejected(rows) == [(4, "地址", "duplicate address: also on row 2")]


def test_same_address_in_two_villages_is_fine() -> None:
    rows = [
        household(address="中心街1号"),
        household(village_code="330327100202", village="坑垟村", address="中心街1号"),
    ]
    assert len(validate_rows(records(rows), COUNTY)) == 2


# --- messages and phones -----------------------------------------------------------------------


def test_error_text_names_row_and_column_as_written() -> None:
    assert str(RowError(7, "电话", "bad", "phone")) == "row 7, column 电话 (phone): bad"
    assert str(RowError(7, "Phone", "bad", "phone")) == "row 7, column Phone: bad"
    assert str(RowError(1, None, "bad")) == "row 1: bad"
    assert str(RowError(None, None, "bad")) == "bad"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("８６１３８００１３８０００", "13800138000"),
        ("0577-68878130", "0577-68878130"),
        ("057768878130", "0577-68878130"),
        ("(0577) 6887 8130", "0577-68878130"),
        ("010-12345678", None),  # Beijing numbers do not start with 1
        ("010-62345678", "010-62345678"),
        ("02162345678", "021-62345678"),
        ("12800138000", None),
        ("1380013800", None),
        ("68878130", None),  # no area code
        ("0577-6887813", "0577-6887813"),
        ("0577-688781300", None),
        ("abc", None),
    ],
)
def test_normalise_phone(text: str, expected: str | None) -> None:
    assert normalise_phone(text) == expected


def test_numeric_phone_gets_its_area_code_zero_back() -> None:
    assert normalise_phone("57768878130", numeric=True) == "0577-68878130"
    assert normalise_phone("57768878130") is None
