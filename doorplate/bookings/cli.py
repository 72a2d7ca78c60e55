"""``doorplate bookings ...``: slot generation, reminders and retention, for cron.

Each command is one transaction: it calls the use case, commits, and prints a one-line summary
(reminders go out only after that commit, see :mod:`doorplate.bookings.notify`).
"""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from doorplate.bookings import catalogue, service
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone

bookings = AppGroup(
    "bookings",
    help="Slots, reminders and retention for service bookings.\n\n"
    "Run `doorplate bookings COMMAND --help` for each command.",
)
DAYS = click.IntRange(min=1, max=3660)


@bookings.command("generate-slots")
@click.option("--days", type=DAYS, help="How many days ahead (default BOOKING_HORIZON_DAYS).")
def generate_slots_command(days: int | None) -> None:
    """Create the slots of every active slot service from today for the coming days.

    Safe to run again (daily from cron): existing slots are kept. Days in a year the national
    calendar does not cover get no slots unless staff opened them explicitly; a warning says so.
    """
    zone = county_zone()
    today = datetime.now(zone).date()
    generated = catalogue.generate_all(today, days or current_app.config["BOOKING_HORIZON_DAYS"])
    db.session.commit()
    click.echo(ngettext("Created %(num)d slot.", "Created %(num)d slots.", generated.created))
    if generated.missing_years:
        years = ", ".join(str(year) for year in generated.missing_years)
        click.echo(
            _(
                "Warning: no working-day calendar for %(years)s; no slots were made on those "
                "days unless staff opened them. Update the chinese-calendar package.",
                years=years,
            ),
            err=True,
        )
    if generated.kept:
        click.echo(
            ngettext(
                "Warning: %(num)d booked slot is on a day now closed; staff must handle it.",
                "Warning: %(num)d booked slots are on days now closed; staff must handle them.",
                len(generated.kept),
            ),
            err=True,
        )


@bookings.command("remind")
def remind_command() -> None:
    """Remind residents of their bookings tomorrow (county time), once each; run daily."""
    sent = service.send_reminders(utcnow())
    db.session.commit()
    click.echo(ngettext("Sent %(num)d reminder.", "Sent %(num)d reminders.", sent))


@bookings.command("purge")
@click.option("--days", type=DAYS, help="Retention in days (default BOOKING_RETENTION_DAYS).")
def purge_command(days: int | None) -> None:
    """Forget contact names, phones and photos of bookings closed longer ago than the retention;
    the counts stay. Run daily."""
    retention = days or current_app.config["BOOKING_RETENTION_DAYS"]
    purged = service.purge_contacts(utcnow(), retention)
    db.session.commit()
    click.echo(
        ngettext(
            "Purged the contact details of %(num)d booking.",
            "Purged the contact details of %(num)d bookings.",
            purged,
        )
    )


COMMANDS = (bookings,)
