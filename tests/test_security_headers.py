"""Security headers on every kind of response: pages, errors, static files, staff pages."""

from __future__ import annotations

import re

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

BASE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
CSP = (
    "default-src 'self'; script-src 'self'{inline}; style-src 'self'{inline}; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


@pytest.mark.parametrize(
    ("path", "status", "referrer"),
    [
        ("/", 200, "no-referrer"),
        ("/P/UNKNOWNUNKNOWN1", 404, "no-referrer"),
        ("/no/such/page", 404, "no-referrer"),
        ("/static/css/staff.css", 200, "no-referrer"),
        ("/staff/login", 200, "same-origin"),
    ],
)
def test_every_response_carries_the_headers(
    client: FlaskClient, path: str, status: int, referrer: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    for name, value in BASE.items():
        assert response.headers[name] == value, name
    # Pages with inline CSS carry their own nonce; everything else allows no inline code at all.
    nonce = re.search(r'nonce="([^"]+)"', response.get_data(as_text=True))
    inline = f" 'nonce-{nonce.group(1)}'" if nonce else ""
    assert response.headers["Content-Security-Policy"] == CSP.format(inline=inline)
    assert response.headers["Referrer-Policy"] == referrer
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    response.close()


def test_resident_pages_inline_their_css_and_staff_pages_do_not(client: FlaskClient) -> None:
    assert "'nonce-" in client.get("/").headers["Content-Security-Policy"]
    assert "'nonce-" not in client.get("/staff/login").headers["Content-Security-Policy"]


def test_staff_pages_are_never_cached(client: FlaskClient) -> None:
    assert client.get("/staff/login").headers["Cache-Control"] == "no-store"


def test_hsts_only_over_https(client: FlaskClient) -> None:
    response = client.get("/", base_url="https://dp.example.gov.cn")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_page_using_the_nonce_allows_exactly_that_nonce(app: Flask) -> None:
    @app.get("/_nonce_probe")
    def probe() -> str:
        return render_template_string('<style nonce="{{ csp_nonce() }}">p{}</style>')

    first = app.test_client().get("/_nonce_probe")
    second = app.test_client().get("/_nonce_probe")
    nonces = []
    for response in (first, second):
        nonce = re.search(r'nonce="([^"]+)"', response.get_data(as_text=True))
        assert nonce is not None
        policy = response.headers["Content-Security-Policy"]
        assert f"script-src 'self' 'nonce-{nonce.group(1)}'" in policy
        assert f"style-src 'self' 'nonce-{nonce.group(1)}'" in policy
        assert "unsafe-inline" not in policy
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 20
