"""Every resident page of the demo county on three phones, in both text sizes: nothing wider than
the screen, axe-core's WCAG 2 A/AA clean (and AAA contrast in 大字版); the plate page's first
screen; read-aloud of a whole finance table in Chinese on the English interface.

One browser and one tab per text size: each page is loaded once and measured at 320, 360 and
375 px by resizing the window (the layout reflows; nothing is cached per width), axe runs once
per page and size, so the crawl stays short on a shared CI machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from doorplate import demo
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates
from doorplate.plates.models import RevokeReason
from doorplate.publications.models import Post
from doorplate.staff.audit import cli_actor

from .conftest import ARTIFACTS

AxeRun = Callable[..., list[dict[str, Any]]]
Shot = Callable[[Page, str], Path]
WIDTHS = (320, 360, 375)
HEIGHTS = {320: 568, 360: 640, 375: 667}
FINANCE_TITLE = "渡龙村2026年10月财务收支公开"
FINANCE_FIGURES = (
    "120,000.00",
    "45,000.00",
    "86,400.00",
    "24,600.00",
    "3,812.50",
    "165,000.00",
    "114,812.50",
    "50,187.50",
)


@dataclass(frozen=True)
class Demo:
    token: str
    revoked: str
    village: str  # 渡龙村's code
    posts: tuple[str, ...]  # every post 渡龙村 sees, by path
    finance: str  # the finance post's path


@pytest.fixture
def demo_county(app: Flask) -> Demo:
    """The demo county as ``serve --demo`` seeds it, one of 渡龙村's plates revoked."""
    assert demo.seed_if_empty()
    village = db.session.scalars(select(Village).where(Village.code == demo.DULONG)).one()
    households = db.session.scalars(
        select(Household).where(Household.village_id == village.id).order_by(Household.id)
    ).all()
    revoked = plates.active_plate(households[1])
    assert revoked is not None
    plates.revoke(cli_actor(), households[1], RevokeReason.LOST)
    plate = plates.active_plate(households[0])
    assert plate is not None
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    paths = tuple(
        f"/v/{village.code}/posts/{post.id}"
        for post in posts
        if post.village_id in (None, village.id)
        and (post.town_id is None or post.town_id == village.town_id)
    )
    finance = next(p for p in posts if p.title == FINANCE_TITLE)
    found = Demo(
        plate.token, revoked.token, village.code, paths, f"/v/{village.code}/posts/{finance.id}"
    )
    db.session.commit()
    db.session.close()  # SQLite: an open transaction here would hold the write lock
    return found


