"""Database handle, model base and the engine settings that make SQLite a safe embedded default.

SQLite is tuned for a small web service: WAL so readers never wait for the writer, a busy timeout so
writers queue instead of failing, foreign keys enforced, and every transaction opened with
``BEGIN IMMEDIATE``. The last one matters because a request typically reads then writes (look up a
plate, record a visit): a deferred transaction would fail with "database is locked" when upgrading
its read lock, whereas an immediate one waits its turn under the busy timeout.

The price of ``BEGIN IMMEDIATE`` is that a transaction holds the one write lock from its first
query: a page that reads, renders and then writes would keep every other worker waiting through
its rendering. The busiest page (a plate scan) therefore does its reading inside :func:`reading`,
a deferred transaction that takes no lock, and opens the writing transaction only for the write.
"""

from __future__ import annotations

import enum
import functools
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Dialect, Engine, Enum, Executable, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are stored as naive UTC
    and given their zone back on the way out. Naive datetimes are refused on the way in: they are
    always a bug (local time slipping into the database).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A string-enum column type stored as its values in a VARCHAR with a CHECK constraint.

    Not a native PostgreSQL ENUM: adding a status later is then a plain migration on both backends.
    """
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


_READING: ContextVar[bool] = ContextVar("doorplate_reading", default=False)


def in_transaction() -> bool:
    """Whether this request's session has a transaction open, without making a session.

    Creating a Session and closing it again costs ~35 µs (SQLAlchemy builds its per-instance
    event dispatch), a tenth of a plate scan that never needs one.
    """
    return db.session.registry.has() and db.session().in_transaction()


@contextmanager
def reading() -> Iterator[None]:
    """Run the block's queries in a transaction of their own that only reads, then end it.

    On SQLite that transaction starts with a plain (deferred) ``BEGIN``, which takes no lock, so
    readers never queue behind writers; on PostgreSQL nothing changes. Loaded objects stay usable
    after the block (they are not expired). The block must not write. If a transaction is already
    open (a test that shares the request's session), the block simply runs inside it.
    """
    if in_transaction():
        yield
        return
    token = _READING.set(True)
    try:
        yield
        if in_transaction():  # nothing to end when the block read nothing through the session
            _commit_keeping_objects(db.session())
    except BaseException:
        if db.session.registry.has():
            db.session.rollback()
        raise
    finally:
        _READING.reset(token)


def _commit_keeping_objects(session: Session) -> None:
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


def first_row(statement: Executable, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The first row of a read-only query, run on a driver connection of its own outside any
    transaction.

    For the one query on the hottest path, the plate scan: around a 4 µs SQLite query,
    SQLAlchemy's connection and transaction handling cost ~90 µs, and on PostgreSQL a BEGIN and
    a ROLLBACK round trip besides; even a bare check-out and check-in of a pooled connection
    cost ~10 µs (SQLite) and ~35 µs (PostgreSQL, with a new cursor and autocommit switched on
    and off each time). So these reads keep their own open connections, always in autocommit,
    each with its cursor (:class:`_Readers`). The statement is still SQLAlchemy's, compiled once
    per dialect; values come back as the driver gives them, without type processing, so only
    plain columns (numbers, text) belong here.

    Bypassing SQLAlchemy's pool also bypasses its disconnect handling, so it is done here: after
    a database restart every open connection is dead, and the first one found dead disposes of
    the engine's pool and these readers (as SQLAlchemy does for its own connections), and the
    query runs once more on a new connection. Checking each connection before use
    (``pool_pre_ping``) would cost every scan a round trip instead; this costs nothing until the
    database goes away.
    """
    engine = db.engine
    sql, order = _compiled(statement, engine.dialect)
    values = params if order is None else tuple(params[name] for name in order)
    readers = _readers(engine)
    try:
        return readers.first_row(engine, sql, values)
    except Disconnected:
        engine.dispose()  # the pool's connections and the other readers died with this one
        return readers.first_row(engine, sql, values)


class Disconnected(Exception):
    """The connection was found dead (the database restarted or dropped it)."""


class _Readers:
    """Open driver connections of one engine for :func:`first_row`, each with its cursor.

    A scan takes one from the idle list and puts it back (``list.pop`` and ``append`` are atomic,
    so threads never share one); there are as many as scans ever ran at once in this process.
    Each is made by the engine's pool (so the engine's connect settings apply, e.g. SQLite's
    pragmas) and detached from it at once. They are closed when the engine is disposed, which
    every way an app or a test lets go of its database goes through. No reference to the engine
    is kept here, so an engine let go of is not kept alive by its readers.
    """

    def __init__(self) -> None:
        self._idle: list[tuple[Any, Any]] = []
        self._generation = 0  # bumped by close(): a reader taken before it is closed on return

    def first_row(self, engine: Engine, sql: str, values: Any) -> tuple[Any, ...] | None:
        generation = self._generation
        try:
            connection, cursor = self._idle.pop()
        except IndexError:
            connection, cursor = self._open(engine)
        try:
            cursor.execute(sql, values)
            row: tuple[Any, ...] | None = cursor.fetchone()
        except engine.dialect.loaded_dbapi.Error as error:
            connection.close()
            if engine.dialect.is_disconnect(error, connection, cursor):
                raise Disconnected from error
            raise
        except BaseException:  # e.g. a worker's timeout mid-query: never hand that one out again
            connection.close()
            raise
        if generation == self._generation:
            self._idle.append((connection, cursor))
        else:
            connection.close()
        return row

    @staticmethod
    def _open(engine: Engine) -> tuple[Any, Any]:
        pooled = engine.raw_connection()
        connection = pooled.driver_connection
        pooled.detach()  # ours now: closing it closes it, and the pool makes itself another
        if engine.dialect.name == "postgresql":
            connection.autocommit = True  # one round trip: no BEGIN, nothing to roll back
        return connection, connection.cursor()

    def close(self, *_: Any) -> None:
        self._generation += 1
        while self._idle:
            connection, _cursor = self._idle.pop()
            connection.close()


_READERS: weakref.WeakKeyDictionary[Engine, _Readers] = weakref.WeakKeyDictionary()


def _readers(engine: Engine) -> _Readers:
    readers = _READERS.get(engine)
    if readers is None:
        readers = _READERS.setdefault(engine, _Readers())
        event.listen(engine, "engine_disposed", readers.close)
    return readers


@functools.lru_cache(maxsize=64)
def _compiled(statement: Executable, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    compiled = statement.compile(dialect=dialect)
    return str(compiled), compiled.positiontup


def utcnow() -> datetime:
    return datetime.now(UTC)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if _READING.get() else "BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    """Bind the database and migrations to ``app`` and tune the engine for its backend."""
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS_DIR),
        render_as_batch=True,
        compare_type=True,
    )
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)
