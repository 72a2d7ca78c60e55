"""The one exception every upload check raises (:mod:`attachments`, :mod:`images`, :mod:`pdfs`),
kept apart so the checks and the use cases that call them do not import each other."""

from __future__ import annotations


class Refused(Exception):
    """A file refused by an upload check, with the reason (a phrase to put after the file's name
    or a field's label)."""
