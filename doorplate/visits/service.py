"""Recording visits to plate pages (访问人次) exactly, without keeping anyone's address.

A visit is a GET of a plate page that answered 200, from a browser that names itself and is not a
known previewer or crawler (:mod:`doorplate.visits.bots`); repeat opens of the same plate by the
same visitor within :data:`WINDOW` count once. The county reports these figures, so they are
counted as rows of ``visit`` and nothing else.

*Exact under concurrency.* The 30-minute rule is one atomic upsert on ``visit_window`` keyed by
(visitor, plate): insert the row, or move it to now if its last count is at least WINDOW old; a
returned row means "count it", and the visit is inserted in the same transaction. Concurrent
opens queue on that row: PostgreSQL re-checks the condition against the committed winner, SQLite
runs one writer at a time. A "select recent, then insert" would count a burst of taps twice.

*Anonymous.* The visitor key is an HMAC of the address and user agent under a random salt per
county day (Asia/Shanghai by default, ``BABEL_DEFAULT_TIMEZONE``: the day the reports count
unique visitors by, so one resident is one key per reported day). A salt is deleted an hour into
the next day (:data:`KEEP`), after which no one can tell which address a key came from.

*Across midnight.* A resident who opens a plate at 23:50 and again at 00:05 gets a new key after
midnight. For the first WINDOW of a day the previous day's key is checked too (locking its row
first, always in that order), and a visit counted then is written to both rows.

Nothing here commits: the request or command that called it does.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    FromClause,
    Insert,
    Select,
    Update,
    bindparam,
    column,
    delete,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from doorplate.db import UTCDateTime, db, utcnow
from doorplate.i18n import county_zone
from doorplate.visits import bots
from doorplate.visits.models import KEY_LENGTH, Visit, VisitSalt, VisitWindow

logger = logging.getLogger(__name__)

WINDOW = timedelta(minutes=30)
# How long window rows and yesterday's salt are kept past their use: a margin for a request that
# read the clock just before a purge ran.
KEEP = WINDOW + timedelta(minutes=30)
SALT_BYTES = 32
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "never counted", for a row created only to lock it

_VISIT = Visit.__table__
_WINDOW = VisitWindow.__table__
_SALT = VisitSalt.__table__
_INSERT_VISIT = insert(_VISIT)
_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass
class _ProcessState:
    """Per app and process: today's salt once known to be committed, and the day last tidied."""

    salt: tuple[date, bytes] | None = None
    tidied_on: date | None = None


class Opened(Protocol):
    """The plate whose page was opened (a :class:`doorplate.plates.service.Scanned`)."""

    @property
    def plate_id(self) -> int: ...
    @property
    def household_id(self) -> int: ...
    @property
    def village_id(self) -> int: ...


def counts(method: str, user_agent: str, *, staff: bool = False) -> bool:
    """Whether an opening can be a visit at all.

    HEAD is a link checker's probe. An empty user agent is a script too: every phone browser and
    in-app browser (WeChat, QQ, ...) sends one, so counting it would only count fetches. Signed-in
    staff open every plate once to mark it installed: 420,000 such scans are not the public's use.
    """
    return (
        method == "GET" and not staff and bool(user_agent.strip()) and not bots.is_bot(user_agent)
    )


def visitor_key(salt: bytes, remote_addr: str | None, user_agent: str) -> str:
    """The day's pseudonym for one address and browser; the address itself is never stored."""
    message = f"{remote_addr or ''}\n{user_agent}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:KEY_LENGTH]


def record(
    plate: Opened,
    *,
    method: str,
    remote_addr: str | None,
    user_agent: str,
    staff: bool = False,
    now: datetime | None = None,
) -> bool:
    """Record that ``plate``'s page was opened and answered 200; True if it counted as a visit.

    Costs one upsert and one insert; in a day's first WINDOW, two more statements and a salt
    lookup. Never purges: that is :func:`tidy`'s, off the request.
    """
    if not counts(method, user_agent, staff=staff):
        return False
    now = now or utcnow()
    today, into_day = _county_day(now)
    key = visitor_key(salt_for(today), remote_addr, user_agent)
    if into_day < WINDOW:
        yesterday_key = visitor_key(
            salt_for(today - timedelta(days=1), cache=False), remote_addr, user_agent
        )
        counted = _claim_across_midnight(yesterday_key, key, plate.plate_id, now)
    else:
        counted = _claim(key, plate.plate_id, now)
    if counted:
        _connection().execute(
            _INSERT_VISIT,
            {
                "plate_id": plate.plate_id,
                "household_id": plate.household_id,
                "village_id": plate.village_id,
                "occurred_at": now,
                "visitor_key": key,
            },
        )
    return counted


