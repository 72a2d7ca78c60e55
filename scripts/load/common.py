"""What the load and fault scripts share: the services under test, seeding, an open-loop load
generator, percentiles and the invariants checked in SQL afterwards.

Everything runs on loopback against instances the caller names: a PostgreSQL cluster managed
with Debian's ``pg_ctlcluster`` (so a fault can restart it) and a Redis on its own port (so a
fault can stop it). Never point them at a shared cluster or Redis: the faults are real.

The generator is *open loop*: request ``i`` of a kind is due at ``i / rate`` seconds whatever
happened to the ones before, and its latency is counted from that due time, so a stalled server
shows up as latency instead of as fewer requests (no coordinated omission). The number of
requests is fixed in advance (rate x duration), so a run ends even against a dead server.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import logging
import os
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
LOAD_DB = "doorplate_load"
SERVICE_NAME = "负载测试窗口"
PURPOSE = "负载测试"
SCAN = "scan"
BOOKING = "booking"
BOOKING_OK = {200, 201, 409}  # made, replayed, or the slot was full: all correct answers
BOOKING_ATTEMPTS = 5  # a booking that met a dead worker or database is retried with its key
RETRY_AFTER_SECONDS = 1.0
# How long before a SIGKILL a scan's visit may have been answered and still be lost with the
# worker: the flush interval (0.25 s), a flush under way, and a loaded machine's scheduling.
KILL_LOSES = 2.0
MOBILE_AGENT = "Mozilla/5.0 (Linux; Android 12; load) AppleWebKit/537.36 Mobile Safari/537.36"


# --- the services under test ---------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """A Debian PostgreSQL cluster, e.g. ``15/loadtest``, reached on loopback."""

    version: str
    name: str
    port: int

    @classmethod
    def parse(cls, spec: str, port: int) -> Cluster:
        version, name = spec.split("/", 1)
        return cls(version, name, port)

    def server_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def restart_immediately(self) -> None:
        """Crash-stop (no checkpoint, every connection cut) and start again."""
        subprocess.run(
            ["pg_ctlcluster", self.version, self.name, "restart", "-m", "immediate"], check=True
        )

    def create(self) -> None:
        subprocess.run(
            ["pg_createcluster", self.version, self.name, "-p", str(self.port),
             "--", "--auth=trust"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(["pg_ctlcluster", self.version, self.name, "start"], check=True)

    def drop(self) -> None:
        subprocess.run(
            ["pg_dropcluster", self.version, self.name, "--stop"], check=False, capture_output=True
        )


class Redis:
    """A throwaway Redis on its own port, without persistence."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port, what="redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def fresh_database(server_url: str) -> str:
    """(Re)create the load database on the server; its URL."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {LOAD_DB} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {LOAD_DB}"))
    admin.dispose()
    return make_url(server_url).set(database=LOAD_DB).render_as_string(hide_password=False)


# --- seeding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    tokens: list[str]
    slot_ids: list[int]


def seed(database_url: str, slots: int, capacity: int) -> Seeded:
    """Migrate, seed the demo county, and add a county-wide service with ``slots`` slots of
    ``capacity`` places from tomorrow on (the calendar plays no part: the slots are inserted)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from doorplate import create_app, demo
    from doorplate.bookings import catalogue
    from doorplate.bookings.models import ServiceKind, Slot
    from doorplate.db import db
    from doorplate.plates.models import Plate, PlateStatus
    from doorplate.staff.models import StaffUser

    logging.disable(logging.INFO)  # the migrations' and the demo's progress
    app = create_app({"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade(directory=str(ROOT / "doorplate" / "migrations"))
        demo.seed_if_empty()
        admin = db.session.scalars(select(StaffUser).where(StaffUser.username == "admin")).one()
        service = catalogue.create_service(
            admin,
            catalogue.ServiceInput(
                name=SERVICE_NAME,
                description="Load test",
                materials=[],
                location="县行政服务中心",
                duration_minutes=10,
                kind=ServiceKind.SLOT,
                purposes=[PURPOSE],
            ),
            None,
            None,
        )
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        made = [
            Slot(
                service_id=service.id,
                starts_at=start + timedelta(minutes=10 * n),
                ends_at=start + timedelta(minutes=10 * (n + 1)),
                capacity=capacity,
            )
            for n in range(slots)
        ]
        db.session.add_all(made)
        db.session.commit()
        tokens = list(
            db.session.scalars(select(Plate.token).where(Plate.status == PlateStatus.ACTIVE))
        )
        seeded = Seeded(tokens, [slot.id for slot in made])
        db.engine.dispose()
    logging.disable(logging.NOTSET)
    return seeded


# --- gunicorn ------------------------------------------------------------------------------


class Server:
    """The app under gunicorn: 4 sync workers on a loopback port, as in production."""

    def __init__(self, port: int, database_url: str, redis_url: str, workers: int = 4) -> None:
        self.port = port
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DOORPLATE_SECRET_KEY": "load-" + "k" * 40,
            "DOORPLATE_RATELIMIT_STORAGE_URI": redis_url,
            "DOORPLATE_PROXY_COUNT": "1",  # as behind nginx: X-Forwarded-For names the client
            "PYTHONPATH": str(ROOT),
        }
        config = ["-c", "gunicorn.conf.py"] if (ROOT / "gunicorn.conf.py").exists() else []
        self.command = [
            str(Path(sys.executable).with_name("gunicorn")), *config,
            "-w", str(workers), "-b", f"127.0.0.1:{port}", "--backlog", "2048",
            "--log-level", "warning", "wsgi:app",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.gettempdir()) / f"doorplate-load-{port}.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}: see {self.log}")
            if get_status(self.port, "/api/v1/openapi.json", timeout=2) == 200:
                return
            time.sleep(0.2)
        raise SystemExit("gunicorn did not start serving within 60 s")

    def workers(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill_worker(self) -> int:
        """SIGKILL one worker (gunicorn's master starts a new one); its pid."""
        victim = random.choice(self.workers())
        os.kill(victim, signal.SIGKILL)
        return victim

    def stop(self) -> None:
        """Graceful stop: every worker writes its queued visits before it exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None


def get_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    """The status of a GET on loopback, or None when nothing answered."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()


def _wait_for_port(port: int, what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on {port} within 20 s")


# --- the load generator --------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    due: float  # seconds from the run's start
    latency_ms: float
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    reference: str | None = None
    key: str | None = None
    attempt: int = 1
    visitor: tuple[str, str] = ("", "")  # the address and browser the request came from

    @property
    def answered(self) -> float:
        """When the answer came (or the request gave up), seconds from the run's start."""
        return self.due + self.latency_ms / 1000


@dataclass
class _Job:
    kind: str
    due: float
    path: str
    body: bytes | None = None
    key: str | None = None
    attempt: int = 1
    headers: dict[str, str] = field(default_factory=dict)


class Load:
    """Scans and bookings at fixed rates for ``duration`` seconds, from ``threads`` clients."""

    def __init__(
        self,
        port: int,
        seeded: Seeded,
        *,
        scan_rate: float,
        booking_rate: float,
        duration: float,
        timeout: float = 10.0,
        threads: int = 96,
    ) -> None:
        self.port = port
        self.timeout = timeout
        self.threads = threads
        self.results: list[Result] = []
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._retries: list[_Job] = []
        self._retry_lock = threading.Lock()
        self._start = 0.0
        rng = random.Random(7)
        scans = [
            _Job(SCAN, n / scan_rate, f"/P/{rng.choice(seeded.tokens)}")
            for n in range(int(scan_rate * duration))
        ]
        # Each booking a different household and slot pair: a 422 "already booked" is a fault.
        pairs = rng.sample(
            list(itertools.product(seeded.tokens, seeded.slot_ids)),
            int(booking_rate * duration),
        )
        bookings = [
            _booking_job(n / booking_rate, token, slot_id, f"load-{n}")
            for n, (token, slot_id) in enumerate(pairs)
        ]
        self._schedule = sorted([*scans, *bookings], key=lambda job: job.due)
        self.planned = {SCAN: len(scans), BOOKING: len(bookings)}

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def run(self, during: Callable[[Load], None] | None = None) -> list[Result]:
        """Send every planned request (and booking retries) and wait for the answers; ``during``
        runs in a thread of its own meanwhile (the faults)."""
        clients = [threading.Thread(target=self._client, daemon=True) for _ in range(self.threads)]
        for client in clients:
            client.start()
        self._start = time.monotonic()
        side = threading.Thread(target=during, args=(self,), daemon=True) if during else None
        if side:
            side.start()
        for job in self._schedule:
            self._wait_until(job.due)
            self._jobs.put(job)
            self._release_retries()
        while True:  # retries of the last bookings
            with self._retry_lock:
                if not self._retries and self._jobs.unfinished_tasks == 0:
                    break
            time.sleep(0.05)
            self._release_retries()
        for _ in clients:
            self._jobs.put(None)
        for client in clients:
            client.join()
        if side:
            side.join()
        return self.results

    def _wait_until(self, due: float) -> None:
        delay = due - self.elapsed()
        if delay > 0:
            time.sleep(delay)

    def _release_retries(self) -> None:
        now = self.elapsed()
        with self._retry_lock:
            ready = [job for job in self._retries if job.due <= now]
            self._retries = [job for job in self._retries if job.due > now]
        for job in ready:
            self._jobs.put(job)

    def _client(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                result = self._send(job)
                self.results.append(result)
                if (
                    job.kind == BOOKING
                    and (result.status is None or result.status >= 500)
                    and job.attempt < BOOKING_ATTEMPTS
                ):
                    again = _Job(
                        BOOKING, self.elapsed() + RETRY_AFTER_SECONDS, job.path, job.body,
                        job.key, job.attempt + 1, job.headers,
                    )  # fmt: skip
                    with self._retry_lock:
                        self._retries.append(again)
            finally:
                self._jobs.task_done()

    def _send(self, job: _Job) -> Result:
        # Every scan a new visitor (address and browser): each 200 must become one visit.
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        agent = f"{MOBILE_AGENT} {random.getrandbits(64):x}"
        headers = {"User-Agent": agent, "X-Forwarded-For": address, **job.headers}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        status: int | None = None
        reference = None
        try:
            connection.request("POST" if job.body else "GET", job.path, job.body, headers)
            response = connection.getresponse()
            payload = response.read()
            status = response.status
            if job.kind == BOOKING and status in (200, 201):
                reference = json.loads(payload)["reference"]
        except (OSError, http.client.HTTPException):
            status = None
        finally:
            connection.close()
        latency = (self.elapsed() - job.due) * 1000
        return Result(
            job.kind, job.due, latency, status, reference, job.key, job.attempt, (address, agent)
        )


def _booking_job(due: float, token: str, slot_id: int, key: str) -> _Job:
    body = {
        "plate": token,
        "slot_id": slot_id,
        "contact_name": "陈",
        "phone": f"139{random.randrange(10**8):08d}",
        "purpose": PURPOSE,
        "idempotency_key": key,
    }
    return _Job(
        BOOKING, due, "/api/v1/bookings", json.dumps(body).encode(), key,
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )  # fmt: skip


# --- figures -------------------------------------------------------------------------------


def is_error(result: Result) -> bool:
    if result.kind == SCAN:
        return result.status != 200
    return result.status not in BOOKING_OK


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 10) - 1]


@dataclass
class Figures:
    kind: str
    requests: int
    errors: int
    statuses: Counter[int | None]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def answered_error_rate(self) -> float:
        """Errors the service answered (a 5xx, a wrong status), leaving out requests that got
        no answer within the client's timeout: those depend on how busy the machine is."""
        answered = self.errors - self.statuses[None]
        return answered / self.requests if self.requests else 0.0

    def line(self) -> str:
        statuses = ", ".join(f"{k or 'no answer'}: {v}" for k, v in sorted(
            self.statuses.items(), key=lambda item: item[0] or 0))  # fmt: skip
        return (
            f"{self.kind:<8} {self.requests:>6} requests, errors {self.errors}"
            f" ({self.error_rate:.3%}); latency ms p50 {self.p50_ms:.1f}, p95 {self.p95_ms:.1f},"
            f" p99 {self.p99_ms:.1f}, max {self.max_ms:.0f}; statuses {statuses}"
        )


def figures(results: Iterable[Result], kind: str) -> Figures:
    mine = [result for result in results if result.kind == kind]
    latencies = sorted(result.latency_ms for result in mine)
    return Figures(
        kind,
        len(mine),
        sum(is_error(result) for result in mine),
        Counter(result.status for result in mine),
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(latencies, 99),
        latencies[-1] if latencies else float("nan"),
    )


# --- invariants ----------------------------------------------------------------------------


@dataclass
class Invariants:
    problems: list[str]
    bookings_stored: int
    references_2xx: int
    visits_stored: int
    scans_2xx: int
    visits_lost: int

    def lines(self) -> list[str]:
        return [
            f"bookings stored {self.bookings_stored},"
            f" distinct 2xx references {self.references_2xx}",
            f"visits stored {self.visits_stored}, 2xx scans {self.scans_2xx},"
            f" 2xx scans without a visit {self.visits_lost}",
            *(f"FAILED: {problem}" for problem in self.problems),
        ]


def check_invariants(
    database_url: str, results: list[Result], kills: list[float] = ()
) -> Invariants:
    """What must hold after a run and a graceful stop, checked in SQL.

    Bookings: every reference answered with a 2xx exists exactly once, under the key that got
    it; no key made two bookings; nothing was booked that no request asked for; no slot is over
    capacity and each slot's ``booked`` equals its active bookings.

    Visits, scan by scan: every request came from a visitor of its own, so each visit's key
    (recomputed here from the day's salt) names the one scan it counts. No key may count twice
    (a retried flush that double-counted), no visit may belong to a scan that was not answered
    200 (unless its answer never arrived), and every 2xx scan has its visit, except scans
    answered just before a worker was killed (``kills``, seconds from the start): SIGKILL loses
    the killed worker's last flush interval.
    """
    from doorplate.visits.service import visitor_key

    problems: list[str] = []
    answered = {r.reference: r.key for r in results if r.kind == BOOKING and r.reference}
    keys_sent = {r.key for r in results if r.kind == BOOKING}
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT b.reference, b.idempotency_key FROM booking b JOIN service s"
                " ON s.id = b.service_id WHERE s.name = :name"
            ),
            {"name": SERVICE_NAME},
        ).all()
        over = connection.execute(
            text("SELECT count(*) FROM slot WHERE booked > capacity OR booked < 0")
        ).scalar_one()
        drift = connection.execute(
            text(
                "SELECT s.id, s.booked, count(b.id) FROM slot s LEFT JOIN booking b"
                " ON b.slot_id = s.id AND b.status IN ('submitted', 'confirmed')"
                " GROUP BY s.id, s.booked HAVING s.booked <> count(b.id)"
            )
        ).all()
        visit_keys = Counter(connection.execute(text("SELECT visitor_key FROM visit")).scalars())
        salts = list(connection.execute(text("SELECT salt FROM visit_salt")).scalars())
    engine.dispose()
    stored = Counter(reference for reference, _ in rows)
    by_reference = dict(rows)
    for reference, key in answered.items():
        if stored[reference] != 1:
            problems.append(f"2xx reference {reference} stored {stored[reference]} times")
        elif by_reference[reference] != key:
            problems.append(f"reference {reference} belongs to another key")
    per_key = Counter(key for _, key in rows)
    if doubled := [key for key, n in per_key.items() if n > 1]:
        problems.append(f"{len(doubled)} idempotency keys made more than one booking")
    if strays := set(per_key) - keys_sent:
        problems.append(f"{len(strays)} bookings no request asked for")
    if over:
        problems.append(f"{over} slots over capacity")
    if drift:
        problems.append(f"{len(drift)} slots whose booked differs from their active bookings")

    def keys(result: Result) -> set[str]:
        return {visitor_key(bytes(salt), *result.visitor) for salt in salts}

    scans = [r for r in results if r.kind == SCAN]
    ok = [r for r in scans if r.status == 200]
    if doubled_visits := sum(n - 1 for n in visit_keys.values() if n > 1):
        problems.append(f"{doubled_visits} visits counted twice")
    maybe = set().union(*(keys(r) for r in scans if r.status in (200, None)))
    if strays := sum(n for key, n in visit_keys.items() if key not in maybe):
        problems.append(f"{strays} visits of no scan answered 200")
    lost = [r for r in ok if not keys(r) & visit_keys.keys()]
    unexplained = [
        r for r in lost if not any(kill - KILL_LOSES <= r.answered <= kill + 0.5 for kill in kills)
    ]
    if unexplained:
        at = ", ".join(f"{r.answered:.1f}" for r in unexplained[:5])
        problems.append(f"{len(unexplained)} 2xx scans without a visit (answered at {at} s)")
    return Invariants(problems, len(rows), len(answered), visit_keys.total(), len(ok), len(lost))


