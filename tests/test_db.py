"""The SQLite transaction modes: reading blocks take no lock, everything else writes at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from doorplate.db import db, reading
from doorplate.places.models import Town


@pytest.fixture
def sqlite_path(app: Flask) -> Path:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("transaction modes are SQLite's; PostgreSQL needs none")
    return Path(db.engine.url.database or "")


def _other_writer_can_write(path: Path) -> bool:
    """Whether another connection (another worker) gets the write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_a_reading_block_leaves_the_write_lock_free(sqlite_path: Path, make_town) -> None:
    make_town()
    with reading():
        town = db.session.scalars(select(Town)).one()
        assert _other_writer_can_write(sqlite_path)
    assert town.name == "灵溪镇"  # still loaded after the block: not expired
    assert not db.session().in_transaction()


def test_other_transactions_take_the_write_lock_at_their_first_query(
    sqlite_path: Path, make_town
) -> None:
    make_town()
    db.session.scalars(select(Town)).one()
    assert not _other_writer_can_write(sqlite_path)
    db.session.rollback()
    assert _other_writer_can_write(sqlite_path)


def test_reading_inside_an_open_transaction_joins_it(sqlite_path: Path, make_town) -> None:
    make_town()
    db.session.scalars(select(Town)).all()
    with reading():
        db.session.scalars(select(Town)).one()
    assert db.session().in_transaction()  # left to whoever opened it
    assert not _other_writer_can_write(sqlite_path)
    db.session.rollback()
