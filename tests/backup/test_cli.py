"""``doorplate backup`` and ``restore`` refusing what they must: overwriting a backup, replacing
data unasked, the wrong kind of file, a database in use, a damaged or too-new backup, an
unreachable server or an old pg_dump; and never leaving a half-written file behind."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, make_url, select, text

from backup.conftest import app_on, invoke, is_postgres, leftovers
from doorplate.backup import formats
from doorplate.db import db
from doorplate.places.models import Household, Village


def _households() -> int:
    count = db.session.scalar(select(func.count()).select_from(Household)) or 0
    db.session.commit()  # hand the connection back: a restore needs the database to itself
    return count


@pytest.fixture
def backed_up(
    app: Flask,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    tmp_path: Path,
) -> Path:
    """A backup holding one household; the live database then gets a second one."""
    village = make_village()
    make_household(village)
    path = tmp_path / "one.bak"
    result = invoke(app, "backup", "-o", str(path))
    assert result.exit_code == 0, result.output
    make_household(village)
    assert _households() == 2
    return path


def test_backup_never_overwrites_a_file_unless_forced(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "nightly.bak"
    path.write_text("last night's backup")
    result = invoke(app, "backup", "-o", str(path))
    assert result.exit_code == 1
    assert "already exists; use --force" in result.output
    assert path.read_text() == "last night's backup"
    assert leftovers(tmp_path) == []

    result = invoke(app, "backup", "-o", str(path), "--force")
    assert result.exit_code == 0, result.output
    expected = formats.configured_format(db.engine.url)
    assert formats.detect_format(path) is expected


def test_restore_asks_and_no_leaves_the_data(app: Flask, backed_up: Path) -> None:
    result = invoke(app, "restore", str(backed_up), input="n\n")
    assert result.exit_code == 1
    assert "holds schema revision" in result.output
    assert "1 households" in result.output and "2 households" in result.output  # file / now
    assert "Replace the data? [y/N]" in result.output
    assert "Nothing was changed." in result.output
    assert _households() == 2

    result = invoke(app, "restore", str(backed_up), input="y\n")
    assert result.exit_code == 0, result.output
    assert "the checks passed" in result.output
    assert _households() == 1


def test_restore_refuses_a_file_of_the_other_kind_or_no_backup(
    app: Flask, backed_up: Path, tmp_path: Path
) -> None:
    postgres = is_postgres(str(db.engine.url))
    other = tmp_path / "other.bak"
    other.write_bytes(
        b"SQLite format 3\x00" + bytes(100) if postgres else b"PGDMP\x01\x0e" + bytes(100)
    )
    result = invoke(app, "restore", str(other), "--yes")
    assert result.exit_code == 1
    kinds = ("SQLite", "PostgreSQL") if postgres else ("PostgreSQL", "SQLite")
    assert f"This is a {kinds[0]} backup but the configured database is {kinds[1]}" in result.output

    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    result = invoke(app, "restore", str(junk), "--yes")
    assert result.exit_code == 1
    assert "is not a doorplate backup" in result.output
    assert _households() == 2


@pytest.mark.parametrize(("revision", "accepted"), [("0007", True), ("9999", False)])
def test_restore_checks_the_backups_schema_revision(
    app: Flask, backed_up: Path, tmp_path: Path, revision: str, accepted: bool
) -> None:
    head = formats.code_head()
    db.session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    db.session.commit()
    try:
        result = invoke(app, "backup", "-o", str(tmp_path / "aged.bak"))
        assert result.exit_code == 0, result.output
        result = invoke(app, "restore", str(tmp_path / "aged.bak"), "--yes")
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": head})
        db.session.commit()
    if accepted:
        assert result.exit_code == 0, result.output
        assert "older than this doorplate's" in result.output
        assert "run `doorplate db upgrade`" in result.output
    else:
        assert result.exit_code == 1
        assert "is newer than this doorplate" in result.output


def test_restore_refuses_while_the_sqlite_database_is_open(
    app: Flask, backed_up: Path, database_url: str
) -> None:
    if is_postgres(database_url):
        pytest.skip("PostgreSQL: pg_restore runs in one transaction beside the service")
    live = Path(str(make_url(database_url).database))
    service_worker = sqlite3.connect(live)
    try:
        service_worker.execute("SELECT count(*) FROM household").fetchall()
        result = invoke(app, "restore", str(backed_up), "--yes")
    finally:
        service_worker.close()
    assert result.exit_code == 1
    assert "is open in another process: stop the doorplate service" in result.output
    assert _households() == 2
    assert leftovers(live.parent) == []


def test_a_damaged_backup_is_refused_before_anything_is_replaced(
    app: Flask, backed_up: Path, tmp_path: Path
) -> None:
    data = backed_up.read_bytes()
    backed_up.write_bytes(data[: len(data) * 2 // 3])  # a copy cut short on its way off-site
    result = invoke(app, "restore", str(backed_up), "--yes")
    assert result.exit_code == 1
    assert "damaged" in result.output or "fails the integrity check" in result.output
    assert _households() == 2
    live = db.engine.url.database
    if not is_postgres(str(db.engine.url)):
        assert leftovers(Path(str(live)).parent) == []


def test_backup_of_an_unreachable_postgresql_says_so_and_writes_nothing(tmp_path: Path) -> None:
    app = app_on("postgresql+psycopg://doorplate:secret@127.0.0.1:1/doorplate")
    result = invoke(app, "backup", "-o", str(tmp_path / "nightly.dump"))
    assert result.exit_code == 1
    assert "Cannot connect to the PostgreSQL database" in result.output
    assert "127.0.0.1:1" in result.output and "secret" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_backup_of_a_sqlite_file_that_is_no_database_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "live" / "doorplate.sqlite3"
    broken.parent.mkdir()
    broken.write_bytes(b"this is not a database" * 100)
    out = tmp_path / "out"
    out.mkdir()
    app = app_on(f"sqlite:///{broken}")
    result = invoke(app, "backup", "-o", str(out / "nightly.sqlite3"))
    assert result.exit_code == 1
    assert "Cannot back up" in result.output
    assert list(out.iterdir()) == []


def test_an_old_pg_dump_is_refused_with_the_version_to_install(
    app: Flask, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not is_postgres(database_url):
        pytest.skip("about PostgreSQL's client tools only")
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.22'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:/usr/bin:/bin")
    out = tmp_path / "out"
    out.mkdir()
    result = invoke(app, "backup", "-o", str(out / "nightly.dump"))
    assert result.exit_code == 1
    assert "pg_dump is version 12 but the server runs PostgreSQL 1" in result.output
    assert "install postgresql-client-1" in result.output
    assert list(out.iterdir()) == []
