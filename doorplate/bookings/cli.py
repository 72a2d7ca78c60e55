"""``doorplate bookings ...``: slot generation, reminders and retention, for cron."""

from __future__ import annotations

from flask.cli import AppGroup

bookings = AppGroup(
    "bookings",
    help="Slots, reminders and retention for service bookings.\n\n"
    "Run `doorplate bookings COMMAND --help` for each command.",
)

COMMANDS = (bookings,)
