"""Booking on a phone, in a real browser: from the plate page to a reference, then "my booking"
and cancelling it; every page passes axe-core (WCAG 2 A/AA, and 7:1 contrast in large text) and
keeps its controls at least 60 px high in large-text mode."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page

from doorplate.bookings.models import Service, ServiceKind, ServiceScope, Slot
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates

AxeRun = Callable[..., list[dict[str, Any]]]
REFERENCE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")


@dataclass(frozen=True)
class Setup:
    token: str
    service_id: int


@pytest.fixture
def setup(
    app: Flask, make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> Setup:
    """A household's plate, a county service with slots on the next two days and a village
    request service; the test's session is closed so the server can write."""
    village = make_village()
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
        name="路灯报修",
        location="渡龙村村委会",
        duration_minutes=30,
        purposes=["路灯", "道路"],
    )
    db.session.add_all([service, request])
    # 09:00 in the county (UTC+8) on the next two days
    first = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(days=1)
    for day in range(2):
        for n in range(3):
            start = first + timedelta(days=day, minutes=30 * n)
            db.session.add(
                Slot(
                    service=service,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=30),
                    capacity=4,
                )
            )
    db.session.commit()
    plate = plates.active_plate(household)
    assert plate is not None
    made = Setup(plate.token, service.id)
    db.session.close()  # SQLite: an open transaction here would hold the write lock
    return made


def _targets_are_large(page: Page) -> None:
    """Every control and link in the page's main part is at least 60 px high (适老化)."""
    for control in page.locator(
        "main a, main button, main select, main input:not([type=hidden]):not([type=radio]), "
        "main textarea, main label.choice"
    ).all():
        box = control.bounding_box()
        assert box is not None and box["height"] >= 60, control.evaluate("e => e.outerHTML")


def _check(
    page: Page, name: str, large: bool, axe: AxeRun, screenshot: Callable[[Page, str], Path]
) -> None:
    screenshot(page, f"{name}-large" if large else name)
    assert axe(page, extra_tags=("wcag2aaa",) if large else ()) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    if large:
        _targets_are_large(page)


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_book_look_up_and_cancel_on_a_phone(
    phone: Page,
    live_server: str,
    setup: Setup,
    axe_violations: AxeRun,
    screenshot: Callable[[Page, str], Path],
    large: bool,
) -> None:
    phone.goto(f"{live_server}/P/{setup.token}")
    if large:
        phone.get_by_role("link", name="大字版").click()
        phone.wait_for_url(f"**/P/{setup.token}")
    # The plate page's services section leads to the household's services.
    phone.locator(f'a[href="/P/{setup.token}/services"]').click()
    phone.wait_for_url(f"**/P/{setup.token}/services")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert ("large" in (phone.locator("body").get_attribute("class") or "")) is large
    assert phone.get_by_text("县行政服务中心一楼").is_visible()
    _check(phone, "services", large, axe_violations, screenshot)

    phone.locator(f'a[href="/P/{setup.token}/services/{setup.service_id}"]').click()
    phone.wait_for_url(f"**/services/{setup.service_id}")
    _check(phone, "form", large, axe_violations, screenshot)
    # Sent empty first: each field says what is missing, and the page still passes axe.
    phone.locator("form button[type=submit]").click()
    assert phone.locator("p.error").count() == 4
    _check(phone, "form-errors", large, axe_violations, screenshot)

    phone.locator("label.choice").nth(1).click()  # the second time of the first day
    phone.locator("#purpose").select_option("补办")
    phone.locator("#contact_name").fill("王")
    phone.locator("#phone").fill("138 0013 8000")
    phone.locator("form button[type=submit]").click()
    reference = phone.locator("#reference").inner_text()
    assert REFERENCE.fullmatch(reference), reference
    assert phone.get_by_text("一寸照片").is_visible()
    _check(phone, "booked", large, axe_violations, screenshot)

    phone.locator('main a[href="/booking"]').click()
    phone.wait_for_url("**/booking")
    _check(phone, "my-booking", large, axe_violations, screenshot)
    phone.locator("#reference").fill(reference.lower())  # as typed on a phone
    phone.locator("#phone_last4").fill("8000")
    phone.locator("form button[type=submit]").click()
    assert phone.locator("p.reference").inner_text() == reference
    _check(phone, "status", large, axe_violations, screenshot)

    phone.locator('form[action="/booking/cancel"] button').click()
    assert phone.locator("p.reference").inner_text() == reference
    assert phone.locator('form[action="/booking/cancel"]').count() == 0
    _check(phone, "cancelled", large, axe_violations, screenshot)
