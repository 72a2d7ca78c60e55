"""Benchmark: the resident search over 10,000 posts of a village's scope, against the exact-string
search it replaced.

Fills a fresh SQLite file (and, with --postgres, an empty PostgreSQL database) with a town of
villages and ``--posts`` published posts that one village sees (its own, its town's and the
county's, a third each) plus a fifth as many of other villages and towns that it does not. Each
post is about one of 15 topics (a title and its own sentences, among two to five general ones),
indexed by the same ``post_terms`` as the app's. Then times ``--queries`` searches, the first page
of each, from a list of what residents type, alternating the word search
(:func:`doorplate.search.service.find_posts`) with the old ``LIKE '%text%'`` query on title and
text (count and first page, as ``visible_posts(query=)`` did), and prints the median and p95 of
each, the CPU time of the word search (the database's too on SQLite, where it runs in-process),
and how many posts each found.

    python scripts/bench/search.py [--posts 10000] [--queries 300]
        [--postgres postgresql+psycopg://postgres@127.0.0.1/EMPTY_DATABASE]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import machine
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, insert, or_, select, text

from doorplate import create_app
from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.publications.models import Category, Post, PostScope, PostStatus
from doorplate.publications.service import visible_in
from doorplate.search import service, synonyms
from doorplate.search.index import post_terms
from doorplate.search.models import PostTerm
from doorplate.staff.models import Role
from doorplate.staff.service import create_staff

PER_PAGE = 20
QUERIES = [
    "医保",
    "上垟路停水",
    "低保怎么办",
    "停水",
    "养老金",
    "低保",
    "医疗保险报销",
    "村务公开",
    "财务公开",
    "路灯",
    "新农合",
    "公积金",
    "残疾证怎么办",
    "临时救助",
    "防汛",
    "党员活动",
    "垃圾分类",
    "高龄补贴什么时候发",
    "停电通知",
    "疫苗接种",
]
# A post is about one topic: its title and a few sentences of its own, among general ones.
TOPICS = [
    (
        "{village}{year}年第{n}季度村务公开",
        ["本季度完成{street}{work}，工程款{amount}元已按合同支付。"],
    ),
    (
        "{village}{year}年{n}月财务收支公开",
        ["本月收入{amount}元，支出{amount}元，原始凭证存村会计处。"],
    ),
    ("关于{street}{work}的通知", ["{street}{work}期间请绕行，给您带来不便敬请谅解。"]),
    (
        "{month}月{n}日{street}段停水通知",
        ["因自来水管网改造，{month}月{n}日8:00至17:00{street}停水，请提前储水。"],
    ),
    (
        "{month}月{n}日{street}停电检修通知",
        ["因线路检修，{month}月{n}日{street}停电，请做好准备。"],
    ),
    (
        "{year}年度城乡居民基本医疗保险参保缴费政策解读",
        [
            "个人缴费每人每年{amount}元，低保对象、特困人员由政府全额资助。",
            "住院报销比例最高85%，大病保险起付线1.5万元。",
        ],
    ),
    (
        "城乡居民最低生活保障申请指南",
        ["家庭月人均收入低于当地最低生活保障标准的，可向村便民服务中心提出申请。"],
    ),
    (
        "{year}年城乡居民基本养老保险金发放公示",
        ["养老保险金每月10日前发放到社会保障卡，请注意查收。"],
    ),
    ("{year}年度困难群众临时救助资金发放公示", ["经村民代表评议，下列困难群众获得临时救助。"]),
    ("{village}党支部{month}月主题党日活动安排", ["请全体党员准时参加，开展志愿服务。"]),
    ("关于做好{year}年防汛防台工作的通知", ["汛期请远离河道，注意收听预警信息。"]),
    ("{village}垃圾分类积分兑换公告", ["垃圾分类积分可在村便民超市兑换生活用品。"]),
    ("高龄津贴发放名单公示（{month}月）", ["年满80周岁的老人可领取高龄津贴，每月{amount}元。"]),
    ("残疾人两项补贴申请须知", ["持残疾人证的困难残疾人可申请生活补贴和护理补贴。"]),
    ("{village}疫苗接种安排", ["新冠疫苗加强免疫接种安排在村卫生室。"]),
]
GENERAL = [
    "如有疑问，请在工作日到村委会咨询，或向村务监督委员会反映。",
    "公示期7个工作日，有异议请向镇民政办反映。",
    "进山不带火种，严禁野外烧荒，发现火情请立即拨打119。",
    "村文化礼堂新增适老化扶手和无障碍坡道。",
    "请各户相互转告，谢谢配合。",
    "具体事项以镇政府通知为准。",
    "村便民服务中心工作时间为工作日上午8:30至下午5:00。",
    "本村将持续做好村务公开工作，接受群众监督。",
]
STREETS = ["上垟路", "岙底街", "埭头巷", "鳌山路", "文化路", "中心街", "龙港路", "江滨路"]
WORKS = ["路面硬化", "路灯改造", "排水沟清淤", "自来水管网改造", "文化礼堂修缮"]


def fill(posts: int, rng: random.Random) -> Village:
    """The county, its staff, ``posts`` posts the first village sees and a fifth as many it
    does not; returns that village."""
    synonyms.seed_defaults()
    towns = [Town(code=f"33032710{t}", name=f"第{t}镇") for t in range(2)]
    villages = [
        Village(code=f"{town.code}2{v:02d}", name=f"{['渡龙', '坑垟', '南岙'][v]}村", town=town)
        for town in towns
        for v in range(3)
    ]
    db.session.add_all(villages)
    db.session.flush()
    author = create_staff(
        "bench", username="author", display_name="", password="x" * 12, role=Role.COUNTY
    )
    publisher = create_staff(
        "bench", username="publisher", display_name="", password="x" * 12, role=Role.COUNTY
    )
    ours, others = villages[0], villages[1:]
    now = datetime.now(UTC)
    places = [("village", ours), ("town", ours.town), ("county", None)]
    outside = [("village", v) for v in others] + [("town", towns[1])]
    rows = []
    for n in range(posts + posts // 5):
        scope, place = rng.choice(places if n < posts else outside)
        title, body = _text(rng, place.name if scope == "village" else "本村")
        at = now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        rows.append(
            {
                "scope": PostScope(scope),
                "village_id": place.id if scope == "village" else None,
                "town_id": place.id if scope == "town" else None,
                "category": rng.choice(list(Category)),
                "title": title,
                "body": body,
                "body_html": "",
                "status": PostStatus.PUBLISHED,
                "author_id": author.id,
                "reviewer_id": publisher.id,
                "publisher_id": publisher.id,
                "publish_at": at,
                "published_at": at,
                "created_at": at,
                "updated_at": at,
            }
        )
    db.session.execute(insert(Post), rows)
    for post_id, title, body in db.session.execute(select(Post.id, Post.title, Post.body)):
        terms = post_terms(title, body, None)
        db.session.execute(
            insert(PostTerm),
            [{"post_id": post_id, "term": term, "weight": w} for term, w in terms.items()],
        )
    db.session.commit()
    return ours


def _text(rng: random.Random, village: str) -> tuple[str, str]:
    values = {
        "village": village,
        "year": rng.randrange(2024, 2027),
        "month": rng.randrange(1, 13),
        "n": rng.randrange(1, 29),
        "street": rng.choice(STREETS),
        "work": rng.choice(WORKS),
    }

    def filled(pattern: str) -> str:
        return pattern.format(amount=f"{rng.randrange(100, 90000):,}", **values)

    title, own = rng.choice(TOPICS)
    sentences = own + rng.sample(GENERAL, rng.randrange(2, 6))
    return filled(title), "".join(filled(sentence) for sentence in sentences)


def exact_string(village: Village, query: str) -> int:
    """The search before: posts containing the text as typed, newest first (count, first page)."""
    conditions = [
        *visible_in(village, datetime.now(UTC)),
        or_(
            Post.title.icontains(query, autoescape=True),
            Post.body.icontains(query, autoescape=True),
        ),
    ]
    total = db.session.scalar(select(func.count(Post.id)).where(*conditions)) or 0
    db.session.scalars(
        select(Post)
        .where(*conditions)
        .order_by(Post.publish_at.desc(), Post.id.desc())
        .limit(PER_PAGE)
    ).all()
    return total


def words(village: Village, query: str) -> int:
    return service.find_posts(village, query, per_page=PER_PAGE).total


def measure(label: str, app: Flask, args: argparse.Namespace) -> None:
    rng = random.Random(17)
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Post)):
            sys.exit(f"{label}: the database already holds posts: give an empty one.")
        started = time.perf_counter()
        village = fill(args.posts, rng)
        built = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":  # as autovacuum leaves it: index-only scans
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as vacuum:
                vacuum.execute(text("VACUUM ANALYZE"))
        index_rows = db.session.scalar(select(func.count()).select_from(PostTerm))
        ways: dict[str, Callable[[Village, str], int]] = {
            "words": words,
            "exact string": exact_string,
        }
        times: dict[str, list[float]] = {way: [] for way in ways}
        cpu: dict[str, list[float]] = {way: [] for way in ways}
        found: dict[str, dict[str, int]] = {way: {} for way in ways}
        for query in QUERIES:  # warm up: compiled statements, the segmenter's dictionary
            for search in ways.values():
                search(village, query)
                db.session.rollback()
        for n in range(args.queries):
            query = QUERIES[n % len(QUERIES)]
            for way, search in ways.items():
                started, started_cpu = time.perf_counter(), time.process_time()
                found[way][query] = search(village, query)
                times[way].append((time.perf_counter() - started) * 1000)
                cpu[way].append((time.process_time() - started_cpu) * 1000)
                db.session.rollback()
        db.engine.dispose()
    print(
        f"\n{label}: {args.posts:,} posts in the village's scope, {args.posts // 5:,} outside it; "
        f"{index_rows:,} index rows; filled and indexed in {built:.0f} s"
    )
    print(f"  load average {os.getloadavg()[0]:.1f} at the end")
    print(
        f"  {args.queries} queries, first page of {PER_PAGE}, ms: median, p95; this process's CPU"
    )
    for way, samples in times.items():
        p95 = statistics.quantiles(samples, n=20)[-1]
        spent = statistics.median(cpu[way])
        print(f"  {way:<13} {statistics.median(samples):6.1f} {p95:6.1f}   CPU median {spent:5.1f}")
    print("  posts found (words / exact string):")
    for query in QUERIES:
        print(f"    {query:<10} {found['words'][query]:5} / {found['exact string'][query]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts the village sees")
    parser.add_argument("--queries", type=int, default=300, help="timed searches each way")
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'search-bench.sqlite3'}"
        measure("SQLite", create_app({"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": url}), args)
    if args.postgres:
        app = create_app({"CLI_ONLY": True, "SQLALCHEMY_DATABASE_URI": args.postgres})
        measure("PostgreSQL", app, args)


if __name__ == "__main__":
    main()
