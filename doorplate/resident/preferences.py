"""The resident's display preference (适老化): large text, remembered in a cookie.

A plain link that sets a cookie and comes back, so it works with JavaScript off and on the
cheapest phone, and the choice persists across visits without an account.
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, request
from werkzeug.wrappers import Response

from doorplate.i18n import ONE_YEAR, safe_next

TEXT_COOKIE = "text"
LARGE = "large"

bp = Blueprint("preferences", __name__)


def large_text() -> bool:
    return request.cookies.get(TEXT_COOKIE) == LARGE


@bp.get("/text/<size>")
def text_size(size: str) -> Response:
    """Switch between normal and large text, then go back to the page the resident was on."""
    response = redirect(safe_next(request.args.get("next")))
    if size == LARGE:
        response.set_cookie(
            TEXT_COOKIE,
            LARGE,
            max_age=ONE_YEAR,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    elif size == "normal":
        response.delete_cookie(TEXT_COOKIE, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _large_text() -> dict[str, bool]:
        return {"large_text": large_text()}
