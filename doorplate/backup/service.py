"""The backup use cases, whichever database is configured: back up, restore, check, count.

Each picks the SQLite or PostgreSQL way (:mod:`.sqlite`, :mod:`.postgres`); what a backup is and
how old its schema is lives in :mod:`.formats`. A backup file is written through
:func:`.files.atomic_file`, so a failed or interrupted run never leaves a half-written backup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import URL

from doorplate.backup import postgres, sqlite
from doorplate.backup.files import atomic_file
from doorplate.backup.formats import BackupError, Contents, Format, check_matches, configured_format


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    contents: Contents


def backup(url: URL, output: Path, *, force: bool = False) -> Written:
    """Write a backup of the database at ``url`` to ``output``, atomically, and check it."""
    with atomic_file(output, replace=force) as part:
        if configured_format(url) is Format.SQLITE:
            contents = sqlite.backup(sqlite.database_path(url), part)
        else:
            contents = postgres.backup(url, part)
        size = part.stat().st_size
    return Written(output, size, contents)


def restore(url: URL, path: Path, backup_format: Format) -> Contents:
    """Replace the configured database with the backup at ``path``; return what it now holds.

    SQLite: copied into a new file that is checked and then renamed over the database. PostgreSQL:
    ``pg_restore`` in one transaction, so a failure leaves the database as it was.
    """
    check_matches(backup_format, url)
    if backup_format is Format.SQLITE:
        sqlite.restore(path, sqlite.database_path(url))
    else:
        postgres.restore(path, url)
    return database_contents(url)


def check_restored(url: URL, expected: Contents) -> None:
    """After a restore: SQLite's own checks, and the counts must be the backup's."""
    if configured_format(url) is Format.SQLITE:
        sqlite.check(sqlite.database_path(url))
    restored = database_contents(url)
    if restored != expected:
        raise BackupError(
            _(
                "The restored database does not match the backup (%(restored)s instead of "
                "%(expected)s).",
                restored=restored,
                expected=expected,
            )
        )


def database_contents(url: URL) -> Contents:
    """What the configured database holds now (all zeros when it does not exist yet)."""
    if configured_format(url) is Format.SQLITE:
        return sqlite.database_contents(sqlite.database_path(url))
    return postgres.database_contents(url)


def backup_contents(path: Path, backup_format: Format) -> Contents:
    """What a backup file holds, read from the file itself without restoring it."""
    if backup_format is Format.SQLITE:
        return sqlite.backup_contents(path)
    return postgres.backup_contents(path)
