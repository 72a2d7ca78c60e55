"""PostgreSQL backups through ``pg_dump -Fc`` and restores through ``pg_restore``.

``pg_dump`` reads one snapshot; it is exported here first so the counts we print are those of the
dump itself. ``pg_restore`` runs in one transaction, so a failed restore leaves the database as
it was. The client tools must be at least the server's version, which is checked up front.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import URL, Connection, create_engine, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from doorplate.backup.formats import (
    COUNTED_TABLES,
    REVISION_TABLE,
    BackupError,
    Contents,
    damaged,
    read_contents,
)

CONNECT_TIMEOUT_SECONDS = 10


def database_contents(url: URL) -> Contents:
    """What the database at ``url`` holds now."""
    with _connection(url) as connection:
        return _contents(connection)


def backup_contents(path: Path) -> Contents:
    """Count the rows of the dump's COPY blocks, streaming pg_restore's SQL output."""
    tables = [*COUNTED_TABLES, REVISION_TABLE]
    argv = [_tool("pg_restore"), "--data-only", "-f", "-", *(f"--table={t}" for t in tables)]
    counts: dict[str, int] = dict.fromkeys(COUNTED_TABLES, 0)
    revision = None
    table = None
    with subprocess.Popen(  # noqa: S603 (a tool found on PATH, no shell)
        [*argv, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if table is None:
                match = re.match(r"COPY (?:\w+\.)?(\w+) .* FROM stdin;$", line)
                table = match.group(1) if match else None
            elif line == "\\.\n":
                table = None
            elif table == REVISION_TABLE:
                revision = line.rstrip("\n")
            else:
                counts[table] += 1
        error = process.stderr.read() if process.stderr else ""
    if process.returncode:
        raise damaged(path, error.strip())
    return Contents(revision, counts)


def backup(url: URL, part: Path) -> Contents:
    """Dump the database at ``url`` into the new file ``part`` and check the archive reads back."""
    pg_dump = _tool("pg_dump")
    with _connection(url, snapshot=True) as connection:
        _check_tool_version(pg_dump, connection)
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        contents = _contents(connection)
        _run([pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(part), *_args(url)], url)
    _run([_tool("pg_restore"), "--list", str(part)], url)  # the archive reads back whole
    return contents


def restore(path: Path, url: URL) -> None:
    pg_restore = _tool("pg_restore")
    with _connection(url) as connection:
        _check_tool_version(pg_restore, connection)
    argv = [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run([*argv, *_args(url, database_flag="-d"), str(path)], url)


def _contents(connection: Connection) -> Contents:
    tables = set(inspect(connection).get_table_names())
    return read_contents(lambda sql: connection.exec_driver_sql(sql).fetchall(), tables)


@contextlib.contextmanager
def _connection(url: URL, *, snapshot: bool = False) -> Iterator[Connection]:
    """A connection of our own (not the app's pool) that fails fast when the server is away."""
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    )
    try:
        with engine.connect() as connection:
            if snapshot:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise BackupError(
            _(
                "Cannot connect to the PostgreSQL database %(database)s: %(reason)s",
                database=url.render_as_string(hide_password=True),
                reason=reason,
            )
        ) from error
    finally:
        engine.dispose()


def _args(url: URL, database_flag: str = "--dbname") -> list[str]:
    """Connection flags for pg_dump/pg_restore; the password goes in the environment only."""
    args = ["--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return [*args, database_flag, url.database or ""]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            _(
                "%(tool)s is not installed: install the PostgreSQL client tools of the server's "
                "version (e.g. apt install postgresql-client-15).",
                tool=name,
            )
        )
    return found


def _check_tool_version(tool: str, connection: Connection) -> None:
    """pg_dump refuses newer servers, and an old pg_restore cannot read a newer dump."""
    server = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    version = [tool, "--version"]
    output = subprocess.run(version, capture_output=True, text=True, check=False)  # noqa: S603
    match = re.search(r"\(PostgreSQL\) (\d+)", output.stdout)
    major = int(match.group(1)) if match else 0
    if major < server:
        raise BackupError(
            _(
                "%(tool)s is version %(major)s but the server runs PostgreSQL %(server)s: install "
                "postgresql-client-%(server)s (or newer) and put it first on PATH.",
                tool=Path(tool).name,
                major=major or "?",
                server=server,
            )
        )


def _run(argv: list[str], url: URL) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS)}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        raise BackupError(
            _(
                "%(tool)s failed: %(error)s",
                tool=Path(argv[0]).name,
                error=result.stderr.strip() or result.returncode,
            )
        )
