"""The personal-data gate on publishing (PIPL art. 25) and the masking helpers.

A post may not go out with an unmasked mainland mobile number, resident ID number or bank card
number in its title, body or table, or in the text of a PDF attached to it (images are not read:
there is no OCR). Detection is deliberately narrow so the gate does not block ordinary notices: a
number counts only as a whole run of digits (a phone number inside a longer run is an order or
account number, not a phone), ID numbers must have a real province, birth date and GB 11643 check
digit, and card numbers a plausible first digit and a valid Luhn sum. Dates, amounts
(``1,234,567.89``), 12-digit division codes and landlines therefore pass.

Names cannot be recognised in free text; they are masked only in table columns the caller marks as
name columns (:func:`guess_name_columns` suggests them from the header).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from doorplate.publications.models import Table

PERSONAL_DATA_WORKING_DAYS = 7  # how long a notice with personal data stays up by default
PAGE_BREAK = "\f"  # between the pages of an attachment's text, as pdftotext writes them

_DIGIT = "[0-9０-９]"
_X = "[XxＸｘ]"
# Separated forms people type: 138-0013-8000, 138 0013 8000, 6222 0212 3456 7890 123,
# 330327 19900101 1234. The separator must repeat, so "2024-01-15 13:00" is not one number.
_GROUPED = re.compile(
    rf"(?<![0-9０-９])(?:"
    rf"{_DIGIT}{{3}}(?P<p>[ -]){_DIGIT}{{4}}(?P=p){_DIGIT}{{4}}"  # phone 3-4-4
    rf"|{_DIGIT}{{6}}(?P<i>[ -]){_DIGIT}{{8}}(?P=i){_DIGIT}{{3}}(?:{_DIGIT}|{_X})"  # ID 6-8-4
    rf"|{_DIGIT}{{4}}(?P<c>[ -]){_DIGIT}{{4}}(?:(?P=c){_DIGIT}{{4}}){{2}}"  # card 4-4-4-4(-n)
    rf"(?:(?P=c){_DIGIT}{{1,3}})?"
    rf")(?![0-9０-９XxＸｘ])"
)
# A whole run of digits, with an ID number's final X; a run right after or before a decimal point
# is part of an amount.
_RUN = re.compile(rf"(?<![0-9０-９])(?<!{_DIGIT}\.)({_DIGIT}+{_X}?)(?![0-9０-９])(?!\.{_DIGIT})")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# GB/T 2260 province-level codes: 11-15 north, 21-23 north-east, 31-37 east, 41-46 central and
# south, 50-54 south-west, 61-65 north-west, 71 Taiwan, 81-82 Hong Kong and Macao, 83 for
# residence permits of Taiwan residents.
_PROVINCES = frozenset(
    str(code)
    for first, last in (
        (11, 15),
        (21, 23),
        (31, 37),
        (41, 46),
        (50, 54),
        (61, 65),
        (71, 71),
        (81, 83),
    )
    for code in range(first, last + 1)
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Masked forms (ours or another system's): digits, at least four stars, digits.
_MASKED_NUMBER = re.compile(r"\d{2,}\*{4,}\d{2,}")
_MASKED_NAME = re.compile(r"[\u3400-\u9fff]\*+[\u3400-\u9fff·]{0,3}")
_NAME_SEPARATORS = re.compile(r"([、,，/;；\s]+)")
NAME_HEADER_WORDS = ("姓名", "户主", "领取人", "收款人", "申请人", "联系人", "户名", "名字")


class Kind(enum.StrEnum):
    PHONE = "phone"
    ID_NUMBER = "id_number"
    BANK_CARD = "bank_card"


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
class Match:
    """One unmasked number in a text: its span, kind and the digits it stands for."""

    kind: Kind
    start: int
    end: int
    digits: str

    @property
    def masked(self) -> str:
        return mask_number(self.kind, self.digits)


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


def _ascii_digits(text: str) -> str:
    """Full-width digits as ASCII, separators dropped, a final x as X."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum()).upper()


