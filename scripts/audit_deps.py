#!/usr/bin/env python3
"""Audit the locked dependencies (requirements/lock.txt) for known vulnerabilities.

Why not plain ``pip-audit``: where PyPI is reached through a mirror that serves only each
project's latest-release JSON (``/pypi/<name>/json``) and not the per-version one
(``/pypi/<name>/<version>/json``), pip-audit's PyPI service skips every package as "not found on
PyPI" and still says "No known vulnerabilities found" with exit status 0, and its OSV service
needs api.osv.dev. This script asks PyPI's JSON API itself and says what it could not check:

- for each pinned ``name==version`` it reads the project's JSON (its latest release, and that
  release's advisories) and, for an older pin, the per-version JSON where the index serves it;
- an advisory affecting a pinned version **fails the run** (exit 1) unless its id (or an alias,
  e.g. a CVE) is in ``requirements/audit-allow.toml`` with a reason; PyPI's advisory data
  carries no severity, so every one counts;
- everything else is reported and never fatal, because none of it is a fault of the project's
  and all of it changes whenever upstream publishes a release: a pin behind the latest release
  (``BEHIND``, with the one command that refreshes the lock), a pin whose advisories could not be
  read (``UNVERIFIED``: an older release behind such a mirror, an unknown package, an index
  unreachable after retries), a dependency of ``pyproject.toml`` the lock does not pin (the test
  suite fails on that one: ``tests/audit``), and allow entries that match nothing.

Exit status: 0 no known advisory affects a pin, 1 one does. Standard library only, so it runs
before any install.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INDEX = "https://pypi.org/pypi"
EXTRAS = ("prod",)
TIMEOUT_SECONDS = 20
ATTEMPTS = 3  # a transient error is retried; one that persists is reported, never skipped
REFRESH = "scripts/lock --upgrade"  # README: "Locked dependencies"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503 name: ``Flask_SQLAlchemy`` and ``flask-sqlalchemy`` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """``{name: version}`` of the lock's ``name==version`` lines."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


def declared(pyproject: Path, extras: tuple[str, ...] = EXTRAS) -> set[str]:
    """The project's runtime dependencies and those of ``extras``, by normalised name."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    names = set()
    for requirement in requirements:
        match = _NAME.match(requirement)
        if match:
            names.add(normalise(match.group(1)))
    return names


def read_allowed(path: Path) -> dict[str, str]:
    """The allow file's advisories, ``{id or alias: reason}``; an entry without both is an error."""
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if unknown := sorted(set(data) - {"allow"}):
        raise SystemExit(f"{path}: unknown table(s) {', '.join(unknown)}; only [[allow]] is read")
    allowed = {}
    for entry in data.get("allow", []):
        reason = str(entry.get("reason", "")).strip()
        if not entry.get("id") or not reason:
            raise SystemExit(f"{path}: [[allow]] needs id and a reason")
        allowed[str(entry["id"])] = reason
    return allowed


@dataclass
class Result:
    name: str
    version: str
    latest: str | None = None  # the index's latest release, when it could be read
    advisories: list[dict[str, Any]] = field(default_factory=list)
    unverified: str | None = None  # why the pin's advisories could not be read


class NotServed(Exception):
    """The index answered 404 for this URL."""


def fetch_json(url: str) -> Any:
    """The JSON at ``url``; :class:`NotServed` for a 404; other failures retried, then raised."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (a fixed https URL)
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise NotServed(url) from None
            if attempt == ATTEMPTS or error.code < 500:
                raise
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if attempt == ATTEMPTS:
                raise
        time.sleep(2**attempt)
    raise AssertionError("unreachable")


def audit_one(name: str, version: str, index: str = INDEX) -> Result:
    """The latest release of ``name`` and the advisories PyPI lists for ``name==version``, or
    why they could not be read."""
    result = Result(name, version)
    try:
        data = fetch_json(f"{index}/{name}/json")
        result.latest = str(data["info"]["version"])
        if result.latest != version:
            try:
                data = fetch_json(f"{index}/{name}/{version}/json")
            except NotServed:
                result.unverified = (
                    f"the index serves advisories only for the latest release ({result.latest})"
                )
                return result
    except NotServed:
        result.unverified = "not found on the index"
        return result
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError, KeyError) as error:
        result.unverified = f"could not read the index: {error}"
        return result
    if not isinstance(data.get("vulnerabilities"), list):
        result.unverified = "the index's answer has no vulnerabilities list"
        return result
    result.advisories = [v for v in data["vulnerabilities"] if not v.get("withdrawn")]
    return result


def ids_of(advisory: dict[str, Any]) -> set[str]:
    return {str(advisory.get("id", "")), *map(str, advisory.get("aliases") or [])} - {""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements" / "lock.txt")
    parser.add_argument("--allow", type=Path, default=ROOT / "requirements" / "audit-allow.toml")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--index", default=INDEX, help="PyPI's JSON API (default: %(default)s)")
    args = parser.parse_args(argv)

    pins = read_lock(args.lock)
    allowed = read_allowed(args.allow)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda pin: audit_one(*pin, index=args.index), sorted(pins.items()))
        )

    failing, used = [], set()
    for result in results:
        for advisory in result.advisories:
            match = ids_of(advisory) & allowed.keys()
            used |= match
            label = f"{result.name}=={result.version}: {advisory.get('id')}"
            fixed = ", ".join(advisory.get("fixed_in") or []) or "no fixed release listed"
            if match:
                print(f"allowed   {label} ({allowed[min(match)]})")
            else:
                failing.append(f"{label} (fixed in {fixed}) {advisory.get('link', '')}".rstrip())
    behind = [r for r in results if r.latest is not None and r.latest != r.version]
    unverified = [r for r in results if r.unverified]
    for result in behind:
        print(f"BEHIND     {result.name}=={result.version} (latest {result.latest})")
    if behind:
        print(f"           refresh the lock with `{REFRESH}`; CI tests what it pins")
    for result in unverified:
        print(f"UNVERIFIED {result.name}=={result.version}: {result.unverified}")
    for missing in sorted(declared(args.pyproject) - pins.keys()):
        print(f"NOT LOCKED {missing}: declared in {args.pyproject.name}; refresh with `{REFRESH}`")
    for unused in sorted(allowed.keys() - used):
        print(f"note: allow entry {unused} matches nothing in this run; remove it")
    for line in failing:
        print(f"VULNERABLE {line}")
    print(
        f"{len(results)} pinned packages: {len(results) - len(unverified)} checked, "
        f"{len(unverified)} unverified, {len(behind)} behind the latest release, "
        f"{len(failing)} with a known advisory not allowed."
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
