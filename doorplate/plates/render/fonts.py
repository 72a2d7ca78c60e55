"""The vendored plate font, its metrics and the glyph check every renderer runs first.

One font file serves all three outputs: Pillow draws it into PNGs, reportlab embeds a subset in
PDFs, and fontTools turns its outlines into SVG paths. Layout uses the font's own advance widths,
so a label lays out identically in all three. Loading is a per-process one-off (~0.2 s), cached.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.pens.basePen import AbstractPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.ttGlyphSet import _TTGlyphSet
from PIL import ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont as PdfTTFont

import doorplate
from doorplate.plates.render import Label, MissingGlyph

FONT_PATH = Path(doorplate.__file__).parent / "fonts" / "DoorplateSansMonoSC-Bold.ttf"
PDF_FONT_NAME = "DoorplateSansMonoSC-Bold"


@dataclass(frozen=True, slots=True)
class PlateFont:
    """Metrics of the plate font, in font units (``units_per_em`` to the em)."""

    units_per_em: int
    ascent: int  # typographic ascender: the top of the ideographic em box
    glyphs: Mapping[int, str]  # code point -> glyph name
    advances: Mapping[int, int]  # code point -> advance width

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` set at ``size`` (same unit as ``size``)."""
        return sum(self.advances[ord(ch)] for ch in text) * size / self.units_per_em

    def check(self, text: str, ref: str) -> None:
        """Raise ``MissingGlyph`` naming ``ref`` for the first character the font cannot draw."""
        for ch in text:
            if ord(ch) not in self.glyphs:
                raise MissingGlyph(ref, ch)


@cache
def plate_font() -> PlateFont:
    font = _font_tools()
    cmap = font.getBestCmap()
    metrics = font["hmtx"].metrics
    return PlateFont(
        units_per_em=font["head"].unitsPerEm,
        ascent=font["OS/2"].sTypoAscender,
        glyphs=cmap,
        advances={cp: metrics[name][0] for cp, name in cmap.items()},
    )


def check_labels(labels: Iterable[Label]) -> None:
    """Refuse the whole batch if any label has a character the font lacks, before any drawing."""
    font = plate_font()
    for label in labels:
        for text in (label.address, label.village, label.town, label.token):
            font.check(text, label.ref)


@cache
def pil_font(size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size_px)


@cache
def pdf_font_name() -> str:
    """Register the font with reportlab (subset-embedded in every PDF that uses it)."""
    pdfmetrics.registerFont(PdfTTFont(PDF_FONT_NAME, str(FONT_PATH)))
    return PDF_FONT_NAME


def draw_glyph(codepoint: int, pen: AbstractPen) -> None:
    """Draw one character's outline (font units, y up) into a fontTools pen."""
    _glyph_set()[plate_font().glyphs[codepoint]].draw(pen)


@cache
def _glyph_set() -> _TTGlyphSet:
    return _font_tools().getGlyphSet()


@cache
def _font_tools() -> TTFont:
    # Read into memory: a lazily loaded TTFont keeps its file open for the life of the process.
    return TTFont(io.BytesIO(FONT_PATH.read_bytes()), lazy=True)