def is_resident_id(number: str) -> bool:
    """An 18-character ID number (GB 11643) with a real province, birth date and check digit."""
    if not _looks_like_id(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return number[17] == _ID_CHECK[total % 11]


def _looks_like_id(number: str) -> bool:
    """Province and birth date are right: a wrong check digit is then a typo, not a card."""
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in _PROVINCES:
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return True


def is_luhn_valid(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_credit_code(number: str) -> bool:
    """A valid unified social credit code (GB 32100): an organisation's, not a person's."""
    if len(number) != 18:
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(number[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == number[17]


def is_bank_card(number: str) -> bool:
    """16–19 digits, Luhn-valid, starting as issued cards do (UnionPay 62, Visa 4, Mastercard
    5 and 2221–2720, JCB/Amex 3, old domestic 9); leading 0, 1, 7, 8 are codes or serials."""
    if not (16 <= len(number) <= 19 and number.isdigit()):
        return False
    if number[0] not in "34569" and not 2221 <= int(number[:4]) <= 2720:
        return False
    return is_luhn_valid(number) and not _is_credit_code(number)


def _classify(number: str) -> tuple[Kind, str] | None:
    """The kind of a whole run of digits and the number it stands for, or None if harmless."""
    if _MOBILE.fullmatch(number):
        return Kind.PHONE, number
    for prefix in ("86", "0086"):  # +86 13800138000 typed without a space
        rest = number.removeprefix(prefix)
        if rest != number and _MOBILE.fullmatch(rest):
            return Kind.PHONE, rest
    if is_resident_id(number):
        return Kind.ID_NUMBER, number
    if not _looks_like_id(number) and is_bank_card(number):
        return Kind.BANK_CARD, number
    return None


def find_numbers(text: str) -> list[Match]:
    """Every unmasked phone, ID or card number in ``text``, in order."""
    matches: list[Match] = []
    taken: list[tuple[int, int]] = []
    for grouped in _GROUPED.finditer(text):
        found = _classify(_ascii_digits(grouped.group()))
        if found is not None:
            matches.append(Match(found[0], grouped.start(), grouped.end(), found[1]))
            taken.append(grouped.span())
    for run in _RUN.finditer(text):
        if any(start <= run.start() < end for start, end in taken):
            continue
        found = _classify(_ascii_digits(run.group()))
        if found is None and run.group()[-1] in "XxＸｘ":  # a letter after a number, not an ID
            found = _classify(_ascii_digits(run.group()[:-1]))
        if found is not None:
            matches.append(Match(found[0], run.start(), run.end(), found[1]))
    return sorted(matches, key=lambda m: m.start)


def scan(
    title: str,
    body: str,
    table: Table | None,
    attachments: Collection[tuple[str, str]] = (),
) -> list[Finding]:
    """Every unmasked number in a post, located for the message that blocks its approval.

    ``attachments`` are (file name, text) pairs, the text's pages separated by ``PAGE_BREAK``.
    """
    return [
        Finding(match.kind, where, match.masked)
        for where, text in _parts(title, body, table, attachments)
        for match in find_numbers(text)
    ]


def _parts(
    title: str, body: str, table: Table | None, attachments: Collection[tuple[str, str]]
) -> Iterator[tuple[Location, str]]:
    yield Location(Part.TITLE), title
    for number, line in enumerate(body.splitlines(), start=1):
        yield Location(Part.BODY, line=number), line
    if table is not None:
        for r, row in enumerate((table.header, *table.rows)):
            for c, cell in enumerate(row, start=1):
                yield Location(Part.TABLE, row=r, column=c), cell
    for name, text in attachments:
        for page, page_text in enumerate(text.split(PAGE_BREAK), start=1):
            for number, line in enumerate(page_text.splitlines(), start=1):
                yield Location(Part.ATTACHMENT, line=number, file=name, page=page), line


def mask_number(kind: Kind, digits: str) -> str:
    """``138****8000``; ``330327********1234``; a card keeps its first six and last four."""
    if kind is Kind.PHONE:
        return digits[:3] + "****" + digits[-4:]
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def mask_text(text: str) -> str:
    """``text`` with every number :func:`find_numbers` finds replaced by its masked form."""
    pieces: list[str] = []
    position = 0
    for match in find_numbers(text):
        pieces += [text[position : match.start], match.masked]
        position = match.end
    return "".join(pieces) + text[position:]


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
        header=tuple(mask_text(cell) for cell in table.header),
        rows=tuple(
            tuple(
                mask_name(mask_text(cell)) if index in name_columns else mask_text(cell)
                for index, cell in enumerate(row)
            )
            for row in table.rows
        ),
    )


def has_masked_data(title: str, body: str, table: Table | None) -> bool:
    """Whether a post shows masked personal data (``138****8000``, a ``张*明`` cell): masked
    data is still personal data, so such a post needs an expiry too."""
    texts = [title, body]
    if table is not None:
        if any(_MASKED_NAME.fullmatch(cell.strip()) for row in table.rows for cell in row):
            return True
        texts += [*table.header, *(cell for row in table.rows for cell in row)]
    return any(_MASKED_NUMBER.search(text) for text in texts)
