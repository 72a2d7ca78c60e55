"""Errors as JSON everywhere under ``/api/``: ``{"error": {"code": ..., "message": ...}}``, with
what a client needs to act beside it: ``fields`` (422, each field at fault) or ``next_slots`` (409).

A client of the API must never receive an HTML error page, whatever went wrong:

- views raise :class:`ApiError` with the status, a stable code and a translated message;
- any other HTTP error raised in an API view (and any unexpected exception, as a 500) is answered
  by the blueprint's handlers, registered for *every* status code: Flask prefers a handler for
  the exact code, in any blueprint or the app, over one for ``HTTPException``, so only handlers
  per code keep an app-wide HTML error page from answering an API request;
- a path under ``/api/`` that matches no route (or a method a route does not take) never reaches
  a blueprint, so the routing error is answered before dispatch by an app-wide before-request
  hook that looks at the path.

Messages follow the request's language and never include a stack trace or an exception's text.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import gettext as _
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
    default_exceptions,
)
from werkzeug.wrappers import Response

from doorplate import ratelimit
from doorplate.api.responses import NO_STORE, json_response
from doorplate.api.serialise import link
from doorplate.bounds import BadInput
from doorplate.ops.errors import end_transaction
from doorplate.ops.request_id import current as current_request_id

INVALID = "invalid_parameter"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})  # answered by Flask itself wherever GET is


class ApiError(Exception):
    """A refused API request: HTTP ``status``, a stable machine-readable ``code``, a translated
    ``message`` fit to show, the query ``parameter`` at fault, if one is, and ``extra`` members of
    the body beside ``error`` (``fields``, ``next_slots``)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        parameter: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        self.extra = extra or {}


def invalid_input(fields: dict[str, str], message: str | None = None) -> ApiError:
    """422 naming each field of the body at fault (none when the body is not an object)."""
    return ApiError(
        422,
        "invalid_input",
        message or _("Some fields are not valid; each is named in fields."),
        extra={"fields": fields},
    )


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, str] = {"code": error.code, "message": error.message}
    if error.parameter is not None:
        body["parameter"] = error.parameter
    if error.status >= 500 and (request_id := current_request_id()):
        body["request_id"] = request_id  # to quote when reporting the fault
    return json_response(
        {"error": body, **error.extra}, error.status, cache=NO_STORE, headers=headers
    )


def _api_error(error: ApiError) -> Response:
    return error_response(error)


def _http_error(error: HTTPException) -> Response:
    """Any HTTP error (an unexpected exception arrives as a 500) as a JSON error."""
    end_transaction()
    if isinstance(error, BadInput):  # refused before the view, e.g. a NUL in a parameter
        return error_response(ApiError(400, INVALID, str(error.description), error.parameter))
    status = error.code or 500
    headers = {}
    if isinstance(error, MethodNotAllowed):
        allowed = sorted(set(error.valid_methods or ()) - IGNORED_METHODS)
        headers["Allow"] = ", ".join(sorted({*allowed, *IGNORED_METHODS}))
        message = _(
            "This address does not accept %(method)s requests; it accepts %(allowed)s.",
            method=request.method,
            allowed=", ".join(allowed),
        )
    elif isinstance(error, NotFound):
        message = _(
            "There is no such address in this API; the API is described at %(url)s.",
            url=link("api.openapi"),
        )
    elif isinstance(error, TooManyRequests):
        headers.update((k, v) for k, v in error.get_headers() if k == "Retry-After")
        message = ratelimit.wait_message(error)
    elif status >= 500:
        message = _("Something went wrong on our side. Please try again later.")
    else:
        message = _("The request could not be handled (HTTP status %(status)d).", status=status)
    code = "internal_error" if status >= 500 else _snake(error.name)
    return error_response(ApiError(status, code, message), headers)


def _snake(name: str) -> str:
    """``Method Not Allowed`` → ``method_not_allowed``."""
    return "_".join(name.lower().replace("'", "").split())


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _routing_error() -> Response | None:
    """Before dispatch: an API path that matched no route, or not with this method."""
    error = request.routing_exception
    if (
        isinstance(error, HTTPException)
        and error.code is not None
        and error.code >= 400
        and is_api_path(request.path)
    ):
        return _http_error(error)
    return None


def init_blueprint(bp: Blueprint) -> None:
    """Answer every error of ``bp``'s views, and routing errors under ``/api/``, as JSON."""
    bp.register_error_handler(ApiError, _api_error)
    for code in default_exceptions:
        bp.register_error_handler(code, _http_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.before_app_request(_routing_error)
