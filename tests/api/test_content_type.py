"""A body the API cannot take as JSON is refused with 415, in the caller's language, before
anything is written: every POST route of the URL map, each with a corpus of content types."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from publications.conftest import County

from doorplate import create_app
from doorplate.api.openapi import DOCUMENT

from .conftest import Door
from .test_bookings_api import START, add_service, add_slot, booking_body, count


def _post_routes() -> list[str]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and "POST" in (rule.methods or set())
    )


POST_ROUTES = _post_routes()
NOT_JSON = [
    None,
    "",
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/json",
    "application/jsonx",
    "application/json-patch+json",
    "application/x-json",
    "application/xml",
    "application/javascript",
    "json",
    "application/ json",
]
JSON_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"]


def test_every_post_route_is_checked() -> None:
    assert {"/api/v1/bookings", "/api/v1/requests"} <= set(POST_ROUTES)


@pytest.mark.parametrize("path", POST_ROUTES)
def test_every_post_operation_documents_415(path: str) -> None:
    template = path.replace("<reference>", "{reference}")
    responses = DOCUMENT["paths"][template]["post"]["responses"]
    assert responses["415"] == {"$ref": "#/components/responses/UnsupportedMediaType"}


@pytest.fixture
def body(app: Flask, county: County, make_door: Callable[..., Door]) -> bytes:
    """A booking that would be made if it were sent as JSON."""
    slot = add_slot(add_service(village=county.a), starts_at=START)
    return json.dumps(booking_body(make_door(county.a), slot)).encode()


@pytest.mark.parametrize("content_type", NOT_JSON)
@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_body_not_sent_as_json_is_refused_with_415(
    api: FlaskClient, body: bytes, path: str, content_type: str | None
) -> None:
    url = path.replace("<reference>", "ZZZZZZZZ")
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = api.post(url, data=body, headers=headers)
    assert response.status_code == 415, url
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert "Content-Type: application/json" in response.json["error"]["message"]
    assert count() == 0


def test_the_message_is_in_the_callers_language(api: FlaskClient, body: bytes) -> None:
    response = api.post(
        "/api/v1/bookings", data=body, content_type="text/plain", headers={"Accept-Language": "zh"}
    )
    assert response.status_code == 415
    assert "JSON" in response.json["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json["error"]["message"])


@pytest.mark.parametrize("content_type", JSON_TYPES)
def test_json_is_taken_however_its_type_is_written(
    api: FlaskClient, body: bytes, content_type: str
) -> None:
    """The control: the same body, sent as JSON, books."""
    response = api.post("/api/v1/bookings", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 201
    assert count() == 1
