"""The plate page cache: a village's page is rendered once and filled per scan, so it must never
show one household another's address or plate, must keep each request's own CSP nonce, and must
let a new post through once its time is up."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from publications.conftest import County

from doorplate.db import db
from doorplate.places.models import Village
from doorplate.publications.models import Post
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
    assert not re.search("dp-[0-9a-f]{16}-", html1 + html2)
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


OLD_NAMES = ["dp-slot-address", "dp-slot-token", "dp-slot-nonce"]  # the fixed ones of before


def _own_values(response: Any, token: str) -> tuple[int, int]:
    """How often the page shows its reader's own token and nonce."""
    html = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce is not None
    return html.count(token), html.count(nonce.group(1))


def test_village_text_cannot_forge_a_placeholder(
    cached: Flask, county: County, plate_of: Callable[..., str], clock: list[float]
) -> None:
    """Every placeholder name, of this process and of an earlier rendering, written into every
    text of the village the plate page shows, is shown as written on both the rendering scan
    and the cached fast path, and no reader sees their own token or nonce there."""
    post = post_in(county, "a", "村务公开")
    tokens = [plate_of(county.a, address="上垟路2号"), plate_of(county.a, address="岙底街4号")]

    def scans() -> list[Any]:
        clock[0] += TTL + 1  # the village's page is rendered again by the first scan
        return [
            cached.test_client().get(f"/P/{token}", headers={"User-Agent": PHONE_UA})
            for token in tokens
        ]

    def write(text: str) -> None:
        village = db.session.get(Village, county.a.id)
        assert village is not None
        village.name = village.office_phone = village.office_address = text
        village.office_hours = text
        db.session.get(Post, post.id).title = text  # type: ignore[union-attr]
        db.session.commit()

    write("村委会")
    control = [_own_values(r, t) for r, t in zip(scans(), tokens, strict=True)]
    [entry] = cached.extensions["doorplate.page_cache"].values()
    earlier = entry.skeleton.slots
    for name in [earlier.address, earlier.token, earlier.nonce, *OLD_NAMES]:
        write(name)
        for response, token, own in zip(scans(), tokens, control, strict=True):
            assert response.status_code == 200
            assert name in response.get_data(as_text=True), name
            assert _own_values(response, token) == own, name
