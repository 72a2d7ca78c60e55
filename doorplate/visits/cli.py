"""``doorplate visits purge``: delete visit scratch data and expired salts, for cron.

Each worker's visit writer already purges once a day on its first batch after 00:30 (county
time), never inside a request; the command is the schedule's own run (and the only one where
visits are recorded in the request), and deletes yesterday's salt as soon as it may go.
"""

from __future__ import annotations

from flask.cli import AppGroup

from doorplate.db import db
from doorplate.visits import service

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


COMMANDS = (visits,)
