"""Reading a spreadsheet (.xlsx) or a CSV file into numbered rows of raw cells.

Counties keep their registers in Excel or WPS, which save CSV as UTF-8 (with a BOM) or as GBK;
GB18030 is the superset that also covers rare place-name characters GBK lacks (垟 岙 埭 ...), so
CSV is decoded as strict UTF-8 first, then strict GB18030, and never guessed beyond that. Rows keep
the numbers a spreadsheet shows (the first row is 1) so errors can point at them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import python_calamine
from flask_babel import gettext as _

Record = tuple[int, Sequence[object]]  # (spreadsheet row number, cells)


class UnreadableFile(Exception):
    """The file cannot be read as a table at all; the message is translated and says why."""


def read_records(path: Path) -> list[Record]:
    """All rows of the first sheet of an .xlsx file or of a CSV file, numbered from 1."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".csv":
        return read_csv(path.read_bytes())
    raise UnreadableFile(
        _(
            'Cannot read "%(name)s": household files must be .xlsx or .csv.',
            name=path.name,
        )
    )


def _read_xlsx(path: Path) -> list[Record]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        # skip_empty_area=False keeps leading blank rows, so indexes are spreadsheet row numbers.
        cells = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except python_calamine.CalamineError as error:
        raise UnreadableFile(
            _("Cannot read the workbook (%(reason)s). Save it again as .xlsx.", reason=error)
        ) from error
    return list(enumerate(cells, start=1))


def read_csv(data: bytes) -> list[Record]:
    """All rows of a CSV file's bytes (see :func:`decode_csv`), numbered from 1."""
    text = decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return list(enumerate(reader, start=1))
    except csv.Error as error:
        raise UnreadableFile(
            _(
                "The CSV file is malformed near line %(line)d: %(reason)s",
                line=reader.line_num,
                reason=error,
            )
        ) from error


def decode_csv(data: bytes) -> str:
    """Decode strictly as UTF-8 (a BOM is dropped), else as GB18030; refuse anything else."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as not_utf8:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as not_gb:
            raise UnreadableFile(
                _(
                    "Unknown encoding: the file is neither UTF-8 (invalid byte at offset "
                    "%(utf8)d) nor GB18030 (invalid byte at offset %(gb)d). Save it as "
                    '"CSV UTF-8" or as an .xlsx workbook.',
                    utf8=not_utf8.start,
                    gb=not_gb.start,
                )
            ) from not_gb
