"""What the benchmarks share: the machine their figures were measured on (printed first), and a
scratch PostgreSQL database."""

from __future__ import annotations

import os
import platform
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

BENCH_DB = "doorplate_bench"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def machine() -> str:
    return (
        f"{len(os.sched_getaffinity(0))} CPUs (nproc), {cpu_model()}; Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.release()}"
    )


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """The URL of a new, empty ``doorplate_bench`` database on that server (so ``test`` is never
    touched), dropped when the block ends."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {BENCH_DB}"))
            try:
                yield make_url(server_url).set(database=BENCH_DB).render_as_string(False)
            finally:
                connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
    finally:
        admin.dispose()
