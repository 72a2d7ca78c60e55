"""The personal numbers a post's Markdown text shows residents, placed in the source.

The gate judges the text as shown, not as typed: ``138**1234**5678``, ``138<b></b>12345678``,
``138&#49;2345678``, a comment or a code span in the middle all show 13812345678. So each
top-level block of the source is rendered and sanitised exactly as for the resident page
(:func:`markdown.blocks`), its text taken as a browser shows it (entities decoded, tags and
comments gone; code, list numbers, image descriptions and tooltips kept; table cells and line
breaks marked) and read by :mod:`personal_numbers`.

To point at a line and mask in the source, the digits of the shown text are paired with the
digits of the block's source, read the same way with comments and tags skipped and entities
decoded. Usually the two are the same sequence; where they differ (a link's address is not
shown, an ordered list's later numbers are not typed) the longest common runs are paired. A
number none of whose digits can be placed is reported at its block's first line, and masking
leaves it for the author to change by hand.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from html.parser import HTMLParser

from doorplate.publications import markdown
from doorplate.publications.personal_numbers import (
    BREAK,
    CELL,
    Match,
    Reading,
    detect,
    locate,
    mask_matches,
)

_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd"}
    | {"blockquote", "pre", "hr", "table", "caption", "thead", "tbody", "tfoot", "tr", "div"}
)
_SOURCE = re.compile(
    r"(?P<skip><!--.*?-->|<![^>]*>|<\?.*?\?>)"
    r"|(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:\s[^>]*)?/?>)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<escape>\\[!-/:-@\[-`{-~])",
    re.DOTALL,
)
_SHOWN_ATTRIBUTE = re.compile(
    r"""\s(?:alt|title|start)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE
)
_DIGIT = re.compile(r"[0-9Xx]")


class _ShownText(HTMLParser):
    """The text of sanitised HTML as a browser shows it, with blocks, cells and lines marked."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[int | None] = []  # each open list's next item number; None: bullets

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in _BLOCKS:
            self.parts.append(BREAK)
        if tag in ("td", "th"):
            self.parts.append(CELL)
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "ul":
            self.lists.append(None)
        elif tag == "ol":
            start = values.get("start") or "1"
            self.lists.append(int(start) if start.lstrip("-").isdigit() else 1)
        elif tag == "li" and self.lists and self.lists[-1] is not None:
            self.parts.append(f"{self.lists[-1]}. ")
            self.lists[-1] += 1
        elif tag == "img":
            self.parts.append(values.get("alt") or "")
        if values.get("title"):  # a tooltip
            self.parts += [BREAK, values["title"] or "", BREAK]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in _BLOCKS:
            self.parts.append(BREAK)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown_text(html_fragment: str) -> str:
    parser = _ShownText()
    parser.feed(html_fragment)
    parser.close()
    return "".join(parser.parts)


def _typed(source: str, offset: int) -> Iterator[tuple[str, int, int]]:
    """The characters of Markdown ``source`` that can show, decoded, each with its span (plus
    ``offset``): comments and tags skipped but for the attributes that show (alt, title, a
    list's start), entities and backslash escapes decoded."""
    position = 0
    for match in _SOURCE.finditer(source):
        for index in range(position, match.start()):
            yield source[index], offset + index, offset + index + 1
        if match["tag"]:
            for attribute in _SHOWN_ATTRIBUTE.finditer(match["tag"]):
                group = next(g for g in (1, 2, 3) if attribute.group(g) is not None)
                value_at = offset + match.start() + attribute.start(group)
                yield from _typed(attribute.group(group), value_at)
        elif match["entity"]:
            yield html.unescape(match[0]), offset + match.start(), offset + match.end()
        elif match["escape"]:
            yield match[0][1], offset + match.start(), offset + match.end()
        position = match.end()
    for index in range(position, len(source)):
        yield source[index], offset + index, offset + index + 1


def _digits(reading: Reading) -> list[int]:
    """Where the digits (and an ID's X) are in ``reading.text``."""
    return [m.start() for m in _DIGIT.finditer(reading.text)]


def _placed(shown: Reading, typed: Reading) -> list[tuple[int, int] | None]:
    """For each character of ``shown``, the source span of the typed digit it is paired with."""
    shown_at, typed_at = _digits(shown), _digits(typed)
    spans: list[tuple[int, int] | None] = [None] * len(shown.text)
    shown_digits = "".join(shown.text[i].upper() for i in shown_at)
    typed_digits = "".join(typed.text[i].upper() for i in typed_at)
    if shown_digits == typed_digits:
        pairs: Iterator[tuple[int, int]] = zip(shown_at, typed_at, strict=True)
    else:
        blocks = SequenceMatcher(None, shown_digits, typed_digits, autojunk=False)
        pairs = (
            (shown_at[a + k], typed_at[b + k])
            for a, b, size in blocks.get_matching_blocks()
            for k in range(size)
        )
    for shown_index, typed_index in pairs:
        spans[shown_index] = typed.span(typed_index)
    return spans


def body_matches(body: str) -> list[Match]:
    """Every personal number the rendered ``body`` shows, placed in ``body`` (a number that
    cannot be placed has no digit spans and starts at its block)."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", body)]
    matches = []
    for first, last, html_fragment in markdown.blocks(body):
        shown = Reading.of_text(shown_text(html_fragment))
        found = detect(shown)
        if not found:
            continue
        start = line_starts[min(first, len(line_starts) - 1)]
        end = line_starts[last] if last < len(line_starts) else len(body)
        spans = _placed(shown, Reading.of(_typed(body[start:end], start)))
        for number in found:
            placed = locate(number, spans.__getitem__)
            unplaced = Match(number.kind, number.digits, (None,) * len(number.digits), start, start)
            matches.append(placed or unplaced)
    return matches


def mask_body(body: str) -> str:
    """``body`` with every number it shows masked in the source, where it can be placed."""
    return mask_matches(body, body_matches(body))