def machine() -> str:
    sys.path.insert(0, str(ROOT / "scripts" / "bench"))
    from benchlib import machine as bench_machine

    return bench_machine()


def stop_quietly(*stoppers: Callable[[], None]) -> None:
    for stop in stoppers:
        with suppress(Exception):
            stop()


# --- what both scripts take and set up -----------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both scripts take: the load, and where it runs."""
    parser.add_argument("--rate", type=float, default=300, help="plate scans per second")
    parser.add_argument("--bookings", type=float, default=20, help="bookings per second")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--out", type=Path, help="append the summary block to this file")
    parser.add_argument(
        "--pg-cluster", default="15/loadtest", help="a private Debian cluster VERSION/NAME, running"
    )
    parser.add_argument("--pg-port", type=int, default=5439, help="the cluster's port")
    parser.add_argument(
        "--redis-port", type=int, default=6391, help="a free port for a private redis-server"
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: free)")
    parser.add_argument("--slots", type=int, default=100, help="slots of the load service")
    parser.add_argument("--capacity", type=int, default=10, help="places per slot")
    parser.add_argument(
        "--correctness-only",
        action="store_true",
        help="judge only what must hold on any machine, however loaded (no booking lost or "
        "doubled, no slot over capacity, visits exact, no error answers, recovery); report "
        "latencies, requests that got no answer in time and recovery times without judging "
        "them (what the test suite runs: figures belong to the benchmarks)",
    )


