"""``doorplate backup -o FILE`` and ``doorplate restore FILE``: the edge of the backup feature.

They print what a file holds and what a restore would replace, and ask before replacing
anything; the work and every check is in :mod:`doorplate.backup.service` and the modules it uses.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from doorplate.backup import formats, service
from doorplate.backup.formats import Age, BackupError, Contents
from doorplate.db import db


@click.command("backup")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The backup file to write, e.g. backups/doorplate-2026-11-27.sqlite3 (or .dump).",
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@with_appcontext
def backup_command(output: Path, force: bool) -> None:
    """Back up the whole database to a file while the service keeps running.

    \b
    SQLite: a copy made with SQLite's online backup API, then checked with
    PRAGMA integrity_check. PostgreSQL: `pg_dump -Fc` (the client tools must be
    at least the server's version). The file holds every record committed
    before the backup began. It is written under a temporary name and renamed
    when complete, so OUTPUT is never half-written. README.md ("Backups")
    describes a nightly cron job and how long to keep backups.
    """
    try:
        written = service.backup(db.engine.url, output, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        _(
            "Wrote %(path)s (%(size)s): %(contents)s.",
            path=written.path,
            size=_size(written.size),
            contents=_describe(written.contents),
        )
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the data without asking.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the configured database with the backup FILE (asks first).

    \b
    The backup must be of the same kind as the database (SQLite or PostgreSQL)
    and its schema no newer than this doorplate. SQLite: stop the service
    first; the backup is copied and checked beside the database, then renamed
    over it. PostgreSQL: `pg_restore --clean --single-transaction`, all or
    nothing. Afterwards the database is checked against the backup.
    """
    url = db.engine.url
    db.engine.dispose()  # our own pooled connections must not hold the database
    try:
        backup_format = formats.detect_format(file)
        formats.check_matches(backup_format, url)
        incoming = service.backup_contents(file, backup_format)
        age = formats.check_restorable(incoming)
        current = service.database_contents(url)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    target = url.render_as_string(hide_password=True)
    holds = _("The backup %(path)s holds %(contents)s.", path=file, contents=_describe(incoming))
    click.echo(holds)
    replaces = _(
        "It replaces %(target)s, which holds %(contents)s.",
        target=target,
        contents=_describe(current),
    )
    click.echo(replaces)
    click.echo(_("Stop the doorplate service (its workers and cron jobs) before restoring."))
    if not yes and not click.confirm(_("Replace the data?"), default=False):
        click.echo(_("Nothing was changed."))
        raise click.exceptions.Exit(1)
    try:
        service.restore(url, file, backup_format)
        service.check_restored(url, incoming)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Restored %(target)s; the checks passed.", target=target))
    if age is Age.OLDER:
        click.echo(
            _(
                "The backup's schema (revision %(revision)s) is older than this doorplate's "
                "(%(head)s): run `doorplate db upgrade` before starting the service.",
                revision=incoming.revision,
                head=formats.code_head(),
            )
        )


def _describe(contents: Contents) -> str:
    return _(
        "schema revision %(revision)s, %(households)s households, %(visits)s visits, "
        "%(bookings)s bookings",
        revision=contents.revision or _("none"),
        households=f"{contents.counts['household']:,}",
        visits=f"{contents.counts['visit']:,}",
        bookings=f"{contents.counts['booking']:,}",
    )


def _size(size: float) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


COMMANDS = (backup_command, restore_command)
