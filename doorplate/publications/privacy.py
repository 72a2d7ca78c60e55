"""The personal-data gate on publishing (PIPL art. 25) and the masking helpers.

A post may not go out with an unmasked mainland mobile number, resident ID number (18 or old 15
digits) or bank card number in what residents are shown: its title, its text as rendered
(:mod:`shown`: ``138**1234**5678`` shows a phone), its table (each cell, and the cells of a row
read together, as a number split across cells reads), or the text of a PDF attached to it
(images are not read: there is no OCR). :mod:`personal_numbers` reads a number however it is
written (separators, invisible characters, other digit scripts, Chinese numerals, spreadsheet
floats, numbers glued together) and says why dates, amounts, order numbers, division codes and
landlines pass. Each finding points at the place to change (the title, a line of the text, a
table cell, a line of a PDF page), and one click masks what was found where it is typed.

Names cannot be recognised in free text; they are masked only in table columns the caller marks as
name columns (:func:`guess_name_columns` suggests them from the header).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from doorplate.publications import shown
from doorplate.publications.models import Table

# `name as name` below: re-exported, callers and tests reach them through the gate's module.
from doorplate.publications.personal_numbers import _ID_CHECK as _ID_CHECK
from doorplate.publications.personal_numbers import _ID_WEIGHTS as _ID_WEIGHTS
from doorplate.publications.personal_numbers import (
    BREAK,
    CELL,
    Kind,
    Match,
    find_numbers,
    mask_matches,
)
from doorplate.publications.personal_numbers import is_resident_id as is_resident_id
from doorplate.publications.personal_numbers import mask_number as mask_number

PERSONAL_DATA_WORKING_DAYS = 7  # how long a notice with personal data stays up by default
PAGE_BREAK = "\f"  # between the pages of an attachment's text, as pdftotext writes them

# Masked forms (ours or another system's): digits, at least four stars, digits.
_MASKED_NUMBER = re.compile(r"\d{2,}\*{4,}\d{2,}")
_MASKED_NAME = re.compile(r"[\u3400-\u9fff]\*+[\u3400-\u9fff·]{0,3}")
_NAME_SEPARATORS = re.compile(r"([、,，/;；\s]+)")
NAME_HEADER_WORDS = ("姓名", "户主", "领取人", "收款人", "申请人", "联系人", "户名", "名字")

KIND_LABELS = {
    Kind.PHONE: _l("mobile phone number"),
    Kind.ID_NUMBER: _l("resident ID number"),
    Kind.BANK_CARD: _l("bank card number"),
}


class Part(enum.StrEnum):
    TITLE = "title"
    BODY = "body"
    TABLE = "table"
    ATTACHMENT = "attachment"


@dataclass(frozen=True)
class Location:
    """Where a finding is: the title, a body line, a table cell (row 0 is the header), or a line
    on a page of an attached file."""

    part: Part
    line: int = 0
    row: int = 0
    column: int = 0
    file: str = ""
    page: int = 0

    def describe(self) -> str:
        if self.part is Part.TITLE:
            return _("title")
        if self.part is Part.BODY:
            return _("body line %(line)d", line=self.line)
        if self.part is Part.ATTACHMENT:
            return _(
                "attachment %(file)s, page %(page)d, line %(line)d",
                file=self.file,
                page=self.page,
                line=self.line,
            )
        if self.row == 0:
            return _("table header, column %(column)d", column=self.column)
        return _("table row %(row)d, column %(column)d", row=self.row, column=self.column)


@dataclass(frozen=True)
class Finding:
    kind: Kind
    where: Location
    masked: str

    def message(self) -> str:
        return _(
            "%(where)s: a %(kind)s (%(masked)s)",
            where=self.where.describe(),
            kind=KIND_LABELS[self.kind],
            masked=self.masked,
        )


def scan(
    title: str,
    body: str,
    table: Table | None,
    attachments: Collection[tuple[str, str]] = (),
) -> list[Finding]:
    """Every unmasked number in a post, located for the message that blocks its approval.

    ``attachments`` are (file name, text) pairs, the text's pages separated by ``PAGE_BREAK``.
    """
    findings = [_found(m, Location(Part.TITLE)) for m in find_numbers(title)]
    findings += [
        _found(m, Location(Part.BODY, line=_line(body, m.start))) for m in shown.body_matches(body)
    ]
    if table is not None:
        for r, row in enumerate((table.header, *table.rows)):
            text = _row_text(row)
            findings += [
                _found(m, Location(Part.TABLE, row=r, column=text.count(CELL, 0, m.start) + 1))
                for m in find_numbers(text)
            ]
    for name, text in attachments:
        for page, page_text in enumerate(text.split(PAGE_BREAK), start=1):
            findings += [
                _found(m, Location(Part.ATTACHMENT, line, file=name, page=page))
                for m in find_numbers(page_text)
                if (line := _line(page_text, m.start))
            ]
    return findings


def _found(match: Match, where: Location) -> Finding:
    return Finding(match.kind, where, match.masked)


def _line(text: str, offset: int) -> int:
    """The line (from 1) that ``offset`` is on."""
    return len((text[:offset] + "_").splitlines())


def _row_text(row: tuple[str, ...]) -> str:
    """A table row as one text, its cells apart: a number split across cells reads as one."""
    return CELL.join(cell.replace(CELL, BREAK) for cell in row)


def mask_text(text: str) -> str:
    """Plain ``text`` (a title, a reason) with every number in it masked."""
    return mask_matches(text, find_numbers(text))


def mask_body(body: str) -> str:
    """Markdown ``body`` with every number it shows masked where it is typed (a number the
    source does not show digit by digit is left for the author)."""
    return mask_matches(body, shown.body_matches(body))


def mask_name(name: str) -> str:
    """``张*明``, ``欧**明``, ``张*``: each name in a cell (``张三、李四`` is two) keeps its
    first and, from three characters on, its last character. Already masked names stay as they
    are."""
    return "".join(
        part if _NAME_SEPARATORS.fullmatch(part) else _mask_one_name(part)
        for part in _NAME_SEPARATORS.split(name.strip())
        if part
    )


def _mask_one_name(name: str) -> str:
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def guess_name_columns(header: Collection[str]) -> list[int]:
    """Indexes (from 0) of the columns whose header names a person: 姓名, 户主, 领取人, ..."""
    return [
        index
        for index, title in enumerate(header)
        if any(word in title for word in NAME_HEADER_WORDS) or title.strip().lower() == "name"
    ]


def mask_table(table: Table, name_columns: Collection[int] = ()) -> Table:
    """Numbers masked in every cell, and names in ``name_columns`` (indexes from 0)."""
    return Table(
        header=_mask_row(table.header),
        rows=tuple(_mask_row(row, name_columns) for row in table.rows),
    )


def _mask_row(row: tuple[str, ...], name_columns: Collection[int] = ()) -> tuple[str, ...]:
    text = _row_text(row)
    cells = mask_matches(text, find_numbers(text)).split(CELL)
    return tuple(mask_name(cell) if i in name_columns else cell for i, cell in enumerate(cells))


def has_masked_data(title: str, body: str, table: Table | None) -> bool:
    """Whether a post shows masked personal data (``138****8000``, a ``张*明`` cell): masked
    data is still personal data, so such a post needs an expiry too."""
    texts = [title, body]
    if table is not None:
        if any(_MASKED_NAME.fullmatch(cell.strip()) for row in table.rows for cell in row):
            return True
        texts += [*table.header, *(cell for row in table.rows for cell in row)]
    return any(_MASKED_NUMBER.search(text) for text in texts)
