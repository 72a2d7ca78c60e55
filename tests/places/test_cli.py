"""The ``import-households`` and ``import-template`` commands, run as a clerk would run them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from doorplate.db import db
from doorplate.places.models import Household, Town, Village
from doorplate.staff.models import AuditEvent

from .files import NANAO, committed_counts, sample_rows, write_csv, write_xlsx


def test_import_commits_and_prints_the_summary(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "county.xlsx", sample_rows())
    result = runner.invoke(args=["import-households", str(path)])
    assert result.exit_code == 0, result.output
    assert "Read 5 households from county.xlsx." in result.stdout
    assert "households: 5 created, 0 updated, 0 unchanged" in result.stdout
    assert "villages: 3 created, 0 renamed" in result.stdout
    assert committed_counts() == (2, 3, 5, 1)
    event = db.session.scalar(select(AuditEvent))
    assert event is not None and event.actor_name.startswith("cli")


def test_reimport_reports_everything_unchanged(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "county.csv", sample_rows(), encoding="gb18030")
    runner.invoke(args=["import-households", str(path)])
    result = runner.invoke(args=["import-households", str(path)])
    assert result.exit_code == 0, result.output
    assert "households: 0 created, 0 updated, 5 unchanged" in result.stdout
    assert committed_counts()[:3] == (2, 3, 5)


def test_a_bad_row_rejects_the_whole_file(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = sample_rows()
    rows[4][7] = "12345"
    rows[2][2] = "330327100"
    path = write_xlsx(tmp_path / "county.xlsx", rows)
    result = runner.invoke(args=["import-households", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "row 4, column 村社代码 (village_code): "
        '"330327100" is not a village code: it must be 12 digits',
        'row 6, column 电话 (phone): "12345" is not a valid mainland mobile or landline number',
        "The import was rejected: nothing was written.",
    ]
    assert committed_counts() == (0, 0, 0, 0)


def test_a_registry_conflict_rejects_the_whole_file(
    app: Flask,
    runner: FlaskCliRunner,
    tmp_path: Path,
    make_town: Callable[..., Town],
    make_village: Callable[..., Village],
) -> None:
    make_village("330327101201", "南岙村", town=make_town("330327102", "钱库镇"))
    before = committed_counts()
    path = write_xlsx(tmp_path / "county.xlsx", sample_rows())
    result = runner.invoke(args=["import-households", str(path)])
    assert result.exit_code == 1
    assert "row 5: village 330327101201 is registered in town 330327102" in result.stderr
    assert committed_counts() == before


def test_dry_run_writes_nothing(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "county.csv", sample_rows(), encoding="utf-8-sig")
    result = runner.invoke(args=["import-households", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written." in result.stdout
    assert "households: 5 created, 0 updated, 0 unchanged" in result.stdout
    assert committed_counts() == (0, 0, 0, 0)


def test_a_changed_file_is_counted_as_updates(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner.invoke(args=["import-households", str(write_xlsx(tmp_path / "a.xlsx", sample_rows()))])
    rows = [*sample_rows(), [*NANAO, "矾山镇南岙村鳌山路6号", None, None, None]]
    rows[0][6] = "陈新"
    result = runner.invoke(args=["import-households", str(write_xlsx(tmp_path / "b.xlsx", rows))])
    assert "households: 1 created, 1 updated, 4 unchanged" in result.stdout
    head = db.session.scalar(
        select(Household.head_name).where(Household.address == "灵溪镇渡龙村上垟路1号")
    )
    assert head == "陈新"


def test_help_explains_columns_and_what_is_left_alone(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import-households", "--help"])
    assert result.exit_code == 0
    assert "乡镇代码  town_code" in result.output
    assert "GB18030" in result.output
    assert "left alone" in result.output
    assert "--dry-run" in result.output


def test_template_reimports_cleanly(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    result = runner.invoke(args=["import-template", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["import-households", str(path)])
    assert result.exit_code == 0, result.output
    assert "households: 2 created" in result.stdout
    assert committed_counts()[:3] == (1, 1, 2)


def test_template_has_canonical_headers_and_text_code_columns(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "template.xlsx"
    runner.invoke(args=["import-template", str(path)])
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "乡镇代码",
        "乡镇",
        "村社代码",
        "村社",
        "地址",
        "门牌号",
        "户主",
        "电话",
    ]
    assert sheet["A2"].value == "330327999"  # a string, not the number 330327999
    for letter in "ACH":
        assert sheet[f"{letter}2"].number_format == "@"
        assert sheet.column_dimensions[letter].number_format == "@"  # new rows typed in too
    assert sheet["B2"].number_format == "General"


def test_template_refuses_to_overwrite_without_force(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "template.xlsx"
    path.write_bytes(b"keep me")
    result = runner.invoke(args=["import-template", str(path)])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert path.read_bytes() == b"keep me"
    assert runner.invoke(args=["import-template", "--force", str(path)]).exit_code == 0
    assert path.read_bytes() != b"keep me"


def test_template_must_be_xlsx(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["import-template", str(tmp_path / "template.csv")])
    assert result.exit_code == 2
    assert "must end in .xlsx" in result.output
