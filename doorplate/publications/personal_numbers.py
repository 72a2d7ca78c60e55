"""Reading mobile, resident ID and bank card numbers in text the way a person reads them.

The personal-data gate (:mod:`privacy`) hands this module the text a resident is shown; a number
counts however it is written, because the reader puts it together:

- every character is read as NFKC makes it (full-width, mathematical and circled digits become
  ASCII), digits of any script by their Unicode value (Arabic-Indic ``١٣٨``) and Chinese numerals
  (``〇一二…``, ``零壹贰…``, ``幺`` for 1) as the digits they are read out as; invisible characters
  (zero-width spaces and joiners, soft hyphens, byte-order marks, combining marks, controls) are
  skipped, so they join what they stand between;
- pieces of digits with up to four separators between them (spaces of any width, line breaks,
  table cell borders, dashes, dots, underscores, slashes, brackets, commas, stars) are read as one
  number when every gap holds the same separators (``138.1234.5678``), or when the pieces have a
  shape people split that kind of number into (3-4-4, 6-8-4, 4-4-4-4, one digit at a time). The
  shape is required across spaces, line breaks, cell borders, commas and slashes, where unrelated
  figures stand side by side or are listed, and of card numbers and old 15-digit IDs, whose
  checks are weak;
- a run too long for one number is read as personal numbers glued together when it splits wholly
  into them (two phones, a phone and an ID); otherwise a phone inside a longer run is an order or
  account number, not a phone;
- a spreadsheet's scientific notation (``1.3812345678E+10``) is read as the number it stands for.

Each kind is checked so that ordinary figures pass: a mobile number is 11 digits from 13 to 19
(after an optional 86 or 0086), an 18-digit ID needs a real province and birth date and either
the GB 11643 check digit or, for a number that stands alone, a birth year since 1900 (a mistyped
ID is still someone's ID), an old 15-digit ID a real province and date, and a card number the
first digits of an issued card and a valid Luhn sum. Dates, amounts, order numbers, 12-digit
division codes, postcodes and landlines therefore pass.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

CELL = "\x1f"  # between the cells of a table row in the text handed to the reader
BREAK = "\x1e"  # between blocks of a page: never inside a number

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# GB/T 2260 province-level codes: 11-15 north, 21-23 north-east, 31-37 east, 41-46 central and
# south, 50-54 south-west, 61-65 north-west, 71 Taiwan, 81-82 Hong Kong and Macao, 83 for
# residence permits of Taiwan residents.
_PROVINCES = frozenset(
    str(code)
    for first, last in (
        *((11, 15), (21, 23), (31, 37), (41, 46)),
        *((50, 54), (61, 65), (71, 71), (81, 83)),
    )
    for code in range(first, last + 1)
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_CHINESE_DIGITS = {
    numeral: str(value)
    for value, numerals in enumerate(
        ("〇零", "一壹幺", "二贰貳", "三叁參叄", "四肆", "五伍", "六陆陸", "七柒", "八捌", "九玖")
    )
    for numeral in numerals
}
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # letters that show as blank space
_DOTS = frozenset(".\u00b7\u2022\u2024\u2027\u2219\u30fb\u3002")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
# A gap between pieces of one number, as read (see _read_char): separators only, at most four.
_GAP = re.compile(r"[ \n\x1f\-._/(,*]{1,4}")
_LOOSE = frozenset(" \n,/" + CELL)  # where unrelated figures stand side by side, or in a list
_SCIENTIFIC = re.compile(r"(?<![0-9.])([0-9])\.([0-9]+)[Ee]\+?([0-9]{1,2})(?![0-9])")
_MASK_STRETCH_MAX = 64  # what masking removes from between a number's digits, at most
_WORD = re.compile(r"[0-9A-Za-z]")
_JOINED_MAX = 23  # digits read across gaps: a 19-digit card after a 0086 would be the longest
_LENGTHS = frozenset({11, 13, 15, 16, 17, 18, 19})  # of a number, with 86 or 0086 before a phone
_GLUED_MIN = 22  # two phones
_SHAPES = {
    "phone": {(3, 4, 4), (3, 8), (7, 4), (4, 7), (4, 4, 3)},
    "id18": {(6, 8, 4), (6, 12), (6, 4, 4, 4), (3, 3, 8, 4)},
    "id15": {(6, 6, 3), (6, 9), (3, 3, 6, 3)},
    "card": {(4, 4, 4, 4), (4, 4, 4, 4, 1), (4, 4, 4, 4, 2), (4, 4, 4, 4, 3)}
    | {(6, n) for n in range(10, 14)},
}


class Kind(enum.StrEnum):
    PHONE = "phone"
    ID_NUMBER = "id_number"
    BANK_CARD = "bank_card"


def mask_number(kind: Kind, digits: str) -> str:
    """``138****8000``; ``330327********1234``; a card keeps its first six and last four."""
    if kind is Kind.PHONE:
        return digits[:3] + "****" + digits[-4:]
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


# --- what a number of each kind looks like -----------------------------------------------------


def is_resident_id(number: str) -> bool:
    """An 18-character ID number (GB 11643) with a real province, birth date and check digit."""
    return _looks_like_id(number) and _check_digit_ok(number)


def _birth_date(number: str) -> date | None:
    try:
        return date(int(number[:4]), int(number[4:6]), int(number[6:8]))
    except ValueError:
        return None


def _looks_like_id(number: str) -> bool:
    """Province and birth date are right: such a number is an ID, whatever its check digit."""
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in _PROVINCES:
        return False
    return _birth_date(number[6:14]) is not None


def _check_digit_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return number[17] == _ID_CHECK[total % 11]


def _is_id18(number: str, *, standalone: bool) -> bool:
    """An ID number: a valid check digit, or (standing alone) a birth since 1900 and not in the
    future, so a mistyped ID still counts but a stray 18 digits in a longer run does not."""
    if not _looks_like_id(number) or number[17] not in "0123456789X":
        return False
    born = _birth_date(number[6:14])
    assert born is not None
    if born > date.today():
        return False
    return _check_digit_ok(number) or (standalone and born.year >= 1900)


def _is_id15(number: str) -> bool:
    """An old 15-digit ID: province, then the birth date as YYMMDD in the 1900s."""
    return (
        len(number) == 15
        and number.isdigit()
        and number[:2] in _PROVINCES
        and _birth_date("19" + number[6:12]) is not None
    )


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


def _is_card_length_and_issuer(number: str) -> bool:
    if not (16 <= len(number) <= 19 and number.isdigit()):
        return False
    return number[0] in "34569" or 2221 <= int(number[:4]) <= 2720


def is_bank_card(number: str) -> bool:
    """16–19 digits, Luhn-valid, starting as issued cards do (UnionPay 62, Visa 4, Mastercard
    5 and 2221–2720, JCB/Amex 3, old domestic 9); leading 0, 1, 7, 8 are codes or serials."""
    if not _is_card_length_and_issuer(number):
        return False
    return is_luhn_valid(number) and not _is_credit_code(number) and not _looks_like_id(number)


@dataclass(frozen=True)
class _Number:
    """A personal number in a string of digits: its form, and where it sits in the string."""

    form: str  # phone, id18, id15, card
    start: int
    end: int

    @property
    def kind(self) -> Kind:
        return {"phone": Kind.PHONE, "card": Kind.BANK_CARD}.get(self.form, Kind.ID_NUMBER)


def _whole(digits: str, *, standalone: bool = True) -> _Number | None:
    """The personal number ``digits`` is as a whole (a phone may carry an 86 or 0086), if any."""
    for prefix in ("", "86", "0086"):
        if digits.startswith(prefix) and _MOBILE.fullmatch(digits, len(prefix)):
            return _Number("phone", len(prefix), len(digits))
    if _is_id18(digits, standalone=standalone):
        return _Number("id18", 0, 18)
    if _is_id15(digits):
        return _Number("id15", 0, 15)
    if is_bank_card(digits):
        return _Number("card", 0, len(digits))
    return None


def _glued(digits: str) -> list[_Number]:
    """Personal numbers written one after another without a gap, if ``digits`` is wholly made
    of them (two phones, a phone and an ID); a run with anything else in it is another number."""
    if len(digits) < _GLUED_MIN:
        return []
    ways: list[list[_Number] | None] = [[]] + [None] * len(digits)
    for end in range(11, len(digits) + 1):
        for length in (11, 15, 16, 17, 18, 19):
            before = ways[end - length] if end >= length else None
            if before is None:
                continue
            number = _whole(digits[end - length : end], standalone=False)
            if number is not None and number.start == 0 and number.end == length:
                ways[end] = [*before, _Number(number.form, end - length, end)]
                break
    return ways[-1] or []


_ANY_SHAPE = frozenset().union(*_SHAPES.values())


def _may_fit(shape: Sequence[int], gaps: Sequence[str]) -> bool:
    """A quick :func:`_fits` for any form, to skip most figures side by side in a table."""
    if len(set(gaps)) == 1 and not _LOOSE.intersection(gaps[0]):
        return True
    rest = tuple(shape[1:])  # after an 86 or 0086
    return set(shape) == {1} or tuple(shape) in _ANY_SHAPE or rest in _ANY_SHAPE or len(rest) == 1


def _fits(number: _Number, shape: Sequence[int], gaps: Sequence[str]) -> bool:
    """Whether pieces of these lengths, with these gaps, are read as one number of this form."""
    if number.start:  # 86 or 0086 before a phone: a piece of its own
        if shape[0] != number.start:
            return False
        shape = shape[1:]
    if len(shape) == 1 or set(shape) == {1} or tuple(shape) in _SHAPES[number.form]:
        return True
    same = len(set(gaps)) == 1 and not _LOOSE.intersection(gaps[0])
    return same and number.form in ("phone", "id18")


# --- reading ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _read(char: str) -> str:
    """What one character of the text reads as (see :func:`_read_char`), NFKC first."""
    return "".join(_read_char(c) for c in unicodedata.normalize("NFKC", char))


def _read_char(c: str) -> str:
    """A digit as ASCII, a separator as its class (space, line, cell, ``-._/(,*``), an invisible
    character as nothing, anything else as itself."""
    if c in (CELL, BREAK):
        return c
    if c in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[c]
    value = unicodedata.digit(c, None)
    if value is not None:
        return str(value)
    if c in _LINE_BREAKS:
        return "\n"
    if c.isspace():
        return " "
    category = unicodedata.category(c)
    if category in ("Cf", "Cc", "Mn", "Me") or c in _FILLERS:
        return ""
    if category == "Pd" or c in "\u2212~\u30fc":
        return "-"
    if c in _DOTS:
        return "."
    if category == "Pc":
        return "_"
    if c in "/\\|\u2215\u2044":
        return "/"
    if category in ("Ps", "Pe"):
        return "("
    return c


@dataclass(frozen=True)
class Reading:
    """A text as read: ``text`` holds what its characters read as, ``spans`` where in the
    original each of them comes from (an entity or an expanded character spans several)."""

    text: str
    spans: tuple[tuple[int, int], ...] | None  # None: character for character

    @classmethod
    def of(cls, pieces: Iterable[tuple[str, int, int]]) -> Reading:
        """The reading of decoded pieces, each (characters, start, end) in the original."""
        text: list[str] = []
        spans: list[tuple[int, int]] = []
        for chars, start, end in pieces:
            for char in chars:
                read = _read(char)
                text.append(read)
                spans += [(start, end)] * len(read)
        return cls("".join(text), tuple(spans))

    @classmethod
    def of_text(cls, text: str) -> Reading:
        read = list(map(_read, text))
        if all(len(char) == 1 for char in read):  # the usual case, kept cheap for long tables
            return cls("".join(read), None)
        return cls.of((char, i, i + 1) for i, char in enumerate(text))

    def span(self, index: int) -> tuple[int, int]:
        """Where in the original the character ``index`` of the reading comes from."""
        return (index, index + 1) if self.spans is None else self.spans[index]


@dataclass(frozen=True)
class Found:
    """A personal number in a :class:`Reading`: each digit's index in ``reading.text`` (-1 for
    the zeros scientific notation stands for) and the index of the last character it uses."""

    kind: Kind
    digits: str
    positions: tuple[int, ...]
    last: int


def detect(reading: Reading) -> list[Found]:
    """Every personal number in ``reading``, in order, none sharing a digit."""
    text = reading.text
    pieces = [(m.start(), m.end()) for m in re.finditer(r"[0-9]+", text)]
    gaps = [_gap(text[a[1] : b[0]]) for a, b in pairwise(pieces)]
    found: list[Found] = []
    for first in range(len(pieces)):
        length = 0
        for last in range(first, len(pieces)):
            if last > first and gaps[last - 1] is None:
                break
            length += pieces[last][1] - pieces[last][0]
            if last > first and length > _JOINED_MAX:
                break
            if length in _LENGTHS or (last == first and length >= _GLUED_MIN):
                found += _candidates(text, pieces[first : last + 1], gaps[first:last])
    found += _scientific(text)
    return _apart(found)


@functools.lru_cache(maxsize=1024)
def _gap(between: str) -> str | None:
    """The separators between two pieces of digits, repeats collapsed, or None if they hold
    anything else (a letter, a colon, a block break, the stars of a masked number) or are too
    long to read across."""
    if not _GAP.fullmatch(between) or "***" in between:
        return None
    return re.sub(r"(.)\1+", r"\1", between)


def _candidates(
    text: str, pieces: Sequence[tuple[int, int]], gaps: Sequence[str | None]
) -> list[Found]:
    """The personal numbers these pieces of digits make, read as one (or glued together)."""
    digits = "".join(text[start:end] for start, end in pieces)
    end = pieces[-1][1]
    check_x = len(digits) == 17 and text[end : end + 1] in ("X", "x")
    if check_x and not _WORD.match(text, end + 1):
        digits += "X"  # an ID's check character
        pieces = [*pieces[:-1], (pieces[-1][0], end + 1)]
    if len(pieces) > 1:
        shape = [end - start for start, end in pieces]
        separators = [gap for gap in gaps if gap]
        if not _may_fit(shape, separators):
            return []
        number = _whole(digits, standalone=True)
        numbers = [number] if number is not None and _fits(number, shape, separators) else []
    else:
        number = _whole(digits, standalone=True)
        numbers = [number] if number is not None else _glued(digits)
    if not numbers:
        return []
    positions = [i for start, end in pieces for i in range(start, end)]
    return [
        Found(
            n.kind,
            digits[n.start : n.end],
            tuple(positions[n.start : n.end]),
            positions[n.end - 1],
        )
        for n in numbers
    ]


def _scientific(text: str) -> list[Found]:
    """Numbers a spreadsheet wrote as ``3.30327199001011E+17``, at most three digits lost. A
    card number that lost its last digits cannot pass Luhn: its length and first digits do."""
    found = []
    for match in _SCIENTIFIC.finditer(text):
        lost = int(match.group(3)) - len(match.group(2))
        if not 0 <= lost <= 3:
            continue
        digits = match.group(1) + match.group(2) + "0" * lost
        number = _whole(digits)
        if number is None and lost and _is_card_length_and_issuer(digits):
            number = _Number("card", 0, len(digits))
        if number is None or number.start:
            continue
        positions = (match.start(1), *range(match.start(2), match.end(2)), *[-1] * lost)
        found.append(Found(number.kind, digits, positions, match.end() - 1))
    return found


def _apart(found: list[Found]) -> list[Found]:
    """The earliest, then longest, of numbers sharing digits (with an exponent, if it has one)."""
    taken: set[int] = set()
    kept = []
    for candidate in sorted(found, key=lambda f: (f.positions[0], -len(f.digits), -f.last)):
        own = set(candidate.positions) - {-1}
        if not own & taken:
            kept.append(candidate)
            taken |= own
    return kept


# --- in a plain text ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A personal number in a text: its kind and digits, where each digit is (None for one the
    text does not show, as scientific notation drops zeros), and the stretch it takes up."""

    kind: Kind
    digits: str
    spans: tuple[tuple[int, int] | None, ...]
    start: int
    end: int

    @property
    def masked(self) -> str:
        return mask_number(self.kind, self.digits)


