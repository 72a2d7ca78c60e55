"""The village's pages in a real phone browser: the populated plate page, a post with a finance
table, large text, English, JavaScript off, read-aloud, and axe-core's WCAG 2 A/AA checks on each
page in both text sizes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from publications.conftest import County, county  # noqa: F401 (county: a fixture)
from resident.conftest import T0, plate_of, post_in  # noqa: F401 (plate_of: a fixture)

from doorplate.db import db
from doorplate.publications.models import Category, Table

from .conftest import PHONE

AxeRun = Callable[..., list[dict[str, Any]]]
Shot = Callable[[Page, str], Path]
ADDRESS = "灵溪镇渡龙村上垟路12号"
TABLE_TITLE = "渡龙村2026年10月财务收支公开"


@dataclass(frozen=True)
class Site:
    token: str
    post: str  # the finance post's path
    home: str  # the village home's path


@pytest.fixture
def site(app: Flask, county: County, plate_of: Callable[..., str]) -> Site:  # noqa: F811
    """Village A with a post in every category from all three levels, a finance table and an
    office contact; the test's session is closed so the server can write."""
    token = plate_of(county.a, address=ADDRESS)
    post_in(
        county, "county", "2027年度城乡居民医保参保缴费政策解读", category=Category.POLICY, day=20
    )
    post_in(
        county, "town1", "灵溪镇关于做好冬季森林防火工作的通知", category=Category.NOTICE, day=20
    )
    for day, category in enumerate(Category):
        for n in range(3):
            title = f"渡龙村{category.value}事项第{n + 1}期"
            post_in(county, "a", title, category=category, day=day)
    finance = post_in(
        county,
        "a",
        TABLE_TITLE,
        category=Category.FINANCE,
        body="10月份收支明细如下，原始凭证存村会计处，村民可在工作日查阅。\n\n"
        "如有疑问，请向**村务监督委员会**反映。",
        table=Table(
            header=("项目", "收入（元）", "支出（元）", "说明"),
            rows=(
                ("村集体厂房租金", "120,000.00", "", "2026年第四季度"),
                ("上垟路路面硬化", "", "86,400.00", "工程尾款"),
                ("村干部报酬", "", "24,600.00", "10月"),
                ("合计", "120,000.00", "111,000.00", "结余9,000.00元"),
            ),
        ),
        day=10,
        expires_at=T0 + timedelta(days=365),
    )
    county.a.office_phone = "0577-68711001"
    county.a.office_address = "灵溪镇渡龙村文化礼堂一楼"
    county.a.office_hours = "周一至周五 8:30-17:30"
    db.session.commit()
    site = Site(
        token=token,
        post=f"/v/{county.a.code}/posts/{finance.id}",
        home=f"/v/{county.a.code}/",
    )
    db.session.close()  # SQLite: an open transaction here would hold the write lock
    return site


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_plate_page_lists_the_villages_posts_i18n(
    phone: Page, live_server: str, site: Site, axe_violations: AxeRun, screenshot: Shot
) -> None:
    phone.goto(f"{live_server}/P/{site.token}")
    assert phone.locator("h1").inner_text() == ADDRESS
    sections = phone.locator("main section h2").all_inner_texts()
    assert sections[:6] == ["村务", "党务", "财务", "政策解读", "公示", "通知"]
    assert phone.locator("main .posts li").count() == 18  # the newest 3 of each category
    assert phone.locator(".tag", has_text="县").count() == 1
    assert phone.locator(".tag", has_text="镇").count() == 1
    assert phone.get_by_role("link", name="0577-68711001", exact=True).get_attribute("href") == (
        "tel:057768711001"
    )
    assert phone.get_by_role("searchbox", name="搜索公开信息").is_visible()
    screenshot(phone, "plate")
    assert axe_violations(phone) == []
    _no_sideways_scroll(phone)
    # The search box is a plain form: type, press Enter, see the results.
    phone.get_by_role("searchbox").fill("财务收支")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/search?q=*")
    assert phone.get_by_role("link", name=TABLE_TITLE).is_visible()
    assert axe_violations(phone) == []


def test_post_page_with_a_table_on_a_phone_i18n(
    phone: Page, live_server: str, site: Site, axe_violations: AxeRun, screenshot: Shot
) -> None:
    phone.goto(f"{live_server}/P/{site.token}")
    phone.get_by_role("link", name=TABLE_TITLE).click()
    phone.wait_for_url(f"**{site.post}")
    assert phone.locator("h1").inner_text() == TABLE_TITLE
    region = phone.get_by_role("region", name=f"表格：{TABLE_TITLE}")
    assert region.is_visible() and region.get_attribute("tabindex") == "0"
    table = phone.get_by_role("table", name=TABLE_TITLE)
    assert table.get_by_role("columnheader").all_inner_texts() == [
        "项目",
        "收入（元）",
        "支出（元）",
        "说明",
    ]
    amount = table.get_by_role("cell", name="86,400.00")
    assert amount.evaluate("e => getComputedStyle(e).textAlign") == "right"
    # A wide table scrolls inside its own region; the page itself never scrolls sideways.
    _no_sideways_scroll(phone)
    region.focus()
    outline = region.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"  # visible focus on the scrollable region
    screenshot(phone, "post")
    assert axe_violations(phone) == []