def tidy(now: datetime) -> None:
    """:func:`purge` once per process and county day, once the day is KEEP old.

    Called by each worker's visit writer (:mod:`doorplate.visits.queue`), never inside a request:
    a purge deletes a day's windows, which must not hold up the resident whose scan triggered it.
    """
    today, into_day = _county_day(now)
    state = _state()
    if into_day >= KEEP and state.tidied_on != today:
        purge(now)
        state.tidied_on = today


@dataclass(frozen=True)
class Scan:
    """One opening of a plate page, queued to be recorded with others (:func:`record_many`)."""

    plate: Opened
    remote_addr: str | None
    user_agent: str
    at: datetime


def record_many(scans: Sequence[Scan]) -> int:
    """Record a batch of openings in at most four statements whatever its size; return how many
    counted.

    The scans are openings that :func:`counts` already admitted (the queue takes no other), so
    they are not judged again: this runs for every visit of the county's busiest page.
    The rule is :func:`record`'s, decided for the batch at once. Each (visitor, plate) pair's
    window is created at the pair's first scan if it has none, and that scan counts: nearly every
    pair of a busy hour is new, so this one statement decides most of the batch. The windows
    that were already there are locked and read in key order (two workers' batches then queue on
    shared pairs instead of deadlocking; SQLite's write lock already serialises them); each scan
    is judged against its pair's last count in time order, the windows whose last count changed
    are moved, and the counted scans become visits. A batch reaching into a day's first WINDOW
    takes :func:`record`'s path one scan at a time, for the handover across midnight.
    """
    scans = sorted(scans, key=lambda scan: scan.at)
    if not scans:
        return 0
    days = [_county_day(scan.at) for scan in scans]
    if any(into_day < WINDOW for _, into_day in days):
        return sum(
            record(scan.plate, method="GET", remote_addr=scan.remote_addr,
                   user_agent=scan.user_agent, now=scan.at)
            for scan in scans
        )  # fmt: skip
    salts: dict[date, bytes] = {}
    keyed = []
    for scan, (day, _) in zip(scans, days, strict=True):
        if day not in salts:
            salts[day] = salt_for(day)
        keyed.append((visitor_key(salts[day], scan.remote_addr, scan.user_agent), scan))
    first: dict[tuple[str, int], datetime] = {}
    for key, scan in keyed:
        first.setdefault((key, scan.plate.plate_id), scan.at)
    statements, as_json = _batch_statements(_dialect()), _json_time(_dialect())
    connection = _connection()
    created = connection.execute(statements.create_windows, {"rows": _window_rows(first, as_json)})
    stored = {(key, plate_id): first[key, plate_id] for key, plate_id in created}
    last = dict.fromkeys(stored, _EPOCH)  # a window created just now was never counted before
    if existing := {pair: at for pair, at in first.items() if pair not in stored}:
        rows = connection.execute(
            statements.lock_windows, {"rows": _window_rows(existing, as_json)}
        )
        for key, plate_id, counted_at in rows:
            last[key, plate_id] = stored[key, plate_id] = counted_at
    visits = []
    for key, scan in keyed:
        pair = (key, scan.plate.plate_id)
        if scan.at - last[pair] >= WINDOW:
            last[pair] = scan.at
            visits.append(
                {
                    "plate_id": scan.plate.plate_id,
                    "household_id": scan.plate.household_id,
                    "village_id": scan.plate.village_id,
                    "occurred_at": as_json(scan.at),
                    "visitor_key": key,
                }
            )
    if moved := {pair: at for pair, at in last.items() if at != stored[pair]}:
        connection.execute(statements.move_windows, {"rows": _window_rows(moved, as_json)})
    if visits:
        connection.execute(statements.insert_visits, {"rows": visits})
    return len(visits)


