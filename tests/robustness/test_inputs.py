"""Each class of hostile input, answered as it should be rather than merely not with a 500: a
NUL is refused with a message in the person's language (and ``q=%00`` no longer matches every
post on SQLite), nested JSON is a 422 or a 400, ids and pages past their bounds are a 404 or a
400 naming the bound, and a day a datetime cannot hold is a form error. Each with a negative
control: the same request with a sane value is answered normally."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from doorplate.api.params import BODY_MAX_BYTES
from doorplate.bounds import JSON_DEPTH_MAX, MAX_ID, PAGE_MAX
from doorplate.db import db
from doorplate.demo import DULONG
from doorplate.publications.models import Post

from .conftest import ADMIN, ADMIN_PASSWORD, TITLE, Known

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def client(walk_app: Flask, known: Known) -> FlaskClient:
    return walk_app.test_client()


@pytest.fixture
def admin(walk_app: Flask, known: Known) -> Iterator[FlaskClient]:
    client = walk_app.test_client()
    response = client.post("/staff/login", data={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert response.status_code == 302
    yield client


def _posts(walk_app: Flask) -> int:
    with walk_app.app_context():
        return db.session.scalar(select(func.count(Post.id))) or 0


# --- NUL -------------------------------------------------------------------------------------


def test_q_nul_is_refused_not_a_search_that_matches_every_post(
    client: FlaskClient, walk_app: Flask
) -> None:
    """SQLite read ``%\\0%`` as ``%``: every post matched. Now the search never runs."""
    assert _posts(walk_app) > 2
    found = client.get(f"/v/{DULONG}/search", query_string={"q": TITLE})
    assert found.status_code == 200 and found.get_data(as_text=True).count(TITLE) >= 1
    refused = client.get(f"/v/{DULONG}/search?q=%00", headers=ZH)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "“q”含有空字符（NUL，编码 0），不允许使用。" in page
    assert TITLE not in page

    listed = client.get(f"/api/v1/villages/{DULONG}/posts", query_string={"q": TITLE}).json
    assert listed is not None and [p["title"] for p in listed["items"]] == [TITLE]
    api = client.get(f"/api/v1/villages/{DULONG}/posts?q=%00")
    assert api.status_code == 400
    assert api.json == {
        "error": {
            "code": "invalid_parameter",
            "message": "q contains a NUL character (code 0), which is not allowed.",
            "parameter": "q",
        }
    }


def test_q_nul_is_refused_in_the_console_search(admin: FlaskClient) -> None:
    assert admin.get("/staff/households", query_string={"q": "上垟路"}).status_code == 200
    refused = admin.get("/staff/households?q=%00")
    assert refused.status_code == 400
    assert "q contains a NUL character" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("where", "request_args"),
    [
        ("reference", {"data": {"reference": "K7M2\x009QXD", "phone_last4": "8000"}}),
        ("phone_last4", {"data": {"reference": "K7M2-9QXD", "phone_last4": "80\x0000"}}),
        ("next", {"query_string": {"next": "/\x00"}, "data": {"reference": "K7M2-9QXD"}}),
    ],
)
def test_a_nul_in_a_form_field_or_query_is_named_in_the_persons_language(
    client: FlaskClient, where: str, request_args: dict[str, Any]
) -> None:
    sane = client.post("/booking", data={"reference": "K7M2-9QXD", "phone_last4": "8000"})
    assert sane.status_code == 404  # no such booking: the form was read
    refused = client.post("/booking", headers=ZH, **request_args)
    assert refused.status_code == 400
    assert f"“{where}”含有空字符" in refused.get_data(as_text=True)
    assert refused.headers["X-Request-Id"]


def test_a_nul_in_a_path_segment_is_refused_before_any_lookup(
    client: FlaskClient, known: Known
) -> None:
    token = known.values["token"]
    assert client.get(f"/P/{token}").status_code == 200
    for path in (f"/P/{token}%00", f"/v/{DULONG}%00/", f"/api/v1/plates/{token}%00"):
        assert client.get(path).status_code == 400, path


def test_a_nul_in_an_uploaded_files_name_is_refused(admin: FlaskClient, known: Known) -> None:
    response = admin.post(
        f"/staff/posts/{known.values['post_id']}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4"), "a\x00.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "file contains a NUL character" in response.get_data(as_text=True)


# --- nested JSON -----------------------------------------------------------------------------


def _booking(known: Known, **fields: Any) -> dict[str, Any]:
    return {
        "plate": known.values["token"],
        "slot_id": 1,
        "contact_name": "王",
        "phone": "13800138000",
        "purpose": "新办",
        "idempotency_key": "inputs-1",
        **fields,
    }


def test_deep_json_on_the_api_is_a_422_naming_the_limit(client: FlaskClient, known: Known) -> None:
    sane = client.post("/api/v1/bookings", json=_booking(known, slot_id=MAX_ID))
    assert sane.status_code == 422 and "slot_id" in sane.json["fields"]  # parsed, then judged

    deep = _booking(known, contact_name=json.loads("[" * JSON_DEPTH_MAX + "]" * JSON_DEPTH_MAX))
    too_deep = client.post("/api/v1/bookings", json=deep)
    assert too_deep.status_code == 422
    assert too_deep.json["error"]["message"] == (
        f"The body nests arrays and objects more than {JSON_DEPTH_MAX} levels deep."
    )
    for body in ("[" * 100_000, "[" * 50_000 + "]" * 50_000, "{" * 100_000):
        for path in ("/api/v1/bookings", "/api/v1/requests", "/api/v1/bookings/K7M2/cancel"):
            response = client.post(path, data=body, content_type="application/json")
            assert response.status_code == 422, path
            assert response.json["error"]["code"] == "invalid_input"


def test_an_oversized_api_body_is_refused_before_it_is_parsed(
    client: FlaskClient, known: Known
) -> None:
    body = json.dumps(_booking(known, purpose="新" * BODY_MAX_BYTES))
    response = client.post("/api/v1/bookings", data=body, content_type="application/json")
    assert response.status_code == 422
    assert f"at most {BODY_MAX_BYTES} bytes" in response.json["error"]["message"]


def test_deep_json_posted_to_a_form_is_a_400(client: FlaskClient) -> None:
    """Flask-WTF reads a JSON body as the form: through Flask's JSON, with the same limit."""
    for path in ("/booking", "/staff/login"):
        shallow = client.post(path, json={"reference": "x"})
        assert shallow.status_code < 500, path
        deep = client.post(path, data="[" * 100_000, content_type="application/json")
        assert deep.status_code == 400, path


