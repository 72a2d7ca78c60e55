"""Print-ready plate artefacts: QR matrices, label PNG/SVG, PDF sheets and sign-maker listings.

Everything here is pure (no database, no app: messages use flask-babel's gettext, which falls back
to English outside an app): callers turn plates into ``Label`` values,
sorted as they want them printed, and get bytes back. The modules are ``qr`` (encoding),
``fonts`` (the vendored CJK font and the glyph check), ``layout`` (one label's geometry),
``label`` (one label as PNG or SVG), ``sheet`` (A4 PDF sheets) and ``exports`` (ZIP, CSV, XLSX).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass(frozen=True, slots=True)
class Label:
    """What one plate shows; ``ref`` names the household in error messages (no token in it)."""

    url: str
    token: str
    address: str
    village: str
    town: str
    ref: str


class RenderError(Exception):
    """A label or sheet cannot be produced as asked; the message says which and why."""


class MissingGlyph(RenderError):
    """The vendored font cannot draw a character: printing it would leave a blank box on a door."""

    def __init__(self, ref: str, char: str) -> None:
        super().__init__(ref, char)  # the constructor's own arguments: the error pickles
        self.ref = ref
        self.char = char

    def __str__(self) -> str:
        return _(
            "%(ref)s: the plate font has no glyph for “%(char)s” (U+%(code)04X); correct the "
            "text or extend the font before printing",
            ref=self.ref,
            char=self.char,
            code=ord(self.char),
        )