def salt_for(day: date, *, cache: bool = True) -> bytes:
    """The salt of ``day``'s visitor keys, created on first use.

    Workers racing to create it all get the one row that won the primary key. The process caches
    a salt only once it has read it back as already there, i.e. committed: one this transaction
    inserted could still roll back and leave the process with a salt no other worker uses.
    """
    state = _state()
    if cache and state.salt is not None and state.salt[0] == day:
        return state.salt[1]
    salt = db.session.scalar(select(_SALT.c.salt).where(_SALT.c.day == day))
    if salt is not None:
        if cache:
            state.salt = (day, salt)
        return salt
    params = {"day": day, "salt": secrets.token_bytes(SALT_BYTES)}
    created: bytes = db.session.execute(_salt_statement(_dialect()), params).scalar_one()
    return created


def purge(now: datetime | None = None) -> None:
    """Delete what can no longer matter: window rows counted more than KEEP ago, and every salt
    but today's (and yesterday's during the first KEEP of a day, for repeats across midnight).

    A window row older than WINDOW behaves exactly like a missing one, so this never changes a
    count. Runs once a day in each worker's visit writer (:func:`tidy`), and from
    ``doorplate visits purge`` (cron, hourly).
    """
    now = now or utcnow()
    today, into_day = _county_day(now)
    keep_from = today if into_day >= KEEP else today - timedelta(days=1)
    windows = db.session.execute(delete(_WINDOW).where(_WINDOW.c.counted_at < now - KEEP))
    salts = db.session.execute(delete(_SALT).where(_SALT.c.day < keep_from))
    logger.info("Purged %d visit windows and %d salts.", windows.rowcount, salts.rowcount)


def _claim(key: str, plate_id: int, now: datetime) -> bool:
    """Take (or retake) the visitor's 30-minute window on the plate; True if this opening counts."""
    params = {"visitor_key": key, "plate_id": plate_id, "counted_at": now, "cutoff": now - WINDOW}
    return _connection().execute(_claim_statement(_dialect()), params).first() is not None


def _claim_across_midnight(yesterday_key: str, key: str, plate_id: int, now: datetime) -> bool:
    """:func:`_claim` in a day's first WINDOW, when the visitor's last count may be yesterday's.

    Yesterday's row is locked first (created as "never" if missing) and read, then today's is
    claimed; a count moves both rows, so a late request still using yesterday's key sees it.
    """
    params = {"visitor_key": yesterday_key, "plate_id": plate_id, "counted_at": _EPOCH}
    last: datetime = _connection().execute(_lock_statement(_dialect()), params).scalar_one()
    if last > now - WINDOW or not _claim(key, plate_id, now):
        return False
    db.session.execute(
        update(_WINDOW)
        .where(_WINDOW.c.visitor_key == yesterday_key, _WINDOW.c.plate_id == plate_id)
        .values(counted_at=now)
    )
    return True


@functools.cache
def _salt_statement(dialect: str) -> Insert:
    """Insert the day's salt, or return the one a concurrent worker inserted first."""
    stmt = _DIALECT_INSERT[dialect](_SALT)
    return stmt.on_conflict_do_update(
        index_elements=[_SALT.c.day], set_={"salt": _SALT.c.salt}
    ).returning(_SALT.c.salt)


@functools.cache
def _claim_statement(dialect: str) -> Insert:
    stmt = _DIALECT_INSERT[dialect](_WINDOW)
    return stmt.on_conflict_do_update(
        index_elements=[_WINDOW.c.visitor_key, _WINDOW.c.plate_id],
        set_={"counted_at": stmt.excluded.counted_at},
        where=_WINDOW.c.counted_at <= bindparam("cutoff", type_=UTCDateTime()),
    ).returning(_WINDOW.c.plate_id)


@functools.cache
def _lock_statement(dialect: str) -> Insert:
    stmt = _DIALECT_INSERT[dialect](_WINDOW)
    return stmt.on_conflict_do_update(
        index_elements=[_WINDOW.c.visitor_key, _WINDOW.c.plate_id],
        set_={"counted_at": _WINDOW.c.counted_at},
    ).returning(_WINDOW.c.counted_at)


