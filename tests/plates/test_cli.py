"""``doorplate plates ...``: exports in every format and scope, install, revoke, reissue, status.

The files are only checked for their type and contents here; ``tests/plates/render`` decodes them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from doorplate.db import db
from doorplate.places.models import Village
from doorplate.plates import tokens
from doorplate.plates.models import Plate, PlateStatus
from doorplate.staff.models import AuditEvent

from .conftest import County, active_plate

MAGIC = {"pdf": b"%PDF-", "png": b"PK\x03\x04", "svg": b"PK\x03\x04", "xlsx": b"PK\x03\x04"}


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _tokens(county_place_ids: tuple[int, ...]) -> list[str]:
    return [active_plate(household_id).token for household_id in county_place_ids]


def test_help_describes_every_command(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["plates", "--help"])
    assert result.exit_code == 0
    for command in ("export", "install", "revoke", "reissue", "status"):
        assert command in result.output
        help_text = runner.invoke(args=["plates", command, "--help"])
        assert help_text.exit_code == 0, command
        assert len(help_text.output.split("Options:")[0].strip().splitlines()) >= 3, command


@pytest.mark.parametrize("fmt", ["pdf", "png", "svg", "csv", "xlsx"])
def test_export_a_village_in_each_format(
    runner: FlaskCliRunner, county: County, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"plates.{fmt}"
    result = runner.invoke(
        args=["plates", "export", "--village", county.a.village_code, "--format", fmt, "-o", out]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote 3 plates to {out}." in result.output
    data = out.read_bytes()
    found = _tokens(county.a.household_ids)
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) == 4
        assert [row[2] for row in rows[1:]] == list(county.a.addresses)
        assert [row[3] for row in rows[1:]] == [tokens.grouped(t) for t in found]
    else:
        assert data.startswith(MAGIC[fmt])
    if fmt in ("png", "svg"):
        with zipfile.ZipFile(out) as archive:
            names = archive.namelist()
        assert len(names) == 3 and all(name.endswith(f".{fmt}") for name in names)
    if fmt == "xlsx":
        workbook = load_workbook(out, read_only=True)
        cells = {str(c) for row in workbook.active.iter_rows(values_only=True) for c in row}
        workbook.close()
        assert {tokens.grouped(t) for t in found} <= cells
    [event] = _audit("plates.export")
    assert event.actor_name.startswith("cli")
    assert (event.object_type, event.object_id, event.detail) == (
        "village",
        county.a.village_code,
        {"format": fmt, "count": 3},
    )


def test_export_sheets_take_columns_and_rows(
    runner: FlaskCliRunner, county: County, tmp_path: Path
) -> None:
    pages = {}
    for per_row in (1, 3):
        out = tmp_path / f"{per_row}.pdf"
        args = ["plates", "export", "--village", county.a.village_code, "--format", "pdf"]
        result = runner.invoke(args=[*args, "--columns", per_row, "--rows", 1, "-o", out])
        assert result.exit_code == 0, result.output
        data = out.read_bytes()
        pages[per_row] = data.count(b"/Type /Page\n") + data.count(b"/Type /Page ")
    assert pages == {1: 3, 3: 1}


def test_export_refuses_to_overwrite_without_force(
    runner: FlaskCliRunner, county: County, tmp_path: Path
) -> None:
    out = tmp_path / "plates.csv"
    out.write_text("keep me")
    args = ["plates", "export", "--village", county.a.village_code, "--format", "csv", "-o", out]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "already exists; use --force" in result.output
    assert out.read_text() == "keep me"
    assert runner.invoke(args=[*args, "--force"]).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_a_town_writes_a_file_per_village(
    runner: FlaskCliRunner, county: County, tmp_path: Path
) -> None:
    result = runner.invoke(
        args=["plates", "export", "--town", county.a.town_code, "--format", "csv", "-o", tmp_path]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote 4 plates of 2 villages under {tmp_path}." in result.output
    town = tmp_path / f"{county.a.town_code}-镇100"
    assert sorted(p.name for p in town.iterdir()) == [
        f"{county.a.village_code}-渡龙村.csv",
        f"{county.a2.village_code}-坑垟村.csv",
    ]
    listing = (town / f"{county.a.village_code}-渡龙村.csv").read_text("utf-8-sig")
    assert [row[2] for row in list(csv.reader(io.StringIO(listing)))[1:]] == list(
        county.a.addresses
    )
    [event] = _audit("plates.export")
    assert (event.object_type, event.object_id, event.detail) == (
        "town",
        county.a.town_code,
        {"format": "csv", "count": 4, "villages": 2},
    )


def test_export_all_renders_villages_in_a_process_pool(
    runner: FlaskCliRunner, county: County, tmp_path: Path
) -> None:
    result = runner.invoke(
        args=["plates", "export", "--all", "--format", "pdf", "--jobs", "2", "-o", tmp_path]
    )
    assert result.exit_code == 0, result.output
    assert "Rendering villages" in result.output  # the progress bar's label
    assert f"Wrote 5 plates of 3 villages under {tmp_path}." in result.output
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf"))
    assert files == [
        "330327100-镇100/330327100201-渡龙村.pdf",
        "330327100-镇100/330327100202-坑垟村.pdf",
        "330327101-镇101/330327101201-南岙村.pdf",
    ]
    assert all((tmp_path / f).read_bytes().startswith(b"%PDF-") for f in files)
    [event] = _audit("plates.export")
    assert (event.object_type, event.object_id, event.detail) == (
        "county",
        None,
        {"format": "pdf", "count": 5, "villages": 3},
    )


def test_a_worker_failure_fails_the_export(
    runner: FlaskCliRunner, county: County, tmp_path: Path
) -> None:
    """A label the font cannot draw, found in a worker process: a clear error, exit status 1."""
    plate = active_plate(county.b.household_ids[0])
    plate.household.address = "鳌山\ue000巷8号"
    db.session.commit()
    result = runner.invoke(args=["plates", "export", "--all", "--format", "svg", "-o", tmp_path])
    assert result.exit_code == 1
    assert "Error:" in result.output and "U+E000" in result.output
    assert _audit("plates.export") == []


def test_export_needs_exactly_one_selection_and_known_codes(
    runner: FlaskCliRunner, county: County, tmp_path: Path
) -> None:
    out = ["--format", "pdf", "-o", tmp_path / "x.pdf"]
    neither = runner.invoke(args=["plates", "export", *out])
    assert neither.exit_code == 2 and "exactly one of --village, --town or --all" in neither.output
    both = runner.invoke(
        args=["plates", "export", "--village", county.a.village_code, "--all", *out]
    )
    assert both.exit_code == 2
    unknown = runner.invoke(args=["plates", "export", "--village", "330327999999", *out])
    assert unknown.exit_code == 1
    assert "There is no village with code 330327999999." in unknown.output
    town = runner.invoke(args=["plates", "export", "--town", "330327999", *out])
    assert town.exit_code == 1 and "There is no town with code 330327999." in town.output
    wrong_format = runner.invoke(
        args=["plates", "export", "--village", county.a.village_code, "--format", "gif", "-o", "x"]
    )
    assert wrong_format.exit_code == 2
    assert not (tmp_path / "x.pdf").exists()
    into_dir = runner.invoke(
        args=[
            "plates",
            "export",
            "--village",
            county.a.village_code,
            "--format",
            "pdf",
            "-o",
            tmp_path,
        ]
    )
    assert into_dir.exit_code == 2 and "names a file, not a directory" in into_dir.output
    (tmp_path / "file").write_text("")
    onto_file = runner.invoke(
        args=["plates", "export", "--all", "--format", "pdf", "-o", tmp_path / "file"]
    )
    assert onto_file.exit_code == 2 and "names a directory" in onto_file.output


def test_install_marks_a_village_and_status_reports_coverage(
    runner: FlaskCliRunner, county: County
) -> None:
    status = runner.invoke(args=["plates", "status", "--village", county.a.village_code])
    assert status.exit_code == 0
    assert "households:     3" in status.output and "installed:      0" in status.output
    result = runner.invoke(args=["plates", "install", "--village", county.a.village_code])
    assert result.exit_code == 0
    assert "渡龙村: 3 plates marked as installed." in result.output
    status = runner.invoke(args=["plates", "status", "--village", county.a.village_code])
    assert "installed:      3" in status.output and "coverage:       100.0%" in status.output
    again = runner.invoke(args=["plates", "install", "--village", county.a.village_code])
    assert "0 plates marked as installed." in again.output
    assert [e.detail for e in _audit("plate.install_village")] == [{"plates": 3}, {"plates": 0}]
    for command in ("install", "status"):
        missing = runner.invoke(args=["plates", command, "--village", "330327999999"])
        assert missing.exit_code == 1, command
        assert "There is no village with code 330327999999." in missing.output


def test_revoke_by_token_then_reissue_by_household(runner: FlaskCliRunner, county: County) -> None:
    household_id = county.a.household_ids[0]
    old = active_plate(household_id).token
    result = runner.invoke(
        args=["plates", "revoke", "--token", tokens.grouped(old).lower(), "--reason", "lost"]
    )
    assert result.exit_code == 0, result.output
    assert f"Revoked plate {tokens.grouped(old)} (generation 1)" in result.output
    again = runner.invoke(args=["plates", "revoke", "--token", old, "--reason", "lost"])
    assert again.exit_code == 1
    assert "This household has no active plate to revoke." in again.output

    result = runner.invoke(
        args=["plates", "reissue", "--household", str(household_id), "--reason", "lost"]
    )
    assert result.exit_code == 0, result.output
    new = active_plate(household_id)
    assert new.generation == 2
    assert f"Code: {tokens.grouped(new.token)}" in result.output
    assert f"URL: HTTPS://DP.EXAMPLE.GOV.CN/P/{new.token}" in result.output
    statuses = db.session.execute(
        select(Plate.generation, Plate.status, Plate.revoke_reason)
        .where(Plate.household_id == household_id)
        .order_by(Plate.generation)
    ).all()
    assert [tuple(row) for row in statuses] == [
        (1, PlateStatus.REVOKED, "lost"),
        (2, "active", None),
    ]
    assert len(_audit("plate.revoke")) == 1 and len(_audit("plate.reissue")) == 1


def test_reissue_by_an_old_token_replaces_the_current_plate(
    runner: FlaskCliRunner, county: County
) -> None:
    household_id = county.b.household_ids[0]
    first = active_plate(household_id).token
    assert (
        runner.invoke(args=["plates", "reissue", "--token", first, "--reason", "damaged"]).exit_code
        == 0
    )
    second = active_plate(household_id).token
    result = runner.invoke(args=["plates", "reissue", "--token", first, "--reason", "other"])
    assert result.exit_code == 0, result.output
    third = active_plate(household_id)
    assert third.generation == 3 and len({first, second, third.token}) == 3


def test_revoke_and_reissue_refuse_bad_input(runner: FlaskCliRunner, county: County) -> None:
    for command in ("revoke", "reissue"):
        none = runner.invoke(args=["plates", command, "--reason", "lost"])
        assert none.exit_code == 2 and "exactly one of --household or --token" in none.output
        bad_reason = runner.invoke(args=["plates", command, "--household", "1", "--reason", "x"])
        assert bad_reason.exit_code == 2
        unknown = runner.invoke(
            args=["plates", command, "--household", "999999", "--reason", "lost"]
        )
        assert unknown.exit_code == 1
        assert "There is no household with id 999999." in unknown.output
        guess = runner.invoke(args=["plates", command, "--token", "AAAA-BBBB", "--reason", "lost"])
        assert guess.exit_code == 1 and "No plate has the code AAAA-BBBB." in guess.output
    assert _audit("plate.revoke") == []


def test_export_skips_villages_without_households(
    runner: FlaskCliRunner,
    county: County,
    make_village: Callable[..., Village],
    tmp_path: Path,
) -> None:
    make_village("330327101202", "鳌江社区")
    args = ["plates", "export", "--town", county.b.town_code, "--format", "xlsx", "-o", tmp_path]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Wrote 1 plates of 1 villages" in result.output
    assert "1 village without households was skipped." in result.output
    assert [p.name for p in tmp_path.rglob("*.xlsx")] == [f"{county.b.village_code}-南岙村.xlsx"]
