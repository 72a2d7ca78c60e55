"""The API contract, enforced on every response the API tests receive.

``api`` (and ``make_api`` for an app of its own) is a test client that checks every response to a
path under ``/api/`` against the OpenAPI document: JSON of the schema documented for its path,
method and status, with the headers every API response carries. An operation's explicit statuses
must be documented as such; only 405 and 500 may fall to ``default``; a path or method the
document does not have may only answer an error. The publication tests' county (towns, villages,
staff of every role) is reused here through its fixture.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from publications.conftest import county  # noqa: F401 (a fixture, shared with these tests)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from doorplate.api.openapi import DOCUMENT
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates.models import Plate
from doorplate.plates.service import active_plate, issue_missing

DOCUMENT_URI = "urn:doorplate:openapi"
DEFAULT_STATUSES = {405, 500}  # the statuses an operation leaves to its "default" response
_REGISTRY = Registry().with_resource(
    DOCUMENT_URI, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)


def _template_pattern(template: str) -> re.Pattern[str]:
    return re.compile(
        "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", template)
        )
        + "$"
    )


_TEMPLATES = [(template, _template_pattern(template)) for template in DOCUMENT["paths"]]


def schema_pointer(method: str, path: str, status: int) -> list[str]:
    """Where in the document the schema for this response is, as JSON pointer segments."""
    template = next((t for t, pattern in _TEMPLATES if pattern.match(path)), None)
    operation = DOCUMENT["paths"][template].get(method.lower()) if template else None
    if operation is None:
        assert status in {404, 405}, f"{method} {path}: undocumented, yet answered {status}"
        return ["components", "schemas", "Error"]
    key = str(status)
    if key not in operation["responses"]:
        assert status in DEFAULT_STATUSES, f"{method} {template}: {status} is not documented"
        key = "default"
    where = ["paths", template, method.lower(), "responses", key]
    response = operation["responses"][key]
    if "$ref" in response:
        where = response["$ref"].removeprefix("#/").split("/")
    return [*where, "content", "application/json", "schema"]


def validate_body(method: str, path: str, status: int, data: Any) -> None:
    """Fail unless ``data`` is of the schema the document gives for this response."""
    pointer = "/".join(
        s.replace("~", "~0").replace("/", "~1") for s in schema_pointer(method, path, status)
    )
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/{quote(pointer)}"},
        registry=_REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, f"{method} {path} {status}: {errors}"


def check_contract(response: TestResponse) -> None:
    """Fail unless an API response is what the document and the API's conventions promise."""
    request = response.request
    assert response.mimetype == "application/json", response.mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Vary"] == "Accept-Language, Cookie"
    assert "Set-Cookie" not in response.headers
    if response.status_code >= 400:
        assert response.headers["Cache-Control"] == "no-store"
    if request.method != "HEAD":
        data = json.loads(response.get_data())
        validate_body(request.method, request.path, response.status_code, data)


class ContractClient(FlaskClient):
    """A test client that checks every API response it receives with :func:`check_contract`."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        if response.request.path.startswith("/api/"):
            check_contract(response)
        return response


def contract_client(app: Flask) -> FlaskClient:
    return ContractClient(app, app.response_class)


@pytest.fixture
def api(app: Flask) -> FlaskClient:
    return contract_client(app)


@pytest.fixture
def make_api(make_app: Callable[..., Flask]) -> Callable[..., FlaskClient]:
    """A contract-checking client of a new app (``make_api(BABEL_DEFAULT_LOCALE=...)``).

    Its requests each run in their own app context, so each chooses its language afresh
    (flask-babel remembers the locale for the life of an app context, which the ``app`` fixture
    keeps open for the whole test). End the test's transaction before using it: on SQLite an
    open one holds the lock the new app's requests queue on.
    """

    def make(**config: Any) -> FlaskClient:
        return contract_client(make_app(**config))

    return make


@dataclass(frozen=True)
class Door:
    """A household with its current plate, as plain values."""

    household_id: int
    address: str
    token: str


@pytest.fixture
def make_door(make_household: Callable[..., Household]) -> Callable[..., Door]:
    """``make_door(village, head_name=..., phone=...)``: a household with an issued plate."""

    def make(village: Village, **fields: Any) -> Door:
        household = make_household(village, **fields)
        issue_missing(household_ids=[household.id])
        db.session.commit()
        plate: Plate | None = active_plate(household)
        assert plate is not None
        door = Door(household.id, household.address, plate.token)
        db.session.commit()  # end the read: on SQLite it holds the lock another app waits for
        return door

    return make
