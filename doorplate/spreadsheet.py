"""Text cells for the CSV and XLSX files the service hands out, defused against formula injection.

A spreadsheet runs a cell that starts like a formula: ``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``,
``@SUM(...)``, ``-2+3``. Any text that came from a person (an address, a village's name, a post
title in a table) could, so every CSV and XLSX writer passes its text cells through
:func:`defuse`, which prefixes an apostrophe, the spreadsheet's own "this is text" mark (OWASP,
CSV Injection). The full-width forms a Chinese input method types (``＝ ＋ － ＠ ｜``) and their
small forms are normalised to the ASCII ones by Excel and WPS, so they count too, and so do a
leading tab or line break and any leading spaces before one of them.
"""

from __future__ import annotations

import unicodedata

PREFIX = "'"
# What starts a formula (or a DDE call: ``|``) once the character is read as its ASCII form.
_STARTS = frozenset("=+-@|\t\r\n")
# Leading blanks a spreadsheet skips before it looks for a formula.
_BLANKS = " \u00a0\u3000"
_MINUS = "\u2212"  # MINUS SIGN, which NFKC leaves as it is


def defuse(value: str) -> str:
    """``value``, with ``'`` in front if a spreadsheet could read it as a formula."""
    first = value.lstrip(_BLANKS)[:1]
    if not first:
        return value
    if first in _STARTS or first == _MINUS or unicodedata.normalize("NFKC", first)[:1] in _STARTS:
        return PREFIX + value
    return value
