"""Layered configuration: defaults, then the ``DOORPLATE_*``/``DATABASE_URL`` environment, then
overrides.

The embedded default (a SQLite file in ``instance/``) must work with no configuration at all, while
a production instance must never run with a guessable session key: that check lives here so the app
factory, the WSGI entry point and the CLI all apply the same rule.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "COUNTY_NAME": "苍南县",
    "COUNTY_CODE": "330327",
    "BASE_URL": "http://127.0.0.1:5000",
    "DEMO": False,
    # Staff console
    "STAFF_IDLE_MINUTES": 30,
    # Sign-in delays (doorplate/staff/signin.py): after this many failures since an account's
    # last sign-in, an address that failed on it waits this long after its own last failure,
    # doubled with each further failure of the account, at most the last: a stranger can hold
    # up nobody but themselves, and guesses ~12 times an hour.
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_DELAY_SECONDS": 2,
    "LOGIN_DELAY_MAX_SECONDS": 300,
    "STAFF_PAGE_SIZE": 50,
    "PASSWORD_HASH_METHOD": "scrypt",
    # Plate print files: the label's trimmed size and how many labels go on an A4 sheet
    "PLATE_LABEL_WIDTH_MM": 60.0,
    "PLATE_LABEL_HEIGHT_MM": 80.0,
    "PLATE_SHEET_COLUMNS": 3,
    "PLATE_SHEET_ROWS": 3,
    "PLATE_DPI": 300,
    "PLATE_ECC": "H",  # survives a 15% stain on a weathered door; L/M/Q trade that for size
    # How long a worker reuses a village's rendered plate page: a new post reaches plate pages at
    # most this late (see doorplate/resident/page_cache.py); 0 renders every scan afresh.
    "RESIDENT_PAGE_CACHE_SECONDS": 30,
    # How often a worker records the visits its plate pages queued (doorplate/visits/queue.py);
    # 0 records each in its own request.
    "VISIT_FLUSH_SECONDS": 0.25,
    # Post attachments (JPEG, PNG, PDF): each file's size and files per post. Images (see
    # publications/images.py): the pixels one may decode (a JPEG decodes reduced, so a 48 MP
    # phone photo counts 12; 16-bit channels count twice), which keeps an upload's peak memory
    # under 100 MB (scripts/bench/upload_memory.py), and the longest side stored: 2048 px fills
    # a 1440 px-wide phone screen with room to zoom into a photographed notice.
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENTS_PER_POST": 10,
    "ATTACHMENT_MAX_PIXELS": 12_600_000,
    "ATTACHMENT_MAX_SIDE": 2048,
    # The photo of a 报事报修 request, which anyone with a plate can send (20 a minute from one
    # address): less to decode, and 1600 px, which shows a broken lamp on a clerk's screen.
    "REQUEST_PHOTO_MAX_PIXELS": 8_000_000,
    "REQUEST_PHOTO_MAX_SIDE": 1600,
    # Bookings: how far ahead slots are generated, how long a closed booking keeps its contact
    # name and phone, and how often one address may try a reference (see doorplate/ratelimit.py)
    "BOOKING_HORIZON_DAYS": 28,
    "BOOKING_RETENTION_DAYS": 180,
    "BOOKING_LOOKUP_LIMIT": "10 per minute; 50 per day",
    # "module:callable" returning the notifier for booking events; the default only logs
    "BOOKING_NOTIFIER": "doorplate.bookings.notify:LogNotifier",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Publication timeliness on the dashboard: finance (财务) must go out every "month" (Zhejiang's
    # rule for village finance) or every "quarter" (small villages); see stats/timeliness.py
    "FINANCE_DISCLOSURE_EVERY": "month",
    # Operations (doorplate/ops/): how many reverse proxies (nginx: 1) in front of gunicorn are
    # trusted for X-Forwarded-For/Proto/Host; 0 trusts none. The level of the JSON log lines.
    "PROXY_COUNT": 0,
    "LOG_LEVEL": "INFO",
    # Rate limits per client address (doorplate/ratelimit.py). A whole village, or a town's staff,
    # may reach us through one carrier CGNAT address, so each is far above what honest use of
    # one address needs, while still stopping a machine:
    # - unknown or revoked plate codes (page and API together; a known code is never counted):
    #   people mistype a code or scan an old plate a few times a day; at 300 an hour, finding one
    #   of 420,000 plates among 2^80 codes takes ~10^12 years, and a scanner cannot load the DB;
    "PLATE_LOOKUP_LIMIT": "30 per minute; 300 per hour",
    # - bookings and requests (报事报修) sent, page and API together, one bucket since a spammer
    #   would alternate: the county's report counts 32,227 handled in all, under 100 a day even
    #   if in one year, so 500 a day from one address is a campaign day in a big village, not
    #   a script filling staff queues with fakes;
    "BOOKING_CREATE_LIMIT": "20 per minute; 200 per hour; 500 per day",
    # - staff sign-in attempts: a town hall's staff signing in at 8:30 fit in 30 a minute; a
    #   password sprayer trying one password on every account gets 300 an hour (and each
    #   account's failures delay further guesses at it, counted in the database even when
    #   Redis is down: LOGIN_FREE_FAILURES above).
    "LOGIN_LIMIT": "30 per minute; 300 per hour",
    # Rate-limit keys in a shared Redis: "" means "doorplate:<COUNTY_CODE>", one per instance.
    "RATELIMIT_KEY_PREFIX": "",
    # With the rate-limit storage down, requests go unlimited and it is tried again this often.
    "RATELIMIT_RETRY_SECONDS": 5.0,
    # Flask / extensions
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "doorplate_session",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "WTF_CSRF_TIME_LIMIT": None,  # the idle timeout already bounds a form's life
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    # The largest request: one attachment of ATTACHMENT_MAX_BYTES plus the form around it
    "MAX_CONTENT_LENGTH": 11 * 1024 * 1024,
}

MIN_SECRET_KEY_LENGTH = 32
MISSING_KEY_MESSAGE = (
    "DOORPLATE_SECRET_KEY is not set. Generate one with "
    '`python -c "import secrets; print(secrets.token_hex(32))"` and set it in the '
    "environment (or run the demo with `doorplate serve --demo`)."
)


class ConfigError(RuntimeError):
    """The configuration cannot be used safely; the message says what to set."""


def database_url_from_env(environ: Mapping[str, str]) -> str | None:
    """Return ``DATABASE_URL`` rewritten for psycopg 3, the driver we ship.

    Hosting platforms hand out ``postgres://`` or ``postgresql://`` URLs, which SQLAlchemy would map
    to psycopg2; we install psycopg 3 only.
    """
    url = environ.get("DATABASE_URL")
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from defaults, environment and ``overrides``, in that order."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("DOORPLATE")
    url = database_url_from_env(os.environ)
    if url:
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if overrides:
        app.config.from_mapping(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "doorplate.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    _apply_mode(app)


def is_production(app: Flask) -> bool:
    """Production is anything that is not debug, testing or the demo."""
    return not (app.debug or app.testing or app.config["DEMO"])


def _apply_mode(app: Flask) -> None:
    if is_production(app):
        app.config["SESSION_COOKIE_SECURE"] = True
        # A database error's message would otherwise quote the bound values (phones, names,
        # plate codes) into the log.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "hide_parameters": True,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    key = app.config.get("SECRET_KEY")
    if key:
        if is_production(app) and len(str(key)) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"DOORPLATE_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters of "
                "random data."
            )
        return
    if is_production(app) and not app.config.get("CLI_ONLY"):
        raise ConfigError(MISSING_KEY_MESSAGE)
    # Debug, tests, the demo and CLI-only commands (which never sign a cookie) get a random
    # per-process key: nothing signed with it outlives the process.
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config["SECRET_KEY_EPHEMERAL"] = True


def require_persistent_secret_key(app: Flask) -> None:
    """Refuse to serve production traffic with a per-process key (see ``serve``)."""
    if is_production(app) and app.config.get("SECRET_KEY_EPHEMERAL"):
        raise ConfigError(MISSING_KEY_MESSAGE)


def enter_demo_mode(app: Flask) -> None:
    """Switch an app built for the CLI into the demo: plain-HTTP cookies on loopback."""
    app.config["DEMO"] = True
    app.config["SESSION_COOKIE_SECURE"] = False
