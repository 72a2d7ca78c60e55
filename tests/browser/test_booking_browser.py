"""Booking on a phone, in a real browser: from the plate page to a reference in two taps (a day,
then a time), "my booking", and cancelling it on a second, confirming step; every page passes
axe-core (WCAG 2 A/AA, and 7:1 contrast in large text), is no wider than a 320, 360 or 375 px
screen in either text size, and keeps its controls at least 60 px high in large-text mode.

The service has what the demo county's have: fourteen half-hour times a day (08:30–12:00,
14:00–17:30), here on the next seven days, which used to put the submit button six screens down.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Page

from doorplate.bookings.day_picker import DAYS_SHOWN
from doorplate.bookings.models import Service, ServiceKind, ServiceScope, Slot
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates

from .conftest import ARTIFACTS

AxeRun = Callable[..., list[dict[str, Any]]]
REFERENCE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
WIDTHS = (320, 360, 375)
SMALL_PHONE = {"width": 360, "height": 640}
OFFICE_PHONE = "0577-68881234"
DAYS = 7


@dataclass(frozen=True)
class Setup:
    token: str
    service_id: int
    request_id: int
    village_code: str


def _day_slots(service: Service, day: int) -> list[Slot]:
    """The demo's fourteen half-hour times of the county day ``day`` days from tomorrow."""
    # 00:30 UTC is 08:30 in the county (UTC+8); the afternoon starts at 14:00 (06:00 UTC).
    morning = datetime.now(UTC).replace(hour=0, minute=30, second=0, microsecond=0)
    morning += timedelta(days=1 + day)
    starts = [morning + timedelta(minutes=30 * n) for n in range(7)]
    starts += [morning + timedelta(hours=5, minutes=30 + 30 * n) for n in range(7)]
    return [
        Slot(service=service, starts_at=s, ends_at=s + timedelta(minutes=30), capacity=4)
        for s in starts
    ]


