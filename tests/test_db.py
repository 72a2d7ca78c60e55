"""The SQLite transaction modes (reading blocks take no lock, everything else writes at once) and
the plate scan's own read path (:func:`doorplate.db.first_row`)."""

from __future__ import annotations

import gc
import sqlite3
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, bindparam, create_engine, event, select

from doorplate import db as db_module
from doorplate.db import db, first_row, reading
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


def test_first_row_reads_outside_a_transaction_and_leaves_the_pool_as_it_was(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    with app.app_context():  # one pooled connection: the reads and the writes below share it
        db.session.add(Town(code="330327100", name="灵溪镇"))
        db.session.commit()
        statement = select(Town.code, Town.name).where(Town.code == bindparam("code"))
        assert first_row(statement, {"code": "330327100"}) == ("330327100", "灵溪镇")
        assert first_row(statement, {"code": "330327101"}) is None
        # It went back to the pool transactional: a rolled-back write leaves no trace.
        db.session.add(Town(code="330327199", name="回滚镇"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalars(select(Town.code)).all() == ["330327100"]
        db.session.commit()


def test_first_row_keeps_one_connection_per_concurrent_read_until_the_engine_is_disposed(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    with app.app_context():
        db.session.add(Town(code="330327100", name="灵溪镇"))
        db.session.commit()
        statement = select(Town.name).where(Town.code == bindparam("code"))
        db.engine.dispose()  # from no open connection at all
        opened = _count_connects(db.engine)
        for _ in range(5):
            assert first_row(statement, {"code": "330327100"}) == ("灵溪镇",)
        assert opened == [1]  # one connection, kept open between reads
        db.engine.dispose()  # what an app or a test letting go of its database does
        assert first_row(statement, {"code": "330327100"}) == ("灵溪镇",)
        assert opened == [2]  # the old one was closed with the pool, a new one made
        db.engine.dispose()


def _count_connects(engine: Engine) -> list[int]:
    """A one-item list counting the driver connections ``engine`` opens from now on."""
    count = [0]

    def connected(*_: object) -> None:
        count[0] += 1

    event.listen(engine, "connect", connected)
    return count


def test_an_engine_let_go_of_is_not_kept_alive_by_its_readers(tmp_path: Path) -> None:
    """Tests and commands make and drop engines by the thousand: the readers' registry must not
    keep one (and its pool) alive."""
    engine = create_engine(f"sqlite:///{tmp_path / 'gone.sqlite3'}")
    readers = db_module._readers(engine)  # what first_row uses for db.engine
    assert readers.first_row(engine, "SELECT 1", ()) == (1,)
    gone = weakref.ref(engine)
    engine.dispose()
    del engine
    gc.collect()
    assert gone() is None