def locate(found: Found, span: Callable[[int], tuple[int, int] | None]) -> Match | None:
    """``found`` in the original text, given where each character of its reading came from
    (None where that is unknown); None if none of its digits can be placed."""
    digit_spans = tuple(span(p) if p >= 0 else None for p in found.positions)
    placed = [s for s in (*digit_spans, span(found.last)) if s is not None]
    if not placed:
        return None
    start, end = min(span[0] for span in placed), max(span[1] for span in placed)
    return Match(found.kind, found.digits, digit_spans, start, end)


def find_numbers(text: str) -> list[Match]:
    """Every unmasked phone, ID or card number in ``text``, in order."""
    reading = Reading.of_text(text)
    return [m for f in detect(reading) if (m := locate(f, reading.span)) is not None]


def mask_matches(text: str, matches: Iterable[Match], keep: str = "\n|" + CELL) -> str:
    """``text`` with each number masked where it stands: hidden digits become ``*``, what lay
    between its digits goes (``138-1234-5678`` → ``138****5678``) unless it holds one of ``keep``
    (a line break, a table border), so a number split across cells stays split."""
    pieces: list[str] = []
    position = 0
    for match in sorted(matches, key=lambda m: m.start):
        if match.start < position or all(span is None for span in match.spans):
            continue
        pieces += [text[position : match.start], _masked(text, match, keep)]
        position = match.end
    return "".join(pieces) + text[position:]


def _masked(text: str, match: Match, keep: str) -> str:
    masked = match.masked
    spans = match.spans
    in_order = all(s is not None for s in spans) and all(
        a[1] <= b[0]  # type: ignore[index]
        for a, b in pairwise(spans)
    )
    if not in_order:  # scientific notation, or digits the text does not show one by one
        stretch = text[match.start : match.end]
        if len(stretch) > _MASK_STRETCH_MAX:  # digits placed far apart: do not guess
            return stretch
        return masked + "".join(c for c in stretch if c in keep)
    pieces = []
    previous = match.start
    for char, span in zip(masked, spans, strict=True):
        assert span is not None
        between = text[previous : span[0]]
        kept = len(between) > _MASK_STRETCH_MAX or any(c in keep for c in between)
        pieces += [between if kept else "", char]
        previous = span[1]
    tail = text[previous : match.end]
    return "".join(pieces) + "".join(c for c in tail if c in keep)
