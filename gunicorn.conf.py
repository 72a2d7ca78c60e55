"""gunicorn settings for doorplate behind nginx: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Command-line flags win over this file (``-w 8 -b 127.0.0.1:8001``), and so do the environment's
``DOORPLATE_BIND`` and ``DOORPLATE_WORKERS`` over its defaults.

It imports nothing from doorplate: the master process must not hold the app's modules, or a
reload (``systemctl reload doorplate``, SIGHUP) would fork new workers with the old code.

Logs are JSON, one object per line. The access log records method, path, status, bytes, time
taken and the request id, and nothing that identifies a household or a person (PIPL): no query
string, the plate token and booking reference in a path replaced by ``{token}``/``{reference}``,
no client address (behind nginx it would be nginx's; nginx's own log keeps the address the
Cybersecurity Law's log retention asks for, see deploy/nginx.conf.example), no user agent.

Visits queued by plate scans are written when a worker stops (doorplate/visits/queue.py flushes
at exit): gunicorn ends a worker with ``sys.exit`` on SIGTERM, SIGINT/SIGQUIT, a timeout's
SIGABRT and after ``max_requests``, so Python's exit handlers run and no hook is needed here;
``graceful_timeout`` leaves the time to finish requests and that write before SIGKILL.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from gunicorn.glogging import Logger

bind = [os.environ.get("DOORPLATE_BIND", "127.0.0.1:8000")]
# Sync workers: a plate scan takes about a millisecond of CPU and every page is CPU-bound, so a
# worker per core (and some for requests waiting on PostgreSQL) serves the county's bursts.
workers = int(os.environ.get("DOORPLATE_WORKERS", "4"))
worker_class = "sync"
# The slowest pages are staff downloads (a town's plate sheets as PDF); a worker stuck longer
# than this is killed and replaced. nginx's proxy_read_timeout is a little longer.
timeout = 60
graceful_timeout = 30  # finish requests in flight and write queued visits on a stop or reload
keepalive = 5  # sync workers close after each response; this only matters for other workers
# Restart each worker after a number of requests (with jitter, so not all at once), which bounds
# any slow growth of memory in a worker that runs for months.
max_requests = 20_000
max_requests_jitter = 2_000
# Each worker builds its own app, database pool and visit-writing thread after the fork.
preload_app = False
# Forwarded headers are the app's business (DOORPLATE_PROXY_COUNT, werkzeug's ProxyFix): gunicorn
# trusting X-Forwarded-Proto from loopback as well would make two places decide one thing.
forwarded_allow_ips = ""
proc_name = "doorplate"
# gunicorn 25+ opens a control socket in $HOME (or $XDG_RUNTIME_DIR) by default: systemd's
# signals (reload, stop) do that job, and two instances of one user would share the path.
control_socket_disable = True
errorlog = "-"  # stderr, as JSON lines (see JsonLogger)
accesslog = os.environ.get("DOORPLATE_ACCESS_LOG", "-")  # stdout, or a file path


# A path segment that identifies a household or a booking: the plate page (/P/<TOKEN>...), the
# API's plate lookup (/api/v1/plates/<token>...) and any booking (/bookings/<reference>..., in
# the API and the staff console).
_SECRET_SEGMENTS = (
    (re.compile(r"(?<![\w.-])/[Pp]/[^/\s?#]+"), "/P/{token}"),
    (re.compile(r"/api/v1/plates/[^/\s?#]+"), "/api/v1/plates/{token}"),
    (re.compile(r"/bookings/[^/\s?#]+"), "/bookings/{reference}"),
    (re.compile(r"(/[^\s?]*)\?\S*"), r"\1"),  # a query string (search words, codes)
)


def redact(text: str) -> str:
    """``text`` with plate tokens and booking references in paths replaced, query strings
    dropped."""
    for pattern, replacement in _SECRET_SEGMENTS:
        text = pattern.sub(replacement, text)
    return text


def _now(created: float | None = None) -> str:
    moment = datetime.now(UTC) if created is None else datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds")


class _JsonFormatter(logging.Formatter):
    """gunicorn's own messages in the app's JSON shape (doorplate/ops/logging.py)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _now(record.created),
            "level": record.levelname,
            "request_id": None,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class JsonLogger(Logger):
    """gunicorn's logger writing JSON lines: the error log reformatted, the access log built
    from the request rather than from an Apache-style format string (which cannot escape)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(_JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        entry = {
            "time": _now(),
            "request_id": next((v for k, v in resp.headers if k.lower() == "x-request-id"), None),
            "method": environ.get("REQUEST_METHOD"),
            "path": redact(environ.get("PATH_INFO", "")),
            "status": int(status),
            "bytes": resp.sent,
            "duration_ms": round(request_time / timedelta(milliseconds=1), 1),
        }
        self.access_log.info(json.dumps(entry, ensure_ascii=False))


logger_class = JsonLogger
