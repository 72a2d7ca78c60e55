"""The demo county that ``doorplate serve --demo`` seeds into an empty database.

Town names are Cangnan's; village names and codes are illustrative, chosen to include the rare
place-name characters (垟 岙 埭 鳌) that real Wenzhou addresses use. Every household goes
through the same import use case a county's spreadsheet does, every office contact through the
console's, and every post is written, masked, submitted and approved by the demo staff through the
publication use cases (先审后发), so the demo exercises the real path and its rules. The services
are created, given hours and their slots generated through the catalogue's use cases likewise.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import time, timedelta

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import exists, select

from doorplate.bookings import catalogue
from doorplate.bookings.models import ServiceKind
from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.places.importer import HouseholdRow
from doorplate.places.models import Household, Town, Village
from doorplate.places.service import import_households, update_village_contact
from doorplate.plates.models import Plate, PlateStatus
from doorplate.plates.service import issue_missing
from doorplate.plates.tokens import plate_url
from doorplate.publications import attachments
from doorplate.publications import service as publications
from doorplate.publications.models import Category, Table
from doorplate.search import synonyms
from doorplate.staff.audit import cli_actor
from doorplate.staff.models import Role, StaffUser
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


DULONG = "330327100201"  # 渡龙村: most demo posts are its, and the first plates printed are too

# Each village office's public line and hours; the office is in the village hall.
OFFICE_HOURS = "周一至周五 8:30-12:00，14:00-17:30"


def office_phone(number: int) -> str:
    """The ``number``-th demo village's office line (Cangnan numbers are 0577-6xxx xxxx)."""
    return f"0577-6871{1000 + number:04d}"


@dataclass(frozen=True)
class DemoPost:
    """A post the demo publishes: who writes it, who approves it, and how many days ago."""

    author: str
    reviewer: str
    days_ago: int
    category: Category
    title: str
    body: str
    village: str | None = None  # a village code; else ``town``; neither: the county
    town: str | None = None
    table: Table | None = None
    name_columns: tuple[int, ...] = ()  # masked with one click before submitting
    photo: str | None = None  # a picture drawn at seeding time and attached under this name