@pytest.fixture
def setup(
    app: Flask, make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> Setup:
    """A household's plate in a village with an office phone, a county service with the demo's
    times on the next seven days and a village request service (报事报修); the test's session
    is closed so the server can write."""
    village = make_village()
    village.office_phone = OFFICE_PHONE
    household = make_household(village, address="灵溪镇渡龙村上垟路12号")
    plates.issue_missing()
    service = Service(
        scope=ServiceScope.COUNTY,
        kind=ServiceKind.SLOT,
        name="社保卡办理",
        description="新办或补办社会保障卡",
        materials=["身份证", "一寸照片"],
        location="县行政服务中心一楼",
        duration_minutes=20,
        purposes=["新办", "补办"],
    )
    request = Service(
        scope=ServiceScope.VILLAGE,
        village=village,
        kind=ServiceKind.REQUEST,
        name="报事报修",
        location="渡龙村村委会",
        duration_minutes=30,
        purposes=["路灯", "道路"],
    )
    db.session.add_all([service, request])
    for day in range(DAYS):
        db.session.add_all(_day_slots(service, day))
    db.session.commit()
    plate = plates.active_plate(household)
    assert plate is not None
    made = Setup(plate.token, service.id, request.id, village.code)
    db.session.close()  # SQLite: an open transaction here would hold the write lock
    return made


def _targets_are_large(page: Page) -> None:
    """Every control and link in the page's main part is at least 60 px high (适老化)."""
    for control in page.locator(
        "main a, main button:not(.default-button), main select, "
        "main input:not([type=hidden]):not([type=radio]), main textarea, main label.chip"
    ).all():
        box = control.bounding_box()
        assert box is not None and box["height"] >= 60, control.evaluate("e => e.outerHTML")


def _no_wider_than_the_screen(page: Page, name: str) -> None:
    """At 320, 360 and 375 px the page is no wider than the screen (no sideways scrolling)."""
    height = page.viewport_size["height"] if page.viewport_size else 667
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, (name, width, scroll_width)
    page.set_viewport_size({"width": 375, "height": height})


def _check(
    page: Page, name: str, large: bool, axe: AxeRun, screenshot: Callable[[Page, str], Path]
) -> None:
    screenshot(page, f"{name}-large" if large else name)
    assert axe(page, extra_tags=("wcag2aaa",) if large else ()) == []
    _no_wider_than_the_screen(page, name)
    if large:
        _targets_are_large(page)


def _call_and_home(page: Page, home: str) -> None:
    """The page's way home and the village office's call button."""
    assert page.locator(f'main .home a[href="{home}"]').count() == 1
    call = page.locator("main a.call-button")
    assert call.get_attribute("href") == "tel:057768881234"
    assert "拨打村委会电话" in call.inner_text()


def _large_text(page: Page, live_server: str, token: str) -> None:
    page.goto(f"{live_server}/P/{token}")
    page.get_by_role("link", name="大字版").click()
    page.wait_for_url(f"**/P/{token}")


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_book_look_up_and_cancel_on_a_phone(
    phone: Page,
    live_server: str,
    setup: Setup,
    axe_violations: AxeRun,
    screenshot: Callable[[Page, str], Path],
    large: bool,
) -> None:
    if large:
        _large_text(phone, live_server, setup.token)
    phone.goto(f"{live_server}/P/{setup.token}/services")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert ("large" in (phone.locator("body").get_attribute("class") or "")) is large
    assert phone.get_by_text("县行政服务中心一楼").is_visible()
    _check(phone, "services", large, axe_violations, screenshot)
    _call_and_home(phone, f"/P/{setup.token}")

    # The services page's next free times are links: the second opens the form with it chosen.
    second_time = phone.locator("ul.next-times a").nth(1)
    second_time.click()
    phone.wait_for_url(f"**/services/{setup.service_id}?slot=*")
    assert phone.locator("input.pick:checked + label").inner_text().startswith("09:00")
    _check(phone, "form", large, axe_violations, screenshot)

    # Sent empty of everything else: every field says what is missing, on the first answer.
    phone.locator("#slot_id input:checked").evaluate("e => { e.checked = false; }")
    phone.locator("form .actions button").click()
    assert phone.locator("p.error").count() == 4
    _check(phone, "form-errors", large, axe_violations, screenshot)

    # Another day (the second chip), then a time of it, then the rest.
    chips = phone.locator("#slot_id .days button")
    assert chips.count() == DAYS_SHOWN
    chips.nth(1).click()
    assert phone.locator("#slot_id .days button.on").inner_text() == chips.nth(1).inner_text()
    phone.locator("label.chip.time").nth(2).click()
    phone.locator("#purpose").select_option("补办")
    phone.locator("#contact_name").fill("王")
    phone.locator("#phone").fill("138 0013 8000")
    phone.locator("form .actions button").click()
    reference = phone.locator("#reference").inner_text()
    assert REFERENCE.fullmatch(reference), reference
    assert phone.get_by_text("您的预约号：").is_visible()
    assert phone.get_by_text("一寸照片").is_visible()
    _check(phone, "booked", large, axe_violations, screenshot)
    _call_and_home(phone, f"/P/{setup.token}")

    phone.locator(f'main a[href="/booking?v={setup.village_code}"]').click()
    phone.wait_for_url("**/booking?v=*")
    _check(phone, "my-booking", large, axe_violations, screenshot)
    _call_and_home(phone, f"/v/{setup.village_code}/")
    phone.locator("#reference").fill(reference.lower())  # as typed on a phone
    phone.locator("#phone_last4").fill("8000")
    phone.locator("form .actions button").click()
    assert phone.locator("p.reference").inner_text() == reference
    _check(phone, "status", large, axe_violations, screenshot)
    _call_and_home(phone, f"/v/{setup.village_code}/")

    # The status page's button only asks; "返回" goes back to the status, nothing cancelled.
    phone.get_by_role("button", name="取消预约").click()
    assert phone.locator("h1").inner_text() == "确认取消？"
    _check(phone, "confirm", large, axe_violations, screenshot)
    phone.get_by_role("button", name="返回").click()
    assert phone.locator("dd strong").inner_text() == "已受理"
    phone.get_by_role("button", name="取消预约").click()
    phone.get_by_role("button", name="确认取消").click()
    assert phone.locator("h1").inner_text() == "已取消"
    assert phone.locator("p.reference").inner_text() == reference
    assert phone.locator('form[action="/booking/cancel"]').count() == 0
    _check(phone, "cancelled", large, axe_violations, screenshot)
    _call_and_home(phone, f"/v/{setup.village_code}/")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_a_request_has_its_own_words_and_its_file_picker_fits(
    phone: Page,
    live_server: str,
    setup: Setup,
    axe_violations: AxeRun,
    screenshot: Callable[[Page, str], Path],
    large: bool,
) -> None:
    if large:
        _large_text(phone, live_server, setup.token)
    phone.goto(f"{live_server}/P/{setup.token}/services/{setup.request_id}")
    _check(phone, "request-form", large, axe_violations, screenshot)
    phone.locator("#phone").fill("139")
    phone.locator("form .actions button").click()
    assert phone.locator("p.error").count() == 4  # category, description, name, phone
    _check(phone, "request-errors", large, axe_violations, screenshot)
    phone.locator("#purpose").select_option("路灯")
    phone.locator("#description").fill("村口路灯不亮")
    phone.locator("#contact_name").fill("李")
    phone.locator("#phone").fill("13800138000")
    phone.locator("#photo").set_input_files(
        {"name": "lamp.png", "mimeType": "image/png", "buffer": _png()}
    )
    phone.locator("form .actions button").click()
    main = phone.locator("main").inner_text()
    assert "您的受理号：" in main and "照片已收到。" in main and "预约" not in main
    _check(phone, "request-sent", large, axe_violations, screenshot)
    reference = phone.locator("#reference").inner_text()

    phone.get_by_role("link", name="查询报事报修").click()
    assert phone.locator('label[for="reference"]').inner_text() == "受理号"
    _check(phone, "request-lookup", large, axe_violations, screenshot)
    phone.locator("#reference").fill(reference)
    phone.locator("#phone_last4").fill("8000")
    phone.locator("form .actions button").click()
    phone.get_by_role("button", name="撤回").click()
    assert phone.locator("h1").inner_text() == "确认撤回？"
    phone.get_by_role("button", name="确认撤回").click()
    assert phone.locator("h1").inner_text() == "已撤回"
    assert "预约" not in phone.locator("main").inner_text()
    _check(phone, "request-withdrawn", large, axe_violations, screenshot)


def _submit_bottom(page: Page) -> float:
    """How far down the page the booking form's submit button ends, in CSS pixels."""
    box = page.locator("form .actions button").bounding_box()
    assert box is not None
    return box["y"] + box["height"] + page.evaluate("window.scrollY")


def test_the_submit_button_is_within_two_screens_of_a_small_phone(
    browser: Any, live_server: str, setup: Setup, screenshot: Callable[[Page, str], Path]
) -> None:
    """At 360×640 the booking form's button ends within 2 × 640 px in standard text; large
    text's figure is recorded beside the screenshots (test-artifacts/booking-submit.json)."""
    measured = {}
    for large in (False, True):
        context = browser.new_context(viewport=SMALL_PHONE, locale="zh-CN")
        page = context.new_page()
        if large:
            _large_text(page, live_server, setup.token)
        page.goto(f"{live_server}/P/{setup.token}/services/{setup.service_id}")
        assert page.locator("label.chip.time").count() == 14  # one day's times, not all
        measured["large" if large else "standard"] = _submit_bottom(page)
        screenshot(page, "large" if large else "standard")
        context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "booking-submit.json").write_text(json.dumps(measured))
    assert measured["standard"] <= 2 * SMALL_PHONE["height"], measured


