"""Security headers and cookies, asserted exactly: every header of every kind of response (resident
pages on both plate paths, staff pages, the JSON API and its errors, HTML errors, static files,
attachment downloads), over plain HTTP and over HTTPS, on an app in production mode.

Exactly means the whole set of header names and each value: a header that goes missing, one that
is added without a decision (a second CSP, a cookie on a plate scan) or a weakened value all fail.
"""

# ruff: noqa: F811 (the county and plate_of fixtures, imported below, are test parameters)
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from plate_views import plate_view_calls
from publications.conftest import County, county, published  # noqa: F401 (county: a fixture)
from publications.test_attachments import png
from publications.test_attachments_web import live_post_with
from resident.conftest import PHONE_UA, plate_of  # noqa: F401 (plate_of: a fixture)
from werkzeug.test import TestResponse

from doorplate.db import db
from doorplate.ops.request_id import HEADER as REQUEST_ID
from doorplate.publications.attachments import content_of

HTTP = "http://localhost/"
HTTPS = "https://localhost/"
HSTS = "max-age=31536000; includeSubDomains"
CSP = (
    "default-src 'self'; script-src 'self'{inline}; style-src 'self'{inline}; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
FILE_CSP = "default-src 'none'; sandbox"
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{22})'")
SECRET_KEY = "security-headers-test-" + "k" * 40
# A signed-in staff session is permanent (it carries the idle timeout), so it has an Expires.
SESSION_COOKIE = re.compile(
    r"doorplate_session=[A-Za-z0-9._-]+; (Expires=[^;]+ GMT; )?Secure; HttpOnly; Path=/; "
    r"SameSite=Lax"
)


class Matches:
    """A header value that varies by request (a length, a date), checked by its form."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"Matches({self.pattern.pattern!r})"


class AnyOrder:
    """A comma-separated header value whose order is not part of it (``Allow``)."""

    def __init__(self, *items: str) -> None:
        self.items = sorted(items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and sorted(other.split(", ")) == self.items

    def __hash__(self) -> int:
        return hash(tuple(self.items))

    def __repr__(self) -> str:
        return f"AnyOrder{tuple(self.items)!r}"


def security(
    *, secure: bool, csp: str = CSP.format(inline=""), referrer: str = "no-referrer"
) -> dict[str, str]:
    """The headers :mod:`doorplate.security` adds to every response."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": referrer,
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": csp,
    }
    if secure:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def assert_headers(response: TestResponse, expected: dict[str, Any]) -> None:
    """Fail unless the response has exactly ``expected``'s headers, each once, with its value."""
    names = [name for name, _value in response.headers.items()]
    assert len(names) == len(set(names)), f"a header is repeated: {names}"
    body = response.get_data()
    want = {
        "Content-Length": str(len(body)),
        REQUEST_ID: Matches(r"[A-Za-z0-9._-]{1,64}"),
        **expected,
    }
    assert dict(response.headers.items()) == want


def nonce_of(response: TestResponse) -> str:
    """The nonce the CSP allows, which must be the same for scripts and styles."""
    policy = response.headers["Content-Security-Policy"]
    nonces = NONCE.findall(policy)
    assert len(nonces) == 2 and nonces[0] == nonces[1], policy
    assert policy == CSP.format(inline=f" 'nonce-{nonces[0]}'")
    return str(nonces[0])


