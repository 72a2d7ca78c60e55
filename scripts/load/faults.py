"""Fault test: scans and bookings keep coming while PostgreSQL crashes, workers die and Redis
goes away; afterwards nothing is lost twice or booked twice.

Same setup as steady.py. During the load, in sequence: the private PostgreSQL cluster is
restarted with ``-m immediate`` (every connection cut, crash recovery), a gunicorn worker is
killed with SIGKILL ``--kills`` times a second apart, and Redis (the rate limits' storage) is
stopped for ``--redis-down`` seconds. Bookings that get no answer or a 5xx are retried with
their idempotency key, as the mini-program does. Targets (exit 1 when missed): the service
answers again without a restart within 30 s of the database coming back (``/readyz`` and a real
plate scan), the last stretch of the run (after every fault) has no errors, every booking
answered 2xx exists exactly once, no slot is over capacity, ``booked`` equals the active
bookings, and no more visits are stored than scans were answered. ``--correctness-only`` (the
test suite's run) waits up to :data:`HUNG_RECOVERY_SECONDS` for the recovery, judges no time and
counts only errors the service answered, not requests that got no answer in time.

    python scripts/load/faults.py [--rate 300] [--bookings 20] [--duration 60] [--kills 5]
        [--redis-down 5] [--pg-cluster 15/loadtest --pg-port 5439] [--redis-port 6391]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from common import (
    BOOKING,
    SCAN,
    Load,
    Result,
    Setup,
    add_arguments,
    check_invariants,
    figures,
    get_status,
    heading,
    is_error,
    load_from,
    report,
    setup,
)

MAX_RECOVERY_SECONDS = 30.0
HUNG_RECOVERY_SECONDS = (
    300.0  # with --correctness-only: a recovery that never comes, on any machine
)
PROBE_EVERY_SECONDS = 0.1


@dataclass
class Timeline:
    """When each fault happened, in seconds from the start of the load."""

    events: list[tuple[float, str]] = field(default_factory=list)
    pg_start: float = 0.0
    pg_back: float = 0.0
    kills: list[float] = field(default_factory=list)
    redis_stop: float = 0.0
    ready_after: float | None = None  # /readyz 200 again, from pg_back
    scan_after: float | None = None  # a plate scan 200 again, from pg_back
    calm_from: float = 0.0  # after the last fault


def faults(env: Setup, args: argparse.Namespace, timeline: Timeline) -> Callable[[Load], None]:
    """The fault sequence, to run beside the load; it notes what it did in ``timeline``."""

    def inject(load: Load) -> None:
        step = args.duration / 6
        _sleep_until(load, step)
        timeline.pg_start = load.elapsed()
        timeline.events.append((timeline.pg_start, "PostgreSQL restart -m immediate"))
        env.cluster.restart_immediately()
        timeline.pg_back = load.elapsed()
        timeline.events.append((timeline.pg_back, "PostgreSQL accepting connections"))
        limit = HUNG_RECOVERY_SECONDS if args.correctness_only else MAX_RECOVERY_SECONDS
        timeline.ready_after, timeline.scan_after = _recovery(env, load, timeline.pg_back, limit)
        _sleep_until(load, 2.5 * step)
        for _ in range(args.kills):
            pid = env.server.kill_worker()
            timeline.kills.append(load.elapsed())
            timeline.events.append((timeline.kills[-1], f"SIGKILL worker {pid}"))
            time.sleep(1)
        _sleep_until(load, 3.5 * step)
        timeline.redis_stop = load.elapsed()
        timeline.events.append((timeline.redis_stop, "Redis stopped"))
        env.redis.stop()
        time.sleep(args.redis_down)
        env.redis.start()
        timeline.events.append((load.elapsed(), "Redis started"))
        timeline.calm_from = load.elapsed() + 2  # a second for connections to come back

    return inject


def _sleep_until(load: Load, at: float) -> None:
    delay = at - load.elapsed()
    if delay > 0:
        time.sleep(delay)


def _recovery(
    env: Setup, load: Load, since: float, limit: float
) -> tuple[float | None, float | None]:
    """Seconds from ``since`` until /readyz (a plate scan where there is none) answers 200, and
    until a plate scan through the workers' pooled connections does; None after ``limit``."""
    port = env.server.port
    token = env.seeded.tokens[0]
    ready_path = "/readyz" if get_status(port, "/readyz") != 404 else f"/P/{token}"
    ready = scan = None
    while load.elapsed() - since < limit and (ready is None or scan is None):
        # No User-Agent: the probe's scans are not visits.
        if ready is None and get_status(port, ready_path) == 200:
            ready = load.elapsed() - since
        if scan is None and get_status(port, f"/P/{token}") == 200:
            scan = load.elapsed() - since
        time.sleep(PROBE_EVERY_SECONDS)
    return ready, scan