def test_enter_in_a_field_books_and_a_day_chip_never_does(
    phone: Page, live_server: str, setup: Setup
) -> None:
    """The keyboard's Enter ("前往") presses the form's default button, which books; a day chip
    only shows that day, keeping what was typed."""
    phone.goto(f"{live_server}/P/{setup.token}/services/{setup.service_id}")
    phone.locator("#contact_name").fill("王")
    phone.locator("#phone").fill("13800138000")
    phone.locator("#slot_id .days button").nth(2).click()
    assert phone.locator("#contact_name").input_value() == "王"
    assert phone.locator("#phone").input_value() == "13800138000"
    assert phone.locator("p.error").count() == 0 and phone.locator("#reference").count() == 0
    # Later days, and back: the typed fields ride along every time.
    phone.get_by_role("button", name="后面几天 →").click()
    assert phone.locator("#slot_id .days button").count() == DAYS - DAYS_SHOWN
    _no_wider_than_the_screen(phone, "later-days")
    phone.get_by_role("button", name="← 前面几天").click()
    assert phone.locator("#slot_id .days button").count() == DAYS_SHOWN
    assert phone.locator("#contact_name").input_value() == "王"
    phone.locator("label.chip.time").first.click()
    phone.locator("#purpose").select_option("新办")
    phone.locator("#phone").press("Enter")
    assert REFERENCE.fullmatch(phone.locator("#reference").inner_text())


def test_two_bad_fields_are_reported_together_in_the_forms_order(
    phone: Page, live_server: str, setup: Setup
) -> None:
    """A missing purpose used to hide a bad phone number until the next submit."""
    phone.goto(f"{live_server}/P/{setup.token}/services/{setup.service_id}")
    phone.locator("label.chip.time").first.click()
    phone.locator("#contact_name").fill("王")
    phone.locator("#phone").fill("12345")
    phone.locator("form .actions button").click()
    errors = phone.locator("p.error")
    assert errors.all_inner_texts() == [
        "请选择办理事项。",
        "请填写11位手机号码，例如 138 0000 0000。",
    ]
    summary = phone.locator(".summary li a")
    assert summary.all_inner_texts() == [
        "办理事项：请选择办理事项。",
        "手机号码：请填写11位手机号码，例如 138 0000 0000。",
    ]
    assert [a.get_attribute("href") for a in summary.all()] == ["#purpose", "#phone"]
    # The chosen time is still chosen, and the other fields keep what was typed.
    assert phone.locator("input.pick:checked").count() == 1
    assert phone.locator("#contact_name").input_value() == "王"
