"""Benchmark: import a whole county's household file (420,000 rows) end to end.

Generates a realistic .xlsx once (cached in bench-output/), then times read + validate + write +
commit into a fresh SQLite file and, with --postgres, into a fresh ``doorplate_bench`` database on
that server (created if missing; the ``test`` database is never touched). Each run also times a
re-import of the same file, which must write nothing. As a baseline from the same run it times
reading the file alone, with calamine (what the import uses) and once with openpyxl read-only.

    python scripts/bench/import_households.py [--rows 420000] [--runs 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from benchlib import machine
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from doorplate import create_app
from doorplate.db import db
from doorplate.places.importer import COLUMNS, validate_rows
from doorplate.places.service import import_households
from doorplate.places.tabular import read_records

ROOT = Path(__file__).resolve().parents[2]
COUNTY = "330327"
TOWNS = [
    "灵溪镇",
    "宜山镇",
    "钱库镇",
    "金乡镇",
    "炎亭镇",
    "大渔镇",
    "赤溪镇",
    "马站镇",
    "矾山镇",
    "南宋镇",
    "桥墩镇",
    "莒溪镇",
    "藻溪镇",
    "望里镇",
    "沿浦镇",
    "霞关镇",
    "凤阳畲族乡",
    "岱岭畲族乡",
]
VILLAGES_PER_TOWN = 28  # 18 * 28 = 504 villages
VILLAGE_FIRST = "上下东西南北前后新大小中"
VILLAGE_SECOND = ["垟", "岙", "埭", "鳌", "溪", "山", "河", "桥", "湾", "头", "坑", "塘"]
STREETS = ["上垟路", "岙底街", "埭头巷", "鳌山路", "文化路", "中心街", "新兴路", "河滨路", "学前巷"]
SURNAMES = "陈林黄郑吴王李张杨刘苏蔡周徐"
GIVEN = ["建华", "丽娟", "国强", "秀英", "志明", "美玲", "喆", "堃", "镕基", "海燕", "振鳌", "垟生"]
BENCH_DB = "doorplate_bench"


def generate(path: Path, rows: int, seed: int = 2021) -> None:
    """Write the county file with openpyxl's streaming writer (codes and phones as text)."""
    rng = random.Random(seed)
    villages = []
    for t, town in enumerate(TOWNS):
        town_code = f"{COUNTY}{100 + t}"
        names = rng.sample(
            [a + b for a in VILLAGE_FIRST for b in VILLAGE_SECOND], VILLAGES_PER_TOWN
        )
        for v, name in enumerate(names):
            suffix = "社区" if v % 7 == 0 else "村"
            villages.append((town_code, town, f"{town_code}{201 + v}", name + suffix))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("households")
    sheet.append([c.header for c in COLUMNS])
    for n in range(rows):
        town_code, town, village_code, village = villages[n % len(villages)]
        number = n // len(villages) + 1
        street = STREETS[number % len(STREETS)]
        roll = rng.random()
        if roll < 0.7:
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        elif roll < 0.8:
            phone = f"0577-{rng.randrange(60000000, 69999999)}"
        else:
            phone = None
        sheet.append(
            [
                town_code,
                town,
                village_code,
                village,
                f"{town}{village}{street}{number}号",
                f"{number}号",
                rng.choice(SURNAMES) + rng.choice(GIVEN) if rng.random() < 0.9 else None,
                phone,
            ]
        )
    tmp = path.with_suffix(".tmp")
    workbook.save(tmp)
    tmp.rename(path)


@dataclass
class Timings:
    phases: dict[str, list[float]] = field(default_factory=dict)

    def add(self, phase: str, seconds: float) -> None:
        self.phases.setdefault(phase, []).append(seconds)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.add(name, time.perf_counter() - start)


def one_run(app: Flask, path: Path, timings: Timings) -> None:
    """Import into an empty schema, then re-import the same file (which must change nothing)."""
    with app.app_context():
        upgrade()
        county = app.config["COUNTY_CODE"]
        with timings.phase("total import"):
            with timings.phase("read (calamine)"):
                records = read_records(path)
            with timings.phase("validate"):
                rows = validate_rows(records, county)
            with timings.phase("write"):
                summary = import_households(rows, "bench")
            with timings.phase("commit"):
                db.session.commit()
        assert summary.households_created == len(rows), summary
        del records, rows

        with timings.phase("re-import (no changes)"):
            rows = validate_rows(read_records(path), county)
            again = import_households(rows, "bench")
            db.session.commit()
        assert again.households_unchanged == len(rows), again
        db.session.remove()
        db.engine.dispose()


def run_sqlite(path: Path, runs: int) -> Timings:
    timings = Timings()
    for _ in range(runs):
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite3"
            one_run(create_app({"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": url}), path, timings)
    return timings


def run_postgres(server_url: str, path: Path, runs: int) -> tuple[Timings, str]:
    """Runs in a database of its own, recreated empty for each run."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    url = make_url(server_url).set(database=BENCH_DB)
    timings = Timings()
    with admin.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar_one()
        for _ in range(runs):
            connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB}"))
            connection.execute(text(f"CREATE DATABASE {BENCH_DB}"))
            app = create_app(
                {"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": url.render_as_string(False)}
            )
            one_run(app, path, timings)
        connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB}"))
    admin.dispose()
    return timings, f"PostgreSQL {version}"


def openpyxl_read(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, read_only=True)
    count = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return count


def report(title: str, timings: Timings, baseline: float) -> None:
    print(f"\n{title} (median of {len(timings.phases['total import'])} runs, seconds)")
    for phase, values in timings.phases.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {phase:<24} {statistics.median(values):7.2f}   runs: {runs}")
    total = statistics.median(timings.phases["total import"])
    print(f"  total / calamine read    {total / baseline:7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=420_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="server URL, e.g. .../postgres")
    parser.add_argument("--no-openpyxl", action="store_true", help="skip the openpyxl baseline")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "bench-output")
    args = parser.parse_args()

    args.output_dir.mkdir(parents=True, exist_ok=True)
    path = args.output_dir / f"households-{args.rows}.xlsx"
    if not path.exists():
        print(f"Generating {path} ...", flush=True)
        generate(path, args.rows)
    print(f"File: {path} ({path.stat().st_size / 1e6:.1f} MB, {args.rows} households)")
    print(f"Machine: {machine()}")

    sqlite_timings = run_sqlite(path, args.runs)
    baseline = statistics.median(sqlite_timings.phases["read (calamine)"])
    print(f"\nBaseline: calamine read alone {baseline:.2f} s (median)")
    if not args.no_openpyxl:
        start = time.perf_counter()
        openpyxl_read(path)
        print(f"Baseline: openpyxl read-only read alone {time.perf_counter() - start:.2f} s (once)")
    report("SQLite", sqlite_timings, baseline)
    if args.postgres:
        pg_timings, version = run_postgres(args.postgres, path, args.runs)
        report(version, pg_timings, baseline)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak memory (max RSS): {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
