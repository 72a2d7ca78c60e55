"""Large text (大字版): a link that works without JavaScript and is remembered."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from doorplate.resident.preferences import TEXT_COOKIE


def _body_tag(client: FlaskClient, path: str = "/") -> str:
    match = re.search(r"<body[^>]*>", client.get(path).get_data(as_text=True))
    assert match is not None
    return match.group(0)


def test_large_text_is_switched_on_remembered_and_switched_off(client: FlaskClient) -> None:
    assert _body_tag(client) == "<body>"
    response = client.get("/text/large?next=/P/SOMEWHERE")
    assert response.status_code == 302 and response.headers["Location"] == "/P/SOMEWHERE"
    cookie = response.headers["Set-Cookie"]
    assert f"{TEXT_COOKIE}=large" in cookie and "Max-Age=31536000" in cookie
    assert _body_tag(client) == '<body class="large">'
    assert _body_tag(client) == '<body class="large">'  # still, on the next page
    page = client.get("/").get_data(as_text=True)
    assert 'href="/text/normal?next=/"' in page
    client.get("/text/normal?next=/")
    assert _body_tag(client) == "<body>"


def test_the_switch_only_returns_to_this_site(client: FlaskClient) -> None:
    for evil in ("//evil.example/", "https://evil.example/"):
        response = client.get("/text/large", query_string={"next": evil})
        assert response.headers["Location"] == "/"


def test_large_text_css_meets_the_ageing_friendly_minimums(client: FlaskClient) -> None:
    """18 pt body, line height ≥ 1.5 and 60 px touch targets in the CSS the page inlines."""
    client.get("/text/large")
    page = client.get("/").get_data(as_text=True)
    css = re.search(r"<style nonce=\"[^\"]+\">(.*?)</style>", page, re.S)
    assert css is not None
    rules = dict(re.findall(r"([^{}]+)\{([^}]*)\}", css.group(1)))
    large_body = next(v for k, v in rules.items() if k.strip().endswith("body.large"))
    assert "font-size: 18pt" in large_body
    height = re.search(r"line-height: ([\d.]+)", large_body)
    assert height is not None and float(height.group(1)) >= 1.5
    targets = next(v for k, v in rules.items() if "body.large button" in k)
    assert "min-height: 60px" in targets
