"""The error page every non-API page falls back on: the status, a plain message and the request
id to quote to the village office or the county's IT, never a stack trace.

Registered on the app for ``HTTPException``, so it answers only what no blueprint handles: the
resident pages' own 404/410 pages and the API's JSON errors (handlers per status code, which
Flask prefers) stay as they are. An unexpected exception reaches it as a 500 everywhere outside
the API, after :mod:`doorplate.ops.logging` has logged it with the same id.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, TooManyRequests
from werkzeug.wrappers import Response

from doorplate import ratelimit
from doorplate.ops import request_id


def _texts(error: HTTPException, status: int) -> tuple[str, str]:
    """(heading, message) for a status, in the request's language."""
    if status == 404:
        return _("Page not found"), _("This page is not here. Please check the address.")
    if status in (403, 405):
        return _("Not allowed"), _("This page cannot be used this way.")
    if status == 413:
        return _("Too large"), _("What you sent is too large.")
    if isinstance(error, TooManyRequests):
        return _("Too many attempts"), ratelimit.wait_message(error)
    if status >= 500:
        return _("Something went wrong"), _(
            "Something went wrong on our side. Please try again later."
        )
    return _("The request could not be handled"), _(
        "The request could not be handled (HTTP status %(status)d).", status=status
    )


def error_page(error: HTTPException) -> Response:
    status = error.code or 500
    heading, message = _texts(error, status)
    page = render_template(
        "errors/error.html",
        status=status,
        heading=heading,
        message=message,
        request_id=request_id.current(),
    )
    response = Response(page, status, mimetype="text/html")
    # What a method or rate error tells the client to do next (Allow, Retry-After).
    for name, value in error.get_headers():
        if name in ("Allow", "Retry-After"):
            response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_page)