def test_large_text_on_every_new_page(
    phone: Page, live_server: str, site: Site, axe_violations: AxeRun, screenshot: Shot
) -> None:
    phone.goto(f"{live_server}/P/{site.token}")
    phone.get_by_role("link", name="大字版").click()
    phone.wait_for_url(f"**/P/{site.token}")
    for name, path in [
        ("plate", f"/P/{site.token}"),
        ("home", site.home),
        ("category", f"{site.home}c/finance"),
        ("search", f"{site.home}search?q=渡龙村"),
        ("post", site.post),
    ]:
        phone.goto(f"{live_server}{path}")
        body = phone.locator("body")
        assert body.get_attribute("class") == "large", name
        size = float(body.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        line = float(body.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert size >= 24 and line >= 1.5 * size, name  # 18 pt
        targets = phone.locator(
            "header a, .posts a, a.more, .place a, .pager a, .office a, .meta a, "
            "button:visible, input[type=search]"
        ).all()
        assert targets, name
        for target in targets:
            box = target.bounding_box()
            assert box is not None and box["height"] >= 60, (name, target.inner_text())
        screenshot(phone, f"large-{name}")
        # AA everywhere, and the enhanced (AAA, 7:1) contrast in large-text mode.
        assert axe_violations(phone, extra_tags=("wcag2aaa",)) == [], name
        _no_sideways_scroll(phone)


@pytest.mark.parametrize("kind", ["home", "category", "search"])
def test_list_pages_pass_axe_in_standard_text(
    phone: Page, live_server: str, site: Site, axe_violations: AxeRun, kind: str
) -> None:
    path = {
        "home": site.home,
        "category": f"{site.home}c/affairs",
        "search": f"{site.home}search?q=渡龙村",
    }[kind]
    phone.goto(f"{live_server}{path}")
    assert axe_violations(phone) == []
    _no_sideways_scroll(phone)


def test_language_switch_to_english_on_a_post(
    phone: Page, live_server: str, site: Site, axe_violations: AxeRun, screenshot: Shot
) -> None:
    phone.goto(f"{live_server}{site.post}")
    phone.get_by_role("link", name="English").click()
    phone.wait_for_url(f"**{site.post}")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("link", name="Finance").is_visible()
    assert phone.get_by_text("Published Nov 11, 2026").is_visible()
    assert phone.get_by_role("button", name="Read aloud").is_visible()
    screenshot(phone, "english-post")
    assert axe_violations(phone) == []
    phone.goto(f"{live_server}/P/{site.token}")
    assert phone.get_by_role("heading", name="Village affairs").is_visible()
    assert axe_violations(phone) == []


def test_everything_works_with_javascript_off_i18n(
    browser: Browser, live_server: str, site: Site, screenshot: Shot
) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/P/{site.token}")
        page.get_by_role("link", name="更多财务").click()
        page.wait_for_url("**/c/finance")
        page.get_by_role("link", name=TABLE_TITLE).click()
        page.wait_for_url(f"**{site.post}")
        assert page.get_by_role("table", name=TABLE_TITLE).is_visible()
        assert not page.locator("#read-aloud").is_visible()  # no button that cannot work
        page.get_by_role("link", name="大字版").click()
        assert page.locator("body").get_attribute("class") == "large"
        page.get_by_role("link", name="返回渡龙村").click()
        page.get_by_role("searchbox").fill("医保")
        page.get_by_role("button", name="搜索").click()
        page.wait_for_url("**/search?q=*")
        assert page.get_by_role("link", name="2027年度城乡居民医保参保缴费政策解读").is_visible()
        screenshot(page, "no-js-search")
    finally:
        context.close()


SPY = """
window.__spoken = [];
window.__cancelled = 0;
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (u) {
    window.__spoken.push({text: u.text, lang: u.lang});
  };
  window.speechSynthesis.cancel = function () { window.__cancelled += 1; };
}
"""
NO_SPEECH = """
delete Window.prototype.speechSynthesis;
delete window.speechSynthesis;
"""


def test_read_aloud_speaks_the_post_in_the_page_language_i18n(
    phone: Page, live_server: str, site: Site, axe_violations: AxeRun, screenshot: Shot
) -> None:
    phone.add_init_script(SPY)
    phone.goto(f"{live_server}{site.post}")
    assert phone.evaluate("'speechSynthesis' in window")
    button = phone.get_by_role("button", name="朗读")
    assert button.is_visible()
    button.click()
    spoken = phone.evaluate("window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "zh-CN"
    assert spoken[0]["text"].startswith(TABLE_TITLE + "\n10月份收支明细如下")
    assert "请向村务监督委员会反映" in spoken[0]["text"]  # inline emphasis read through
    # The table too, row by row, each figure with its column and unit.
    assert (
        "项目：合计，收入：120,000.00元，支出：111,000.00元，说明：结余9,000.00元。"
        in (spoken[0]["text"])
    )
    stop = phone.get_by_role("button", name="停止朗读")
    assert stop.is_visible()
    screenshot(phone, "reading")
    assert axe_violations(phone) == []
    stop.click()
    assert phone.get_by_role("button", name="朗读").is_visible()
    assert phone.evaluate("window.__spoken.length") == 1  # stopping does not speak again
    assert phone.evaluate("window.__cancelled") >= 1


def test_read_aloud_is_hidden_without_speech_synthesis(
    phone: Page, live_server: str, site: Site
) -> None:
    phone.add_init_script(NO_SPEECH)
    phone.goto(f"{live_server}{site.post}")
    assert not phone.evaluate("'speechSynthesis' in window")
    phone.wait_for_load_state("load")  # the deferred script has run
    button = phone.locator("#read-aloud")
    assert button.count() == 1 and not button.is_visible()
    assert phone.get_by_role("table", name=TABLE_TITLE).is_visible()