DEMO_POSTS = [
    DemoPost(
        "county",
        "admin",
        12,
        Category.POLICY,
        "一图读懂：2027年度城乡居民基本医疗保险参保缴费政策",
        "**缴费时间**：2026年9月1日至12月31日。\n\n"
        "**缴费标准**：个人缴费每人每年400元；低保对象、特困人员由政府全额资助。\n\n"
        "**怎么缴**：通过“浙里办”或到村便民服务中心代缴。住院报销比例最高85%，"
        "大病保险起付线1.5万元。",
    ),
    DemoPost(
        "county",
        "admin",
        3,
        Category.POLICY,
        "城乡居民最低生活保障申请指南",
        "**谁可以申请**：家庭月人均收入低于最低生活保障标准（2027年每人每月1,180元），"
        "且家庭财产符合规定的城乡居民。\n\n"
        "**怎么申请**：户主带身份证、户口簿到村便民服务中心或镇社会事务办提出申请，"
        "也可在“浙里办”网上申请。镇里20个工作日内审核，结果在村务公开栏公示7天。",
    ),
    DemoPost(
        "lingxi",
        "county",
        6,
        Category.NOTICE,
        "灵溪镇关于做好今冬明春森林防火工作的通知",
        "11月至次年4月为森林防火期。进山不带火种，严禁野外烧荒、上坟烧纸、燃放烟花爆竹。"
        "发现火情请立即拨打 **12119** 或 **119**。",
        town="330327100",
    ),
    DemoPost(
        "dulong",
        "lingxi",
        20,
        Category.AFFAIRS,
        "渡龙村2026年第三季度村务公开",
        "本季度村务如下：\n\n"
        "1. 上垟路路面硬化工程（长420米）已完工并通过镇里验收；\n"
        "2. 村文化礼堂新增适老化扶手和无障碍坡道；\n"
        "3. 完成村级公益性岗位年度考核。\n\n"
        "如有疑问，请在工作日到村委会咨询，或向村务监督委员会反映。",
        village=DULONG,
    ),
    DemoPost(
        "dulong",
        "lingxi",
        9,
        Category.AFFAIRS,
        "关于上垟路、岙底街路灯改造工程的公示",
        "村民代表会议通过路灯改造方案：更换太阳能路灯36盏，预算8.6万元，由镇级补助和"
        "村集体资金共同承担。公示期7天，有异议请向村务监督委员会反映。",
        village=DULONG,
    ),
    DemoPost(
        "dulong",
        "lingxi",
        15,
        Category.PARTY,
        "渡龙村党支部11月主题党日活动安排",
        "时间：11月15日上午9:00；地点：村文化礼堂二楼。内容：学习党的二十届三中全会精神，"
        "开展党员志愿服务（为独居老人检查用电安全）。请全体党员准时参加。",
        village=DULONG,
    ),
    DemoPost(
        "dulong",
        "lingxi",
        4,
        Category.FINANCE,
        "渡龙村2026年10月财务收支公开",
        "10月份收支明细如下，原始凭证存村会计处，村民可在工作日查阅。",
        village=DULONG,
        table=Table(
            header=("项目", "收入（元）", "支出（元）", "说明"),
            rows=(
                ("村集体厂房租金", "120,000.00", "", "2026年第四季度"),
                ("上级转移支付", "45,000.00", "", "村级组织运转经费"),
                ("上垟路路面硬化", "", "86,400.00", "工程尾款"),
                ("村干部报酬", "", "24,600.00", "10月"),
                ("办公及水电费", "", "3,812.50", ""),
                ("合计", "165,000.00", "114,812.50", "结余50,187.50元"),
            ),
        ),
    ),
    DemoPost(
        "dulong",
        "lingxi",
        1,
        Category.DISCLOSURE,
        "2026年度困难群众临时救助资金发放公示",
        "经村民代表评议、镇民政办审核，下列困难群众获得临时救助。公示期7个工作日，"
        "有异议请向村务监督委员会或镇民政办反映。",
        village=DULONG,
        table=Table(
            header=("序号", "姓名", "组别", "救助原因", "金额（元）"),
            rows=(
                ("1", "张三明", "第一组", "因病", "3,000"),
                ("2", "陈丽娟", "第二组", "因灾", "2,000"),
                ("3", "林国强", "第四组", "因学", "1,500"),
                ("4", "欧阳秀英", "第三组", "因病", "3,000"),
            ),
        ),
        name_columns=(1,),
    ),
    DemoPost(
        "dulong",
        "lingxi",
        3,
        Category.FINANCE,
        "渡龙村2026年1-10月村级工程项目资金明细",
        "1-10月村级工程项目资金使用情况如下，详细凭证可到村务监督委员会查阅，"
        "咨询电话 0577-68711001（工作日 8:30-12:00，14:00-17:30）。\n\n"
        "| 项目 | 预算（元） | 上级补助（元） | 村集体自筹（元） | 已支付（元） | 未支付（元） "
        "| 施工单位 | 完工时间 | 说明 |\n"
        "|---|--:|--:|--:|--:|--:|---|---|---|\n"
        "| 上垟路路面硬化 | 320,000.00 | 200,000.00 | 120,000.00 | 233,600.00 | 86,400.00 "
        "| 苍南县某建设有限公司 | 2026-09-30 | 尾款待审计后支付 |\n"
        "| 文化礼堂屋顶修缮 | 85,000.00 | 50,000.00 | 35,000.00 | 85,000.00 | 0.00 "
        "| 灵溪镇某建筑队 | 2026-06-15 | 已验收 |\n"
        "| 埭头巷路灯安装 | 42,600.00 | 30,000.00 | 12,600.00 | 21,300.00 | 21,300.00 "
        "| 苍南县某电力工程公司 | 2026-11-20 | 施工中 |\n"
        "| 合计 | 447,600.00 | 280,000.00 | 167,600.00 | 339,900.00 | 107,700.00 | | | |\n",
        village=DULONG,
    ),
    DemoPost(
        "dulong",
        "lingxi",
        2,
        Category.AFFAIRS,
        "上垟路路面硬化工程完工",
        "上垟路路面硬化工程已完工，欢迎村民监督工程质量。下面是完工后的路面照片。",
        village=DULONG,
        photo="上垟路完工照片.jpg",
    ),
    DemoPost(
        "dulong",
        "lingxi",
        2,
        Category.NOTICE,
        "12月3日上垟路段停水通知",
        "因自来水管网改造，12月3日8:00至17:00上垟路、埭头巷停水，请提前储水。",
        village=DULONG,
    ),
    DemoPost(
        "nanao",
        "county",
        7,
        Category.AFFAIRS,
        "南岙村2026年第三季度村务公开",
        "本季度完成岙底街排水沟清淤和村老年食堂改造，老年食堂每日中午供餐。",
        village="330327101201",
    ),
]


