"""The staff console (``/staff/...``): login and logout, and the registry of the user's scope."""

from __future__ import annotations

from flask import Blueprint

from doorplate.staff.access import load_current_staff

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(load_current_staff)
