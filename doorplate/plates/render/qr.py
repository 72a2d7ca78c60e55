"""QR encoding: the ``qrcode`` package's data and error correction, with a fast exact mask search.

``qrcode`` (client-mandated) spends ~85% of ``make()`` in its mask search: it lays the symbol out
eight times and scores each with a module-by-module Python loop, ~200 codes/s. Printing 420,000
plates needs more, without producing a different code than ``qrcode`` would.

So the encoding (mode, version, data and Reed-Solomon codewords) stays ``qrcode``'s, and so does
the symbol layout: once per version, ``qrcode`` itself is asked to lay out a handful of probe
payloads, from which we read which module carries which data bit, the function patterns, the
format bits and the eight mask patterns. After that a symbol is an OR of one precomputed integer
per codeword, and each mask is scored bit-parallel: the whole matrix is one Python int (rows of
``size`` bits separated by a zero guard bit, plus a transposed copy for columns), so every ISO
18004 penalty rule is a few shifts, ANDs and ``bit_count()`` calls over all rows at once.

The scores are ``qrcode``'s own (``util.lost_point`` evaluated, as ``best_mask_pattern`` does, with
the format and version bits and the dark module left light), so the chosen mask and every module
equal ``make()``'s; the tests check that over many random tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from qrcode import QRCode, constants, util

Ecc = Literal["L", "M", "Q", "H"]
LEVELS: dict[Ecc, int] = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}
QUIET_ZONE = 4  # modules of light margin on every side (ISO 18004 minimum)
_DARK_RUNS = re.compile("1+")


@dataclass(frozen=True, slots=True)
class QRMatrix:
    """A finished symbol without its quiet zone; every renderer draws from this.

    ``rows[r]`` holds row ``r`` as an int whose most significant of ``size`` bits is column 0, so
    a row reads left to right like its binary string (and packs straight into a 1-bit image).
    """

    size: int
    rows: tuple[int, ...]
    version: int
    ecc: Ecc
    mask: int
    mode: int  # qrcode.util.MODE_*: MODE_ALPHA_NUM for an uppercase plate URL

    def dark(self, row: int, col: int) -> bool:
        return bool(self.rows[row] >> (self.size - 1 - col) & 1)

    def rects(self) -> list[tuple[int, int, int, int]]:
        """Dark areas as ``(x, y, width, height)`` rectangles in modules, for vector output.

        Each row's dark runs become one rectangle, merged downwards while the next rows repeat the
        same run: a few hundred rectangles per symbol, drawn as one path.
        """
        done: list[tuple[int, int, int, int]] = []
        above: dict[tuple[int, int], int] = {}  # (start, end) of the runs reaching row y -> top
        for y, row in enumerate(self.rows):
            here = {}
            for run in _DARK_RUNS.finditer(format(row, f"0{self.size}b")):
                span = run.span()
                here[span] = above.pop(span, y)
            done += [(s, top, e - s, y - top) for (s, e), top in above.items()]
            above = here
        done += [(s, top, e - s, self.size - top) for (s, e), top in above.items()]
        return done


@dataclass(frozen=True, slots=True)
class _Placement:
    """Where ``qrcode`` puts things in a symbol of one version, as bit masks of both layouts.

    Row layout: module (r, c) is bit ``r * stride + size - 1 - c``; column layout swaps r and c.
    """

    size: int
    stride: int
    total: int  # codewords (data and error correction), the same for every level
    valid: int  # every module (row layout; the column layout has the same bits)
    data: int  # data and remainder modules (row layout)
    function_test: tuple[int, int]  # dark function modules, format and version bits light
    masks: tuple[tuple[int, int], ...]  # mask pattern k over the data modules
    codewords: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]  # [layout][i][byte]


def encode(text: str, ecc: Ecc = "H") -> QRMatrix:
    """The QR symbol for ``text`` in its most compact single mode (alphanumeric for plate URLs)."""
    symbol = _Symbol.of(text, ecc)
    scores = symbol.penalties()
    best = scores.index(min(scores))  # the first of equals, as qrcode's search keeps it
    p = symbol.placement
    modules = _format_modules(symbol.version, LEVELS[ecc])[best] | (
        symbol.data_rows ^ p.masks[best][0]
    )
    row_bits = (1 << p.size) - 1
    rows = tuple(modules >> (r * p.stride) & row_bits for r in range(p.size))
    return QRMatrix(p.size, rows, symbol.version, ecc, best, symbol.mode)


def penalties(text: str, ecc: Ecc = "H") -> list[int]:
    """The eight masks' penalty scores for ``text``, as ``encode`` compares them."""
    return _Symbol.of(text, ecc).penalties()


