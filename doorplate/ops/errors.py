"""The error page every non-API page falls back on: the status, a plain message and the request
id to quote to the village office or the county's IT, never a stack trace.

Registered on the app for ``HTTPException``, so it answers only what no blueprint handles: the
resident pages' own 404/410 pages and the API's JSON errors (handlers per status code, which
Flask prefers) stay as they are. An unexpected exception reaches it as a 500 everywhere outside
the API, after :mod:`doorplate.ops.logging` has logged it with the same id.

A failed request's transaction is rolled back before any error page renders (on
``got_request_exception``, whichever handler answers, and here for every status): on PostgreSQL
a failed statement aborts the transaction, and every query after it fails too. And the page is
rendered without the blueprints' context processors (the console's reads the signed-in user's
village from the database): it must render when the database is the thing that failed.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, got_request_exception
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, TooManyRequests
from werkzeug.wrappers import Response

from doorplate import ratelimit
from doorplate.bounds import BadInput
from doorplate.db import db
from doorplate.i18n import chosen_lang
from doorplate.ops import request_id

logger = logging.getLogger(__name__)


def end_transaction(*_args: Any, **_extra: Any) -> None:
    """Roll back whatever the failed request left open; never raises (the page must go out
    whatever state the database is in). Its arguments are the signal's, unused."""
    try:
        if db.session.registry.has():
            db.session.rollback()
    except Exception:  # noqa: BLE001 (a dead connection: the pool replaces it on next use)
        logger.warning("Rolling back after a failed request failed", exc_info=True)


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
    if isinstance(error, BadInput):
        return _("The request could not be handled"), str(error.description)
    if status >= 500:
        return _("Something went wrong"), _(
            "Something went wrong on our side. Please try again later."
        )
    return _("The request could not be handled"), _(
        "The request could not be handled (HTTP status %(status)d).", status=status
    )


def error_page(error: HTTPException) -> Response:
    end_transaction()
    status = error.code or 500
    heading, message = _texts(error, status)
    # Not render_template: it would run the blueprints' context processors too.
    page = current_app.jinja_env.get_template("errors/error.html").render(
        current_lang=chosen_lang(),
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
    got_request_exception.connect(end_transaction, app)
