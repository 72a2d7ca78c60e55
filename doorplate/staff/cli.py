"""Staff account commands: create an account, end its sign-in waits or its sessions, deactivate
it or make it active again."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext

from doorplate.db import db
from doorplate.staff import service, signin
from doorplate.staff.audit import cli_actor
from doorplate.staff.models import Role, StaffUser


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


def _change_account(username: str, change: Callable[[StaffUser], None], done: str) -> None:
    """Apply ``change`` to account USERNAME in one transaction and say ``done``."""
    try:
        change(service.find_staff(username))
    except service.StaffError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(done.format(username=username))


@click.command("unlock-staff")
@click.argument("username")
@with_appcontext
def unlock_staff(username: str) -> None:
    """End the sign-in waits that failed attempts put on account USERNAME."""
    _change_account(
        username, lambda user: signin.clear_delays(cli_actor(), user), "Unlocked {username}."
    )


@click.command("sign-out-staff")
@click.argument("username")
@with_appcontext
def sign_out_staff(username: str) -> None:
    """End every session of account USERNAME at once, on every device."""
    _change_account(
        username,
        lambda user: service.sign_out_everywhere(cli_actor(), user),
        "Signed {username} out everywhere.",
    )


@click.command("deactivate-staff")
@click.argument("username")
@with_appcontext
def deactivate_staff(username: str) -> None:
    """Deactivate account USERNAME: it can no longer sign in, and its sessions end at once."""
    _change_account(
        username,
        lambda user: service.set_active(cli_actor(), user, active=False),
        "Deactivated {username}.",
    )


@click.command("reactivate-staff")
@click.argument("username")
@with_appcontext
def reactivate_staff(username: str) -> None:
    """Let the deactivated account USERNAME sign in again."""
    _change_account(
        username,
        lambda user: service.set_active(cli_actor(), user, active=True),
        "Reactivated {username}.",
    )


COMMANDS = (create_staff, unlock_staff, sign_out_staff, deactivate_staff, reactivate_staff)