@dataclass(frozen=True, slots=True)
class _Symbol:
    """Encoded data placed on a symbol, before masking."""

    placement: _Placement
    version: int
    mode: int
    data_rows: int
    data_cols: int

    @classmethod
    def of(cls, text: str, ecc: Ecc) -> _Symbol:
        level = LEVELS[ecc]
        data = util.QRData(text)
        version = _version(data.mode, len(data), level)
        codewords = util.create_data(version, level, [data])
        p = _placement(version)
        # Each codeword's bits land on their own modules, so summing the codewords' ints ORs them.
        return cls(
            p,
            version,
            data.mode,
            sum(map(tuple.__getitem__, p.codewords[0], codewords)),
            sum(map(tuple.__getitem__, p.codewords[1], codewords)),
        )

    def penalties(self) -> list[int]:
        p = self.placement
        rows, cols = p.function_test
        return [
            _penalty(rows | (self.data_rows ^ mr), cols | (self.data_cols ^ mc), p)
            for mr, mc in p.masks
        ]


def _penalty(rows: int, cols: int, p: _Placement) -> int:
    """``qrcode.util.lost_point`` of a symbol given in both layouts (ISO 18004 rules N1-N4)."""
    stride = p.stride
    score = 0
    for dark in (rows, cols):
        light = p.valid ^ dark
        for x in (dark, light):
            # N1: a run of n >= 5 same-coloured modules costs n - 2. ``y`` marks each module that
            # starts five in a row: n - 4 marks per run, whose first mark starts a new run.
            y = x & x >> 1 & x >> 2 & x >> 3 & x >> 4
            score += y.bit_count() + 2 * (y & ~(y << 1)).bit_count()
        # N3: 1:1:3:1:1 finder look-alikes with four light modules on either side, 40 each. The
        # zero guard bits are neither dark nor light, so no window spans two rows.
        both = light >> 9 & dark >> 6 & light >> 5 & dark >> 4 & light >> 1
        before = both & dark >> 10 & dark >> 8 & dark >> 7 & light >> 3 & light >> 2 & light
        after = both & light >> 10 & light >> 8 & light >> 7 & dark >> 3 & dark >> 2 & dark
        score += 40 * (before.bit_count() + after.bit_count())
    # N2: each 2x2 block of one colour costs 3 (rows layout only: a block is a block).
    light = p.valid ^ rows
    for x in (rows, light):
        score += 3 * (x & x >> 1 & x >> stride & x >> (stride + 1)).bit_count()
    # N4: 10 per whole 5% that the dark share strays from 50%, in qrcode's float arithmetic.
    percent = rows.bit_count() / p.size**2
    return score + int(abs(percent * 100 - 50) / 5) * 10


@cache
def _version(mode: int, length: int, level: int) -> int:
    """``qrcode``'s best fit, which depends only on the mode, the length and the ECC level."""
    probe = QRCode(error_correction=level)
    probe.add_data(util.QRData("0" * length if mode == util.MODE_NUMBER else "A" * length, mode))
    return probe.best_fit()


def _layout(version: int, level: int, payload: list[int], test: bool, mask: int) -> list[list]:
    """``qrcode``'s own module matrix for ``payload`` as the final codewords."""
    qr: QRCode = QRCode(version=version, error_correction=level)
    qr.data_cache = payload
    qr.makeImpl(test, mask)
    return qr.modules


