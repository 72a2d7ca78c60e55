"""An exception that escapes Flask still gets an answer of ours: status 500, the security headers,
the request id on the page and in the log, and none of the failed answer's own headers; under
gunicorn too, instead of its bare page."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from served import ROOT, gunicorn
from werkzeug.test import Client

from doorplate.config import DEFAULTS
from doorplate.ops import errors as error_pages
from doorplate.ops.last_resort import LastResort
from doorplate.ops.request_id import RequestIds
from doorplate.security import content_security_policy

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SECRET = "S3CRET-IN-THE-EXCEPTION"
LEAKED = ("X-Leak", "the failed answer's own header")


def _raises_at_once(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    raise RuntimeError(SECRET)


def _raises_after_starting(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [LEAKED])
    raise RuntimeError(SECRET)


def _body_raises_before_any_byte(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterator[bytes]:
    start_response("200 OK", [LEAKED])
    yield b""
    raise RuntimeError(SECRET)


FAILING = [_raises_at_once, _raises_after_starting, _body_raises_before_any_byte]


def _served(app: Flask, wsgi: Any) -> Client:
    """``wsgi`` inside the middleware, as create_app stacks them."""
    return Client(RequestIds(LastResort(app, wsgi)))


def _log_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("wsgi", FAILING, ids=lambda f: f.__name__.strip("_"))
def test_an_escaped_exception_is_our_500_with_the_headers_and_the_id(
    production_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str], wsgi: Any
) -> None:
    client = _served(production_app(BABEL_DEFAULT_LOCALE=DEFAULTS["BABEL_DEFAULT_LOCALE"]), wsgi)
    capsys.readouterr()
    response = client.get("/anything", headers={"X-Request-Id": "req-escaped"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.headers["X-Request-Id"] == "req-escaped"
    assert response.headers["Content-Security-Policy"] == content_security_policy(None)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    assert LEAKED[0] not in response.headers
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP
    for said in ("服务器出了点问题，请稍后再试。", "Something went wrong on our side."):
        assert said in page
    assert page.index("服务器") < page.index("Something")  # the default language, Chinese, first
    assert page.count("req-escaped") == 2  # once per language
    assert SECRET not in page and "Traceback" not in page

    [line] = _log_lines(capsys.readouterr().err)
    assert line["request_id"] == "req-escaped" and line["level"] == "ERROR"
    assert SECRET in line["exc"]


def test_over_https_the_page_asks_for_https(production_app: Callable[..., Flask]) -> None:
    response = _served(production_app(), _raises_at_once).get(base_url="https://localhost/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_once_part_of_the_body_is_sent_nothing_is_taken_back(
    production_app: Callable[..., Flask],
) -> None:
    def half_sent(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"half"
        raise RuntimeError(SECRET)

    response = _served(production_app(), half_sent).get("/")
    assert response.status_code == 200
    with pytest.raises(RuntimeError, match=SECRET):  # the server drops the connection
        response.get_data()


def test_an_answer_that_does_not_fail_passes_unchanged(
    production_app: Callable[..., Flask],
) -> None:
    def fine(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("201 CREATED", [("X-Own", "kept")])
        yield b"made"

    response = _served(production_app(), fine).get("/")
    assert (response.status_code, response.headers["X-Own"]) == (201, "kept")
    assert response.get_data() == b"made"


def test_an_app_that_propagates_exceptions_sees_them(make_app: Callable[..., Flask]) -> None:
    """Tests and the debugger get the exception itself, not the page."""
    with pytest.raises(RuntimeError, match=SECRET):
        _served(make_app(), _raises_at_once).get("/")


def test_a_failing_error_page_is_answered_by_the_last_resort(
    production_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error page itself failing is the way an exception escapes Flask."""

    def broken(*_args: Any) -> Any:
        raise RuntimeError(SECRET)

    client = production_app().test_client()
    monkeypatch.setattr(error_pages, "_texts", broken)
    response = client.get("/no/such/page", headers={"X-Request-Id": "req-page"})
    assert response.status_code == 500
    assert response.headers["X-Request-Id"] == "req-page"
    assert "Content-Security-Policy" in response.headers
    assert "Request id: req-page" in response.get_data(as_text=True)


def test_under_gunicorn_an_escaped_exception_gets_our_page_not_gunicorns(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "gunicorn.log"
    with (
        log.open("wb") as output,
        gunicorn(
            "tests.ops.served_app:app", database_url, workers=1,
            config=ROOT / "gunicorn.conf.py", env={"DOORPLATE_BIND": "127.0.0.1:1"}, output=output,
        ) as port,
    ):  # fmt: skip
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/escape", headers={"X-Request-Id": "req-gunicorn"})
        response = connection.getresponse()
        headers, page = response.getheaders(), response.read().decode()
        connection.close()
    names = [name.lower() for name, _value in headers]
    assert response.status == 500
    assert dict(headers)["X-Request-Id"] == "req-gunicorn"
    assert dict(headers)["Content-Security-Policy"] == content_security_policy(None)
    assert names.count("content-type") == names.count("x-request-id") == 1
    assert "x-leak" not in names
    assert "Request id: req-gunicorn" in page and "Internal Server Error" not in page
    [line] = [
        line for line in _log_lines(log.read_text()) if "exc" in line
    ]  # ours, not gunicorn's "Error handling request"
    assert line["request_id"] == "req-gunicorn" and "escaped" in line["exc"]