class InlineCode(HTMLParser):
    """Everything in a page that the CSP judges as inline code or a load from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_nonces: list[str | None] = []  # of <style> and <script> without src
        self.external: list[str] = []  # src/href of scripts and stylesheets not from this site
        self.attributes: list[str] = []  # style="" and on*="" attributes

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attributes += [n for n, _v in attrs if n == "style" or n.startswith("on")]
        if tag == "style" or (tag == "script" and not values.get("src")):
            self.inline_nonces.append(values.get("nonce"))
        for source in (values.get("src") if tag == "script" else None, _stylesheet(tag, values)):
            if source is not None and not (source.startswith("/") and not source.startswith("//")):
                self.external.append(source)


def _stylesheet(tag: str, values: dict[str, str | None]) -> str | None:
    return values.get("href") if tag == "link" and values.get("rel") == "stylesheet" else None


def assert_inline_code_carries(html: str, nonce: str) -> None:
    """Every inline style and script carries the response's nonce; nothing else is inline."""
    found = InlineCode()
    found.feed(html)
    assert found.inline_nonces, "the page inlines nothing: nothing to check the nonce against"
    assert found.inline_nonces == [nonce] * len(found.inline_nonces)
    assert found.external == [] and found.attributes == []


@pytest.fixture
def prod(make_app: Callable[..., Flask], app: Flask) -> Flask:
    """An app in production mode (secure session cookie, CSRF on, errors as pages), with the
    plate page cache on so a repeated scan takes the fast path. ``app`` (the test's app, whose
    context the factories use) shares its database."""
    return make_app(
        TESTING=False,
        SECRET_KEY=SECRET_KEY,
        WTF_CSRF_ENABLED=True,
        RESIDENT_PAGE_CACHE_SECONDS=30,
    )


@pytest.fixture
def plate_views(prod: Flask) -> Iterator[list[str]]:
    """The tokens the Flask plate view was called for: a scan the fast path answers is not."""
    with plate_view_calls(prod) as calls:
        yield calls


def settle() -> None:
    """End the test's transaction: on SQLite it holds the lock the production app's requests wait
    for (read the values a test needs from the factories' objects before this)."""
    db.session.commit()


def _get(client: FlaskClient, path: str, base_url: str, **kwargs: Any) -> TestResponse:
    headers = {"User-Agent": PHONE_UA, **kwargs.pop("headers", {})}
    return client.get(path, base_url=base_url, headers=headers, **kwargs)


# --- resident pages -------------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_a_plate_page_has_the_same_exact_headers_on_both_paths(
    prod: Flask,
    county: County,
    plate_of: Callable[..., str],
    plate_views: list[str],
    base_url: str,
) -> None:
    token = plate_of(county.a)
    settle()
    client = prod.test_client()
    by_flask = _get(client, f"/P/{token}", base_url)
    fast = _get(client, f"/P/{token}", base_url)
    assert plate_views == [token]  # the second scan was answered by the fast path
    nonces = []
    for response in (by_flask, fast):
        assert response.status_code == 200
        nonce = nonce_of(response)
        assert_headers(
            response,
            {
                "Content-Type": "text/html; charset=utf-8",
                "X-Robots-Tag": "noindex, nofollow",
                "Vary": "Cookie",
                **security(
                    secure=base_url == HTTPS, csp=response.headers["Content-Security-Policy"]
                ),
            },
        )
        assert_inline_code_carries(response.get_data(as_text=True), nonce)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert client.get_cookie("doorplate_session") is None


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_a_post_page_allows_its_read_aloud_script_by_nonce(
    prod: Flask, county: County, base_url: str
) -> None:
    post = published(county.editor_a, county.reviewer_a, village=county.a, title="村道修缮公示")
    path = f"/v/{county.a.code}/posts/{post.id}"
    settle()
    client = prod.test_client()
    first, second = _get(client, path, base_url), _get(client, path, base_url)
    for response in (first, second):
        assert response.status_code == 200
        assert_headers(
            response,
            {
                "Content-Type": "text/html; charset=utf-8",
                "X-Robots-Tag": "noindex, nofollow",
                **security(
                    secure=base_url == HTTPS, csp=response.headers["Content-Security-Policy"]
                ),
            },
        )
        html = response.get_data(as_text=True)
        assert_inline_code_carries(html, nonce_of(response))
        assert f'src="/static/js/resident.js" nonce="{nonce_of(response)}"' in html
    assert nonce_of(first) != nonce_of(second)
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers


def test_a_nonce_is_made_per_request_and_only_for_pages_that_use_it(app: Flask) -> None:
    @app.get("/_nonce_probe")
    def probe() -> str:
        return render_template_string('<style nonce="{{ csp_nonce() }}">p{}</style>')

    first = app.test_client().get("/_nonce_probe")
    second = app.test_client().get("/_nonce_probe")
    assert nonce_of(first) != nonce_of(second)
    for response in (first, second):
        assert_inline_code_carries(response.get_data(as_text=True), nonce_of(response))
    assert app.test_client().get("/staff/login").headers["Content-Security-Policy"] == CSP.format(
        inline=""
    )


# --- staff pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_a_staff_page_is_never_stored_and_refers_only_to_its_own_site(
    prod: Flask, base_url: str
) -> None:
    response = prod.test_client().get("/staff/login", base_url=base_url)
    assert response.status_code == 200
    assert_headers(
        response,
        {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Vary": "Cookie",
            "Set-Cookie": Matches(SESSION_COOKIE.pattern),
            **security(secure=base_url == HTTPS, referrer="same-origin"),
        },
    )
    assert_no_inline_code(response.get_data(as_text=True))


def assert_no_inline_code(html: str) -> None:
    found = InlineCode()
    found.feed(html)
    assert found.inline_nonces == [] and found.external == [] and found.attributes == []


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_a_staff_attachment_download_is_sandboxed_and_never_stored(
    prod: Flask, county: County, base_url: str
) -> None:
    post, attachment = live_post_with(county, "村口.png", png())
    path, content, username = (
        f"/staff/posts/{post.id}/attachments/{attachment.id}",
        content_of(attachment),
        county.editor_a.username,
    )
    settle()
    client = prod.test_client()
    login_page = client.get("/staff/login", base_url=HTTPS)
    signed_in = client.post(
        "/staff/login",
        base_url=HTTPS,
        data={
            "username": username,
            "password": "correct-horse-battery",
            "csrf_token": csrf_token(login_page),
        },
        headers={"Referer": f"{HTTPS}staff/login"},
    )
    assert signed_in.status_code == 302
    response = client.get(path, base_url=base_url)
    assert response.status_code == 200
    assert response.get_data() == content
    assert_headers(
        response,
        {
            "Content-Type": "image/png",
            "Content-Disposition": Matches(r"attachment; filename=.*"),
            "Cache-Control": "no-store",
            "Vary": "Cookie",
            "Set-Cookie": Matches(SESSION_COOKIE.pattern),
            **security(secure=base_url == HTTPS, csp=FILE_CSP, referrer="same-origin"),
        },
    )


