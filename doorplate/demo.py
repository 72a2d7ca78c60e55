"""The demo county that ``doorplate serve --demo`` seeds into an empty database.

Town names are Cangnan's; village names and codes are illustrative, chosen to include the rare
place-name characters (垟 岙 埭 鳌) that real Wenzhou addresses use. Every household goes
through the same import use case a county's spreadsheet does, so the demo exercises the real path.
"""

from __future__ import annotations

import random

from sqlalchemy import exists, select

from doorplate.db import db
from doorplate.places.importer import HouseholdRow
from doorplate.places.models import Household, Town
from doorplate.places.service import import_households
from doorplate.plates.models import Plate, PlateStatus
from doorplate.plates.service import issue_missing
from doorplate.plates.tokens import plate_url
from doorplate.staff.audit import cli_actor
from doorplate.staff.models import Role
from doorplate.staff.service import create_staff

# (town code, town, [(village code, village)])
DEMO_PLACES = [
    ("330327100", "灵溪镇", [("330327100201", "渡龙村"), ("330327100202", "坑垟村")]),
    ("330327101", "矾山镇", [("330327101201", "南岙村"), ("330327101202", "鳌江社区")]),
    ("330327102", "钱库镇", [("330327102201", "新埭村"), ("330327102202", "项桥村")]),
]
STREETS = ["上垟路", "岙底街", "埭头巷", "鳌山路", "文化路", "中心街"]
SURNAMES = "陈林黄郑吴王李张杨刘"
GIVEN = ["建华", "丽娟", "国强", "秀英", "志明", "美玲", "喆", "堃", "镕基", "海燕"]
HOUSEHOLDS_PER_VILLAGE = 24

# (username, display name, role, town code, village code, password)
DEMO_STAFF = [
    ("admin", "县管理员", Role.ADMIN, None, None, "demo-admin-2026"),
    ("county", "县府办", Role.COUNTY, None, None, "demo-county-2026"),
    ("lingxi", "灵溪镇审核员", Role.REVIEWER, "330327100", None, "demo-reviewer-2026"),
    ("dulong", "渡龙村村务员", Role.EDITOR, None, "330327100201", "demo-editor-2026"),
    ("nanao", "南岙村村务员", Role.EDITOR, None, "330327101201", "demo-editor-2026"),
]


def demo_rows(seed: int = 2021) -> list[HouseholdRow]:
    """The demo households, the same on every run."""
    rng = random.Random(seed)  # noqa: S311 (made-up demo data, not a secret)
    rows: list[HouseholdRow] = []
    for town_code, town, villages in DEMO_PLACES:
        for village_code, village in villages:
            for n in range(1, HOUSEHOLDS_PER_VILLAGE + 1):
                street = STREETS[n % len(STREETS)]
                house_no = f"{n * 2}号"
                rows.append(
                    HouseholdRow(
                        line=len(rows) + 2,
                        town_code=town_code,
                        town=town,
                        village_code=village_code,
                        village=village,
                        address=f"{town}{village}{street}{house_no}",
                        house_no=house_no,
                        head_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                        phone=f"13{rng.randint(500000000, 999999999)}",
                    )
                )
    return rows


def seed_if_empty() -> bool:
    """Seed the demo county and staff into an empty registry; return whether anything was seeded."""
    if db.session.scalar(select(exists().where(Town.id.is_not(None)))):
        return False
    actor = cli_actor()
    import_households(demo_rows(), actor)
    issue_missing()  # as printing the plates would, so the demo's plate URLs can be opened
    for username, name, role, town_code, village_code, password in DEMO_STAFF:
        create_staff(
            actor,
            username=username,
            display_name=name,
            password=password,
            role=role,
            town_code=town_code,
            village_code=village_code,
        )
    db.session.commit()
    return True


def guide(base_url: str) -> str:
    """What to try, printed when the demo starts: pages, two households' plates, staff logins."""
    plates = db.session.execute(
        select(Plate.token, Household.address)
        .join(Plate.household)
        .where(Plate.status == PlateStatus.ACTIVE)
        .order_by(Household.id)
        .limit(2)
    ).all()
    lines = [
        "",
        "Doorplate demo is running. Try:",
        f"  Home page:      {base_url}/",
        f"  Staff console:  {base_url}/staff/login",
        *(
            f"  A plate:        {plate_url(base_url, token)}  ({address})"
            for token, address in plates
        ),
        "",
        "Demo staff logins (username / password — scope):",
    ]
    for username, name, role, town_code, village_code, password in DEMO_STAFF:
        scope = village_code or town_code or "whole county"
        lines.append(f"  {username:<8} / {password:<20} {role.value:<9} {name} ({scope})")
    lines.append("")
    return "\n".join(lines)