# --- ids, pages and days ---------------------------------------------------------------------


def test_ids_past_an_integer_column_are_unknown_addresses(
    client: FlaskClient, admin: FlaskClient, known: Known
) -> None:
    post = known.values["post_id"]
    assert client.get(f"/v/{DULONG}/posts/{post}").status_code == 200
    assert admin.get(f"/staff/households/{MAX_ID}").status_code == 404  # the view looked
    for beyond in (MAX_ID + 1, 2**63, 10**20):
        assert client.get(f"/v/{DULONG}/posts/{beyond}").status_code == 404
        assert admin.get(f"/staff/households/{beyond}").status_code == 404
        assert admin.post(f"/staff/plates/{beyond}/install").status_code == 404


def test_a_page_that_cannot_be_is_a_400_naming_the_bound(admin: FlaskClient) -> None:
    assert admin.get("/staff/audit?page=1").status_code == 200
    for page in ("abc", "0", "-1", str(2**63), str(PAGE_MAX + 1)):
        for path in ("/staff/audit", "/staff/households", "/staff/posts", "/staff/bookings"):
            refused = admin.get(path, query_string={"page": page}, headers=ZH)
            assert refused.status_code == 400, (path, page)
            assert f"页码须为 1 至 {PAGE_MAX} 之间的整数。" in refused.get_data(as_text=True)
    assert admin.get(f"/staff/audit?page={PAGE_MAX}").status_code == 200  # empty, not refused


def test_a_resident_page_that_cannot_be_is_their_not_found_page(client: FlaskClient) -> None:
    assert client.get(f"/v/{DULONG}/c/affairs?page=1").status_code == 200
    for page in ("0", str(2**63), "x"):
        response = client.get(f"/v/{DULONG}/c/affairs?page={page}")
        assert response.status_code == 404
        assert "A notice may have expired" in response.get_data(as_text=True)


def test_a_day_no_datetime_can_hold_is_a_form_error(admin: FlaskClient) -> None:
    assert admin.get("/staff/bookings?day=2026-12-01").status_code == 200
    for day in ("0001-01-01", "9999-12-31"):
        response = admin.get(f"/staff/bookings?day={day}")
        assert response.status_code == 200
        assert "Choose a day from 2000-01-01 to 2999-12-31." in response.get_data(as_text=True)
