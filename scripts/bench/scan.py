"""Benchmark: scanning a plate (page rendered, visit recorded) against a Flask hello-world.

Seeds the demo county into a fresh SQLite file (and, with --postgres, into a fresh
``doorplate_bench`` database on that server; ``test`` is never touched), then serves each app with
gunicorn on loopback under the same worker settings and drives it with wrk (Debian's ``wrk``).
Every request opens a random demo plate with a User-Agent of its own, so every request is a new
visitor and records a visit: the worst case, two writes per page. Runs alternate baseline and
plate page so machine noise hits both; the report gives medians, the ratio of medians and wrk's
p99, and checks the visits stored against the 2xx responses wrk counted. Each measured run follows
a few seconds of the same load on the same server (``--warmup``), so a p99 is the steady state's,
not each new worker's first requests (imports, connections, the first rendering of each village's
page, the day's visitor salt). For scale it also serves
the naive way to build the page (``hello_app.naive``: render a 5 KB template, insert the visit
through the ORM, commit).

    python scripts/bench/scan.py [--runs 3] [--duration 10] [--warmup 3] [--connections 32]
        [--workers 4] [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchlib import machine, scratch_database
from flask_migrate import upgrade
from sqlalchemy import func, select

from doorplate import create_app, demo
from doorplate.db import db
from doorplate.plates.models import Plate, PlateStatus
from doorplate.visits.models import Visit

ROOT = Path(__file__).resolve().parents[2]
# Each wrk thread seeds its own generator, so threads send different visitors.
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local n = 0
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end
function request()
  n = n + 1
  local agent = "Mozilla/5.0 (Linux; Android 10; bench) Mobile " .. n .. "-" .. math.random(1e9)
  return wrk.format("GET", paths[math.random(#paths)],
    {["User-Agent"] = agent, ["Accept-Language"] = "zh-CN,zh;q=0.9"})
end
"""


@dataclass
class Run:
    requests_per_second: float
    p99_ms: float
    responses: int
    errors: int  # non-2xx/3xx responses plus socket errors


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn(
    app: str, workers: int, env: dict[str, str], chdir: Path, worker_class: str = "sync"
) -> Iterator[str]:
    """``app`` served on a free loopback port until the block ends."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--backlog", "2048",
        "--chdir", str(chdir),
        "--log-level", "warning",
        app,
    ]  # fmt: skip
    # Started from this folder, which has no gunicorn.conf.py: both apps run on gunicorn's own
    # defaults (no access log), as every recorded figure was measured, wherever it is run from.
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=Path(__file__).parent)
    try:
        wait_until_serving(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start serving within 30 s")


def wrk(url: str, paths_file: Path, script: Path, duration: int, connections: int) -> Run:
    output = subprocess.run(
        ["wrk", "--threads", "2", "--connections", str(connections), "--duration", f"{duration}s",
         "--latency", "--script", str(script), url],
        env={**os.environ, "BENCH_PATHS": str(paths_file)},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    responses = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    assert p99 is not None, output
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )  # noqa: E501
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Run(rate, p99_ms, responses, errors)


def seed(database_url: str) -> list[str]:
    """Migrate and seed the demo county; the plate paths to scan."""
    app = create_app({"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade(directory=str(ROOT / "doorplate" / "migrations"))
        demo.seed_if_empty()
        tokens = db.session.scalars(
            select(Plate.token).where(Plate.status == PlateStatus.ACTIVE)
        ).all()
        db.engine.dispose()
    return [f"/P/{token}" for token in tokens]


def visits_stored(database_url: str) -> int:
    app = create_app({"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        count = db.session.scalar(select(func.count(Visit.id))) or 0
        db.engine.dispose()
    return count


def compare(label: str, database_url: str, args: argparse.Namespace, work: Path) -> None:
    paths = seed(database_url)
    plate_paths, root_path = work / "plates.txt", work / "root.txt"
    plate_paths.write_text("\n".join(paths) + "\n")
    root_path.write_text("/\n")
    script = work / "scan.lua"
    script.write_text(WRK_SCRIPT)
    env = {
        "DATABASE_URL": database_url,
        "DOORPLATE_SECRET_KEY": "bench-" + "x" * 40,
        "DOORPLATE_INSTANCE_PATH": str(work),
    }
    here = Path(__file__).parent
    # The naive app creates its table on import: once here, before its workers race to.
    subprocess.run([sys.executable, "-c", "import hello_app"], cwd=here, env=env, check=True)
    baseline: list[Run] = []
    naive: list[Run] = []
    plate: list[Run] = []
    warm_plate: list[Run] = []  # their visits are stored too

    def measure(url: str, paths_file: Path, warmed: list[Run] | None = None) -> Run:
        """A warm-up run (each worker's first requests: imports, connections, caches), then
        the measured one on the same server."""
        if args.warmup:
            warm = wrk(url, paths_file, script, args.warmup, args.connections)
            if warmed is not None:
                warmed.append(warm)
        return wrk(url, paths_file, script, args.duration, args.connections)

    for _ in range(args.runs):
        with gunicorn("hello_app:app", args.workers, env, here, args.worker_class) as url:
            baseline.append(measure(url, root_path))
        with gunicorn("hello_app:naive", args.workers, env, here, args.worker_class) as url:
            naive.append(measure(url, plate_paths))
        with gunicorn("wsgi:app", args.workers, env, ROOT, args.worker_class) as url:
            plate.append(measure(url, plate_paths, warm_plate))
    hello_rate = statistics.median(run.requests_per_second for run in baseline)
    naive_rate = statistics.median(run.requests_per_second for run in naive)
    plate_rate = statistics.median(run.requests_per_second for run in plate)
    print(f"\n{label}: {len(paths)} plates, {args.runs} runs of {args.duration} s each")
    for name, runs in (("hello-world", baseline), ("naive page", naive), ("plate page", plate)):
        rates = ", ".join(f"{run.requests_per_second:.0f}" for run in runs)
        p99s = ", ".join(f"{run.p99_ms:.1f}" for run in runs)
        errors = sum(run.errors for run in runs)
        print(
            f"  {name:<12} median {statistics.median(r.requests_per_second for r in runs):7.0f}"
            f" req/s (runs {rates}); p99 ms {p99s}; errors {errors}"
        )
    print(
        f"  ratio to hello-world: plate page {plate_rate / hello_rate:.2f}x,"
        f" naive page {naive_rate / hello_rate:.2f}x"
    )
    counted = sum(run.responses - run.errors for run in [*plate, *warm_plate])
    stored = visits_stored(database_url)
    # A response wrk was still reading when its time ran out is stored but not counted by wrk.
    print(f"  visits stored {stored}, 2xx responses counted by wrk {counted}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of load before each measured run"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--postgres", metavar="URL", help="server URL, e.g. .../postgres")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    print(f"Machine: {machine()}")
    print(
        f"gunicorn {args.workers} {args.worker_class} workers; wrk 2 threads,"
        f" {args.connections} connections,"
        " one new visitor per request"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        compare("SQLite", f"sqlite:///{work / 'bench.sqlite3'}", args, work)
    if args.postgres:
        with scratch_database(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
            compare("PostgreSQL", url, args, Path(tmp))


if __name__ == "__main__":
    main()