@dataclass(frozen=True)
class DemoService:
    """A service the demo offers: who creates it, and for which town or village (else county)."""

    staff: str
    name: str
    description: str
    materials: tuple[str, ...]
    location: str
    purposes: tuple[str, ...]
    kind: ServiceKind = ServiceKind.SLOT
    duration_minutes: int = 20
    capacity: int = 4
    village: str | None = None
    town: str | None = None


# Weekday mornings and afternoons, as the village offices keep them (OFFICE_HOURS).
DEMO_PERIODS = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
DEMO_SLOT_MINUTES = 30

DEMO_SERVICES = [
    DemoService(
        "county",
        "城乡居民医保参保登记",
        "新参保、信息变更、异地就医备案，县医保窗口办理。",
        ("身份证原件", "户口簿（新生儿参保）", "出生医学证明（新生儿参保）"),
        "苍南县行政服务中心二楼医保窗口",
        ("新参保登记", "参保信息变更", "异地就医备案"),
        capacity=5,
    ),
    DemoService(
        "lingxi",
        "社会保障卡办理",
        "社会保障卡新办、补办、换卡和密码重置，当场制卡。",
        ("身份证原件", "一寸白底免冠照片（新办、补办）", "原社保卡（换卡）"),
        "灵溪镇便民服务中心3号窗口",
        ("新办", "补办", "换卡", "密码重置"),
        town="330327100",
    ),
    DemoService(
        "dulong",
        "村级证明开具及代办",
        "开具居住证明、家庭关系证明，代办老年优待证和医保缴费。",
        ("身份证原件", "户口簿", "一寸照片（老年优待证）"),
        "渡龙村便民服务中心（文化礼堂一楼）",
        ("居住证明", "家庭关系证明", "老年优待证代办", "医保缴费代办"),
        duration_minutes=15,
        capacity=3,
        village=DULONG,
    ),
    DemoService(
        "dulong",
        "报事报修",
        "道路破损、路灯不亮、停水漏水、垃圾堆放等，村里收到后安排处理。",
        (),
        "渡龙村村民委员会",
        ("道路", "路灯", "供水", "排水", "环境卫生", "其他公共设施"),
        kind=ServiceKind.REQUEST,
        duration_minutes=30,
        village=DULONG,
    ),
    DemoService(
        "nanao",
        "报事报修",
        "道路、路灯、供水和环境卫生问题，请在这里反映。",
        (),
        "南岙村村民委员会",
        ("道路", "路灯", "供水", "环境卫生"),
        kind=ServiceKind.REQUEST,
        duration_minutes=30,
        village="330327101201",
    ),
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
    staff = {
        username: create_staff(
            actor,
            username=username,
            display_name=name,
            password=password,
            role=role,
            town_code=town_code,
            village_code=village_code,
        )
        for username, name, role, town_code, village_code, password in DEMO_STAFF
    }
    villages = db.session.scalars(select(Village).order_by(Village.code)).all()
    for number, village in enumerate(villages, start=1):
        update_village_contact(
            staff["admin"],
            village,
            office_phone=office_phone(number),
            office_address=f"{village.town.name}{village.name}文化礼堂一楼",
            office_hours=OFFICE_HOURS,
        )
    synonyms.seed_defaults()  # as the migration did, should the tables have been emptied since
    publish_demo_posts(staff, {v.code: v for v in villages})
    create_demo_services(staff, {v.code: v for v in villages})
    db.session.commit()
    return True


def demo_photo() -> bytes:
    """A JPEG drawn now (a road under a sky), so the repository holds no binary file."""
    picture = Image.new("RGB", (1200, 800), (135, 190, 235))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 450, 1200, 800), fill=(110, 150, 90))
    draw.polygon([(480, 450), (720, 450), (1100, 800), (100, 800)], fill=(95, 95, 100))
    draw.line([(600, 460), (600, 800)], fill=(250, 250, 250), width=8)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


