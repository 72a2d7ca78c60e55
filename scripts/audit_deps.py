#!/usr/bin/env python3
"""Audit the locked dependencies (requirements/lock.txt) for known vulnerabilities.

Why not plain ``pip-audit``: where PyPI is reached through a mirror that serves only each
project's latest-release JSON (``/pypi/<name>/json``) and not the per-version one
(``/pypi/<name>/<version>/json``), pip-audit's PyPI service skips every package as "not found on
PyPI" and still says "No known vulnerabilities found" with exit status 0, and its OSV service
needs api.osv.dev. This script asks PyPI's JSON API itself and never passes what it could not
check:

- for each pinned ``name==version`` it reads the advisories PyPI lists for that exact release:
  from the per-version JSON when the index serves it, else from the project's JSON when the
  pinned version is the latest release (PyPI lists the advisories of the latest release there);
- a pinned version it can read no advisories for (an older release behind such a mirror, an
  unknown package, a network error after retries) is reported as UNVERIFIED and fails the run;
- PyPI's advisory data carries no severity, so every advisory affecting a pinned version fails
  the run unless its id (or an alias, e.g. a CVE) is in ``requirements/audit-allow.toml`` with
  a reason (``[[allow]]``); a pin that cannot be verified here passes only if that file accepts
  that exact ``package`` and ``version`` with a reason (``[[unverified]]``), and it is printed
  as accepted on every run; entries that match nothing are reported so the file does not rot.

It also checks the lock pins every dependency of ``pyproject.toml``'s ``[project]`` and its
``prod`` extra, so a dependency added without regenerating the lock is caught.

Exit status: 0 all verified and clean, 1 an advisory affects a pinned version, 2 something could
not be verified (or the lock is out of date). Standard library only, so it runs before any
install. Regenerate the lock as its header says (pip-tools' ``pip-compile``).
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


@dataclass(frozen=True)
class Accepted:
    """What the allow file accepts: advisory ids, and pins that cannot be verified here."""

    advisories: dict[str, str]  # id or alias -> reason
    unverified: dict[str, str]  # "name==version" -> reason


def read_allowed(path: Path) -> Accepted:
    """The allow file's entries; an entry without its keys or a reason is an error."""
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    accepted = Accepted({}, {})
    for table, keys, into in (
        ("allow", ("id",), accepted.advisories),
        ("unverified", ("package", "version"), accepted.unverified),
    ):
        for entry in data.get(table, []):
            reason = str(entry.get("reason", "")).strip()
            if not all(entry.get(key) for key in keys) or not reason:
                raise SystemExit(f"{path}: [[{table}]] needs {', '.join(keys)} and a reason")
            key = "==".join([normalise(str(entry[keys[0]])), *(str(entry[k]) for k in keys[1:])])
            into[key if table == "unverified" else str(entry["id"])] = reason
    return accepted


@dataclass
class Result:
    name: str
    version: str
    advisories: list[dict[str, Any]] = field(default_factory=list)
    unverified: str | None = None  # why nothing could be said about this pin


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
    """The advisories PyPI lists for ``name==version``, or why they could not be read."""
    result = Result(name, version)
    try:
        try:
            data = fetch_json(f"{index}/{name}/{version}/json")
        except NotServed:
            data = fetch_json(f"{index}/{name}/json")
            latest = data["info"]["version"]
            if latest != version:
                result.unverified = (
                    f"the index serves advisories only for the latest release ({latest}), not "
                    f"for {version}: upgrade the lock, or audit where per-version data is served"
                )
                return result
    except NotServed:
        result.unverified = "not found on the index"
        return result
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as error:
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
    accepted = read_allowed(args.allow)
    allowed = accepted.advisories
    missing = sorted(declared(args.pyproject) - pins.keys())
    if missing:
        print(f"LOCK OUT OF DATE: {args.lock} does not pin {', '.join(missing)}; regenerate it.")
        return 2
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
    unverified = []
    for result in results:
        pin = f"{result.name}=={result.version}"
        if result.unverified and pin in accepted.unverified:
            used.add(pin)
            print(f"ACCEPTED UNVERIFIED {pin}: {result.unverified} ({accepted.unverified[pin]})")
        elif result.unverified:
            unverified.append(f"{pin}: {result.unverified}")
    for unused in sorted((allowed.keys() | accepted.unverified.keys()) - used):
        print(f"note: allow entry {unused} matches nothing in this run; remove it")
    for line in failing:
        print(f"VULNERABLE {line}")
    for line in unverified:
        print(f"UNVERIFIED {line}")
    checked = sum(1 for result in results if not result.unverified)
    print(
        f"{len(results)} pinned packages: {checked} checked, "
        f"{len(results) - checked - len(unverified)} accepted unverified, "
        f"{len(unverified)} unverified, {len(failing)} with a known advisory not allowed."
    )
    if failing:
        return 1
    return 2 if unverified else 0


if __name__ == "__main__":
    sys.exit(main())