def _window(results: list[Result], start: float, end: float) -> tuple[str, float | None]:
    """A line on the requests due in [start, end), and when the last of their errors was due."""
    mine = [r for r in results if start <= r.due < end]
    errors = [r for r in mine if is_error(r)]
    last = max((r.due for r in errors), default=None)
    until = f", the last due at {last:.1f} s" if last is not None else ""
    return f"{len(errors)} errors in {len(mine)} requests{until}", last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5, help="workers killed with SIGKILL")
    parser.add_argument("--redis-down", type=float, default=5, help="seconds Redis is stopped")
    parser.add_argument("--timeout", type=float, default=5, help="client timeout, seconds")
    add_arguments(parser)
    args = parser.parse_args()
    timeline = Timeline()
    with setup(args) as env:
        load = load_from(env, args, timeout=args.timeout)
        results = load.run(during=faults(env, args, timeline))
        env.server.stop()
    invariants = check_invariants(env.database_url, results, timeline.kills)
    scans, bookings = figures(results, SCAN), figures(results, BOOKING)
    failures = list(invariants.problems)
    if timeline.ready_after is None or timeline.scan_after is None:
        failures.append("no recovery after PostgreSQL came back")
    calm = [r for r in results if r.due >= timeline.calm_from]
    judged = [r for r in calm if r.status is not None or not args.correctness_only]
    if calm_errors := sum(is_error(r) for r in judged):
        failures.append(f"{calm_errors} errors after the last fault")
    if not calm:
        failures.append("no load after the last fault: use a longer --duration")
    retried = len({r.key for r in results if r.kind == BOOKING and r.attempt > 1})
    pg_start, pg_back, redis_stop = timeline.pg_start, timeline.pg_back, timeline.redis_stop
    kill_start = timeline.kills[0] if timeline.kills else redis_stop
    # Requests in flight when a fault struck were due a little before it.
    down, _ = _window(results, pg_start - 2, pg_back)
    back, last_error = _window(results, pg_back, kill_start - 1)
    errors_for = (last_error - pg_back) if last_error is not None else 0.0
    if errors_for > MAX_RECOVERY_SECONDS and not args.correctness_only:
        failures.append(f"errors until {errors_for:.1f} s after PostgreSQL came back")
    *head, last = heading(args)
    lines = [
        *head,
        f"{last} client timeout {args.timeout:g} s; failed bookings retried with their key",
        *(f"  {when:6.1f} s  {what}" for when, what in timeline.events),
        f"recovery after PostgreSQL came back: /readyz 200 after {_seconds(timeline.ready_after)},"
        f" plate scan 200 after {_seconds(timeline.scan_after)}",
        f"PostgreSQL down: {down}",
        f"PostgreSQL back, before the kills: {back}",
        f"worker kills: {_window(results, kill_start - 1, redis_stop)[0]}",
        f"Redis down: {_window(results, redis_stop, timeline.calm_from)[0]}",
        f"after the faults: {_window(results, timeline.calm_from, 1e9)[0]}",
        scans.line(),
        bookings.line(),
        f"bookings retried with their key: {retried}",
        *invariants.lines(),
        "targets: " + ("met" if not failures else "MISSED: " + "; ".join(failures)),
    ]
    report("Faults under load", lines, args.out)
    if failures:
        print(f"gunicorn's log: {env.server.log}")
    return 1 if failures else 0


def _seconds(value: float | None) -> str:
    return f"{value:.1f} s" if value is not None else "never"


if __name__ == "__main__":
    sys.exit(main())
