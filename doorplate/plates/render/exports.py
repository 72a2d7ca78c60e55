"""Bundles for sign makers: a ZIP of per-plate images, and the plate list as CSV or XLSX.

Sign makers usually lay plates out in their own software, so they get one image per plate (file
names that say which door it is for) and a list of address, token and URL to check against.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from typing import Literal

from openpyxl import Workbook

from doorplate.plates.render import Label
from doorplate.plates.render.fonts import check_labels
from doorplate.plates.render.label import label_png, label_svg
from doorplate.plates.render.layout import DEFAULT_SIZE, LabelSize
from doorplate.plates.render.qr import Ecc
from doorplate.plates.tokens import grouped
from doorplate.spreadsheet import defuse

HEADERS = ("乡镇 Town", "村 Village", "地址 Address", "编码 Token", "网址 URL")
# UTF-8 bytes per name part: file systems allow 255 per name (a CJK character takes 3), and the
# token, the extension and a duplicate suffix must still fit after the address.
NAME_BYTES = 150
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def zip_of_images(
    labels: Sequence[Label],
    fmt: Literal["png", "svg"] = "png",
    *,
    size: LabelSize = DEFAULT_SIZE,
    dpi: int = 300,
    ecc: Ecc = "H",
) -> bytes:
    """One image per label, at ``<town>/<village>/<address>-<token>.<fmt>`` inside the ZIP."""
    check_labels(labels)
    out = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(out, "w") as archive:
        for label in labels:
            if fmt == "png":
                data = label_png(label, size=size, dpi=dpi, ecc=ecc)
            else:
                data = label_svg(label, size=size, ecc=ecc)
            # PNG is compressed already; SVG text shrinks several times over.
            method = zipfile.ZIP_STORED if fmt == "png" else zipfile.ZIP_DEFLATED
            archive.writestr(_unique(image_name(label, fmt), seen), data, compress_type=method)
    return out.getvalue()


def image_name(label: Label, fmt: str) -> str:
    """A relative path that cannot escape the folder it is unpacked into."""
    folder = f"{_safe(label.town)}/{_safe(label.village)}"
    return f"{folder}/{_safe(label.address)}-{_safe(label.token)}.{fmt}"


def csv_listing(labels: Sequence[Label]) -> bytes:
    """UTF-8 with a byte-order mark, which is what makes Excel read the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([defuse(header) for header in HEADERS])
    writer.writerows(_rows(labels))
    return ("\ufeff" + out.getvalue()).encode()


def xlsx_listing(labels: Sequence[Label]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("门牌")
    for column, width in zip("ABCDE", (14, 14, 44, 22, 48), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    sheet.append([defuse(header) for header in HEADERS])
    for row in _rows(labels):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _rows(labels: Sequence[Label]) -> list[tuple[str, ...]]:
    return [
        tuple(
            defuse(value)
            for value in (label.town, label.village, label.address, grouped(label.token), label.url)
        )
        for label in labels
    ]


def _safe(part: str) -> str:
    """One path component: no separators, no reserved or control characters, no dot names."""
    text = _UNSAFE.sub("_", unicodedata.normalize("NFC", part)).strip(" .")
    text = text.encode()[:NAME_BYTES].decode(errors="ignore")  # never half a character
    return text.rstrip(" .") or "_"


def _unique(name: str, seen: set[str]) -> str:
    """``name``, or ``name`` with a ``-2``, ``-3``... suffix if the same label came twice."""
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    seen.add(candidate)
    return candidate
