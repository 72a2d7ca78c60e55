"""Test helpers: rasterise what the renderers produce and read the QR codes back with zxing-cpp.

PDFs are rasterised with pypdfium2 and SVGs with resvg (both wheels from PyPI, nothing to install
from apt), so the check goes through an independent renderer, not the code under test.
"""

from __future__ import annotations

import ctypes
import io
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import resvg_py
import zxingcpp
from PIL import Image


@dataclass(frozen=True)
class Found:
    text: str
    x: float  # centre of the symbol, pixels
    y: float


def read_codes(image: Image.Image) -> list[Found]:
    """Every QR code zxing-cpp finds in ``image``."""
    found = []
    for code in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode):
        corners = (code.position.top_left, code.position.top_right)
        corners += (code.position.bottom_left, code.position.bottom_right)
        found.append(Found(code.text, sum(p.x for p in corners) / 4, sum(p.y for p in corners) / 4))
    return found


def png_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def svg_image(svg: bytes, dpi: float = 200) -> Image.Image:
    """An SVG drawn by resvg onto white (its size is in mm, so it needs a dpi)."""
    drawn = png_image(bytes(resvg_py.svg_to_bytes(svg_string=svg.decode(), dpi=dpi)))
    page = Image.new("RGBA", drawn.size, "white")
    page.alpha_composite(drawn.convert("RGBA"))
    return page.convert("L")


def pdf_pages(pdf: bytes, dpi: float = 150) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    return [page.render(scale=dpi / 72).to_pil().convert("L") for page in document]


def pdf_texts(pdf: bytes) -> list[str]:
    return [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf)]


def pdf_page_count(pdf: bytes) -> int:
    return len(pdfium.PdfDocument(pdf))


def pdf_object_types(pdf: bytes, page: int = 0) -> set[int]:
    return {obj.type for obj in pdfium.PdfDocument(pdf)[page].get_objects()}


def pdf_fonts(pdf: bytes) -> set[tuple[str, bool]]:
    """(base font name, embedded?) of every font a text object on any page uses."""
    fonts = set()
    for page in pdfium.PdfDocument(pdf):
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
            font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
            size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
            buffer = ctypes.create_string_buffer(size)
            pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
            embedded = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
            fonts.add((buffer.value.decode(), embedded))
    return fonts
