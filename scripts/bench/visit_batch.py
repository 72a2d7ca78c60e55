"""Benchmark: what recording a visit costs, in a batch (production's queue) and one at a time.

Seeds the demo county into a fresh SQLite file (and, with --postgres, into a fresh
``doorplate_bench`` database on that server; ``test`` is never touched), then records visits of
new visitors to random demo plates both ways, alternating rounds so machine noise hits both:
``record_many`` on batches of ``--batch`` scans (a twentieth of them a visitor's second scan, as
real batches have) and ``record`` one scan per transaction (``VISIT_FLUSH_SECONDS = 0``, the
baseline). Per scan it reports the worker's CPU, the PostgreSQL server process's CPU (read from
/proc, so run it on the database's machine) and the wall time, as medians over the rounds.

    python scripts/bench/visit_batch.py [--rounds 5] [--batch 150] [--batches 20]
        [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from benchlib import machine, scratch_database
from flask_migrate import upgrade
from sqlalchemy import select, text

from doorplate import create_app, demo
from doorplate.db import db, utcnow
from doorplate.plates.models import Plate, PlateStatus
from doorplate.visits import service
from doorplate.visits.queue import _Opened

ROOT = Path(__file__).resolve().parents[2]
COUNTY_NOON = timedelta(hours=4)  # 12:00 in Asia/Shanghai: clear of the midnight handover path


@dataclass
class Cost:
    """Per scan, in microseconds."""

    worker_cpu: float
    server_cpu: float
    wall: float


def server_cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def measured(scans: int, pid: int | None, costs: list[Cost]) -> Iterator[None]:
    cpu, server, wall = time.process_time(), server_cpu_seconds(pid), time.perf_counter()
    yield
    costs.append(
        Cost(
            (time.process_time() - cpu) / scans * 1e6,
            (server_cpu_seconds(pid) - server) / scans * 1e6,
            (time.perf_counter() - wall) / scans * 1e6,
        )
    )


def new_scans(plates: list[_Opened], count: int, at: datetime) -> list[service.Scan]:
    """``count`` new visitors to random plates, plus a twentieth of them scanning again."""
    scans = [
        service.Scan(
            random.choice(plates),  # noqa: S311 (load, not secrets)
            f"10.{n % 250}.{random.randrange(250)}.{random.randrange(250)}",  # noqa: S311
            f"Mozilla/5.0 (Linux; Android 10; bench) Mobile {random.random()}",  # noqa: S311
            at + timedelta(microseconds=n),
        )
        for n in range(count)
    ]
    repeats = [
        service.Scan(scan.plate, scan.remote_addr, scan.user_agent, scan.at + timedelta(seconds=1))
        for scan in scans[: count // 20]
    ]
    return scans + repeats


def record_batch(scans: list[service.Scan]) -> None:
    service.record_many(scans)
    db.session.commit()


def record_each(scans: list[service.Scan]) -> None:
    for scan in scans:
        service.record(
            scan.plate,
            method="GET",
            remote_addr=scan.remote_addr,
            user_agent=scan.user_agent,
            now=scan.at,
        )
        db.session.commit()


def compare(label: str, database_url: str, args: argparse.Namespace) -> None:
    app = create_app({"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade(directory=str(ROOT / "doorplate" / "migrations"))
        demo.seed_if_empty()
        plates = [
            _Opened(plate.id, plate.household_id, plate.household.village_id)
            for plate in db.session.scalars(select(Plate).where(Plate.status == PlateStatus.ACTIVE))
        ]
        pid = None
        if db.engine.dialect.name == "postgresql":
            pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        day = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) + COUNTY_NOON
        ways: dict[str, tuple[Callable[[list[service.Scan]], None], list[Cost]]] = {
            "one at a time": (record_each, []),
            "batched": (record_batch, []),
        }
        record_batch(new_scans(plates, args.batch, day))  # the day's salt, compiled statements
        for round_ in range(args.rounds):
            for record, costs in ways.values():
                start = day + timedelta(minutes=round_)
                batches = [new_scans(plates, args.batch, start) for _ in range(args.batches)]
                scans = sum(len(batch) for batch in batches)
                with measured(scans, pid, costs):
                    for batch in batches:
                        record(batch)
        db.session.close()
        db.engine.dispose()
    print(f"\n{label}: {len(plates)} plates, batches of {args.batch} new visitors (+5% repeats)")
    print("  µs a scan, medians of", args.rounds, "rounds: worker CPU, server CPU, wall")
    medians = {}
    for way, (_, costs) in ways.items():
        medians[way] = Cost(
            statistics.median(cost.worker_cpu for cost in costs),
            statistics.median(cost.server_cpu for cost in costs),
            statistics.median(cost.wall for cost in costs),
        )
        m = medians[way]
        print(f"  {way:<14} {m.worker_cpu:7.1f} {m.server_cpu:7.1f} {m.wall:7.1f}")
    batched, each = medians["batched"], medians["one at a time"]
    print(f"  batched / one at a time: wall {batched.wall / each.wall:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=150, help="new visitors a batch")
    parser.add_argument("--batches", type=int, default=20, help="batches a round")
    parser.add_argument("--postgres", metavar="URL", help="server URL, e.g. .../postgres")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        compare("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args)
    if args.postgres:
        with scratch_database(args.postgres) as url:
            compare("PostgreSQL", url, args)


if __name__ == "__main__":
    main()
