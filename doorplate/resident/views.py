"""Public pages: the site's front door; the plate page arrives with the plates feature."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("resident", __name__)


@bp.get("/")
def index() -> str:
    """What someone who types the bare address sees: what this is and how to use their plate."""
    return render_template("resident/index.html", county_name=current_app.config["COUNTY_NAME"])
