"""A4 PDF sheets: every code scans back to the label it sits on, with headers, cut marks and the
font embedded."""

from __future__ import annotations

from dataclasses import replace

import pypdfium2.raw as pdfium_c
import pytest

from doorplate.plates.render import MissingGlyph, RenderError
from doorplate.plates.render.layout import LabelSize
from doorplate.plates.render.sheet import sections_pdf, sheet_pdf

from .conftest import MakeLabels
from .scan import pdf_fonts, pdf_object_types, pdf_page_count, pdf_pages, pdf_texts, read_codes

DPI = 150
PX_PER_MM = DPI / 25.4
A4_WIDTH, A4_HEIGHT = 210.0, 297.0


def grid_origin(columns: int, rows: int, size: LabelSize) -> tuple[float, float]:
    """Where the sheet puts its grid (mm from the top-left), re-derived here from the design:
    centred across, centred below a 15 mm header band."""
    left = (A4_WIDTH - columns * size.width_mm) / 2
    top = 15 + (A4_HEIGHT - 15 - rows * size.height_mm) / 2
    return left, top


def test_every_code_on_every_page_is_its_labels_url_in_order(make_labels: MakeLabels) -> None:
    labels = make_labels(20)
    size = LabelSize()
    pdf = sheet_pdf(labels, "渡龙村", columns=3, rows=3)
    pages = pdf_pages(pdf, DPI)
    assert len(pages) == 3
    left, top = grid_origin(3, 3, size)
    for page_number, page in enumerate(pages):
        on_page = labels[page_number * 9 : page_number * 9 + 9]
        found = read_codes(page)
        assert len(found) == len(on_page)
        for code in found:
            column = int((code.x / PX_PER_MM - left) // size.width_mm)
            row = int((code.y / PX_PER_MM - top) // size.height_mm)
            assert code.text == on_page[row * 3 + column].url


@pytest.mark.parametrize(
    ("count", "columns", "rows", "pages"),
    [(1, 3, 3, 1), (9, 3, 3, 1), (10, 3, 3, 2), (25, 2, 3, 5)],
)
def test_page_count_follows_the_grid(
    make_labels: MakeLabels, count: int, columns: int, rows: int, pages: int
) -> None:
    pdf = sheet_pdf(make_labels(count), "渡龙村", columns=columns, rows=rows)
    assert pdf_page_count(pdf) == pages


def test_every_page_has_a_header_with_title_and_page_x_of_y(make_labels: MakeLabels) -> None:
    pdf = sheet_pdf(make_labels(19), "渡龙村")
    texts = pdf_texts(pdf)
    for number, text in enumerate(texts, start=1):
        assert text.startswith("渡龙村")
        assert f"第 {number}/3 页" in text and f"page {number}/3" in text


def test_sections_each_start_a_page_and_number_their_own_pages(make_labels: MakeLabels) -> None:
    pdf = sections_pdf(
        [("渡龙村", make_labels(10)), ("空村", []), ("岙底村", make_labels(2, village="岙底村"))],
        page_label="{page}/{pages}",
    )
    texts = pdf_texts(pdf)
    assert [text.split()[:2] for text in texts] == [
        ["渡龙村", "1/2"],
        ["渡龙村", "2/2"],
        ["岙底村", "1/1"],
    ]
    assert len(read_codes(pdf_pages(pdf, DPI)[2])) == 2


def test_the_font_is_embedded_and_the_codes_are_vector_paths(make_labels: MakeLabels) -> None:
    pdf = sheet_pdf(make_labels(3), "渡龙村")
    fonts = pdf_fonts(pdf)
    assert {name.split("+")[-1] for name, _ in fonts} == {"DoorplateSansMonoSC-Bold"}
    assert all(embedded for _, embedded in fonts)
    types = pdf_object_types(pdf)
    assert pdfium_c.FPDF_PAGEOBJ_PATH in types
    assert pdfium_c.FPDF_PAGEOBJ_IMAGE not in types


def test_cut_marks_sit_outside_the_grid_on_every_grid_line(make_labels: MakeLabels) -> None:
    size = LabelSize()
    page = pdf_pages(sheet_pdf(make_labels(9), "渡龙村"), DPI)[0]
    left, top = grid_origin(3, 3, size)
    right, bottom = left + 3 * size.width_mm, top + 3 * size.height_mm

    def ink(x_mm: float, y_mm: float) -> bool:
        x, y = round(x_mm * PX_PER_MM), round(y_mm * PX_PER_MM)
        return min(page.getpixel((x + dx, y + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)) < 128

    for c in range(4):
        x = left + c * size.width_mm
        assert ink(x, top - 4.5) and ink(x, bottom + 4.5)  # ticks above and below
        assert not ink(x, top - 10) and not ink(x, top + 1)  # nothing beyond or on the label
    for r in range(4):
        y = top + r * size.height_mm
        assert ink(left - 4.5, y) and ink(right + 4.5, y)
    assert not ink(left - 4.5, top + size.height_mm / 2)  # only at the lines


def test_nothing_is_drawn_when_a_later_label_lacks_a_glyph(make_labels: MakeLabels) -> None:
    labels = make_labels(5)
    labels[3] = replace(labels[3], address="灵溪镇渡龙村\U0002a6d6路3号")
    with pytest.raises(MissingGlyph, match=r"household 4: .*U\+2A6D6"):
        sheet_pdf(labels, "渡龙村")
    with pytest.raises(MissingGlyph, match=r"sheet '\\ue000村'"):
        sheet_pdf(make_labels(1), "\ue000村")


def test_impossible_grids_and_empty_sheets_are_refused(make_labels: MakeLabels) -> None:
    with pytest.raises(RenderError, match="do not fit"):
        sheet_pdf(make_labels(1), "渡龙村", columns=4, rows=3)
    with pytest.raises(RenderError, match="no labels"):
        sheet_pdf([], "渡龙村")


def test_a_4x4_grid_of_small_labels_fits(make_labels: MakeLabels) -> None:
    size = LabelSize(45, 60)
    labels = make_labels(16)
    pdf = sheet_pdf(labels, "渡龙村", columns=4, rows=4, size=size)
    found = read_codes(pdf_pages(pdf, 200)[0])
    assert sorted(code.text for code in found) == sorted(label.url for label in labels)
