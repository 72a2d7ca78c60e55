"""Service-level commands: create or upgrade the schema, and serve (optionally the demo county).

Feature commands (household import, staff accounts, ...) live with their features and are
registered in :func:`init_app` too, so ``doorplate ...`` and ``flask --app doorplate ...`` agree.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import ScriptInfo, with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from doorplate import config, demo
from doorplate.backup import cli as backup_cli
from doorplate.bookings import cli as bookings_cli
from doorplate.places import cli as places_cli
from doorplate.plates import cli as plates_cli
from doorplate.search import cli as search_cli
from doorplate.staff import cli as staff_cli
from doorplate.stats import cli as stats_cli
from doorplate.stats import rollup as stats_rollup
from doorplate.visits import cli as visits_cli


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema, or upgrade it to the latest version (safe to run again)."""
    upgrade()
    click.echo("The database schema is up to date.")


@click.command("serve")
@click.option(
    "--demo", "with_demo", is_flag=True, help="Seed a demo county into an empty database."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.pass_obj
def serve(info: ScriptInfo, with_demo: bool, host: str, port: int) -> None:
    """Upgrade the schema and serve the app; with --demo, seed and print URLs and logins to try.

    Without --demo this is a small single-process server that needs DOORPLATE_SECRET_KEY; for
    production run gunicorn on wsgi:app as README.md describes.
    """
    app: Flask = info.load_app()
    if with_demo:
        config.enter_demo_mode(app)
        app.config["BASE_URL"] = f"http://{host}:{port}"
    else:
        config.require_persistent_secret_key(app)
    with app.app_context():
        upgrade()
        if with_demo:
            if demo.seed_if_empty():
                click.echo("Seeded the demo county into the empty database.")
            click.echo(demo.guide(app.config["BASE_URL"]))
    run_simple(host, port, app, threaded=True)


def init_app(app: Flask) -> None:
    for command in (
        init_db,
        serve,
        *backup_cli.COMMANDS,
        *bookings_cli.COMMANDS,
        *places_cli.COMMANDS,
        *plates_cli.COMMANDS,
        *search_cli.COMMANDS,
        *staff_cli.COMMANDS,
        *stats_cli.COMMANDS,
        *stats_rollup.COMMANDS,
        *visits_cli.COMMANDS,
    ):
        app.cli.add_command(command)
