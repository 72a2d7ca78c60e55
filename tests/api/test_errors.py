"""Errors under ``/api/`` are JSON, whatever went wrong and whatever else the app registers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from publications.conftest import County, published
from werkzeug.exceptions import NotFound

from doorplate.api import queries

OPENAPI = "https://dp.example.gov.cn/api/v1/openapi.json"


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/",
        "/api/v1",
        "/api/v1/",
        "/api/v1/nothing",
        "/api/v2/posts/1",
        "/api/v1/posts/abc",
        "/api/v1/posts/-1",
        "/api/v1/villages//posts",
        "/api/v1/villages/330327100201",
        "/api/v1/plates/",
    ],
)
def test_an_unknown_path_is_a_json_404(api: FlaskClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json == {
        "error": {
            "code": "not_found",
            "message": f"There is no such address in this API; the API is described at {OPENAPI}.",
        }
    }


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/posts/1", "/api/v1/plates/ZZZZZZZZZZZZZZZZ", "/api/v1/openapi.json"],
)
def test_a_wrong_method_is_a_json_405(api: FlaskClient, method: str, path: str) -> None:
    response = api.open(path, method=method, json={"x": 1})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.json == {
        "error": {
            "code": "method_not_allowed",
            "message": f"This address does not accept {method} requests; it accepts GET.",
        }
    }


def test_a_wrong_method_on_an_unknown_path_is_a_json_404(api: FlaskClient) -> None:
    response = api.post("/api/v1/nothing", json={})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_head_of_an_unknown_path_is_a_json_404_without_a_body(api: FlaskClient) -> None:
    response = api.head("/api/v1/nothing")
    assert response.status_code == 404
    assert response.get_data() == b""


def test_a_crash_is_a_json_500_without_details(
    make_api: Callable[..., FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: object) -> None:
        raise RuntimeError("secret detail in /work/main/doorplate/api/queries.py")

    monkeypatch.setattr(queries, "live_post", crash)
    client = make_api(PROPAGATE_EXCEPTIONS=False)
    response = client.get("/api/v1/posts/1")
    assert response.status_code == 500
    assert response.json == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side. Please try again later.",
            "request_id": response.headers["X-Request-Id"],
        }
    }


def test_html_error_pages_of_the_app_never_answer_the_api(
    make_api: Callable[..., FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask prefers a handler for the exact status, even the app's, to a blueprint's handler
    for all HTTP errors: the API's handlers must hold their own for every status."""
    client = make_api(PROPAGATE_EXCEPTIONS=False)
    app: Flask = client.application
    for status in (404, 405, 500):
        app.register_error_handler(status, lambda e: ("<html>HTML error page</html>", e.code))
    raised: list[Exception] = [NotFound(), RuntimeError("boom")]

    def fail(*_args: object) -> None:
        raise raised.pop(0)

    monkeypatch.setattr(queries, "live_post", fail)
    assert client.get("/api/v1/posts/1").json["error"]["code"] == "not_found"
    assert client.get("/api/v1/posts/1").json["error"]["code"] == "internal_error"
    assert client.get("/api/v1/nothing").json["error"]["code"] == "not_found"
    assert client.delete("/api/v1/posts/1").json["error"]["code"] == "method_not_allowed"
    # The negative control: outside the API the app's own pages still answer.
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.get_data() == b"<html>HTML error page</html>"


def test_messages_are_english_on_request_and_chinese_by_default(
    county: County, make_api: Callable[..., FlaskClient]
) -> None:
    published(county.editor_a, county.reviewer_a, village=county.a)
    client = make_api(BABEL_DEFAULT_LOCALE="zh_Hans_CN")
    path = "/api/v1/villages/330327100201/posts"
    labels = {
        lang: client.get(path, headers={"Accept-Language": lang}).json["items"][0]
        for lang in ("zh-CN", "en")
    }
    assert client.get(path).json["items"][0]["category_label"] == "村务"
    assert labels["zh-CN"]["category_label"] == "村务"
    assert labels["en"]["category_label"] == "Village affairs"
    english = client.get(path, query_string={"category": "x", "lang": "en"}).json["error"]
    assert english["message"].startswith("The parameter category must be one of:")