def _to_ints(
    cells: list[list], size: int, stride: int, pick: set[tuple[int, int]] | None
) -> tuple[int, int]:
    """Pack truthy cells (optionally only those in ``pick``) into the row and column layouts."""
    rows = cols = 0
    for r in range(size):
        for c in range(size):
            if cells[r][c] and (pick is None or (r, c) in pick):
                rows |= 1 << (r * stride + size - 1 - c)
                cols |= 1 << (c * stride + size - 1 - r)
    return rows, cols


@cache
def _placement(version: int) -> _Placement:
    """Learn the layout of ``version`` from ``qrcode`` (~20 ms, once per version and process).

    Data bit ``i`` is found by laying out payloads whose bit ``i`` is bit ``b`` of ``i + 1``, for
    each ``b``, and reading each module's value against an all-zero payload: the differences spell
    ``i + 1`` (zero on function modules). One spare byte also locates the remainder bits, which
    carry no data but are masked like data.
    """
    level = constants.ERROR_CORRECT_L  # test layouts leave the format (and so the level) light
    size = version * 4 + 17
    stride = size + 1
    total = len(util.create_data(version, level, [util.QRData("")]))
    n_bits = (total + 1) * 8
    zero = _layout(version, level, [0] * (total + 1), True, 0)
    index = [[0] * size for _ in range(size)]
    for b in range((n_bits + 1).bit_length()):
        stream = sum(1 << (n_bits - 1 - i) for i in range(n_bits) if (i + 1) >> b & 1)
        probe = _layout(version, level, list(stream.to_bytes(total + 1, "big")), True, 0)
        for r in range(size):
            for c in range(size):
                if probe[r][c] != zero[r][c]:
                    index[r][c] |= 1 << b
    data_cells = {(r, c) for r in range(size) for c in range(size) if index[r][c]}
    function_cells = {(r, c) for r in range(size) for c in range(size)} - data_cells
    bit_cells = [(0, 0)] * (total * 8)  # data bit i -> its module in the (row, column) layouts
    for r, c in data_cells:
        i = index[r][c] - 1
        if i < total * 8:
            bit_cells[i] = (1 << (r * stride + size - 1 - c), 1 << (c * stride + size - 1 - r))
    masks = tuple(
        _to_ints(_layout(version, level, [0] * (total + 1), True, k), size, stride, data_cells)
        for k in range(8)
    )
    return _Placement(
        size=size,
        stride=stride,
        total=total,
        valid=sum(((1 << size) - 1) << (r * stride) for r in range(size)),
        data=_to_ints([[True] * size] * size, size, stride, data_cells)[0],
        function_test=_to_ints(zero, size, stride, function_cells),
        masks=masks,
        codewords=(_codeword_tables(bit_cells, total, 0), _codeword_tables(bit_cells, total, 1)),
    )


def _codeword_tables(
    bit_cells: list[tuple[int, int]], total: int, layout: int
) -> tuple[tuple[int, ...], ...]:
    """For each codeword position, the modules set by each of its 256 values."""
    tables = []
    for i in range(total):
        bits = [bit_cells[i * 8 + 7 - j][layout] for j in range(8)]  # bit j of the byte value
        table = [0] * 256
        for value in range(1, 256):
            low = value & -value
            table[value] = table[value ^ low] | bits[low.bit_length() - 1]
        tables.append(tuple(table))
    return tuple(tables)


@cache
def _format_modules(version: int, level: int) -> tuple[int, ...]:
    """Function modules of the final symbol for each mask, with the format bits, version bits and
    dark module that the test layouts leave light (row layout)."""
    p = _placement(version)
    return tuple(
        _to_ints(_layout(version, level, [0] * (p.total + 1), False, k), p.size, p.stride, None)[0]
        & ~p.data
        for k in range(8)
    )
