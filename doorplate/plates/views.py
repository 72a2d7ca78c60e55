"""The plates part of the staff console (``/staff/plates/...``)."""

from __future__ import annotations

from flask import Blueprint

console = Blueprint("plates", __name__, url_prefix="/plates")