def load_from(env: Setup, args: argparse.Namespace, **options: float) -> Load:
    """The load the options ask for (``--rate``, ``--bookings``, ``--duration``) on ``env``."""
    return Load(
        env.server.port,
        env.seeded,
        scan_rate=args.rate,
        booking_rate=args.bookings,
        duration=args.duration,
        **options,
    )


def heading(args: argparse.Namespace) -> list[str]:
    """The first lines of either script's summary: where it ran and at what load."""
    return [
        f"Machine: {machine()}",
        f"gunicorn 4 sync workers, PostgreSQL cluster {args.pg_cluster}, Redis :{args.redis_port}",
        f"{args.rate:g} scans/s + {args.bookings:g} bookings/s for {args.duration:g} s, open loop;",
    ]


@dataclass
class Setup:
    cluster: Cluster
    redis: Redis
    server: Server
    database_url: str
    seeded: Seeded


@contextmanager
def setup(args: argparse.Namespace) -> Iterator[Setup]:
    """A fresh load database seeded on the cluster, a private Redis, and gunicorn serving both;
    everything but the cluster stopped afterwards."""
    cluster = Cluster.parse(args.pg_cluster, args.pg_port)
    database_url = fresh_database(cluster.server_url())
    seeded = seed(database_url, args.slots, args.capacity)
    redis = Redis(args.redis_port)
    redis.start()
    server = Server(args.port or free_port(), database_url, redis.url)
    try:
        server.start()
        yield Setup(cluster, redis, server, database_url, seeded)
    finally:
        stop_quietly(server.stop, redis.stop)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def report(title: str, lines: list[str], out: Path | None) -> None:
    """Print the summary block (Markdown, for BENCHMARKS.md) and append it to ``out``."""
    block = "\n".join([f"### {title}", "", "```", *lines, "```", ""])
    print(block)
    if out is not None:
        with out.open("a") as handle:
            handle.write(block + "\n")
