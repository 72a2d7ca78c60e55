"""The resident's pages in a real phone browser: the plate page, large text, language switch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page

from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service

AxeRun = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def token(
    app: Flask, make_village: Callable[..., Village], make_household: Callable[..., Household]
) -> str:
    """A household's plate token; the test's own session is closed so the server can write."""
    household = make_household(make_village(), address="灵溪镇渡龙村上垟路12号")
    service.issue_missing()
    db.session.commit()
    found = service.active_plate(household)
    assert found is not None
    token = found.token
    db.session.close()  # SQLite: an open transaction here would hold the write lock
    return token


def test_plate_page_on_a_phone(
    phone: Page,
    live_server: str,
    token: str,
    axe_violations: AxeRun,
    screenshot: Callable[[Page, str], Path],
) -> None:
    phone.goto(f"{live_server}/P/{token}")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert phone.locator("h1").inner_text() == "灵溪镇渡龙村上垟路12号"
    assert phone.get_by_role("link", name="大字版").is_visible()
    screenshot(phone, "plate")
    assert axe_violations(phone) == []
    # Nothing wider than the phone: no sideways scrolling for the resident.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_large_text_mode_is_big_high_contrast_and_remembered(
    phone: Page,
    live_server: str,
    token: str,
    axe_violations: AxeRun,
    screenshot: Callable[[Page, str], Path],
) -> None:
    phone.goto(f"{live_server}/P/{token}")
    phone.get_by_role("link", name="大字版").click()
    phone.wait_for_url(f"**/P/{token}")
    body = phone.locator("body")
    assert body.get_attribute("class") == "large"
    size = float(body.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    line = float(body.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert size >= 24  # 18 pt
    assert line >= 1.5 * size
    for link in phone.locator("header a").all():
        box = link.bounding_box()
        assert box is not None and box["height"] >= 60 and box["width"] >= 60
    screenshot(phone, "large")
    # AA everywhere, and the enhanced (AAA, 7:1) contrast rule in large-text mode.
    assert axe_violations(phone, extra_tags=("wcag2aaa",)) == []
    phone.goto(f"{live_server}/")
    assert phone.locator("body").get_attribute("class") == "large"  # remembered


def test_language_switch_to_english_and_back(
    phone: Page,
    live_server: str,
    token: str,
    axe_violations: AxeRun,
    screenshot: Callable[[Page, str], Path],
) -> None:
    phone.goto(f"{live_server}/P/{token}")
    phone.get_by_role("link", name="English").click()
    phone.wait_for_url(f"**/P/{token}")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("link", name="Large text").is_visible()
    screenshot(phone, "english")
    assert axe_violations(phone) == []
    phone.get_by_role("link", name="中文").click()
    phone.wait_for_url(f"**/P/{token}")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"


@pytest.mark.parametrize("path", ["/", "/P/NOSUCHCODE00000", "/staff/login"])
def test_other_pages_pass_axe(
    phone: Page, live_server: str, path: str, axe_violations: AxeRun
) -> None:
    phone.goto(f"{live_server}{path}")
    assert axe_violations(phone) == []
