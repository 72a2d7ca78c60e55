"""The fast encoder makes exactly what the qrcode package would, in the mode DESIGN.md §4 wants."""

from __future__ import annotations

import random

import pytest
from qrcode import QRCode, util

from doorplate.plates.render.qr import LEVELS, Ecc, QRMatrix, encode, penalties
from doorplate.plates.tokens import new_tokens

from .conftest import BASE_URL

PLATE_PREFIX = BASE_URL.upper() + "/P/"


def reference(text: str, ecc: Ecc) -> QRCode:
    """qrcode's own symbol, with its own mask search."""
    qr = QRCode(error_correction=LEVELS[ecc], border=0)
    qr.add_data(util.QRData(text))
    qr.make()
    return qr


def modules(matrix: QRMatrix) -> list[list[bool]]:
    return [[matrix.dark(r, c) for c in range(matrix.size)] for r in range(matrix.size)]


def test_uppercase_plate_url_is_alphanumeric_and_version_4_at_h() -> None:
    token = new_tokens(1)[0]
    url = PLATE_PREFIX + token
    assert len(url) == 41
    matrix = encode(url, "H")
    assert matrix.mode == util.MODE_ALPHA_NUM
    assert (matrix.version, matrix.size) == (4, 33)
    lower = url.lower()
    assert encode(lower, "H").mode == util.MODE_8BIT_BYTE
    assert encode(lower, "H").version == 5
    # qrcode left to its own devices (chunk optimisation on) needs version 5 for it too.
    qr = QRCode(error_correction=LEVELS["H"])
    qr.add_data(lower)
    assert qr.best_fit() == 5


@pytest.mark.parametrize("ecc", ["L", "M", "Q", "H"])
def test_every_module_and_mask_equal_qrcode_make(ecc: Ecc) -> None:
    rng = random.Random(ecc)
    alnum = util.ALPHA_NUM.decode()
    texts = [PLATE_PREFIX + token for token in new_tokens(60)]
    texts += ["HTTP://127.0.0.1:5000/P/" + token for token in new_tokens(5)]
    texts += [BASE_URL + "/p/" + token.lower() for token in new_tokens(5)]  # byte mode
    # Longer payloads reach versions 7+, which carry version information bits.
    texts += ["".join(rng.choices(alnum, k=k)) for k in (60, 97, 150, 230, 300)]
    masks = set()
    versions = set()
    for text in texts:
        qr = reference(text, ecc)
        matrix = encode(text, ecc)
        assert modules(matrix) == qr.modules, text
        assert matrix.version == qr.version
        # make() keeps no record of its mask; this reruns its search (and overwrites .modules).
        assert matrix.mask == qr.best_mask_pattern()
        masks.add(matrix.mask)
        versions.add(matrix.version)
    assert len(masks) >= 5  # the comparison exercised the mask choice, not one lucky mask
    assert max(versions) >= 7


def test_penalty_scores_equal_qrcode_lost_point() -> None:
    for token in new_tokens(25):
        text = PLATE_PREFIX + token
        qr = reference(text, "H")
        expected = []
        for k in range(8):
            qr.makeImpl(True, k)
            expected.append(util.lost_point(qr.modules))
        assert penalties(text, "H") == expected


def test_rects_cover_exactly_the_dark_modules() -> None:
    matrix = encode(PLATE_PREFIX + new_tokens(1)[0])
    covered: list[tuple[int, int]] = []
    for x, y, w, h in matrix.rects():
        covered += [(r, c) for r in range(y, y + h) for c in range(x, x + w)]
    dark = [(r, c) for r in range(matrix.size) for c in range(matrix.size) if matrix.dark(r, c)]
    assert sorted(covered) == sorted(dark)  # no gaps, no overlaps
    assert len(matrix.rects()) < len(dark) / 2  # runs and merged rows, not one per module
