"""Behind nginx (``PROXY_COUNT = 1``) the client's address and scheme come from X-Forwarded-*;
without it they are ignored, so a client talking to gunicorn directly cannot claim an address
(the visitor key, rate limits) or HTTPS (HSTS, secure links)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select

from doorplate.db import db, reading
from doorplate.security import HSTS
from doorplate.visits.models import Visit

from .conftest import scan

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "dp.example.gov.cn",
}


def _seen_by_flask(app: Flask) -> FlaskClient:
    """A client of ``app`` with a route that tells what Flask made of the request."""

    def seen() -> dict[str, object]:
        return {
            "addr": request.remote_addr,
            "secure": request.is_secure,
            "url": url_for("resident.index", _external=True),
        }

    app.add_url_rule("/_seen", "seen", seen)
    return app.test_client()


def test_without_a_proxy_forwarded_headers_are_ignored(make_app: Callable[..., Flask]) -> None:
    client = _seen_by_flask(make_app())
    response = client.get("/_seen", headers=FORWARDED)
    assert response.json == {"addr": "127.0.0.1", "secure": False, "url": "http://localhost/"}
    assert "Strict-Transport-Security" not in response.headers


def test_behind_one_proxy_its_headers_are_the_clients(make_app: Callable[..., Flask]) -> None:
    client = _seen_by_flask(make_app(PROXY_COUNT=1))
    response = client.get("/_seen", headers=FORWARDED)
    assert response.json == {
        "addr": "203.0.113.7",
        "secure": True,
        "url": "https://dp.example.gov.cn/",
    }
    assert response.headers["Strict-Transport-Security"] == HSTS
    # A client's own X-Forwarded-For before nginx's entry is not believed.
    spoofed = client.get("/_seen", headers={**FORWARDED, "X-Forwarded-For": "1.2.3.4, 203.0.113.7"})
    assert spoofed.json is not None and spoofed.json["addr"] == "203.0.113.7"


def _fast_scans(client: FlaskClient, token: str) -> list[str | None]:
    """Two fast-path scans of ``token`` by two phones behind nginx; their HSTS headers."""
    answers = [
        scan(client, token, **{**FORWARDED, "X-Forwarded-For": address})
        for address in ("203.0.113.7", "198.51.100.9")
    ]
    assert all(answer.status_code == 200 for answer in answers)
    return [answer.headers.get("Strict-Transport-Security") for answer in answers]


def _visits() -> int:
    with reading():  # ends its transaction: the other app's scans write
        return db.session.scalar(select(func.count()).select_from(Visit)) or 0


def test_the_fast_path_sees_the_client_behind_the_proxy(
    make_app: Callable[..., Flask], cached_plate: Callable[[FlaskClient], str]
) -> None:
    """Two phones behind nginx are two visitors, and HTTPS gets HSTS, on the fast path too."""
    client = make_app(PROXY_COUNT=1).test_client()
    token = cached_plate(client)
    before = _visits()
    assert _fast_scans(client, token) == [HSTS, HSTS]
    assert _visits() - before == 2


def test_the_fast_path_ignores_forwarded_headers_without_a_proxy(
    make_app: Callable[..., Flask], cached_plate: Callable[[FlaskClient], str]
) -> None:
    """The negative control: without PROXY_COUNT the same two scans come from one address over
    plain HTTP, one visitor within 30 minutes and no HSTS."""
    client = make_app().test_client()
    token = cached_plate(client)
    before = _visits()
    assert _fast_scans(client, token) == [None, None]
    assert _visits() - before == 1
