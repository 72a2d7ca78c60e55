"""One plate label's layout in millimetres, computed once from the font's own metrics.

Every renderer draws this layout (PNG and SVG in ``label``, the PDF sheet in ``sheet``), so a
label looks the same whichever file the printer gets. From top to bottom: the QR code with its
quiet zone, the full address (up to two lines, shrunk to fit), town and village, and the token in
groups of four for typing in by hand. Black on white only: the plates are printed for outdoor
doors, where contrast is what makes them scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from qrcode import util

from doorplate.plates.render import Label, RenderError
from doorplate.plates.render.fonts import plate_font
from doorplate.plates.render.qr import QUIET_ZONE, Ecc, QRMatrix, encode
from doorplate.plates.tokens import grouped

MARGIN = 2.5  # mm of white around everything, so a slightly off cut eats no quiet zone
ADDRESS_MAX, ADDRESS_MIN, ADDRESS_LINES = 5.0, 3.0, 2  # em sizes in mm
PLACE_SIZE = 3.6
TOKEN_SIZE = 4.6
LEADING = 1.2  # line box height per em
MIN_QR = 20.0  # mm: below this a door-mounted code stops being easy to scan
# Where an address may break: between characters, but not inside runs like "12-3" or "B2".
_BREAKABLE = re.compile(r"[0-9A-Za-z]+(?:[-/.][0-9A-Za-z]+)*|\s+|.")


@dataclass(frozen=True, slots=True)
class LabelSize:
    """The label's trimmed size in millimetres."""

    width_mm: float = 60.0
    height_mm: float = 80.0


DEFAULT_SIZE = LabelSize()


@dataclass(frozen=True, slots=True)
class TextLine:
    """A centred line: ``size`` is the em size in mm, positions are mm from the top-left corner."""

    text: str
    size: float
    center: float
    baseline: float


@dataclass(frozen=True, slots=True)
class LabelLayout:
    """Where everything goes on one label."""

    matrix: QRMatrix
    qr_x: float  # top-left corner of the quiet zone, mm
    qr_y: float
    module: float  # module size, mm
    lines: tuple[TextLine, ...]


def label_matrix(label: Label, ecc: Ecc = "H") -> QRMatrix:
    """The label's QR, refusing a URL that would fall back to the bigger byte mode."""
    matrix = encode(label.url, ecc)
    if matrix.mode != util.MODE_ALPHA_NUM:
        raise RenderError(
            _(
                "%(ref)s: the plate URL must be uppercase (QR alphanumeric characters only)",
                ref=label.ref,
            )
        )
    return matrix


def layout(label: Label, size: LabelSize = DEFAULT_SIZE, ecc: Ecc = "H") -> LabelLayout:
    """Place the QR and the text on a label; raises ``RenderError`` if they cannot fit."""
    font = plate_font()
    for text in (label.address, label.village, label.town, label.token):
        font.check(text, label.ref)
    width = size.width_mm - 2 * MARGIN
    text_height = LEADING * (ADDRESS_LINES * ADDRESS_MAX + PLACE_SIZE + TOKEN_SIZE)
    side = min(width, size.height_mm - 2 * MARGIN - text_height)
    if side < MIN_QR:
        raise RenderError(
            _(
                "a %(width)g×%(height)g mm label leaves no room for a %(qr)g mm QR code",
                width=size.width_mm,
                height=size.height_mm,
                qr=MIN_QR,
            )
        )
    matrix = label_matrix(label, ecc)
    address_size, address = _fit_address(label, width)
    place = f"{label.town} {label.village}"
    token = grouped(label.token)
    # Fixed slots, so labels on a sheet line up: the address lines centred in a two-line box,
    # then the place and the token.
    y = MARGIN + side
    address_box = ADDRESS_LINES * ADDRESS_MAX * LEADING
    slots = [(y + (address_box - len(address) * address_size * LEADING) / 2, address_size, address)]
    y += address_box
    for text, em in ((place, PLACE_SIZE), (token, TOKEN_SIZE)):
        slots.append((y, _shrink(text, em, width), [text]))
        y += em * LEADING
    lines = []
    for top, em, texts in slots:
        for i, text in enumerate(texts):
            box = top + i * em * LEADING
            baseline = box + em * (LEADING - 1) / 2 + em * font.ascent / font.units_per_em
            lines.append(TextLine(text, em, size.width_mm / 2, baseline))
    return LabelLayout(
        matrix=matrix,
        qr_x=(size.width_mm - side) / 2,
        qr_y=MARGIN,
        module=side / (matrix.size + 2 * QUIET_ZONE),
        lines=tuple(lines),
    )


def _fit_address(label: Label, width: float) -> tuple[float, list[str]]:
    """The largest size (in 0.1 mm steps) at which the address fits on one line, or on two split
    after its town and village (as people read it) or else where the lines balance best."""
    font = plate_font()
    text = label.address.strip()
    splits = []
    prefix = label.town + label.village
    if text.startswith(prefix) and text[len(prefix) :].strip():
        splits.append((prefix, text[len(prefix) :].strip()))
    pieces = _BREAKABLE.findall(text)
    if len(pieces) > 1:
        halves = [
            ("".join(pieces[:i]).rstrip(), "".join(pieces[i:]).lstrip())
            for i in range(1, len(pieces))
        ]
        splits.append(min(halves, key=lambda ab: max(font.width(ab[0], 1), font.width(ab[1], 1))))
    size = ADDRESS_MAX
    while size >= ADDRESS_MIN - 1e-9:
        if font.width(text, size) <= width:
            return size, [text]
        for first, second in splits:
            if max(font.width(first, size), font.width(second, size)) <= width:
                return size, [first, second]
        size = round(size - 0.1, 1)
    raise RenderError(_("%(ref)s: the address is too long to fit on the label", ref=label.ref))


def _shrink(text: str, size: float, width: float) -> float:
    """``size``, or smaller so that one line of ``text`` fits ``width``."""
    return min(size, size * width / max(plate_font().width(text, size), 1e-9))
