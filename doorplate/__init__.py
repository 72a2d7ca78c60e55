"""doorplate: QR digital doorplates (智慧门牌) for a county.

``create_app`` builds the Flask application; extensions and blueprints are registered explicitly
here so the whole shape of the app can be read in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.cli import FlaskGroup
from werkzeug.middleware.proxy_fix import ProxyFix

from doorplate import (  # noqa: F401 (models: metadata)
    bounds,
    cli,
    config,
    console,
    db,
    i18n,
    models,
    ratelimit,
    security,
)
from doorplate.api import views as api_views
from doorplate.bookings import resident_views as booking_views
from doorplate.ops import errors as error_pages
from doorplate.ops import health
from doorplate.ops import logging as ops_logging
from doorplate.ops.last_resort import LastResort
from doorplate.ops.request_id import RequestIds
from doorplate.publications import attachment_views
from doorplate.resident import preferences
from doorplate.resident import views as resident_views
from doorplate.resident.fast_scan import FastScan

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``overrides`` win over defaults and the environment (tests use them)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=os.environ.get("DOORPLATE_INSTANCE_PATH") or None,
    )
    config.load_config(app, overrides)
    bounds.init_app(app)
    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    preferences.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(resident_views.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(attachment_views.public)
    app.register_blueprint(api_views.bp)
    app.register_blueprint(booking_views.bp)
    cli.init_app(app)
    app.register_blueprint(health.bp)
    ops_logging.init_app(app)
    error_pages.init_app(app)
    app.wsgi_app = FastScan(app, app.wsgi_app)  # type: ignore[method-assign]
    # Around everything that can fail; inside the request ids, so that its page carries one too.
    app.wsgi_app = LastResort(app, app.wsgi_app)  # type: ignore[method-assign]
    # Outside the fast path, so that its answers carry the id and see what nginx forwarded.
    app.wsgi_app = RequestIds(app.wsgi_app)  # type: ignore[method-assign]
    if proxies := app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app


def main() -> None:
    """The ``doorplate`` console script: the app's commands without ``flask --app doorplate``.

    The app it builds is marked CLI-only, so commands that never serve a request run without a
    session key; ``serve`` checks for a real one itself.
    """
    group = FlaskGroup(
        name="doorplate",
        help="Run and administer a doorplate (智慧门牌) service.",
        create_app=lambda: create_app({"CLI_ONLY": True}),
        add_version_option=False,
    )
    group.main(prog_name="doorplate")
