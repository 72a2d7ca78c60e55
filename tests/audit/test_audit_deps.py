"""scripts/audit_deps.py against a real HTTP server standing in for PyPI's JSON API: a known
advisory fails, what cannot be verified fails (never a silent pass), and only reasoned entries
of the allow file let either through."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from served import ROOT, free_port
from waits import HUNG_SECONDS

SCRIPT = ROOT / "scripts" / "audit_deps.py"
ADVISORY = {
    "id": "PYSEC-2099-1",
    "aliases": ["CVE-2099-0001"],
    "fixed_in": ["2.0"],
    "link": "https://osv.dev/vulnerability/PYSEC-2099-1",
    "withdrawn": None,
}
# What the stand-in index answers: per-version JSON only for "served", as behind a mirror.
PROJECTS = {
    "clean": {"latest": "1.0", "vulnerabilities": []},
    "vulnerable": {"latest": "1.0", "vulnerabilities": [ADVISORY]},
    "withdrawn": {"latest": "1.0", "vulnerabilities": [{**ADVISORY, "withdrawn": "2099-01-02"}]},
    "old": {"latest": "2.0", "vulnerabilities": []},
}
SERVED = {("served", "0.9"): []}


class FakeIndex(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        parts = self.path.strip("/").split("/")  # pypi, name, [version], json
        body = None
        if len(parts) == 4 and (parts[1], parts[2]) in SERVED:
            body = {"info": {"version": parts[2]}, "vulnerabilities": SERVED[parts[1], parts[2]]}
        elif len(parts) == 3 and parts[1] in PROJECTS:
            project = PROJECTS[parts[1]]
            body = {
                "info": {"version": project["latest"]},
                "vulnerabilities": project["vulnerabilities"],
            }
        if body is None:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture(scope="module")
def index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeIndex)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/pypi"
    server.shutdown()
    server.server_close()


def audit(
    tmp_path: Path, index: str, pins: list[str], allow: str = "", declared: str = "clean"
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "lock.txt").write_text("# a lock\n" + "".join(f"{p}\n    # via x\n" for p in pins))
    (tmp_path / "allow.toml").write_text(allow)
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\ndependencies = ["{declared}>=1"]\n'
        "[project.optional-dependencies]\nprod = []\n"
    )
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--lock",
            str(tmp_path / "lock.txt"),
            "--allow",
            str(tmp_path / "allow.toml"),
            "--pyproject",
            str(tmp_path / "pyproject.toml"),
            "--index",
            index,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=HUNG_SECONDS,
    )


def test_clean_pins_pass(tmp_path: Path, index: str) -> None:
    run = audit(tmp_path, index, ["clean==1.0", "withdrawn==1.0", "served==0.9"])
    assert run.returncode == 0, run.stdout
    assert "3 checked, 0 accepted unverified, 0 unverified, 0 with a known advisory" in run.stdout


def test_a_known_advisory_fails_unless_allowed_with_a_reason(tmp_path: Path, index: str) -> None:
    failed = audit(tmp_path, index, ["clean==1.0", "vulnerable==1.0"])
    assert failed.returncode == 1
    assert "VULNERABLE vulnerable==1.0: PYSEC-2099-1 (fixed in 2.0)" in failed.stdout
    allowed = audit(
        tmp_path,
        index,
        ["clean==1.0", "vulnerable==1.0"],
        '[[allow]]\nid = "CVE-2099-0001"\nreason = "the affected function is never called"\n',
    )
    assert allowed.returncode == 0, allowed.stdout
    assert "allowed   vulnerable==1.0: PYSEC-2099-1" in allowed.stdout
    no_reason = audit(tmp_path, index, ["clean==1.0"], '[[allow]]\nid = "CVE-2099-0001"\n')
    assert no_reason.returncode != 0 and "needs id and a reason" in no_reason.stderr


def test_what_cannot_be_verified_fails(tmp_path: Path, index: str) -> None:
    run = audit(tmp_path, index, ["clean==1.0", "old==1.0", "unknown==1.0"])
    assert run.returncode == 2
    assert "UNVERIFIED old==1.0: the index serves advisories only for the latest release (2.0)" in (
        run.stdout
    )
    assert "UNVERIFIED unknown==1.0: not found on the index" in run.stdout
    accepted = audit(
        tmp_path,
        index,
        ["clean==1.0", "old==1.0"],
        '[[unverified]]\npackage = "old"\nversion = "1.0"\nreason = "2.0 needs Python 3.12"\n',
    )
    assert accepted.returncode == 0, accepted.stdout
    assert "ACCEPTED UNVERIFIED old==1.0" in accepted.stdout


def test_an_unreachable_index_is_reported_not_passed(tmp_path: Path) -> None:
    run = audit(tmp_path, f"http://127.0.0.1:{free_port()}/pypi", ["clean==1.0"])
    assert run.returncode == 2
    assert "UNVERIFIED clean==1.0: could not read the index:" in run.stdout


def test_a_dependency_missing_from_the_lock_fails(tmp_path: Path, index: str) -> None:
    run = audit(tmp_path, index, ["clean==1.0"], declared="vulnerable")
    assert run.returncode == 2
    assert "LOCK OUT OF DATE" in run.stdout and "vulnerable" in run.stdout


def test_the_projects_lock_pins_every_declared_dependency() -> None:
    """The real lock: every runtime and prod dependency of pyproject.toml is pinned in it."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import audit_deps
    finally:
        sys.path.remove(str(SCRIPT.parent))
    pins = audit_deps.read_lock(ROOT / "requirements" / "lock.txt")
    assert audit_deps.declared(ROOT / "pyproject.toml") <= pins.keys()
    assert all(version[0].isdigit() for version in pins.values())
