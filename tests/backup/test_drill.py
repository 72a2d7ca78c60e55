"""The restore drill: back up while a writer commits, restore into a fresh database, and check
that everything committed before the backup began came back, whole and usable.

Runs on the test backend: a real SQLite file (WAL, the app's own engine settings) or PostgreSQL.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect, make_url, select
from waits import HUNG_SECONDS

from backup.conftest import invoke, is_postgres
from doorplate.backup import formats, service
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates
from doorplate.plates.models import Plate


class Writer(threading.Thread):
    """Adds households one transaction at a time, noting each id and when its commit returned."""

    def __init__(self, app: Flask, village_id: int) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.village_id = village_id
        self.committed: list[tuple[int, float]] = []
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                n = 0
                while not self.stopping.is_set():
                    n += 1
                    household = Household(
                        village_id=self.village_id, address=f"演练路{n}号", house_no=f"{n}号"
                    )
                    db.session.add(household)
                    db.session.flush()
                    household_id = household.id
                    db.session.commit()
                    self.committed.append((household_id, time.monotonic()))
                db.session.remove()
        except BaseException as error:  # reported by the test
            self.error = error

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + HUNG_SECONDS
        while len(self.committed) < count:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.005)


def _schema(app: Flask) -> dict[str, list[str]]:
    with app.app_context():
        inspector = inspect(db.engine)
        return {
            table: sorted(str(fk["referred_table"]) for fk in inspector.get_foreign_keys(table))
            for table in inspector.get_table_names()
        }


def test_backup_under_write_load_restores_every_earlier_commit(
    app: Flask,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    restored_app: Flask,
    fresh_url: str,
    tmp_path: Path,
) -> None:
    village = make_village()
    seeded = make_household(village, address="渡龙村上垟路2号")
    plates.issue_missing()
    db.session.commit()
    token = db.session.scalar(select(Plate.token).where(Plate.household_id == seeded.id))
    village_id = village.id
    db.session.remove()  # the writer and the backup command use connections of their own

    writer = Writer(app, village_id)
    writer.start()
    try:
        writer.wait_for(30)
        started = time.monotonic()
        backup = invoke(app, "backup", "-o", str(tmp_path / "drill.bak"))
        ended = time.monotonic()
        writer.wait_for(len(writer.committed) + 30)  # still writing after the backup
    finally:
        writer.stopping.set()
        writer.join()
    assert writer.error is None
    assert backup.exit_code == 0, backup.output
    before = {i for i, at in writer.committed if at < started}
    during = [i for i, at in writer.committed if started <= at <= ended]
    assert len(before) >= 30 and writer.committed[-1][1] > ended

    restore = invoke(restored_app, "restore", str(tmp_path / "drill.bak"), "--yes")
    assert restore.exit_code == 0, restore.output
    assert "the checks passed" in restore.output

    with restored_app.app_context():
        restored = set(db.session.scalars(select(Household.id)))
    written = [i for i, _ in writer.committed]
    assert before <= restored, f"lost {len(before - restored)} commits made before the backup"
    # One snapshot: the restored rows are exactly the writer's first k, nothing torn or skipped.
    kept = restored & set(written)
    assert kept == set(written[: len(kept)])
    assert f"{len(restored):,} households" in backup.output  # the printed counts are the file's
    print(f"{len(before)} before, {len(during)} during the backup, {len(kept)} restored")

    # Integrity: the same tables and foreign keys, and SQLite's own checks of the file.
    assert _schema(restored_app) == _schema(app)
    if not is_postgres(fresh_url):
        path = make_url(fresh_url).database
        with sqlite3.connect(str(path)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    with restored_app.app_context():
        assert service.database_contents(db.engine.url).revision == formats.code_head()

    # The app runs on the restored database: the plate page answers with its address.
    page = restored_app.test_client().get(f"/P/{token}")
    assert page.status_code == 200
    assert "渡龙村上垟路2号" in page.get_data(as_text=True)


def test_a_plain_copy_of_the_live_sqlite_file_would_lose_commits(
    app: Flask,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    database_url: str,
    tmp_path: Path,
) -> None:
    """The negative control: commits still in the WAL are missing from a copied file, so the
    drill above would catch a backup that merely copied it."""
    if is_postgres(database_url):
        pytest.skip("about SQLite's WAL only")
    village = make_village()
    ids = {make_household(village).id for _ in range(5)}
    live = Path(str(make_url(database_url).database))
    shutil.copyfile(live, tmp_path / "copied.sqlite3")
    result = invoke(app, "backup", "-o", str(tmp_path / "backup.sqlite3"))
    assert result.exit_code == 0, result.output

    def households(path: Path) -> set[int]:
        with sqlite3.connect(path) as connection:
            return {row[0] for row in connection.execute("SELECT id FROM household")}

    assert not ids <= households(tmp_path / "copied.sqlite3")
    assert ids <= households(tmp_path / "backup.sqlite3")
