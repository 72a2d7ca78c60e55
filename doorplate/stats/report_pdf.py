"""The annual report as an A4 PDF: title, basis note, paragraph, the three tables and the
monthly chart, set in the vendored CJK font (a subset embedded, so it prints the same anywhere).

Chinese line breaking follows the rules a printed report keeps (避头尾): no line starts with
closing punctuation (，。、；：）」』》) and none ends with opening punctuation (（「《).
reportlab's own CJK wrapping knows only part of these lists (not ，；：》) and breaks before
the last character only, so lines are broken here, by :func:`break_lines`, measured with the
font's own widths, and handed to reportlab already broken. English breaks at spaces only.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import partial
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from doorplate.plates.render.fonts import pdf_font_name
from doorplate.stats.report import (
    AnnualReport,
    basis_note,
    cell_text,
    paragraph,
    tables,
    title,
    visits_chart,
)
from doorplate.stats.tables import Table

NO_LINE_START = "，。、；：？！）」』》〉】〕”’…,.;:?!)]}%"
NO_LINE_END = "（「『《〈【〔“‘([{"

# A run of anything but spaces and CJK (a word, a number like 420,000) breaks as one token;
# each CJK character and each space is a token of its own.
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|.")

MARGIN = 18 * mm
FRAME_PADDING = 6  # what SimpleDocTemplate's frame keeps clear inside the margins, each side
WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
BODY_SIZE = 10.5
TABLE_SIZE = 8
CELL_PADDING = 3
INK = colors.HexColor("#111111")
ACCENT = colors.HexColor("#1d4f91")


def break_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """``text`` broken into the fewest lines that each ``fits``, keeping the punctuation rules.

    When a token does not fit, the tokens before it move down with it while the next line would
    start with closing punctuation or this one end with opening punctuation (at least one token
    stays, so a line always progresses). Spaces at a break are dropped.
    """
    lines: list[str] = []
    line: list[str] = []
    for token in _TOKEN.findall(text):
        if token.isspace():
            if line:
                line.append(token)
            continue
        if line and not fits("".join(line) + token):
            line, carried = _break_before(line, token)
            lines.append("".join(line))
            line = carried
        else:
            line.append(token)
    if line:
        lines.append("".join(line).rstrip())
    return lines


def _break_before(line: list[str], token: str) -> tuple[list[str], list[str]]:
    carried = [token]
    while True:
        while line and line[-1].isspace():
            line.pop()
        if len(line) > 1 and (carried[0][0] in NO_LINE_START or line[-1][-1] in NO_LINE_END):
            carried.insert(0, line.pop())
        else:
            return line, carried


def render_pdf(report: AnnualReport, lang: str) -> bytes:
    """The report as an A4 PDF with the CJK font subset-embedded."""
    font = pdf_font_name()
    styles = _Styles(font)
    story: list[Flowable] = [
        _text(title(report), styles.title, WIDTH),
        _text(basis_note(report), styles.note, WIDTH),
        _text(paragraph(report, lang), styles.paragraph, WIDTH),
    ]
    for table in tables(report):
        story += _table(table, styles)
    story += [Spacer(0, 4 * mm), _chart(report, font)]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title(report),
        lang="zh-CN" if lang == "zh" else lang,
    )
    document.build(story)
    return out.getvalue()


class _Styles:
    def __init__(self, font: str) -> None:
        base = ParagraphStyle("base", fontName=font, textColor=INK, wordWrap="CJK")
        self.title = ParagraphStyle(
            "title", parent=base, fontSize=16, leading=22, spaceAfter=4 * mm
        )
        self.note = ParagraphStyle("note", parent=base, fontSize=9, leading=13, spaceAfter=3 * mm)
        self.paragraph = ParagraphStyle(
            "paragraph", parent=base, fontSize=BODY_SIZE, leading=18, spaceAfter=6 * mm
        )
        self.caption = ParagraphStyle(
            "caption", parent=base, fontSize=11, leading=15, spaceBefore=3 * mm, spaceAfter=2 * mm
        )
        self.table_note = ParagraphStyle("table_note", parent=self.note, spaceBefore=2 * mm)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=TABLE_SIZE, leading=10)


def _text(text: str, style: ParagraphStyle, width: float) -> Paragraph:
    """A paragraph broken by :func:`break_lines` to ``width``, each line its own."""
    fits = partial(_fits, font=style.fontName, size=style.fontSize, width=width)
    return Paragraph("<br/>".join(escape(line) for line in break_lines(text, fits)), style)


def _fits(text: str, *, font: str, size: float, width: float) -> bool:
    return stringWidth(text, font, size) <= width - 0.5  # a hair's room for rounding


def _table(table: Table, styles: _Styles) -> list[Flowable]:
    columns = len(table.headers)
    first = WIDTH * (0.4 if columns <= 3 else 0.2)
    widths = [first, *[(WIDTH - first) / (columns - 1)] * (columns - 1)]

    def cell(text: str, column: int) -> Paragraph:
        return _text(text, styles.cell, widths[column] - 2 * CELL_PADDING)

    rows = [[cell(header, n) for n, header in enumerate(table.headers)]]
    rows += [
        [cell(cell_text(value), n) if n == 0 else cell_text(value) for n, value in enumerate(row)]
        for row in table.rows
    ]
    grid = PdfTable(rows, colWidths=widths, repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles.cell.fontName, TABLE_SIZE),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ]
        )
    )
    flowables: list[Flowable] = [_text(table.title, styles.caption, WIDTH), grid]
    if table.note:
        flowables.append(_text(table.note, styles.table_note, WIDTH))
    return flowables


def _chart(report: AnnualReport, font: str) -> Drawing:
    """The HTML report's bar chart, same geometry, drawn with y pointing up and scaled to the
    page's width."""
    chart = visits_chart(report)
    caption = 20
    scale = min(1.0, WIDTH / chart.width)
    drawing = Drawing(chart.width * scale, (chart.height + caption) * scale)
    drawing.scale(scale, scale)

    def up(y: float) -> float:
        return chart.height - y

    drawing.add(String(0, chart.height + 6, chart.title, fontName=font, fontSize=10))
    drawing.add(Line(0, up(chart.baseline), chart.width, up(chart.baseline), strokeColor=INK))
    for bar in chart.bars:
        middle = bar.x + bar.width / 2
        drawing.add(
            Rect(
                bar.x,
                up(bar.y + bar.height),
                bar.width,
                bar.height,
                fillColor=ACCENT,
                strokeColor=None,
            )
        )
        for text, y in ((bar.value, up(bar.y) + 4), (bar.label, up(chart.baseline) - 14)):
            drawing.add(String(middle, y, text, fontName=font, fontSize=8, textAnchor="middle"))
    return drawing
