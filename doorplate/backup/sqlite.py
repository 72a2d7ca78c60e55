"""SQLite backups through SQLite's online backup API, and restores by swapping the file.

Copying a live SQLite file misses every commit still in its WAL (and can tear a page), while the
backup API copies a consistent snapshot without stopping writers. A restore copies the backup
into a new file beside the database, checks it, and renames it over the database.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import URL

from doorplate.backup.files import atomic_file
from doorplate.backup.formats import COUNTED_TABLES, BackupError, Contents, damaged, read_contents
from doorplate.db import SQLITE_BUSY_TIMEOUT_MS


def database_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return Path(url.database)


def database_contents(path: Path) -> Contents:
    """What the database at ``path`` holds now (all zeros when it does not exist yet)."""
    if not path.exists():
        return Contents(None, dict.fromkeys(COUNTED_TABLES, 0))
    try:
        with contextlib.closing(_open(path, read_only=False)) as connection:
            return _contents(connection)
    except sqlite3.DatabaseError as error:
        raise damaged(path, error) from error


def backup_contents(path: Path) -> Contents:
    """What the backup at ``path`` holds, opened read-only."""
    try:
        with contextlib.closing(_open(path, read_only=True)) as connection:
            return _contents(connection)
    except sqlite3.DatabaseError as error:
        raise damaged(path, error) from error


def backup(source: Path, part: Path) -> Contents:
    """Copy the database at ``source`` into the new file ``part``, check it, and count it."""
    if not source.exists():
        raise BackupError(_("There is no database at %(path)s.", path=source))
    try:
        with (
            contextlib.closing(_open(source, read_only=False)) as live,
            contextlib.closing(sqlite3.connect(part)) as copy,
        ):
            live.backup(copy)  # one step: a single read snapshot, writers carry on meanwhile
            copy.execute("PRAGMA journal_mode=DELETE")  # the backup is one self-contained file
            _check(copy, part)
            return _contents(copy)
    except sqlite3.DatabaseError as error:
        raise BackupError(
            _("Cannot back up %(path)s: %(error)s", path=source, error=error)
        ) from error


def restore(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(target, replace=True) as part:
        try:
            with (
                contextlib.closing(_open(path, read_only=True)) as source,
                contextlib.closing(sqlite3.connect(part)) as copy,
            ):
                source.backup(copy)
                _check(copy, path)
        except sqlite3.DatabaseError as error:
            raise damaged(path, error) from error
        _ensure_unused(target)
        if target.exists():
            shutil.copymode(target, part)  # keep the service's access to its database


def check(path: Path) -> None:
    """SQLite's own integrity and foreign key checks on the database at ``path``."""
    with contextlib.closing(_open(path, read_only=False)) as connection:
        _check(connection, path)


def _ensure_unused(target: Path) -> None:
    """Refuse to swap the file under a running service: its open handles would keep the old one.

    The last connection to close a WAL database checkpoints and deletes its ``-wal`` and ``-shm``
    files; if they survive our own open-and-close, another process has the database open.
    """
    if not target.exists():
        return
    with contextlib.closing(_open(target, read_only=False)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sidecars = [Path(f"{target}{suffix}") for suffix in ("-wal", "-shm")]
    if any(sidecar.exists() for sidecar in sidecars):
        raise BackupError(
            _(
                "%(path)s is open in another process: stop the doorplate service (all its "
                "workers and cron jobs) and run the restore again.",
                path=target,
            )
        )


def _open(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """Open an existing file only: a plain connect would create an empty database."""
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "?mode=rw")
    return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)


def _contents(connection: sqlite3.Connection) -> Contents:
    tables = {
        name for (name,) in connection.execute("SELECT name FROM sqlite_schema WHERE type='table'")
    }
    return read_contents(lambda sql: connection.execute(sql).fetchall(), tables)


def _check(connection: sqlite3.Connection, path: Path) -> None:
    integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    foreign_keys = connection.execute("PRAGMA foreign_key_check").fetchall()
    if integrity != ["ok"] or foreign_keys:
        problems = [line for line in integrity if line != "ok"]
        problems += [f"foreign key: {row}" for row in foreign_keys]
        raise BackupError(
            _(
                "%(path)s fails the integrity check: %(problems)s",
                path=path,
                problems="; ".join(problems[:5]),
            )
        )
