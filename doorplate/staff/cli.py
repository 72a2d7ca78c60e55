"""Staff account commands: ``create-staff`` and ``unlock-staff``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from doorplate.db import db
from doorplate.staff import service
from doorplate.staff.audit import cli_actor
from doorplate.staff.models import Role


@click.command("create-staff")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
    help="admin/county: whole county; reviewer: a town or a village; editor: one village.",
)
@click.option("--town", "town_code", help="Town code (reviewers of a whole town).")
@click.option("--village", "village_code", help="Village code (editors, village reviewers).")
@click.option("--name", "display_name", default="", help="Name shown in the console and audit.")
@click.password_option(
    envvar="DOORPLATE_NEW_STAFF_PASSWORD",
    help="Prompted for (hidden, twice) unless given here or in DOORPLATE_NEW_STAFF_PASSWORD.",
)
@with_appcontext
def create_staff(
    username: str,
    role: str,
    town_code: str | None,
    village_code: str | None,
    display_name: str,
    password: str,
) -> None:
    """Create a staff account USERNAME with a role and its scope."""
    try:
        user = service.create_staff(
            cli_actor(),
            username=username,
            display_name=display_name,
            password=password,
            role=Role(role),
            town_code=town_code,
            village_code=village_code,
        )
    except service.StaffError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} account {user.username}.")


@click.command("unlock-staff")
@click.argument("username")
@with_appcontext
def unlock_staff(username: str) -> None:
    """Clear the failed-login lockout of account USERNAME."""
    try:
        service.unlock(cli_actor(), username)
    except service.StaffError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Unlocked {username}.")


COMMANDS = (create_staff, unlock_staff)
