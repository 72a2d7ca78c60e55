"""Single labels: they scan back to their URL, survive a stain, draw every character or refuse."""

from __future__ import annotations

import math
import pickle
import re

import pytest
from PIL import Image, ImageDraw, ImageOps

from doorplate.plates.render import Label, MissingGlyph, RenderError
from doorplate.plates.render.fonts import FONT_PATH, plate_font
from doorplate.plates.render.label import MM_PER_INCH, draw_png, label_png, label_svg
from doorplate.plates.render.layout import DEFAULT_SIZE, LabelSize, layout
from doorplate.plates.render.qr import Ecc

from .conftest import RARE, MakeLabels
from .scan import png_image, read_codes, svg_image

DPI = 300
STAIN = 0.15


def test_png_scans_back_to_its_url_at_print_size(make_labels: MakeLabels) -> None:
    label = make_labels(1)[0]
    image = png_image(label_png(label, dpi=DPI))
    assert image.mode == "1"
    assert image.size == (round(60 / MM_PER_INCH * DPI), round(80 / MM_PER_INCH * DPI))
    assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)  # stored as dots per metre
    assert [found.text for found in read_codes(image)] == [label.url]


def test_png_size_and_dpi_are_configurable(make_labels: MakeLabels) -> None:
    label = make_labels(1)[0]
    image = png_image(label_png(label, size=LabelSize(50, 70), dpi=200))
    assert image.size == (round(50 / MM_PER_INCH * 200), round(70 / MM_PER_INCH * 200))
    assert [found.text for found in read_codes(image)] == [label.url]


def test_svg_is_all_vector_and_scans_back(make_labels: MakeLabels) -> None:
    label = make_labels(1, address=f"灵溪镇渡龙村{RARE}路7号")[0]
    svg = label_svg(label)
    text = svg.decode()
    assert 'width="60mm" height="80mm"' in text
    # The QR is one path of merged runs; each text line is one path of glyph outlines; no font.
    assert text.count("<path") == 1 + len(layout(label).lines)
    assert "<text" not in text and "font" not in text
    assert text.count("<rect") == 1  # the white ground, not a rectangle per module
    assert [found.text for found in read_codes(svg_image(svg))] == [label.url]


@pytest.mark.parametrize("fill", [0, 1], ids=["dirt", "bleach"])
def test_a_15_percent_stain_still_scans_at_h_but_not_at_l(
    make_labels: MakeLabels, fill: int
) -> None:
    for label in make_labels(3):
        assert [f.text for f in read_codes(_stained(label, "H", fill))] == [label.url]
        # Negative control: the same stain defeats level L, which scans fine without it.
        assert [f.text for f in read_codes(png_image(label_png(label, ecc="L")))] == [label.url]
        assert read_codes(_stained(label, "L", fill)) == []


def _stained(label: Label, ecc: Ecc, fill: int) -> Image.Image:
    """The label with an opaque disc over STAIN of the symbol's area, centred on the symbol."""
    lay = layout(label, DEFAULT_SIZE, ecc)
    image = draw_png(lay, DEFAULT_SIZE, DPI)
    n = lay.matrix.size
    radius = math.sqrt(STAIN * n * n / math.pi)  # in modules
    # Clear of the finder patterns and their separators (the 8x8 corners).
    corners = [(4, 4), (4, n - 4), (n - 4, 4)]
    assert all(math.dist((n / 2, n / 2), c) - radius > 4 * math.sqrt(2) for c in corners)
    x0, y0, module = _symbol_origin(image, n)
    cx, cy, r = x0 + n / 2 * module, y0 + n / 2 * module, radius * module
    ImageDraw.Draw(image).ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    return image


def _symbol_origin(image: Image.Image, n: int) -> tuple[int, int, int]:
    """Top-left pixel and module size of the symbol, found from the ink: the QR is the topmost
    thing on the label and its top row runs from one finder pattern's edge to the other's."""
    gray = image.convert("L")
    top = ImageOps.invert(gray).getbbox()[1]
    dark = [x for x in range(gray.width) if gray.getpixel((x, top)) < 128]
    return dark[0], top, (dark[-1] + 1 - dark[0]) // n


