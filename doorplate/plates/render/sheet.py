"""Print-ready A4 PDF sheets of labels: a village (one section) or a town (a section per village).

Labels abut in a grid (one guillotine cut per grid line), in the order given; cut marks sit in the
margin at every grid line, and every page has a header with the section title and its page number.
The QR codes are vector paths and the text uses the vendored font, subset-embedded, so the file
prints identically anywhere.

reportlab rather than fpdf2: it has a C accelerator, embeds TrueType subsets with a ToUnicode map
(the text stays searchable) and accepts raw path operators, so a QR code is one pre-formatted fill
instead of hundreds of drawing calls; that is what keeps a 1,000-label village under two seconds.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from reportlab.pdfgen.canvas import Canvas

from doorplate.plates.render import Label, RenderError
from doorplate.plates.render.fonts import check_labels, pdf_font_name, plate_font
from doorplate.plates.render.layout import DEFAULT_SIZE, LabelLayout, LabelSize, layout
from doorplate.plates.render.qr import QUIET_ZONE, Ecc, QRMatrix

PT_PER_MM = 72 / 25.4
A4 = (210.0, 297.0)  # mm
PAGE_LABEL = "第 {page}/{pages} 页 · page {page}/{pages}"
HEADER_SIZE = 4.0  # mm em size
HEADER_BASELINE = 12.0  # mm from the top of the page
HEADER_SPACE = 15.0  # mm at the top reserved for the header
MARK_GAP, MARK_LENGTH, MARK_WIDTH = 2.0, 5.0, 0.25  # mm, mm, pt

Section = tuple[str, Sequence[Label]]


@dataclass(frozen=True, slots=True)
class _Grid:
    columns: int
    rows: int
    size: LabelSize
    left: float  # mm from the page's left edge to the grid
    top: float  # mm from the page's top edge to the grid

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def width(self) -> float:
        return self.columns * self.size.width_mm

    @property
    def height(self) -> float:
        return self.rows * self.size.height_mm


def sheet_pdf(
    labels: Sequence[Label],
    title: str,
    *,
    columns: int = 3,
    rows: int = 3,
    size: LabelSize = DEFAULT_SIZE,
    ecc: Ecc = "H",
    page_label: str = PAGE_LABEL,
) -> bytes:
    """One titled run of labels (e.g. a village), ``columns`` × ``rows`` to an A4 page."""
    return sections_pdf(
        [(title, labels)], columns=columns, rows=rows, size=size, ecc=ecc, page_label=page_label
    )


def sections_pdf(
    sections: Sequence[Section],
    *,
    columns: int = 3,
    rows: int = 3,
    size: LabelSize = DEFAULT_SIZE,
    ecc: Ecc = "H",
    page_label: str = PAGE_LABEL,
) -> bytes:
    """Several titled runs in one document (e.g. a town, one section per village).

    Each section starts on a new page and numbers its own pages (``page_label`` is formatted with
    ``page`` and ``pages``); empty sections are left out. Every character of every label and title
    is checked against the font, and every label laid out, before anything is drawn.
    """
    grid = _grid(columns, rows, size)
    sections = [(title, labels) for title, labels in sections if labels]
    if not sections:
        raise RenderError(_("there are no labels to print"))
    font = plate_font()
    for title, labels in sections:
        font.check(title + page_label, f"sheet {title!r}")
        check_labels(labels)
    laid_out = [
        (title, [layout(label, size, ecc) for label in labels]) for title, labels in sections
    ]

    out = io.BytesIO()
    canvas = Canvas(
        out,
        pagesize=(A4[0] * PT_PER_MM, A4[1] * PT_PER_MM),
        invariant=1,
        initialFontName=pdf_font_name(),  # or reportlab adds an unused Helvetica to every page
    )
    canvas.setPageCompression(1)
    canvas.setCreator("doorplate")
    canvas.setTitle(" / ".join(title for title, _ in sections))
    for title, layouts in laid_out:
        pages = -(-len(layouts) // grid.per_page)
        for page in range(pages):
            _header(canvas, grid, title, page_label.format(page=page + 1, pages=pages))
            _cut_marks(canvas, grid)
            start = page * grid.per_page
            for i, lay in enumerate(layouts[start : start + grid.per_page]):
                row, column = divmod(i, grid.columns)
                _draw_label(
                    canvas,
                    lay,
                    grid.left + column * size.width_mm,
                    grid.top + row * size.height_mm,
                )
            canvas.showPage()
    canvas.save()
    return out.getvalue()


def _grid(columns: int, rows: int, size: LabelSize) -> _Grid:
    """Centre the grid below the header, refusing one that leaves no room for the cut marks."""
    if columns < 1 or rows < 1:
        raise RenderError(_("a sheet needs at least one column and one row"))
    width, height = columns * size.width_mm, rows * size.height_mm
    left = (A4[0] - width) / 2
    top = HEADER_SPACE + (A4[1] - HEADER_SPACE - height) / 2
    if min(left, top - HEADER_SPACE) < MARK_GAP + MARK_LENGTH + 1:
        raise RenderError(
            _(
                "%(columns)d × %(rows)d labels of %(width)g×%(height)g mm do not fit on an A4 "
                "page with a header and cut marks",
                columns=columns,
                rows=rows,
                width=size.width_mm,
                height=size.height_mm,
            )
        )
    return _Grid(columns, rows, size, left, top)


def _x(mm: float) -> float:
    return mm * PT_PER_MM


def _y(mm_from_top: float) -> float:
    return (A4[1] - mm_from_top) * PT_PER_MM


def _header(canvas: Canvas, grid: _Grid, title: str, page_text: str) -> None:
    canvas.setFont(pdf_font_name(), HEADER_SIZE * PT_PER_MM)
    canvas.drawString(_x(grid.left), _y(HEADER_BASELINE), title)
    canvas.drawRightString(_x(grid.left + grid.width), _y(HEADER_BASELINE), page_text)


def _cut_marks(canvas: Canvas, grid: _Grid) -> None:
    """Short ticks outside the grid at every column and row line (never on the labels)."""
    near, far = MARK_GAP, MARK_GAP + MARK_LENGTH
    right, bottom = grid.left + grid.width, grid.top + grid.height
    ticks = []
    for c in range(grid.columns + 1):
        x = grid.left + c * grid.size.width_mm
        ticks += [(x, grid.top - near, x, grid.top - far), (x, bottom + near, x, bottom + far)]
    for r in range(grid.rows + 1):
        y = grid.top + r * grid.size.height_mm
        ticks += [(grid.left - near, y, grid.left - far, y), (right + near, y, right + far, y)]
    canvas.setLineWidth(MARK_WIDTH)
    canvas.lines([(_x(x1), _y(y1), _x(x2), _y(y2)) for x1, y1, x2, y2 in ticks])


def _draw_label(canvas: Canvas, lay: LabelLayout, left: float, top: float) -> None:
    # The QR: one fill of module-unit rectangles under a transform that flips y to point down.
    module = lay.module * PT_PER_MM
    origin = QUIET_ZONE * lay.module
    canvas.addLiteral(
        f"q 0 g {module:.5f} 0 0 {-module:.5f} {_x(left + lay.qr_x + origin):.3f} "
        f"{_y(top + lay.qr_y + origin):.3f} cm {_rects(lay.matrix)} f Q"
    )
    name = pdf_font_name()
    for line in lay.lines:
        canvas.setFont(name, line.size * PT_PER_MM)
        canvas.drawCentredString(_x(left + line.center), _y(top + line.baseline), line.text)


def _rects(matrix: QRMatrix) -> str:
    """The dark modules as PDF rectangle operators in module units (y down; one fill)."""
    return " ".join(f"{x} {y} {w} {h} re" for x, y, w, h in matrix.rects())
