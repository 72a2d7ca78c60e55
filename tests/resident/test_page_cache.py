"""The plate page cache: a village's page is rendered once and filled per scan, so it must never
show one household another's address or plate, must keep each request's own CSP nonce, and must
let a new post through once its time is up."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from publications.conftest import County

from doorplate.resident import page_cache
from doorplate.staff.models import StaffUser

from .conftest import PHONE_UA, page, post_in

TTL = 30


@pytest.fixture
def cached(app: Flask) -> Flask:
    app.config["RESIDENT_PAGE_CACHE_SECONDS"] = TTL
    return app


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The cache's monotonic clock, moved by the test."""
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    return now


def _households(county: County, plate_of: Callable[..., str]) -> list[tuple[str, str]]:
    addresses = ["灵溪镇渡龙村上垟路2号", "灵溪镇渡龙村岙底街4号 <b>&</b>"]
    return [(plate_of(county.a, address=address), address) for address in addresses]


def _nonce(html: str) -> str:
    nonces = set(re.findall(r'nonce="([^"]+)"', html))
    assert len(nonces) == 1, nonces
    return nonces.pop()


def test_a_cached_page_is_filled_with_each_households_own_values(
    cached: Flask, client: FlaskClient, county: County, plate_of: Callable[..., str], clock
) -> None:
    post_in(county, "a", "村务公开")
    (token1, address1), (token2, address2) = _households(county, plate_of)
    first = client.get(f"/P/{token1}", headers={"User-Agent": PHONE_UA})
    second = client.get(f"/P/{token2}", headers={"User-Agent": PHONE_UA})
    entries = cached.extensions["doorplate.page_cache"]
    assert len(entries) == 1  # the second scan was served from the first one's rendering
    html1, html2 = first.get_data(as_text=True), second.get_data(as_text=True)
    assert "上垟路2号" in html1 and "岙底街" not in html1 and token2 not in html1
    # The address is escaped when filled in, never trusted as markup.
    assert "岙底街4号 &lt;b&gt;&amp;&lt;/b&gt;</h1>" in html2
    assert "上垟路" not in html2 and token1 not in html2
    assert f"next=/P/{token2}" in html2
    assert "dp-slot" not in html1 + html2
    # Each response has a nonce of its own, the one its CSP header allows.
    nonce1, nonce2 = _nonce(html1), _nonce(html2)
    assert nonce1 != nonce2
    assert f"'nonce-{nonce2}'" in second.headers["Content-Security-Policy"]


def test_language_and_text_size_are_cached_apart(
    cached: Flask, client: FlaskClient, county: County, plate_of: Callable[..., str], clock
) -> None:
    (token, _address), _other = _households(county, plate_of)
    chinese = page(client, f"/P/{token}", headers={"User-Agent": PHONE_UA, "Accept-Language": "zh"})
    english = page(client, f"/P/{token}?lang=en")
    client.set_cookie("text", "large")
    large = page(client, f"/P/{token}?lang=en")
    assert '<html lang="zh-CN">' in chinese and '<html lang="en">' in english
    assert 'class="large"' in large and 'class="large"' not in english
    assert len(cached.extensions["doorplate.page_cache"]) == 3


def test_a_new_post_shows_once_the_cached_page_expires(
    cached: Flask, client: FlaskClient, county: County, plate_of: Callable[..., str], clock
) -> None:
    (token, _address), _other = _households(county, plate_of)
    assert "新通知" not in page(client, f"/P/{token}")
    post_in(county, "a", "新通知")
    clock[0] += TTL - 1
    assert "新通知" not in page(client, f"/P/{token}")  # at most TTL seconds late ...
    clock[0] += 1
    assert "新通知" in page(client, f"/P/{token}")  # ... and no later


def test_staff_get_a_fresh_page_with_the_installation_box(
    cached: Flask,
    client: FlaskClient,
    county: County,
    plate_of: Callable[..., str],
    login: Callable[..., object],
    clock,
) -> None:
    (token, _address), _other = _households(county, plate_of)
    assert "Mark as installed" not in page(client, f"/P/{token}")
    editor: StaffUser = county.editor_a
    login(editor)
    assert "Mark as installed" in page(client, f"/P/{token}")
