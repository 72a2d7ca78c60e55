"""Language selection: an explicit choice, then the ``lang`` cookie, then Accept-Language.

Chinese (``zh_Hans_CN``, the folder name flask-babel looks for) is the default; English is second.
"""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, has_request_context, redirect, request
from flask_babel import Babel
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Response

LANG_COOKIE = "lang"
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}  # the short code people see -> catalogue name
ONE_YEAR = 365 * 24 * 3600

babel = Babel()
bp = Blueprint("i18n", __name__)


def chosen_lang() -> str:
    """The short language code ("zh" or "en") for the current request."""
    return lang_for(
        request.args.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("Accept-Language", ""),
    )


def lang_for(explicit: str | None, cookie: str | None, accept_language: str) -> str:
    """The short language code for an explicit choice, the cookie and the browser's header, in
    that order of precedence, else the default."""
    for choice in (explicit, cookie):
        if choice is not None and choice in LOCALES:
            return choice
    best = _best_match(accept_language)
    if best:
        return best
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return next(code for code, locale in LOCALES.items() if locale == default)


@functools.lru_cache(maxsize=512)
def _best_match(accept_language: str) -> str | None:
    """The short code a browser's Accept-Language prefers, if any of ours.

    Phones send a handful of distinct headers (``zh-CN,zh;q=0.9``, ...), and parsing one costs
    more than a plate scan's database query: each is parsed once per process.
    """
    best = parse_accept_header(accept_language, LanguageAccept).best_match(["zh", "zh-CN", "en"])
    return best.split("-")[0] if best else None


def county_zone() -> ZoneInfo:
    """The county's time zone (Asia/Shanghai), in which people read and type times and count
    days; the database keeps UTC."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def select_locale() -> str | None:
    """The request's locale; outside a request (CLI commands) None, i.e. the default locale."""
    if not has_request_context():
        return None
    return LOCALES[chosen_lang()]


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only same-site relative paths may be redirected to, never ``//host`` or ``http://``.

    Whitespace and control characters are refused outright: browsers (and werkzeug's Location
    header) drop tabs and newlines, so ``/<TAB>/evil.example`` would arrive as ``//evil.example``.
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ch.isspace() or not ch.isprintable() for ch in target)
    ):
        return fallback
    return target


@bp.get("/lang/<code>")
def switch(code: str) -> Response:
    """Remember a language choice for a year and go back to where the user was."""
    response = redirect(safe_next(request.args.get("next")))
    if code in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=ONE_YEAR,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def _lang() -> dict[str, str]:
        return {"current_lang": chosen_lang()}
