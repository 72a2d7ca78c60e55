"""The plate landing page on a cheap phone over weak 4G: at most 14 KB compressed in its busiest
form, nothing fetched from anywhere else, and a small fixed number of SQL queries."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from publications.conftest import County
from sqlalchemy import event

from doorplate.db import db
from doorplate.plates import service as plates_service
from doorplate.publications.models import Category
from doorplate.visits import service as visits
from doorplate.visits.queue import queue

from .conftest import PHONE_UA, page, post_in

BUDGET = 14 * 1024
# Long titles, as villages, towns and the county write them; no two alike, so gzip gets no help.
LONG_TITLES = [
    "关于渡龙村2026年第三季度村级集体经济收支情况及重大事项决策过程的公开公示",
    "渡龙村股份经济合作社关于村集体厂房租赁合同续签及租金调整方案的民主决议结果",
    "渡龙村2026年度村级工程建设项目招投标结果及施工单位资质审查情况公开",
    "中共渡龙村支部委员会关于发展党员对象公示及第四季度主题党日活动安排的通知",
    "灵溪镇党委关于开展“不忘初心、牢记使命”专题学习教育暨党员冬训工作的实施方案",
    "苍南县委组织部关于全县农村基层党组织书记任职资格联审结果的公告（第二批）",
    "渡龙村2026年10月份财务收支明细及村务监督委员会审核意见（含票据附件说明）",
    "灵溪镇2026年度村级财务专项审计发现问题整改落实情况通报及下一步工作要求",
    "苍南县财政局关于下达2026年度村级组织运转经费及村干部基本报酬补助资金的通知",
    "苍南县城乡居民基本医疗保险2027年度参保缴费标准调整及大病保险待遇政策问答",
    "图解：浙江省最低生活保障边缘家庭认定办法修订要点，哪些家庭可以申请、如何申请",
    "灵溪镇农村宅基地审批管理办法（试行）政策解读：建房面积、层高和审批流程全解",
    "渡龙村2026年度困难群众临时救助及残疾人两项补贴资金发放名单公示（脱敏）",
    "灵溪镇2026年度耕地地力保护补贴资金发放到户情况公示（渡龙村、坑垟村）",
    "苍南县2026年度被征地农民养老保障参保人员名单及缴费补贴标准公示（第三批）",
    "渡龙村关于12月3日至12月5日上垟路段自来水管网改造期间分时段停水的紧急通知",
    "灵溪镇关于做好今冬明春森林防火和农村生产生活用火安全管理工作的紧急通知",
    "苍南县人民政府关于2027年元旦春节期间烟花爆竹禁放区域和燃放时段的通告",
]


def _busiest(county: County) -> None:
    """Every category full: three rounds of a county, a town and a village post, so the newest
    three of each category are one from each level (two of them tagged)."""
    for c, category in enumerate(Category):
        for n in range(3):
            for p, place in enumerate(("a", "town1", "county")):
                # The 18 shown (the last round) all differ.
                title = LONG_TITLES[(c * 3 + p + n * 7) % len(LONG_TITLES)] + f"（第{n + 1}期）"
                post_in(county, place, title, category=category, day=c * 3 + n)
    county.a.office_phone = "0577-68710001"
    county.a.office_address = "灵溪镇渡龙村文化礼堂一楼村民服务中心"
    county.a.office_hours = "周一至周五 8:30-12:00，14:00-17:30"
    db.session.commit()


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_busiest_landing_page_fits_14_kb_compressed(
    client: FlaskClient, county: County, plate_of: Callable[..., str], large: bool
) -> None:
    _busiest(county)
    token = plate_of(county.a, address="灵溪镇渡龙村上垟路岙底巷埭头弄128号之三")
    if large:
        client.get("/text/large")
    html = page(client, f"/P/{token}", headers={"User-Agent": PHONE_UA, "Accept-Language": "zh"})
    # 18 posts and a tile per category; the county's and the town's posts are tagged.
    assert html.count("<li>") == 18 + len(Category) and html.count('class="tag"') == 12
    assert "0577-68710001" in html and 'lang="zh-CN"' in html
    assert ('<body class="large">' in html) is large
    size = len(gzip.compress(html.encode(), 9))
    assert size <= BUDGET, f"{size} bytes compressed, budget {BUDGET}"
    # Everything the page needs is in it: no stylesheet, font or image to fetch, and no address
    # of another site (a link to one would leak the plate page as a referrer anyway). The one
    # script (read-aloud, the way home) is our own, deferred, and nothing needs it.
    assert not re.search(r"<link\b|@import|@font-face|url\(|<img\b", html)
    assert re.findall(r"<script[^>]*>", html) == [
        f'<script src="/static/js/resident.js" nonce="{_nonce(html)}" defer>'
    ]
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+", html, re.I)


def _nonce(html: str) -> str:
    found = re.search(r'<style nonce="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@contextmanager
def _counting() -> Iterator[list[str]]:
    """Every statement sent: SQLAlchemy's, and the plate scan's on a driver connection."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def first_row(statement: Any, params: Any) -> Any:
        statements.append(str(statement.compile(dialect=db.engine.dialect)))
        return real_first_row(statement, params)

    real_first_row = plates_service.first_row
    plates_service.first_row = first_row
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        plates_service.first_row = real_first_row


def test_landing_page_costs_a_few_queries_whatever_the_number_of_posts(
    app: Flask,
    client: FlaskClient,
    county: County,
    plate_of: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Visits at noon in the county: the first half hour of a day also checks yesterday's key.
    monkeypatch.setattr(visits, "utcnow", lambda: datetime(2026, 11, 27, 4, 0, tzinfo=UTC))
    token = plate_of(county.a)
    for _ in range(2):  # the day's visitor-key salt is made, then read back and cached
        page(client, f"/P/{token}")
    post_in(county, "a", "第一条")
    with _counting() as few:
        page(client, f"/P/{token}", headers={"User-Agent": PHONE_UA + " first"})
    _busiest(county)
    with _counting() as many:
        page(client, f"/P/{token}", headers={"User-Agent": PHONE_UA + " second"})
    assert len(many) == len(few) <= 7, many
    # Rendering the village's page reads the plate (outside any transaction), the village and
    # the posts; the visit is two writes (the visit window, the visit); plus SQLite's BEGINs.
    reads = [s for s in many if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 3, many
    assert ["FROM plate" in reads[0], "FROM village" in reads[1], "FROM post" in reads[2]] == [
        True,
        True,
        True,
    ], reads
    assert sum(s.lstrip().upper().startswith("INSERT") for s in many) == 2, many

    # With the village's page cached, a scan reads the plate and writes the visit, nothing more.
    app.config["RESIDENT_PAGE_CACHE_SECONDS"] = 30
    page(client, f"/P/{token}")
    with _counting() as cached:
        page(client, f"/P/{token}", headers={"User-Agent": PHONE_UA + " third"})
    reads = [s for s in cached if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 and "FROM plate" in reads[0], cached
    assert sum(s.lstrip().upper().startswith("INSERT") for s in cached) == 2, cached

    # In production the visit is queued and recorded with others after the response: the scan
    # reads the plate and sends nothing else, not even a BEGIN.
    app.config["VISIT_FLUSH_SECONDS"] = 60
    with _counting() as queued:
        page(client, f"/P/{token}", headers={"User-Agent": PHONE_UA + " fourth"})
    assert queued == reads, queued
    assert queue().flush() == 1