@dataclass(frozen=True)
class _BatchStatements:
    """:func:`record_many`'s statements, each reading its rows from one JSON array (``rows``).

    One statement a step, whatever the batch's size. ``executemany`` runs a statement per row:
    on PostgreSQL that cost the worker ~58 µs of CPU a visit (psycopg's pipeline) and the server
    ~48 µs; read from JSON, ~16 and ~22 µs (scripts/bench/visit_batch.py, BENCHMARKS.md).
    """

    create_windows: Insert
    lock_windows: Select[Any]
    move_windows: Update
    insert_visits: Insert


@functools.cache
def _batch_statements(dialect: str) -> _BatchStatements:
    key, plate, counted_at = _WINDOW.c.visitor_key, _WINDOW.c.plate_id, _WINDOW.c.counted_at
    new = _row_set(dialect, [key, plate, counted_at])
    # In key order, as the locks below. The WHERE keeps SQLite from reading ON CONFLICT as part
    # of the SELECT.
    created = _DIALECT_INSERT[dialect](_WINDOW).from_select(
        [key, plate, counted_at],
        select(new.c.visitor_key, new.c.plate_id, new.c.counted_at)
        .where(true())
        .order_by(new.c.visitor_key, new.c.plate_id),
    )
    pairs = _row_set(dialect, [key, plate])
    moved = _row_set(dialect, [key, plate, counted_at])
    visit_columns = [
        _VISIT.c.plate_id, _VISIT.c.household_id, _VISIT.c.village_id, _VISIT.c.occurred_at,
        _VISIT.c.visitor_key,
    ]  # fmt: skip
    visits = _row_set(dialect, visit_columns)
    return _BatchStatements(
        create_windows=created.on_conflict_do_nothing(index_elements=[key, plate]).returning(
            key, plate
        ),
        # SQLite ignores FOR UPDATE: the batch's first statement took its write lock.
        lock_windows=select(key, plate, counted_at)
        .join_from(_WINDOW, pairs, (key == pairs.c.visitor_key) & (plate == pairs.c.plate_id))
        .order_by(key, plate)
        .with_for_update(of=_WINDOW),
        move_windows=update(_WINDOW)
        .where(key == moved.c.visitor_key, plate == moved.c.plate_id)
        .values(counted_at=moved.c.counted_at),
        insert_visits=insert(_VISIT).from_select(
            visit_columns, select(*(visits.c[column.name] for column in visit_columns))
        ),
    )


def _row_set(dialect: str, columns: list[Column[Any]]) -> FromClause:
    """The ``rows`` parameter, a JSON array of objects, as a table of these columns."""
    rows = bindparam("rows", type_=JSON)
    if dialect == "postgresql":
        return (
            func.json_to_recordset(rows)
            .table_valued(*(column(each.name, each.type) for each in columns))
            .render_derived(name="r", with_types=True)
        )
    each = func.json_each(rows).table_valued("value")
    fields = (func.json_extract(each.c.value, f"$.{col.name}").label(col.name) for col in columns)
    return select(*fields).subquery("r")


def _window_rows(
    times: dict[tuple[str, int], datetime], as_json: Callable[[datetime], str]
) -> list[dict[str, object]]:
    return [
        {"visitor_key": key, "plate_id": plate_id, "counted_at": as_json(at)}
        for (key, plate_id), at in times.items()
    ]


@functools.cache
def _json_time(dialect: str) -> Callable[[datetime], str]:
    """How a row set carries a time: for SQLite, the text its column stores (made by the column
    type itself); for PostgreSQL, ISO 8601 with the offset, read as ``timestamptz``."""
    if dialect == "sqlite":
        sqlite_dialect = sqlite.dialect()
        to_text = UTCDateTime().dialect_impl(sqlite_dialect).bind_processor(sqlite_dialect)
        assert to_text is not None
        return to_text
    return datetime.isoformat


def _connection() -> Connection:
    """The session's connection, in the session's transaction: these Core statements need
    none of the ORM's per-statement work, and a scan runs them on every request."""
    return db.session.connection()


def _dialect() -> str:
    return db.engine.dialect.name


def _county_day(now: datetime) -> tuple[date, timedelta]:
    """The county's date at ``now`` and how far into that day ``now`` is."""
    local = now.astimezone(county_zone())
    return local.date(), local - local.replace(hour=0, minute=0, second=0, microsecond=0)


def _state() -> _ProcessState:
    state: _ProcessState = current_app.extensions.setdefault("doorplate.visits", _ProcessState())
    return state