def test_rare_place_and_name_characters_are_drawn(make_labels: MakeLabels) -> None:
    font = plate_font()
    assert all(ord(ch) in font.glyphs for ch in RARE)
    assert sum(0x3400 <= cp <= 0x4DBF for cp in font.glyphs) > 6500  # CJK Ext-A
    label = make_labels(1, address=f"{RARE}村1号", village="岙底村", town="鳌江镇")[0]
    line = next(line for line in layout(label).lines if RARE in line.text)
    scale = DPI / MM_PER_INCH
    for image in (
        png_image(label_png(label, dpi=DPI)).convert("L"),
        svg_image(label_svg(label), dpi=DPI),
    ):
        # Each character's cell, from the font's advances (the layout every renderer follows).
        x = line.center - font.width(line.text, line.size) / 2
        for ch in line.text:
            advance = font.width(ch, line.size)
            if ch in RARE:
                box = (x, line.baseline - 0.85 * line.size, x + advance, line.baseline)
                cell = image.crop(tuple(round(v * scale) for v in box))
                ink = sum(cell.histogram()[:128]) / (cell.width * cell.height)
                assert 0.15 < ink < 0.8, f"{ch} U+{ord(ch):04X} drew {ink:.0%} ink"
            x += advance


@pytest.mark.parametrize("char", ["\ue000", "\U0002a6d6"], ids=["private-use", "ext-b"])
def test_a_character_the_font_lacks_is_an_error_naming_household_and_character(
    make_labels: MakeLabels, char: str
) -> None:
    assert ord(char) not in plate_font().glyphs
    label = make_labels(1, address=f"灵溪镇渡龙村{char}路3号")[0]
    for render in (label_png, label_svg):
        with pytest.raises(MissingGlyph) as error:
            render(label)
        message = str(error.value)
        assert "household 1" in message
        assert f"“{char}”" in message and f"U+{ord(char):04X}" in message
        assert isinstance(error.value, RenderError)
        # It crosses process boundaries intact: ``plates export --all`` renders in workers.
        copy = pickle.loads(pickle.dumps(error.value))  # noqa: S301 (our own bytes)
        assert isinstance(copy, MissingGlyph) and str(copy) == message


def test_a_lowercase_url_is_refused(make_labels: MakeLabels) -> None:
    label = make_labels(1)[0]
    lower = Label(label.url.lower(), label.token, label.address, "渡龙村", "灵溪镇", "household 9")
    with pytest.raises(RenderError, match="household 9.*uppercase"):
        label_png(lower)


def test_token_shown_in_groups_of_four(make_labels: MakeLabels) -> None:
    label = make_labels(1)[0]
    texts = [line.text for line in layout(label).lines]
    assert texts[-1] == "-".join(re.findall("....", label.token))
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", texts[-1])


def test_long_addresses_wrap_after_the_village_or_where_lines_balance(
    make_labels: MakeLabels,
) -> None:
    def address_lines(address: str) -> list[str]:
        return [line.text for line in layout(make_labels(1, address=address)[0]).lines[:-2]]

    assert address_lines("灵溪镇渡龙村1号") == ["灵溪镇渡龙村1号"]
    assert address_lines("灵溪镇渡龙村上垟路东三弄127-3号") == [
        "灵溪镇渡龙村",
        "上垟路东三弄127-3号",
    ]
    # Not town + village first: split where the two lines balance, never inside "127-3".
    assert address_lines("钱库镇鳌江岙底社区埭头巷东三弄127-3号") == [
        "钱库镇鳌江岙底社区",
        "埭头巷东三弄127-3号",
    ]


def test_every_line_fits_the_label_or_the_label_is_refused(make_labels: MakeLabels) -> None:
    width = DEFAULT_SIZE.width_mm - 5
    for address in ("灵溪镇渡龙村上垟路东三弄127-3号", "灵溪镇渡龙村" + "上垟路东三弄" * 2):
        for line in layout(make_labels(1, address=address)[0]).lines:
            assert plate_font().width(line.text, line.size) <= width
    with pytest.raises(RenderError, match="household 1: the address is too long"):
        layout(make_labels(1, address="灵溪镇渡龙村" + "上垟路东三弄" * 8)[0])


def test_font_is_vendored_with_its_licence() -> None:
    assert FONT_PATH.is_file()
    assert "SIL OPEN FONT LICENSE" in (FONT_PATH.parent / "OFL.txt").read_text().upper()
