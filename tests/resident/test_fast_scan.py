"""The plate scan's fast path (doorplate/resident/fast_scan.py) answers a cached village page with
exactly what the view would send, and leaves every other request to Flask."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from plate_views import plate_view_calls
from publications.conftest import County
from sqlalchemy import func, select

from doorplate.db import db
from doorplate.plates import service as plates
from doorplate.plates.models import Plate, RevokeReason
from doorplate.visits.models import Visit

from .conftest import PHONE_UA, post_in

BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def view_calls(app: Flask) -> Iterator[list[str]]:
    """The tokens the plate view itself was called for (the fast path never calls it)."""
    app.config["RESIDENT_PAGE_CACHE_SECONDS"] = 30
    with plate_view_calls(app) as calls:
        yield calls


def _scan(client: FlaskClient, token: str, **kwargs: Any) -> Any:
    # One request id for both paths, so their headers can be compared whole.
    headers = {"User-Agent": PHONE_UA, "X-Request-Id": "scan", **kwargs.pop("headers", {})}
    return client.get(f"/P/{token}", headers=headers, **kwargs)


def _without_nonce(text: str) -> str:
    return re.sub(r"nonce(?:-|=\")[A-Za-z0-9_-]{22}", "NONCE", text)


def _visits() -> int:
    return db.session.scalar(select(func.count()).select_from(Visit)) or 0


def test_a_cached_page_is_answered_like_the_view_answers_it(
    client: FlaskClient,
    county: County,
    plate_of: Callable[..., str],
    view_calls: list[str],
) -> None:
    post_in(county, "a", "村务公开")
    first_token = plate_of(county.a)
    token = plate_of(county.a, address="灵溪镇渡龙村岙底街4号 <b>&</b>")
    rendered = _scan(client, first_token)  # renders and caches the village's page
    assert view_calls == [first_token]
    fast = _scan(client, token)
    assert view_calls == [first_token]  # the second scan never reached the view
    view_calls.clear()
    client.application.extensions["doorplate.page_cache"].clear()
    slow = _scan(client, token)
    assert view_calls == [token]

    assert fast.status_code == slow.status_code == 200
    assert _without_nonce(fast.get_data(as_text=True)) == _without_nonce(
        slow.get_data(as_text=True)
    )
    assert "岙底街4号 &lt;b&gt;&amp;&lt;/b&gt;</h1>" in fast.get_data(as_text=True)
    fast_headers = [(k, _without_nonce(v)) for k, v in fast.headers.items()]
    slow_headers = [(k, _without_nonce(v)) for k, v in slow.headers.items()]
    assert sorted(fast_headers) == sorted(slow_headers)
    # Each answer has a fresh nonce, used by its inline style and in its policy.
    nonce = re.findall(r'nonce="([^"]+)"', fast.get_data(as_text=True))
    assert nonce and f"'nonce-{nonce[0]}'" in fast.headers["Content-Security-Policy"]
    assert nonce[0] not in rendered.get_data(as_text=True)
    assert _visits() == 2  # the third scan repeats the second's visitor and plate


def test_the_language_and_text_size_cookies_choose_the_cached_page(
    client: FlaskClient, county: County, plate_of: Callable[..., str], view_calls: list[str]
) -> None:
    token = plate_of(county.a)
    client.set_cookie("lang", "zh")
    zh = _scan(client, token)
    client.set_cookie("lang", "en")
    en = _scan(client, token)
    client.set_cookie("text", "large")
    large = _scan(client, token)
    again = _scan(client, token)
    assert len(view_calls) == 3  # one rendering for each language and size, then cached
    assert 'lang="zh' in zh.get_data(as_text=True) and 'lang="en"' in en.get_data(as_text=True)
    assert _without_nonce(large.get_data(as_text=True)) == _without_nonce(
        again.get_data(as_text=True)
    )
    assert large.get_data(as_text=True) != en.get_data(as_text=True)


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"query_string": {"lang": "en"}},
        {"method": "HEAD"},
    ],
    ids=["query-string", "head"],
)
def test_other_requests_reach_the_view(
    client: FlaskClient,
    county: County,
    plate_of: Callable[..., str],
    view_calls: list[str],
    request_kwargs: dict[str, Any],
) -> None:
    token = plate_of(county.a)
    _scan(client, token)
    method = request_kwargs.pop("method", "GET")
    response = client.open(
        f"/P/{token}", method=method, headers={"User-Agent": PHONE_UA}, **request_kwargs
    )
    assert response.status_code == 200
    assert view_calls == [token, token]


def test_staff_with_a_session_reach_the_view(
    client: FlaskClient,
    county: County,
    plate_of: Callable[..., str],
    view_calls: list[str],
    login: Callable[..., Any],
) -> None:
    token = plate_of(county.a)
    _scan(client, token)
    login(county.editor_a)
    assert "installed" in _scan(client, token).get_data(as_text=True).lower()
    assert view_calls == [token, token]


def test_unknown_and_revoked_plates_get_flasks_pages(
    client: FlaskClient, county: County, plate_of: Callable[..., str], view_calls: list[str]
) -> None:
    token = plate_of(county.a)
    _scan(client, token)
    plate = db.session.scalar(select(Plate).where(Plate.token == token))
    assert plate is not None
    plates.revoke("test", plate, RevokeReason.DAMAGED)
    db.session.commit()
    assert _scan(client, token).status_code == 410
    assert _scan(client, "0000000000000000").status_code == 404
    assert view_calls == [token, token, "0000000000000000"]


def test_the_fast_path_counts_visits_by_the_same_rules(
    client: FlaskClient, county: County, plate_of: Callable[..., str], view_calls: list[str]
) -> None:
    token = plate_of(county.a)
    _scan(client, token)  # renders; counted
    _scan(client, token)  # fast; the same visitor within 30 minutes
    _scan(client, token, headers={"User-Agent": BOT_UA})  # fast; a crawler
    _scan(client, token, environ_base={"REMOTE_ADDR": "10.9.9.9"})  # fast; another visitor
    assert view_calls == [token]
    assert _visits() == 2


def test_over_https_the_fast_path_sends_hsts(
    client: FlaskClient, county: County, plate_of: Callable[..., str], view_calls: list[str]
) -> None:
    token = plate_of(county.a)
    _scan(client, token, base_url="https://dp.example.gov.cn")
    fast = _scan(client, token, base_url="https://dp.example.gov.cn")
    assert view_calls == [token]
    assert fast.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_failure_on_the_fast_path_leaves_the_answer_to_flask(
    client: FlaskClient,
    county: County,
    plate_of: Callable[..., str],
    view_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = plate_of(county.a)
    _scan(client, token)
    real_scan = plates.scan
    failures = []

    def scan_failing_once(raw: str) -> plates.Scanned:
        if not failures:
            failures.append(raw)
            raise OSError("connection reset")
        return real_scan(raw)

    monkeypatch.setattr(plates, "scan", scan_failing_once)
    assert _scan(client, token).status_code == 200
    assert failures == [token]
    assert view_calls == [token, token]
