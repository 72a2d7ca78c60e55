"""A post's stored HTML made fit for a phone, as it is shown (resident page and the staff
preview's phone-width view).

``Post.body_html`` is sanitised once, when the post is saved, and holds no words of the reader's
language; what depends on the reader (the scroll hint of a table in their language) or on the
village (its office line) is added here, on the way out:

- each table sits in a labelled, focusable scroll region with a visible "swipe sideways" hint,
  so a wide table scrolls inside itself instead of making the whole page wider than the phone;
- a row whose first cell is a total (合计, 总计, 小计, 结余, Total) is marked ``class="total"``;
- an office number in the text (a landline such as ``0577-64711234``, or the village's own
  office line as written in its contact) becomes a ``tel:`` link; never inside a link or a table
  cell, where a number is data (and a person's number is masked anyway);
- a time range (``14:00-17:30``) is kept on one line;
- a picture of the post's own files (the only kind the sanitiser keeps) shows its phone-sized
  copy, with its size set and loaded lazily; the file itself stays its download.

The HTML is read with the standard library's tokenizer rather than patterns over the markup, so
text inside an attribute (a link title may hold ``<`` or ``>``) is never taken for a tag or for
text; tags are written back exactly as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser

from flask_babel import gettext as _
from markupsafe import Markup, escape

from doorplate.resident.content import tel_uri

TOTAL_WORDS = frozenset({"合计", "总计", "小计", "结余", "total"})
# A landline written with its area code: 0577-64711234, 0577 6471 1234, (0577)64711234.
_LANDLINE = r"[(（]?0\d{2,3}[)）]?[-\s]?\d{3,4}\s?\d{4}(?!\d)"
_OWN_FILE = re.compile(r"/posts/(\d+)/files/(\d+)")
TIME_RANGE = re.compile(r"\d{1,2}[:：]\d{2}\s*[-–—~～至到]\s*\d{1,2}[:：]\d{2}")


def is_total(first_cell: str) -> bool:
    """Whether a table row starting with ``first_cell`` is a total row (``合 计`` too)."""
    return re.sub(r"\s", "", first_cell).rstrip(":：").lower() in TOTAL_WORDS


def keep_time_ranges(text: str) -> Markup:
    """``text`` escaped, each time range in a span that does not break (office hours)."""
    escaped = str(escape(text))
    return Markup(TIME_RANGE.sub(_nowrap, escaped))  # noqa: S704 (escaped above)


@dataclass(frozen=True)
class Labels:
    """The reader's words for a table's scroll region: ``region`` takes the table's number."""

    region: Callable[[int], str]  # the n-th table's label, e.g. "表格 2：停水通知"
    hint: str  # "左右滑动查看"


def labels_for(title: str) -> Labels:
    """The reader's words for the tables of the post titled ``title``."""
    return Labels(
        region=lambda number: _("Table %(number)s: %(title)s", number=number, title=title),
        hint=_("Swipe sideways to see more"),
    )


def for_phone(
    html: str,
    labels: Labels,
    office_phone: str | None = None,
    photos: Mapping[int, tuple[int, int]] | None = None,
) -> Markup:
    """``html`` (sanitised post HTML) with scroll regions, total rows, tel links, unbroken time
    ranges and phone-sized pictures (``photos``: each image file's phone copy size, by file id),
    as described in the module docstring."""
    rewriter = _Rewriter(labels, _phone_pattern(office_phone), photos or {})
    rewriter.feed(html)
    rewriter.close()
    return Markup("".join(rewriter.out))  # noqa: S704 (sanitised HTML, tags kept as they were)


def _phone_pattern(office_phone: str | None) -> re.Pattern[str]:
    own = re.escape(office_phone.strip()) if office_phone and office_phone.strip() else None
    return re.compile(f"{own}|{_LANDLINE}" if own else _LANDLINE)


class _Rewriter(HTMLParser):
    def __init__(
        self, labels: Labels, phones: re.Pattern[str], photos: Mapping[int, tuple[int, int]]
    ) -> None:
        super().__init__(convert_charrefs=False)
        self.labels = labels
        self.phones = phones
        self.photos = photos
        self.out: list[str] = []
        self.tables = 0
        self.in_link = 0
        self.in_cell = 0
        self.row_start: int | None = None  # where the open row's <tr> is in out
        self.first_cell: list[str] | None = None  # the open row's first cell's text so far

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        if tag == "img":
            self.out.append(self._phone_picture(attrs) or raw)
            return
        if tag == "table":
            self.tables += 1
            label = self.labels.region(self.tables)
            self.out.append(
                f'<div class="table-scroll" role="region" aria-label="{escape(label)}" '
                f'tabindex="0"><p class="swipe-hint">{escape(self.labels.hint)}</p>'
            )
        elif tag == "tr":
            self.row_start, self.first_cell = len(self.out), None
        elif tag in ("td", "th"):
            self.in_cell += 1
            if self.first_cell is None and self.row_start is not None:
                self.first_cell = []
        elif tag == "a":
            self.in_link += 1
        self.out.append(raw)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        self.out.append(self._phone_picture(attrs) or raw if tag == "img" else raw)

    def _phone_picture(self, attrs: list[tuple[str, str | None]]) -> str | None:
        """The ``<img>`` of a post's own file, pointing at its phone copy; None for any other."""
        found = dict(attrs)
        own = _OWN_FILE.fullmatch(found.get("src") or "")
        size = self.photos.get(int(own.group(2))) if own else None
        if own is None or size is None:
            return None
        alt = escape(found.get("alt") or "")
        return (
            f'<img src="{own.group(0)}/phone" alt="{alt}" width="{size[0]}" height="{size[1]}"'
            ' loading="lazy">'
        )

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        if tag == "table":
            self.out.append("</div>")
        elif tag in ("td", "th"):
            self.in_cell = max(0, self.in_cell - 1)
            if self.first_cell is not None and self.row_start is not None:
                if is_total("".join(self.first_cell)):
                    self.out[self.row_start] = '<tr class="total">'
                self.row_start = None  # only the first cell counts
        elif tag == "a":
            self.in_link = max(0, self.in_link - 1)

    def handle_data(self, data: str) -> None:
        if self.in_cell and self.row_start is not None and self.first_cell is not None:
            self.first_cell.append(data)
        if self.in_link or self.in_cell:
            self.out.append(data)
            return
        self.out.append(self._linked(data))

    def _linked(self, data: str) -> str:
        """Text (already escaped, as the sanitiser wrote it) with phones and time ranges marked."""
        pieces: list[str] = []
        last = 0
        for match in self.phones.finditer(data):
            pieces.append(TIME_RANGE.sub(_nowrap, data[last : match.start()]))
            pieces.append(f'<a class="tel" href="{tel_uri(match.group(0))}">{match.group(0)}</a>')
            last = match.end()
        pieces.append(TIME_RANGE.sub(_nowrap, data[last:]))
        return "".join(pieces)

    def handle_entityref(self, name: str) -> None:
        self._raw(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._raw(f"&#{name};")

    def _raw(self, text: str) -> None:
        if self.first_cell is not None and self.row_start is not None and self.in_cell:
            self.first_cell.append(text)
        self.out.append(text)

    def handle_comment(self, data: str) -> None:
        """The sanitiser strips comments; none is passed on."""


def _nowrap(match: re.Match[str]) -> str:
    return f'<span class="nowrap">{match.group(0)}</span>'
