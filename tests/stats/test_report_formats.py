"""The annual report as a workbook and as a PDF, made through ``doorplate report``.

The workbook is read back with python-calamine (what the county's own tools would use) and must
hold the report's tables cell for cell, numbers as numbers. The PDF is read back with pypdfium2:
its text must contain the paragraph exactly, its font must be embedded, and no line may start
with closing punctuation or end with opening punctuation.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_babel import force_locale
from python_calamine import CalamineWorkbook

from doorplate.i18n import LOCALES
from doorplate.stats.report import Basis, annual_report, paragraph, tables, title
from doorplate.stats.report_pdf import NO_LINE_END, NO_LINE_START, break_lines, render_pdf
from doorplate.stats.tables import Cell

from .conftest import County
from .test_report import SEED_PARAGRAPH, seed_report

CLOSING = "，。、；：）」』》"  # the punctuation the issue names
OPENING = "（「《"


def make(runner: FlaskCliRunner, tmp_path: Path, fmt: str, *args: str) -> bytes:
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(
        args=["report", "--year", "2021", "--format", fmt, *args, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    return out.read_bytes()


def sheet_rows(data: bytes, index: int) -> list[list[Cell]]:
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(index).to_python()
    return [[None if cell == "" else cell for cell in row] for row in rows]


def as_read(rows: tuple[tuple[Cell, ...], ...]) -> list[list[Cell]]:
    """Rows as a spreadsheet gives them back: an empty text cell is no value."""
    return [[None if cell == "" else cell for cell in row] for row in rows]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_workbook_holds_the_reports_tables_as_numbers(
    county: County, runner: FlaskCliRunner, tmp_path: Path, lang: str
) -> None:
    data = make(runner, tmp_path, "xlsx", "--lang", lang, "--in-year")
    with force_locale(LOCALES[lang]):
        report = annual_report(2021, Basis.IN_YEAR)
        expected = tables(report)
        heading, text = title(report), paragraph(report, lang)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names[1:] == [table.title[:31] for table in expected]
    first = sheet_rows(data, 0)
    assert first[0] == [heading]
    assert first[2] == [text]
    assert "in-year" in first[1][0] or "当年" in first[1][0]  # the basis note, in its language
    for index, table in enumerate(expected, start=1):
        rows = sheet_rows(data, index)
        assert rows[0] == list(table.headers)
        assert rows[1:] == as_read(table.rows)
    figures = sheet_rows(data, 1)
    visits = next(row for row in figures if row[0] in ("Visits", "访问人次"))
    assert visits[1:] == [13, 14] and all(isinstance(n, float) for n in visits[1:])  # numbers


def test_binary_formats_need_a_file(county: County, runner: FlaskCliRunner) -> None:
    for fmt in ("xlsx", "pdf"):
        result = runner.invoke(args=["report", "--year", "2021", "--format", fmt])
        assert result.exit_code == 2
        assert f"The {fmt} format is a binary file: give -o FILE" in result.output


def pdf_lines(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        lines: list[str] = []
        for page in document:
            text = page.get_textpage().get_text_range()
            lines += [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
        return lines
    finally:
        document.close()


@pytest.mark.parametrize(("lang", "joiner"), [("zh", ""), ("en", " ")])
def test_the_pdf_has_the_paragraph_its_font_and_breaks_lines_correctly(
    county: County, runner: FlaskCliRunner, tmp_path: Path, lang: str, joiner: str
) -> None:
    data = make(runner, tmp_path, "pdf", "--lang", lang)
    assert data.startswith(b"%PDF-")
    with force_locale(LOCALES[lang]):
        report = annual_report(2021)
        text = paragraph(report, lang)
    lines = pdf_lines(data)
    assert joiner.join(lines).count(text) == 1
    start = next(n for n, line in enumerate(lines) if text.startswith(line))
    assert len(lines[start]) < len(text)  # the paragraph did have to be broken
    assert b"/FontFile2" in data  # the TrueType font is embedded ...
    assert b"+DoorplateSansMonoSC-Bold" in data  # ... as a subset (a tagged name)
    assert_breaks_kept(lines)


def test_the_seed_paragraph_in_the_pdf(app: Flask) -> None:
    lines = pdf_lines(render_pdf(seed_report(Basis.CUMULATIVE), "zh"))
    assert "".join(lines).count(SEED_PARAGRAPH) == 1
    assert_breaks_kept(lines)


def assert_breaks_kept(lines: list[str]) -> None:
    for line in lines:
        assert line[0] not in CLOSING, line
        assert line[-1] not in OPENING, line


@pytest.mark.parametrize("width", range(3, 60))
def test_break_lines_never_starts_or_ends_a_line_wrongly(width: int) -> None:
    """At every width, including those where a plain break would put ，or ） first."""
    lines = break_lines(SEED_PARAGRAPH, lambda line: len(line) <= width)
    assert "".join(lines) == SEED_PARAGRAPH
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, (width, lines)
    for line in lines[:-1]:
        assert line[-1] not in NO_LINE_END, (width, lines)
    assert all(len(line) <= width + 2 for line in lines)  # a carried character or two at most


def test_break_lines_would_be_needed() -> None:
    """The control: breaking at the width alone does put punctuation first at some width."""
    naive = [
        [SEED_PARAGRAPH[i : i + width] for i in range(0, len(SEED_PARAGRAPH), width)]
        for width in range(3, 60)
    ]
    assert any(line[0] in CLOSING for lines in naive for line in lines[1:])
    assert any(line[-1] in OPENING for lines in naive for line in lines[:-1])


def test_english_breaks_at_spaces_only() -> None:
    text = "By the end of 2021, smart doorplates covered 420,000 households (in all)."
    lines = break_lines(text, lambda line: len(line) <= 20)
    assert " ".join(lines) == text
    assert all(len(line) <= 20 for line in lines)
