"""Public pages: the site's front door and the page behind every plate's QR code."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request
from flask.typing import ResponseReturnValue

from doorplate.db import db
from doorplate.plates import service as plates
from doorplate.staff.access import load_current_staff
from doorplate.staff.service import scope_of
from doorplate.visits import service as visits

bp = Blueprint("resident", __name__)


@bp.get("/")
def index() -> str:
    """What someone who types the bare address sees: what this is and how to use their plate."""
    return render_template("resident/index.html", county_name=current_app.config["COUNTY_NAME"])


@bp.get("/p/<path:token>")
@bp.get("/P/<path:token>")  # registered first, so url_for builds the uppercase form plates print
def plate(token: str) -> ResponseReturnValue:
    """The household's landing page.

    Unknown tokens all get the same 404 page, whatever was guessed (nothing is echoed back);
    a revoked plate gets a neutral 410. Staff of the plate's village who open it are offered to
    mark it installed, which is how plates get checked off door by door. The visit is recorded
    once the page has rendered, so only a 200 counts; staff checking plates are not visitors.
    """
    try:
        found = plates.resolve(token)
    except plates.PlateRevoked:
        return _no_index(render_template("resident/plate_gone.html", lang_next="/"), 410)
    except plates.PlateNotFound:
        return _no_index(render_template("resident/plate_unknown.html", lang_next="/"), 404)
    load_current_staff()
    village = found.household.village
    may_install = g.staff is not None and scope_of(g.staff).covers(village)
    page = render_template(
        "resident/plate.html",
        plate=found,
        household=found.household,
        village=village,
        may_install=may_install,
    )
    visits.record(
        found,
        method=request.method,
        staff=g.staff is not None,
        remote_addr=request.remote_addr,
        user_agent=request.headers.get("User-Agent", ""),
    )
    db.session.commit()
    # The install form posts to the console, and over HTTPS Flask-WTF refuses a post without a
    # same-site Referer; "same-origin" still sends nothing to any other site.
    return _no_index(page, 200, {"Referrer-Policy": "same-origin"} if may_install else {})


def _no_index(body: str, status: int, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    """Plate pages are for the household at the door, never for search engines."""
    return body, status, {"X-Robots-Tag": "noindex, nofollow", **(headers or {})}
