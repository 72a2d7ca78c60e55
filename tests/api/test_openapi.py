"""The OpenAPI document: valid OpenAPI 3.1, served as written, and in step with the routes."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from doorplate.api.openapi import DOCUMENT

from .conftest import validate_body

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def test_the_served_document_is_valid_openapi_3_1(api: FlaskClient) -> None:
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.json
    validate(served)
    assert served["openapi"] == "3.1.0"
    assert served == {**DOCUMENT, "servers": [{"url": "https://dp.example.gov.cn"}]}
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_the_validator_would_notice_a_broken_document() -> None:
    broken = {**DOCUMENT, "paths": {"/api/v1/posts/{post_id}": {"get": {"responses": "none"}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_api_route_is_documented_and_every_documented_path_exists(app: Flask) -> None:
    routes = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - IGNORED_METHODS
    }
    documented = {
        (path, method) for path, operations in DOCUMENT["paths"].items() for method in operations
    }
    assert routes == documented
    assert len(routes) == 10


def test_the_description_states_the_privacy_guarantees() -> None:
    description = DOCUMENT["info"]["description"]
    for promise in [
        "name or phone number",
        "count of\n  households",
        "same 404\n  body",
        "not counted",
        "no-store",
        "Access-Control-Allow-Origin: *",
    ]:
        assert promise in description, promise


@pytest.mark.parametrize(
    ("status", "data"),
    [
        (200, {"address": "上垟路1号", "village": None, "links": None}),
        (
            200,
            {
                "address": "上垟路1号",
                "head_name": "王小明",  # an undocumented field
                "village": {
                    "code": "1",
                    "name": "渡龙村",
                    "town": {"code": "1", "name": "灵溪镇"},
                    "office_phone": None,
                    "office_address": None,
                    "office_hours": None,
                },
                "links": {
                    "plate_page": "https://x/P/A",
                    "village_page": "https://x/v/1/",
                    "village_posts": "https://x/api/v1/villages/1/posts",
                },
            },
        ),
        (404, {"error": {"code": "Not Found", "message": "x"}}),
        (403, {"error": {"code": "forbidden", "message": "x"}}),  # not documented
    ],
)
def test_the_contract_check_would_notice_a_wrong_response(status: int, data: object) -> None:
    with pytest.raises(AssertionError):
        validate_body("GET", "/api/v1/plates/ABC", status, data)
