"""Load test: plate scans and bookings at a steady rate against gunicorn on PostgreSQL and Redis.

Serves the app with 4 gunicorn workers on loopback, on a fresh ``doorplate_load`` database in a
private cluster (never a shared one) and a private Redis, sends ``--rate`` scans and
``--bookings`` bookings a second for ``--duration`` seconds (open loop, see common.py), stops
gunicorn gracefully and checks the targets: error rate below 0.1%, p95 below 200 ms for scans
and for bookings, the booking invariants, and exactly one visit stored per 2xx scan. Exits 1
when a target is missed. ``--correctness-only`` (the test suite's run) judges only the invariants
and the error answers, and reports the timings.

    python scripts/load/steady.py [--rate 300] [--bookings 20] [--duration 60]
        [--pg-cluster 15/loadtest --pg-port 5439] [--redis-port 6391] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys

from common import (
    BOOKING,
    SCAN,
    Load,
    add_arguments,
    check_invariants,
    figures,
    heading,
    load_from,
    report,
    setup,
)

MAX_ERROR_RATE = 0.001
MAX_P95_MS = 200.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=float, default=3, help="seconds of scans first")
    add_arguments(parser)
    args = parser.parse_args()
    with setup(args) as env:
        # Each worker's first requests (imports, connections, page renders) before measuring;
        # their visits are counted too.
        warmup = Load(
            env.server.port, env.seeded, scan_rate=50, booking_rate=0, duration=args.warmup
        ).run()
        results = load_from(env, args).run()
        env.server.stop()  # graceful: every worker writes its queued visits
    invariants = check_invariants(env.database_url, warmup + results)
    scans, bookings = figures(results, SCAN), figures(results, BOOKING)
    failures = list(invariants.problems)
    for measured in (scans, bookings):
        if args.correctness_only:
            if measured.answered_error_rate >= MAX_ERROR_RATE:
                failures.append(f"{measured.kind} error answers {measured.answered_error_rate:.3%}")
            continue
        if measured.error_rate >= MAX_ERROR_RATE:
            failures.append(f"{measured.kind} error rate {measured.error_rate:.3%}")
        if measured.p95_ms >= MAX_P95_MS:
            failures.append(f"{measured.kind} p95 {measured.p95_ms:.0f} ms")
    *head, last = heading(args)
    lines = [
        *head,
        f"{last} {len(env.seeded.slot_ids)} slots x {args.capacity} places",
        scans.line(),
        bookings.line(),
        *invariants.lines(),
        "targets: " + ("met" if not failures else "MISSED: " + "; ".join(failures)),
    ]
    report("Steady load", lines, args.out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
