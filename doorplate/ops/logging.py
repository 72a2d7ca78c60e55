"""The app's log as JSON lines on stderr, each with the request's id, for journald or a collector.

Configured only for the production server (not debug, testing, the demo or the ``doorplate``
commands, which keep Flask's readable lines). Everything under the ``doorplate`` logger (the
app's, and each module's ``logging.getLogger(__name__)``) goes through one handler.

Nothing personal may reach the log (PIPL): no plate tokens, names, phones or addresses. Flask's own
line for an unhandled exception names the request's path, which for a plate scan is the plate's
token, so it is replaced by one naming the route (``/P/<path:token>``); the traceback stays, for
the server's eyes only (error pages never show it).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from flask import Flask, request
from flask.logging import default_handler

from doorplate.config import is_production
from doorplate.ops import request_id

_HANDLER_MARK = "_doorplate_json"
ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, request id, logger, message, and the
    traceback as ``exc`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "request_id": getattr(record, "request_id", None),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being handled, else the id it was logged
    with (``extra``, by WSGI middleware outside Flask's request), else None."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.current() or getattr(record, "request_id", None)
        return True


def init_app(app: Flask) -> None:
    """In production, send the ``doorplate`` loggers' records to stderr as JSON lines and log
    unhandled exceptions by route."""
    if not is_production(app) or app.config.get("CLI_ONLY"):
        return  # commands keep plain lines: cron mails what they print, warnings and worse
    logger = app.logger
    for handler in list(logger.handlers):
        if handler is default_handler or getattr(handler, _HANDLER_MARK, False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False  # one line per record, whatever the root logger does
    app.log_exception = functools.partial(_log_exception, app)  # type: ignore[method-assign]


def _log_exception(app: Flask, exc_info: ExcInfo) -> None:
    """Flask's ``log_exception``, naming the route instead of the path (which holds tokens)."""
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    app.logger.error("Unhandled exception on %s %s", request.method, route, exc_info=exc_info)
