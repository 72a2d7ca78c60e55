"""One plate label as a print-resolution PNG or as an all-vector SVG, drawn from its layout."""

from __future__ import annotations

import io
import zlib
from functools import lru_cache
from xml.sax.saxutils import escape

from fontTools.pens.basePen import BasePen
from PIL import Image, ImageDraw

from doorplate.plates.render import Label
from doorplate.plates.render.fonts import draw_glyph, pil_font, plate_font
from doorplate.plates.render.layout import DEFAULT_SIZE, LabelLayout, LabelSize, TextLine, layout
from doorplate.plates.render.qr import QUIET_ZONE, Ecc, QRMatrix

MM_PER_INCH = 25.4


def label_png(
    label: Label, *, size: LabelSize = DEFAULT_SIZE, dpi: int = 300, ecc: Ecc = "H"
) -> bytes:
    """The label as a 1-bit PNG at ``dpi`` (recorded in the file, so it prints at true size).

    zlib's run-length strategy suits a black-and-white label: ~40% faster than the default
    strategy, and files of ~5.5 KB instead of ~4.6 KB."""
    out = io.BytesIO()
    draw_png(layout(label, size, ecc), size, dpi).save(
        out, "PNG", dpi=(dpi, dpi), compress_type=zlib.Z_RLE
    )
    return out.getvalue()


def draw_png(lay: LabelLayout, size: LabelSize, dpi: int) -> Image.Image:
    """Rasterise a layout; QR modules are whole pixels so every module edge stays sharp."""
    scale = dpi / MM_PER_INCH
    image = Image.new("1", (round(size.width_mm * scale), round(size.height_mm * scale)), 1)
    matrix = lay.matrix
    n = matrix.size
    module_px = max(1, int(lay.module * scale))
    block_px = module_px * (n + 2 * QUIET_ZONE)
    block_side = lay.module * (n + 2 * QUIET_ZONE) * scale
    x = round(lay.qr_x * scale + (block_side - block_px) / 2) + QUIET_ZONE * module_px
    y = round(lay.qr_y * scale + (block_side - block_px) / 2) + QUIET_ZONE * module_px
    image.paste(
        _symbol_image(matrix).resize((n * module_px,) * 2, Image.Resampling.NEAREST), (x, y)
    )
    for line in lay.lines:
        _draw_line(image, line, scale)
    return image


def _draw_line(image: Image.Image, line: TextLine, scale: float) -> None:
    """Paste cached glyph bitmaps at the font's own advances, as the SVG and PDF place them.

    Rendering each glyph once per size instead of each line through FreeType halves a PNG's cost:
    a village's labels repeat the same few hundred characters.
    """
    font = plate_font()
    size_px = round(line.size * scale)
    x = (line.center - font.width(line.text, line.size) / 2) * scale
    baseline = round(line.baseline * scale)
    for ch in line.text:
        mask, left, top = _glyph(ord(ch), size_px)
        if mask.width:
            image.paste(0, (round(x) + left, baseline + top), mask)
        x += font.advances[ord(ch)] * line.size * scale / font.units_per_em


@lru_cache(maxsize=8192)
def _glyph(codepoint: int, size_px: int) -> tuple[Image.Image, int, int]:
    """A glyph as a 1-bit mask, with its offset from the pen position on the baseline."""
    font = pil_font(size_px)
    left, top, right, bottom = font.getbbox(chr(codepoint), mode="1", anchor="ls")
    mask = Image.new("1", (max(right - left, 0), max(bottom - top, 0)), 0)
    ImageDraw.Draw(mask).text((-left, -top), chr(codepoint), font=font, fill=1, anchor="ls")
    return mask, left, top


def _symbol_image(matrix: QRMatrix) -> Image.Image:
    """The symbol at one pixel per module (mode "1" packs 8 pixels a byte, 1 = white)."""
    n = matrix.size
    pad = -n % 8
    row_bytes = (n + pad) // 8
    full = (1 << n) - 1
    data = b"".join(((row ^ full) << pad).to_bytes(row_bytes, "big") for row in matrix.rows)
    return Image.frombytes("1", (n, n), data)


def label_svg(label: Label, *, size: LabelSize = DEFAULT_SIZE, ecc: Ecc = "H") -> bytes:
    """The label as an SVG in millimetres, all vector: the QR as one path, text as glyph outlines
    (so a sign maker's software needs no font)."""
    lay = layout(label, size, ecc)
    w, h = _num(size.width_mm), _num(size.height_mm)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}">',
        f"<title>{escape(label.address)}</title>",
        f'<rect width="{w}" height="{h}" fill="#fff"/>',
        _svg_qr(lay),
        *(_svg_text(line) for line in lay.lines),
        "</svg>\n",
    ]
    return "\n".join(parts).encode()


def _svg_qr(lay: LabelLayout) -> str:
    d = "".join(f"M{x} {y}h{w}v{h}h-{w}z" for x, y, w, h in lay.matrix.rects())
    origin = QUIET_ZONE * lay.module
    return (
        f'<path transform="translate({_num(lay.qr_x + origin)} {_num(lay.qr_y + origin)}) '
        f'scale({_num(lay.module, 6)})" shape-rendering="crispEdges" d="{d}"/>'
    )


def _svg_text(line: TextLine) -> str:
    font = plate_font()
    d = []
    advance = 0
    for ch in line.text:
        glyph = _svg_glyph(ord(ch))
        if glyph:
            x, y, rest = glyph
            d.append(f"M{_num(x + advance, 2)} {_num(y, 2)}{rest}")
        advance += font.advances[ord(ch)]
    em = line.size / font.units_per_em
    left = line.center - font.width(line.text, line.size) / 2
    return (
        f'<path transform="translate({_num(left)} {_num(line.baseline)}) '
        f'scale({_num(em, 7)} {_num(-em, 7)})" d="{"".join(d)}"/>'
    )


@lru_cache(maxsize=8192)
def _svg_glyph(codepoint: int) -> tuple[float, float, str] | None:
    """A glyph's outline as SVG path data in font units: the first point absolute, the rest
    relative, so placing the glyph on a line only rewrites its first ``M``."""
    pen = _RelativePathPen()
    draw_glyph(codepoint, pen)
    return None if pen.start is None else (*pen.start, "".join(pen.parts))


class _RelativePathPen(BasePen):
    def __init__(self) -> None:
        super().__init__(None)
        self.start: tuple[float, float] | None = None
        self.parts: list[str] = []
        self._at = self._contour = (0.0, 0.0)

    def _rel(self, *points: tuple[float, float]) -> str:
        x, y = self._at
        return " ".join(f"{_num(px - x, 2)} {_num(py - y, 2)}" for px, py in points)

    def _moveTo(self, pt: tuple[float, float]) -> None:
        if self.start is None:
            self.start = pt
        else:
            self.parts.append("m" + self._rel(pt))
        self._at = self._contour = pt

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.parts.append("l" + self._rel(pt))
        self._at = pt

    def _qCurveToOne(self, pt1: tuple[float, float], pt2: tuple[float, float]) -> None:
        self.parts.append("q" + self._rel(pt1, pt2))
        self._at = pt2

    def _curveToOne(
        self, pt1: tuple[float, float], pt2: tuple[float, float], pt3: tuple[float, float]
    ) -> None:
        self.parts.append("c" + self._rel(pt1, pt2, pt3))
        self._at = pt3

    def _closePath(self) -> None:
        self.parts.append("z")
        self._at = self._contour  # SVG: after "z" the pen is back at the contour's start


def _num(value: float, digits: int = 3) -> str:
    """Compact decimal for SVG attributes."""
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")
