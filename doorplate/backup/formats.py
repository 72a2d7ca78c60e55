"""What a backup is: its format, what it holds, and how old its schema is.

The format is read from a file's first bytes, never its name, and a backup is only restored on a
database of the same kind. A backup's schema revision is compared with this code's migrations
because a schema made by a later doorplate cannot run here, while an older one can be upgraded.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask_babel import gettext as _
from sqlalchemy import URL

from doorplate.db import MIGRATIONS_DIR

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# The tables whose sizes tell a person which backup this is; the revision tells the schema's age.
COUNTED_TABLES = ("household", "visit", "booking")
REVISION_TABLE = "alembic_version"


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says why and what to do."""


class Format(enum.StrEnum):
    SQLITE = "SQLite"
    POSTGRESQL = "PostgreSQL"


class Age(enum.StrEnum):
    """A backup's schema compared with this code's latest migration."""

    CURRENT = "current"
    OLDER = "older"  # restorable; `doorplate db upgrade` brings it up to date
    NEWER = "newer"  # made by a later doorplate: this code cannot run on it


@dataclass(frozen=True)
class Contents:
    revision: str | None
    counts: dict[str, int]


def configured_format(url: URL) -> Format:
    return Format.POSTGRESQL if url.get_backend_name() == "postgresql" else Format.SQLITE


def detect_format(path: Path) -> Format:
    """Tell a backup's format from its first bytes, not its name."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(_("Cannot read %(path)s: %(error)s", path=path, error=error)) from error
    if head.startswith(SQLITE_MAGIC):
        return Format.SQLITE
    if head.startswith(PG_DUMP_MAGIC):
        return Format.POSTGRESQL
    raise BackupError(
        _(
            "%(path)s is not a doorplate backup (neither a SQLite database nor a pg_dump "
            "custom-format archive).",
            path=path,
        )
    )


def check_matches(backup_format: Format, url: URL) -> None:
    database_format = configured_format(url)
    if backup_format is not database_format:
        raise BackupError(
            _(
                "This is a %(backup)s backup but the configured database is %(database)s; "
                "restore it on an instance whose database is %(backup)s.",
                backup=backup_format.value,
                database=database_format.value,
            )
        )


def code_head() -> str:
    return _scripts().get_current_head() or ""


def schema_age(revision: str | None) -> Age:
    """Compare ``revision`` with the code's head; an unknown revision came from newer code."""
    if revision is None:
        raise BackupError(_("The backup has no schema revision: it is not a doorplate database."))
    if revision == code_head():
        return Age.CURRENT
    try:
        known = _scripts().get_revision(revision) is not None
    except CommandError:
        known = False
    return Age.OLDER if known else Age.NEWER


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def check_restorable(contents: Contents) -> Age:
    age = schema_age(contents.revision)
    if age is Age.NEWER:
        raise BackupError(
            _(
                "The backup's schema (revision %(revision)s) is newer than this doorplate "
                "(revision %(head)s): upgrade doorplate first, then restore.",
                revision=contents.revision,
                head=code_head(),
            )
        )
    return age


def read_contents(rows: Callable[[str], Sequence[Any]], tables: set[str]) -> Contents:
    """Read the revision and counts through ``rows`` (run one SQL query), whatever the driver."""
    revision = None
    if REVISION_TABLE in tables:
        found = rows(f"SELECT version_num FROM {REVISION_TABLE}")  # noqa: S608 (a constant)
        revision = found[0][0] if found else None
    counts = {
        table: rows(f"SELECT count(*) FROM {table}")[0][0] if table in tables else 0  # noqa: S608
        for table in COUNTED_TABLES
    }
    return Contents(revision, counts)


def damaged(path: Path, error: object) -> BackupError:
    return BackupError(_("%(path)s is damaged: %(error)s", path=path, error=error))
