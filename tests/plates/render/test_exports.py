"""Sign-maker bundles: safe unique names in the ZIP, a CSV Excel opens in Chinese, the XLSX."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from pathlib import PurePosixPath

import openpyxl
import pytest

from doorplate.plates.render import MissingGlyph
from doorplate.plates.render.exports import (
    HEADERS,
    csv_listing,
    image_name,
    xlsx_listing,
    zip_of_images,
)

from .conftest import MakeLabels
from .scan import png_image, read_codes, svg_image


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_zip_holds_one_scannable_image_per_label(make_labels: MakeLabels, fmt: str) -> None:
    labels = make_labels(3)
    with zipfile.ZipFile(io.BytesIO(zip_of_images(labels, fmt))) as archive:
        names = archive.namelist()
        assert names == [image_name(label, fmt) for label in labels]
        first = archive.read(names[0])
    assert names[0] == f"灵溪镇/渡龙村/{labels[0].address}-{labels[0].token}.{fmt}"
    image = png_image(first) if fmt == "png" else svg_image(first)
    assert [code.text for code in read_codes(image)] == [labels[0].url]


def test_zip_names_cannot_escape_and_never_collide(make_labels: MakeLabels) -> None:
    label = make_labels(1)[0]
    hostile = replace(label, town="..", village="../../etc", address="/abs\\path:*?<>|..")
    with zipfile.ZipFile(io.BytesIO(zip_of_images([hostile, label, hostile], "svg"))) as archive:
        names = archive.namelist()
    assert len(set(names)) == 3
    assert names[2] == names[0].replace(".svg", "-2.svg")
    long_name = image_name(replace(label, address="长" * 200 + "\x01\x7f"), "png")
    for name in (*names, long_name):
        path = PurePosixPath(name)
        assert not path.is_absolute() and ".." not in path.parts and "\\" not in name
        assert len(path.parts) == 3 and all(0 < len(part.encode()) <= 200 for part in path.parts)
        assert path.name.endswith(label.token + path.suffix) or path.stem.endswith("-2")


def test_zip_checks_every_glyph_first(make_labels: MakeLabels) -> None:
    labels = make_labels(3)
    labels[2] = replace(labels[2], village="\ue000村")
    with pytest.raises(MissingGlyph, match="household 3"):
        zip_of_images(labels)


def test_csv_has_a_bom_grouped_tokens_and_defused_formulas(make_labels: MakeLabels) -> None:
    labels = make_labels(2)
    labels[1] = replace(labels[1], address="=HYPERLINK(1)")
    data = csv_listing(labels)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HEADERS
    token = labels[0].token
    grouped = f"{token[:4]}-{token[4:8]}-{token[8:12]}-{token[12:]}"
    assert rows[1] == ["灵溪镇", "渡龙村", labels[0].address, grouped, labels[0].url]
    assert rows[2][2] == "'=HYPERLINK(1)"


def test_xlsx_lists_the_same_rows_as_text(make_labels: MakeLabels) -> None:
    labels = make_labels(3)
    labels[0] = replace(labels[0], address="+1 灵溪镇")
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_listing(labels)))
    sheet = workbook.active
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    csv_rows = list(csv.reader(io.StringIO(csv_listing(labels).decode("utf-8-sig"))))
    assert rows == [tuple(row) for row in csv_rows]
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row)
    assert sheet.freeze_panes == "A2"