def _pages(phone: Page, base: str, site: Demo) -> list[tuple[str, int]]:
    """Every resident page of 渡龙村 and the status it answers."""
    v = f"/v/{site.village}"
    categories = ("affairs", "party", "finance", "policy", "disclosure", "notice")
    phone.goto(f"{base}/P/{site.token}/services")
    forms = phone.eval_on_selector_all(
        "main a[href*='/services/']", "links => links.map(a => a.getAttribute('href'))"
    )
    assert forms, "the demo offers services to book"
    return [
        (f"/P/{site.token}", 200),
        (f"{v}/", 200),
        *((f"{v}/c/{c}", 200) for c in categories),
        *((post, 200) for post in site.posts),
        (f"{v}/search?q=停水", 200),
        (f"{v}/search?q=没有这样的东西", 200),
        (f"/P/{site.token}/services", 200),
        (forms[0].split("#")[0], 200),
        ("/booking", 200),
        (f"{v}/posts/999999", 404),
        (f"/P/{site.revoked}", 410),
    ]


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-text"])
def test_no_resident_page_is_wider_than_the_phone(
    browser: Browser,
    live_server: str,
    demo_county: Demo,
    axe_violations: AxeRun,
    screenshot: Shot,
    large: bool,
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    if large:
        context.add_cookies([{"name": "text", "value": "large", "url": live_server}])
    phone = context.new_page()
    try:
        wide: list[str] = []
        failing: dict[str, list[dict[str, Any]]] = {}
        for path, status in _pages(phone, live_server, demo_county):
            response = phone.goto(f"{live_server}{path}")
            assert response is not None and response.status == status, path
            assert (phone.locator("body").get_attribute("class") == "large") is large
            for width in WIDTHS:
                phone.set_viewport_size({"width": width, "height": HEIGHTS[width]})
                scroll = phone.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    wide.append(f"{path} at {width}: {scroll} px")
            phone.set_viewport_size({"width": 360, "height": 640})
            found = axe_violations(phone, extra_tags=("wcag2aaa",) if large else ())
            if found:
                failing[path] = found
        assert wide == []
        assert failing == {}
        phone.goto(f"{live_server}{demo_county.finance}")
        screenshot(phone, "finance-post")
    finally:
        context.close()


def test_wide_markdown_table_scrolls_in_its_region_with_a_hint_and_a_total_row(
    browser: Browser, live_server: str, demo_county: Demo, screenshot: Shot
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    phone = context.new_page()
    try:
        phone.goto(f"{live_server}/v/{demo_county.village}/c/finance")
        phone.get_by_role("link", name="渡龙村2026年1-10月村级工程项目资金明细").click()
        region = phone.get_by_role("region", name=re.compile("^表格1："))
        assert region.is_visible()
        assert region.locator(".swipe-hint").inner_text() == "左右滑动查看"
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls, the page not
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        total = region.locator("tr.total")
        assert total.locator("td").first.inner_text() == "合计"
        first = region.locator("tbody td").first
        before = first.bounding_box()
        region.evaluate("e => { e.scrollLeft = 400; }")
        after = first.bounding_box()
        assert before is not None and after is not None and after["x"] == before["x"]  # sticky
        hint = region.locator(".swipe-hint").bounding_box()
        assert hint is not None and 0 <= hint["x"] < 360  # the hint stays in view too
        phone.get_by_role("link", name="0577-68711001").first.wait_for()
        assert phone.locator(".body a.tel").first.get_attribute("href") == "tel:057768711001"
        assert phone.locator(".body .nowrap", has_text="14:00-17:30").count() == 1
        screenshot(phone, "wide-table")
        # The photo post shows its picture (the 1200 px photo's phone copy), lazily, sized,
        # within the screen.
        phone.goto(f"{live_server}/v/{demo_county.village}/c/affairs")
        phone.get_by_role("link", name="上垟路路面硬化工程完工").click()
        image = phone.locator("article img")
        assert image.get_attribute("loading") == "lazy"
        assert (image.get_attribute("width"), image.get_attribute("height")) == ("720", "480")
        assert (image.get_attribute("src") or "").endswith("/phone")  # its phone-sized copy
        assert image.evaluate("img => img.complete && img.naturalWidth") == 720
        image.scroll_into_view_if_needed()
        box = image.bounding_box()
        assert box is not None and 0 < box["width"] <= 360
        assert phone.get_by_role(
            "link", name="上垟路完工照片.jpg", exact=True
        ).is_visible()  # download kept
        screenshot(phone, "photo")
    finally:
        context.close()


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-text"])
def test_first_screen_of_the_plate_page(
    browser: Browser, live_server: str, demo_county: Demo, large: bool
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    if large:
        context.add_cookies([{"name": "text", "value": "large", "url": live_server}])
    phone = context.new_page()
    try:
        phone.goto(f"{live_server}/P/{demo_county.token}")
        call = phone.locator(".call-button")
        assert (call.get_attribute("href") or "").startswith("tel:0577")
        names = [
            "预约办事",
            "报事报修",
            "我的预约",
            "村务",
            "党务",
            "财务",
            "政策解读",
            "公示",
            "通知",
        ]
        tiles = phone.get_by_role("navigation", name="常用服务")
        on_first_screen = [call] + [
            tiles.get_by_role("link", name=name, exact=True)
            for name in (names[:1] if large else names)
        ]
        for element in on_first_screen:
            box = element.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 640, element
        address = phone.locator("h1").bounding_box()
        assert address is not None and address["y"] + address["height"] <= 640
        ARTIFACTS.mkdir(exist_ok=True)  # the first screen only, as the resident sees it
        phone.screenshot(path=str(ARTIFACTS / f"first-screen-{'large' if large else 'normal'}.png"))
    finally:
        context.close()


SPY = """
window.__spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (u) {
    window.__spoken.push({text: u.text, lang: u.lang});
  };
  window.speechSynthesis.cancel = function () {};
}
"""


def test_read_aloud_reads_every_figure_of_a_table_in_chinese_on_the_english_interface(
    browser: Browser, live_server: str, demo_county: Demo
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="en-US")
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    context.add_init_script(SPY)
    phone = context.new_page()
    try:
        phone.goto(f"{live_server}{demo_county.finance}")
        assert phone.locator("html").get_attribute("lang") == "en"
        phone.get_by_role("button", name="Read aloud").click()
        spoken = phone.evaluate("window.__spoken")
        chinese = [u for u in spoken if u["lang"] == "zh-CN"]
        text = "\n".join(u["text"] for u in chinese)
        assert FINANCE_TITLE in text
        for figure in FINANCE_FIGURES:
            assert figure in text, figure
        # Row by row, each figure with its column and unit.
        assert "项目：上垟路路面硬化，支出：86,400.00元" in text
        assert all(u["lang"] in ("zh-CN", "en") for u in spoken)
        # The village home reads aloud too: its categories and titles.
        phone.goto(f"{live_server}/v/{demo_county.village}/")
        phone.get_by_role("button", name="Read aloud").click()
        home = "\n".join(u["text"] for u in phone.evaluate("window.__spoken"))
        assert FINANCE_TITLE in home
    finally:
        context.close()


def test_the_way_home_leads_back_to_the_plate_that_was_scanned(
    browser: Browser, live_server: str, demo_county: Demo
) -> None:
    """From the plate to a post and back to the household's own page (its address); a tab that
    never saw the plate, or has no JavaScript, goes to the village's home."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    phone = context.new_page()
    try:
        phone.goto(f"{live_server}{demo_county.finance}")  # a shared link: no plate in this tab
        home = phone.get_by_role("link", name="返回渡龙村")
        assert home.get_attribute("href") == f"/v/{demo_county.village}/"
        phone.goto(f"{live_server}/P/{demo_county.token}")
        address = phone.locator("h1").inner_text()
        phone.get_by_role("link", name=FINANCE_TITLE).click()
        phone.wait_for_url(f"**{demo_county.finance}")
        phone.get_by_role("link", name="返回渡龙村").click()
        phone.wait_for_url(f"**/P/{demo_county.token}")
        assert phone.locator("h1").inner_text() == address
    finally:
        context.close()
    no_js = browser.new_context(
        viewport={"width": 360, "height": 640}, locale="zh-CN", java_script_enabled=False
    )
    page = no_js.new_page()
    try:
        page.goto(f"{live_server}/P/{demo_county.token}")
        page.goto(f"{live_server}{demo_county.finance}")
        href = page.get_by_role("link", name="返回渡龙村").get_attribute("href")
        assert href == f"/v/{demo_county.village}/"
    finally:
        no_js.close()
