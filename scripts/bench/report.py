"""Benchmark: the annual report, the dashboard's headline figures and the per-village export on
a generated county of 420,000 households, 5,000,000 visits over two years and 50,000 bookings.

The county is generated in the database itself (``INSERT ... SELECT`` over ``generate_series``
on PostgreSQL, a recursive CTE on SQLite), so a full-size run takes minutes, not hours. Each
figure is timed twice in the same run: first from the raw rows only (the rollup tables empty,
the baseline), then after ``doorplate stats rollup``; the two must give identical figures.

    python scripts/bench/report.py [--scale 1.0] [--runs 5] [--raw-runs 1]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/EMPTY_DB]

Without --database-url a fresh SQLite file in a temporary folder is used. A given database must
be empty (the schema is created by the migrations): the script refuses one holding households.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchlib import machine
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import delete, func, select, text

from doorplate import create_app
from doorplate.bookings.models import Service, ServiceKind, ServiceScope, Slot
from doorplate.db import db, reading
from doorplate.i18n import county_zone
from doorplate.places.models import Household
from doorplate.publications.models import Category, Post, PostScope, PostStatus
from doorplate.staff.models import Role, StaffUser
from doorplate.stats.models import RollupDay, TownDay, VillageDay
from doorplate.stats.report import annual_report
from doorplate.stats.rollup import roll_up
from doorplate.stats.tallies import Period, by_village, tally

TOWNS, VILLAGES_PER_TOWN = 18, 28
DAYS = 730  # two years of visits and bookings, ending now
FULL = {"households": 420_000, "visits": 5_000_000, "bookings": 50_000, "posts": 6_500}


@dataclass(frozen=True)
class Sizes:
    households: int
    visits: int
    bookings: int
    posts: int

    @classmethod
    def scaled(cls, scale: float) -> Sizes:
        return cls(**{name: max(1, round(count * scale)) for name, count in FULL.items()})


class Generator:
    """Bulk SQL for one backend: a row per ``i`` from 1 to ``n``, with times counted in seconds
    from a base instant."""

    def __init__(self, dialect: str, base: datetime) -> None:
        self.postgres = dialect == "postgresql"
        self.base = base.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def at(self, seconds: str) -> str:
        if self.postgres:
            return f"(TIMESTAMPTZ '{self.base}+00' + ({seconds}) * INTERVAL '1 second')"
        # The format SQLAlchemy writes, so comparisons with bound datetimes are exact.
        return f"(strftime('%Y-%m-%d %H:%M:%f', '{self.base}', ({seconds}) || ' seconds') || '000')"

    def hex_key(self, number: str) -> str:
        if self.postgres:
            return f"lpad(to_hex(({number})::bigint), 16, '0')"
        return f"printf('%016x', {number})"

    def padded(self, prefix: str, width: int) -> str:
        if self.postgres:
            return f"'{prefix}' || lpad(i::text, {width}, '0')"
        return f"'{prefix}' || printf('%0{width}d', i)"

    def insert(self, table: str, columns: dict[str, str], n: int) -> None:
        # Every name and expression is this script's own: nothing comes from outside.
        names, values = ", ".join(columns), ", ".join(columns.values())
        insert = f"INSERT INTO {table} ({names}) SELECT {values}"  # noqa: S608
        if self.postgres:
            sql = f"{insert} FROM generate_series(1::bigint, {n}) AS s(i)"
        else:
            series = (
                f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})"  # noqa: E501, S608
            )
            sql = f"{series} {insert} FROM s"
        db.session.execute(text(sql))


def generate(sizes: Sizes, now: datetime) -> None:
    """Fill the empty database with the county; households are registered in the first year."""
    launch = now - timedelta(days=DAYS)
    villages = TOWNS * VILLAGES_PER_TOWN
    gen = Generator(db.engine.dialect.name, launch)
    day = 86_400
    gen.insert(
        "town",
        {
            "id": "i",
            "code": "'330327' || (100 + i)",
            "name": "'镇' || i",
            "created_at": gen.at("0"),
        },
        TOWNS,
    )
    gen.insert(
        "village",
        {
            "id": "i",
            "code": f"'330327' || (100 + (i - 1) / {VILLAGES_PER_TOWN + 0}) || (201 + (i - 1) % "
            f"{VILLAGES_PER_TOWN})",
            "name": "'村' || i",
            "town_id": f"1 + (i - 1) / {VILLAGES_PER_TOWN}",
            "created_at": gen.at("0"),
        },
        villages,
    )
    created = f"(i * 7919) % ({365 * day})"
    gen.insert(
        "household",
        {
            "id": "i",
            "village_id": f"1 + (i - 1) % {villages}",
            "address": "i || '号'",
            "status": "CASE WHEN i % 100 = 0 THEN 'inactive' ELSE 'active' END",
            "created_at": gen.at(created),
            "updated_at": gen.at(created),
            "deactivated_at": (
                f"CASE WHEN i % 100 = 0 THEN {gen.at(f'{created} + {300 * day}')} END"
            ),
        },
        sizes.households,
    )
    revoked = "i % 97 = 0"
    gen.insert(
        "plate",
        {
            "id": "i",
            "household_id": "i",
            "token": gen.padded("P", 15),
            "generation": "1",
            "status": f"CASE WHEN {revoked} THEN 'revoked' ELSE 'active' END",
            "issued_at": gen.at(created),
            "installed_at": f"CASE WHEN i % 50 <> 0 THEN {gen.at(f'{created} + {10 * day}')} END",
            "revoked_at": f"CASE WHEN {revoked} THEN {gen.at(f'{created} + {300 * day}')} END",
            "revoke_reason": f"CASE WHEN {revoked} THEN 'damaged' END",
        },
        sizes.households,
    )
    plate = f"(1 + (i * 7919) % {sizes.households})"
    gen.insert(
        "visit",
        {
            "plate_id": plate,
            "household_id": plate,
            "village_id": f"1 + ({plate} - 1) % {villages}",
            # Spread evenly over the two years, a little out of order; three visits a key.
            "occurred_at": gen.at(f"(i * {DAYS * day - 600}) / {sizes.visits} + (i * 13) % 600"),
            "visitor_key": gen.hex_key("((i / 3) * 2654435761) % 281474976710656"),
        },
        sizes.visits,
    )
    staff = [
        StaffUser(username=name, display_name=name, password_hash="!", role=Role.ADMIN)  # noqa: S106
        for name in ("author", "publisher")
    ]
    request = Service(
        scope=ServiceScope.COUNTY,
        kind=ServiceKind.REQUEST,
        name="报事报修",
        location="村委",
        duration_minutes=30,
    )
    booked = Service(
        scope=ServiceScope.COUNTY,
        kind=ServiceKind.SLOT,
        name="社保卡办理",
        location="便民中心",
        duration_minutes=30,
    )
    slot = Slot(
        service=booked, starts_at=launch, ends_at=launch + timedelta(minutes=30), capacity=50
    )
    db.session.add_all([*staff, request, booked, slot])
    db.session.flush()
    household = f"(1 + (i * 104729) % {sizes.households})"
    received = f"(i * {DAYS * day - 30 * day}) / {sizes.bookings}"
    handled = f"{received} + (i * 3607) % {5 * day}"
    kind = "i % 10"  # 0-5 completed, 6 cancelled, 7 no-show, 8 rejected, 9 submitted
    with_slot = f"{kind} IN (1, 3, 6, 7)"
    gen.insert(
        "booking",
        {
            "reference": gen.padded("B", 9),
            "service_id": f"CASE WHEN {with_slot} THEN {booked.id} ELSE {request.id} END",
            "slot_id": f"CASE WHEN {with_slot} THEN {slot.id} END",
            "household_id": household,
            "village_id": f"1 + ({household} - 1) % {villages}",
            "status": f"CASE WHEN {kind} <= 5 THEN 'completed' WHEN {kind} = 6 THEN 'cancelled' "
            f"WHEN {kind} = 7 THEN 'no_show' WHEN {kind} = 8 THEN 'rejected' ELSE 'submitted' END",
            "purpose": "'新办'",
            "idempotency_key": "'k' || i",
            "created_at": gen.at(received),
            "completed_at": f"CASE WHEN {kind} <= 5 THEN {gen.at(handled)} END",
            "closed_at": f"CASE WHEN {kind} <= 8 THEN {gen.at(handled)} END",
            "reject_reason": f"CASE WHEN {kind} = 8 THEN '材料不全' END",
        },
        sizes.bookings,
    )
    categories = list(Category)
    db.session.execute(
        Post.__table__.insert(),
        [
            {
                "scope": PostScope.VILLAGE.value,
                "village_id": 1 + n % villages,
                "category": categories[n % len(categories)].value,
                "title": "公开",
                "body": "",
                "body_html": "",
                "status": PostStatus.PUBLISHED.value,
                "has_personal_data": False,
                "author_id": staff[0].id,
                "reviewer_id": staff[1].id,
                "publisher_id": staff[1].id,
                "publish_at": launch + timedelta(seconds=n * DAYS * day // sizes.posts),
                "published_at": launch + timedelta(seconds=n * DAYS * day // sizes.posts),
                "created_at": launch,
                "updated_at": launch,
            }
            for n in range(sizes.posts)
        ],
    )
    db.session.commit()


def median_seconds(work: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        db.session.rollback()
        db.session.expunge_all()
        started = time.perf_counter()
        with reading():
            result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full county")
    parser.add_argument("--runs", type=int, default=5, help="timed runs with the rollup")
    parser.add_argument("--raw-runs", type=int, default=1, help="timed runs from raw rows only")
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    parser.add_argument(
        "--reuse", action="store_true", help="time the county an earlier run left in the database"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'report-bench.sqlite3'}"
        run(create_app({"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": url}), args)


def run(app: Flask, args: argparse.Namespace) -> None:
    sizes = Sizes.scaled(args.scale)
    now = datetime.now(UTC)
    with app.app_context():
        today = now.astimezone(county_zone()).date()
        year = today.year - 1  # the last whole year, inside the two generated years
        upgrade()
        print(f"{machine()}; {db.engine.dialect.name} {db.engine.dialect.server_version_info}")
        if not args.reuse:
            if db.session.scalar(select(func.count()).select_from(Household)):
                sys.exit("The database already holds households: give an empty one.")
            print(f"Generating {sizes} ...", flush=True)
            started = time.perf_counter()
            generate(sizes, now)
            print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()

        cases: dict[str, Callable[[], object]] = {
            f"annual_report({year})": lambda: annual_report(year),
            "dashboard headline (this year + since launch)": lambda: (
                tally(Period.year(today.year)),
                tally(Period.until(date(today.year + 1, 1, 1))),
            ),
            f"by_village(Period.year({year}))": lambda: by_village(Period.year(year)),
        }
        for table in (VillageDay, TownDay, RollupDay):
            db.session.execute(delete(table))
        db.session.commit()
        raw = {name: median_seconds(work, args.raw_runs) for name, work in cases.items()}
        started = time.perf_counter()
        days = roll_up(now=now)
        db.session.commit()
        rollup_seconds = time.perf_counter() - started
        print(f"Rolled up {days} days in {rollup_seconds:.1f} s", flush=True)
        rolled = {name: median_seconds(work, args.runs) for name, work in cases.items()}
        print(f"\n{'figure':<48} {'raw rows':>10} {'rollup':>10}  same figures")
        for name in cases:
            same = raw[name][1] == rolled[name][1]
            print(f"{name:<48} {raw[name][0]:>9.3f}s {rolled[name][0]:>9.3f}s  {same}")
        if not all(raw[name][1] == rolled[name][1] for name in cases):
            sys.exit("The rollup changed a figure.")


if __name__ == "__main__":
    main()
