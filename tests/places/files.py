"""Real household files for the registry tests, and counts of what the registry holds."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import openpyxl
from sqlalchemy import func, select

from doorplate.db import db
from doorplate.places.models import Household, Town, Village
from doorplate.staff.models import AuditEvent

HEADER = ["乡镇代码", "乡镇", "村社代码", "村社", "地址", "门牌号", "户主", "电话"]
ENGLISH = [
    "town_code",
    "town",
    "village_code",
    "village",
    "address",
    "house_no",
    "head_name",
    "phone",
]
# Rare place-name and given-name characters; 䶮 (CJK Ext. A) and 𠮷 (Ext. B) are outside GBK.
RARE = "垟岙埭鳌镕喆堃䶮𠮷"

Cells = Sequence[object]


DULONG = ["330327100", "灵溪镇", "330327100201", "渡龙村"]
KENGYANG = ["330327100", "灵溪镇", "330327100202", "坑垟村"]
NANAO = ["330327101", "矾山镇", "330327101201", "南岙村"]


def sample_rows() -> list[list[object]]:
    """Two towns, three villages, five households; every rare character appears somewhere."""
    return [
        [*DULONG, "灵溪镇渡龙村上垟路1号", "1号", "陈喆", "13800138000"],
        [*DULONG, "灵溪镇渡龙村岙底街2号", "2号", "林堃", None],
        [*KENGYANG, "灵溪镇坑垟村埭头巷3号", "3号", "王镕基", "0577-68878130"],
        [*NANAO, "矾山镇南岙村鳌山路4号", None, "刘䶮", "13912345678"],
        [*NANAO, "矾山镇南岙村𠮷祥路5号", "5号", None, None],
    ]


def write_xlsx(path: Path, rows: Sequence[Cells], header: Cells = HEADER) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_csv(
    path: Path, rows: Sequence[Cells], header: Cells = HEADER, encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return path


def registry_counts() -> tuple[int, int, int, int]:
    """Towns, villages, households and audit events as the session sees them (flushed rows
    included)."""
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Town, Village, Household, AuditEvent)
    )


def committed_counts() -> tuple[int, int, int, int]:
    """The same counts, of committed rows only: whatever the session has not committed is
    dropped first."""
    db.session.rollback()
    return registry_counts()
