"""``doorplate visits purge``: delete visit scratch data and expired salts, for cron.

Each app process already purges once a day on its first visit after 00:30 (county time); the
command is the backstop for quiet nights, and deletes yesterday's salt as soon as it may go.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from doorplate.db import db
from doorplate.visits import service, writer

visits = AppGroup(
    "visits",
    help="Housekeeping for the visit counts of plate pages.\n\n"
    "Run `doorplate visits COMMAND --help` for each command.",
)


@visits.command("purge")
def purge_command() -> None:
    """Delete expired visit windows and every visitor-key salt no longer needed.

    Only today's salt is left (and yesterday's during the first hour of a day), so no earlier
    visit can be linked to an address any more. Safe to run at any time and as often as you like
    (e.g. hourly from cron); it never changes a count and prints nothing on success.
    """
    service.purge()
    db.session.commit()


@visits.command("writer")
@click.argument("socket_path", metavar="SOCKET")
def writer_command(socket_path: str) -> None:
    """Record the visits that workers send to the Unix socket SOCKET, until stopped.

    gunicorn.conf.py starts one for the workers it serves; see doorplate/visits/writer.py.
    """
    writer.serve(current_app._get_current_object(), socket_path)  # type: ignore[attr-defined]


COMMANDS = (visits,)