def publish_demo_posts(staff: dict[str, StaffUser], villages: dict[str, Village]) -> None:
    """Write, (mask,) submit and approve :data:`DEMO_POSTS`, dated a few days back so the
    village page shows a realistic spread of dates."""
    towns = {v.town.code: v.town for v in villages.values()}
    for demo in DEMO_POSTS:
        author, reviewer = staff[demo.author], staff[demo.reviewer]
        at = utcnow() - timedelta(days=demo.days_ago)
        post = publications.create_post(
            author,
            category=demo.category,
            title=demo.title,
            body=demo.body,
            table=demo.table,
            village=villages[demo.village] if demo.village else None,
            town=towns[demo.town] if demo.town else None,
        )
        if demo.name_columns:
            publications.mask_personal_data(author, post, demo.name_columns)
        if demo.photo:
            attachments.add_attachment(author, post, demo.photo, demo_photo())
        publications.submit(author, post, now=at)
        publications.approve(reviewer, post, now=at + timedelta(hours=1))


def create_demo_services(staff: dict[str, StaffUser], villages: dict[str, Village]) -> None:
    """Create :data:`DEMO_SERVICES`, open the slot services on weekday mornings and afternoons,
    and generate their slots for the booking horizon."""
    towns = {v.town.code: v.town for v in villages.values()}
    for demo in DEMO_SERVICES:
        actor = staff[demo.staff]
        service = catalogue.create_service(
            actor,
            catalogue.ServiceInput(
                name=demo.name,
                description=demo.description,
                materials=list(demo.materials),
                location=demo.location,
                duration_minutes=demo.duration_minutes,
                kind=demo.kind,
                purposes=list(demo.purposes),
            ),
            towns[demo.town] if demo.town else None,
            villages[demo.village] if demo.village else None,
        )
        if demo.kind is ServiceKind.SLOT:
            catalogue.set_hours(
                actor,
                service,
                [
                    catalogue.HoursInput(day, opens, closes, DEMO_SLOT_MINUTES, demo.capacity)
                    for day in range(5)
                    for opens, closes in DEMO_PERIODS
                ],
            )
    today = utcnow().astimezone(county_zone()).date()
    catalogue.generate_all(today, current_app.config["BOOKING_HORIZON_DAYS"])


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
        f"  A village page: {base_url}/v/{DULONG}/  (no address, no visit counted)",
        *(
            f"  Book a service: {base_url}/P/{token}/services  (then look it up at /booking)"
            for token, _address in plates[:1]
        ),
        f"  Bookings:       {base_url}/staff/bookings  (confirm, complete; staff)",
        f"  Services:       {base_url}/staff/services  (hours, closures, slots; staff)",
        f"  Statistics:     {base_url}/staff/stats/  (county dashboard; county staff, reviewers)",
        f"  Annual report:  {base_url}/staff/reports/annual  (county staff)",
        f"  Figures (API):  {base_url}/api/v1/stats",
        "",
        "Demo staff logins (username / password — scope):",
    ]
    for username, name, role, town_code, village_code, password in DEMO_STAFF:
        scope = village_code or town_code or "whole county"
        lines.append(f"  {username:<8} / {password:<20} {role.value:<9} {name} ({scope})")
    lines.append("")
    return "\n".join(lines)