# --- files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_a_static_file(prod: Flask, base_url: str) -> None:
    response = prod.test_client().get("/static/css/staff.css", base_url=base_url)
    assert response.status_code == 200
    assert_headers(
        response,
        {
            "Content-Type": "text/css; charset=utf-8",
            "Content-Disposition": "inline; filename=staff.css",
            "Cache-Control": "no-cache",
            "Last-Modified": Matches(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT"),
            "ETag": Matches(r'"[0-9.]+-\d+-\d+"'),
            "Date": Matches(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT"),
            "Accept-Ranges": "bytes",
            **security(secure=base_url == HTTPS),
        },
    )
    response.close()


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_a_public_attachment_download(prod: Flask, county: County, base_url: str) -> None:
    post, attachment = live_post_with(county, "村口.png", png())
    path, etag = f"/posts/{post.id}/files/{attachment.id}", f'"{attachment.sha256}"'
    settle()
    response = prod.test_client().get(path, base_url=base_url)
    assert response.status_code == 200
    assert_headers(
        response,
        {
            "Content-Type": "image/png",
            "Content-Disposition": 'attachment; filename="attachment.png"; '
            "filename*=UTF-8''%E6%9D%91%E5%8F%A3.png",
            "ETag": etag,
            "Cache-Control": "public, no-cache",
            "X-Robots-Tag": "noindex, nofollow",
            **security(secure=base_url == HTTPS, csp=FILE_CSP),
        },
    )


# --- the JSON API ---------------------------------------------------------------------------


def _api(*, secure: bool, cache: str) -> dict[str, Any]:
    return {
        "Content-Type": "application/json",
        "Cache-Control": cache,
        "Access-Control-Allow-Origin": "*",
        "Vary": "Accept-Language, Cookie",
        **security(secure=secure),
    }


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_an_api_response_and_its_errors(
    prod: Flask, county: County, plate_of: Callable[..., str], base_url: str
) -> None:
    token, code = plate_of(county.a), county.a.code
    settle()
    client = prod.test_client()
    secure = base_url == HTTPS
    found = client.get(f"/api/v1/plates/{token}", base_url=base_url)
    assert found.status_code == 200
    assert_headers(found, _api(secure=secure, cache="no-store"))
    listed = client.get(f"/api/v1/villages/{code}/posts", base_url=base_url)
    assert listed.status_code == 200
    assert_headers(listed, _api(secure=secure, cache="public, max-age=60"))
    missing = client.get("/api/v1/plates/0000000000000000", base_url=base_url)
    assert missing.status_code == 404
    assert_headers(missing, _api(secure=secure, cache="no-store"))
    wrong_method = client.delete("/api/v1/posts/1", base_url=base_url)
    assert wrong_method.status_code == 405
    assert_headers(
        wrong_method,
        {"Allow": "GET, HEAD, OPTIONS", **_api(secure=secure, cache="no-store")},
    )
    assert client.get_cookie("doorplate_session") is None


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_an_api_server_error_is_json_with_the_same_headers(
    prod: Flask, county: County, base_url: str
) -> None:
    def broken(post_id: int) -> None:
        raise RuntimeError("a bug")

    prod.view_functions["api.post"] = broken
    response = prod.test_client().get("/api/v1/posts/1", base_url=base_url)
    assert response.status_code == 500
    assert response.json is not None and response.json["error"]["code"] == "internal_error"
    assert "a bug" not in response.get_data(as_text=True)
    assert_headers(response, _api(secure=base_url == HTTPS, cache="no-store"))


# --- HTML errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_html_errors(prod: Flask, county: County, base_url: str) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    prod.view_functions["resident.index"] = broken
    client = prod.test_client()
    secure = base_url == HTTPS

    def assert_error_page(response: TestResponse, status: int, **extra: object) -> None:
        """The app's error page (doorplate/ops/errors.py): inline CSS by nonce, never stored,
        the request id to quote shown on it, no stack trace."""
        assert response.status_code == status
        html = response.get_data(as_text=True)
        assert_inline_code_carries(html, nonce_of(response))
        assert f"Request id: {response.headers[REQUEST_ID]}" in html
        assert "a bug" not in html and "Traceback" not in html
        csp = response.headers["Content-Security-Policy"]
        assert_headers(
            response,
            {
                "Content-Type": "text/html; charset=utf-8",
                "Cache-Control": "no-store",
                **extra,
                **security(secure=secure, csp=csp),
            },
        )

    assert_error_page(client.get("/no/such/page", base_url=base_url), 404)
    assert_error_page(
        client.post("/", base_url=base_url), 405, Allow=AnyOrder("GET", "HEAD", "OPTIONS")
    )
    # A resident page's failure is still a resident page: not for search engines.
    server_error = client.get("/", base_url=base_url)
    assert_error_page(server_error, 500, **{"X-Robots-Tag": "noindex, nofollow"})

    # The resident pages' own neutral 404 (an unknown village, category or post).
    unknown_village = client.get("/v/000000000000/", base_url=base_url)
    assert unknown_village.status_code == 404
    assert_headers(
        unknown_village,
        {
            "Content-Type": "text/html; charset=utf-8",
            "X-Robots-Tag": "noindex, nofollow",
            **security(secure=secure, csp=unknown_village.headers["Content-Security-Policy"]),
        },
    )
    assert_inline_code_carries(unknown_village.get_data(as_text=True), nonce_of(unknown_village))
    assert client.get_cookie("doorplate_session") is None


# --- behind nginx ---------------------------------------------------------------------------


@pytest.mark.parametrize(("proxies", "hsts"), [(1, True), (0, False)])
def test_hsts_behind_a_tls_proxy_only_when_the_proxy_is_trusted(
    make_app: Callable[..., Flask], app: Flask, proxies: int, hsts: bool
) -> None:
    """nginx ends TLS and says so in X-Forwarded-Proto; only a trusted proxy (PROXY_COUNT) may
    make a plain-HTTP request count as HTTPS, for HSTS and the secure cookies alike."""
    behind = make_app(TESTING=False, SECRET_KEY=SECRET_KEY, PROXY_COUNT=proxies)
    response = behind.test_client().get(
        "/static/css/staff.css", base_url=HTTP, headers={"X-Forwarded-Proto": "https"}
    )
    assert response.status_code == 200
    assert response.headers.get("Strict-Transport-Security") == (HSTS if hsts else None)
    response.close()


# --- cookies and CSRF -----------------------------------------------------------------------


def csrf_token(response: TestResponse) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_nothing_a_resident_reads_sets_a_cookie(
    prod: Flask, county: County, plate_of: Callable[..., str]
) -> None:
    token, code = plate_of(county.a), county.a.code
    settle()
    client = prod.test_client()
    paths = [
        f"/P/{token}",  # rendered by the view
        f"/P/{token}",  # from the fast path
        f"/p/{token.lower()}",
        f"/v/{code}/",
        "/",
        f"/api/v1/plates/{token}",
        f"/api/v1/plates/{token}/services",
        f"/api/v1/villages/{code}/posts",
        "/api/v1/openapi.json",
        "/static/css/staff.css",
    ]
    for path in paths:
        response = _get(client, path, HTTPS)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        response.close()


def test_the_session_cookie_is_secure_httponly_and_lax_in_production(prod: Flask) -> None:
    client = prod.test_client()
    response = client.get("/staff/login", base_url=HTTPS)
    assert SESSION_COOKIE.fullmatch(response.headers["Set-Cookie"])
    assert len(response.headers.getlist("Set-Cookie")) == 1


def test_a_form_post_needs_its_sessions_token_and_a_same_site_referer(
    prod: Flask, county: County
) -> None:
    form = {"username": county.admin.username, "password": "correct-horse-battery"}
    settle()
    client = prod.test_client()
    token = csrf_token(client.get("/staff/login", base_url=HTTPS))
    referer = {"Referer": f"{HTTPS}staff/login"}

    def sign_in(data: dict[str, str], headers: dict[str, str], who: FlaskClient = client) -> Any:
        return who.post("/staff/login", base_url=HTTPS, data=data, headers=headers)

    assert sign_in(form, referer).status_code == 400  # no token
    assert sign_in({**form, "csrf_token": "forged"}, referer).status_code == 400
    assert sign_in({**form, "csrf_token": token}, {}).status_code == 400  # no Referer
    other_site = {"Referer": "https://evil.example/staff/login"}
    assert sign_in({**form, "csrf_token": token}, other_site).status_code == 400
    stranger = prod.test_client()  # another browser: the token belongs to the first session
    stranger.get("/staff/login", base_url=HTTPS)
    assert sign_in({**form, "csrf_token": token}, referer, stranger).status_code == 400

    signed_in = sign_in({**form, "csrf_token": token}, referer)
    assert signed_in.status_code == 302
    assert SESSION_COOKIE.fullmatch(signed_in.headers["Set-Cookie"])
