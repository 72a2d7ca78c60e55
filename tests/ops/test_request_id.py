"""Every response carries ``X-Request-Id``: nginx's when it is a sane token, else a new one.
Pages, JSON, static files, errors and the plate scan's fast path alike."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from plate_views import plate_view_calls

from doorplate.ops import request_id

from .conftest import scan

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "path",
    ["/", "/api/v1/openapi.json", "/static/css/staff.css", "/no-such-page", "/api/v1/nothing"],
    ids=["html", "json", "static", "html-404", "json-404"],
)
def test_every_kind_of_response_carries_a_new_id(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    second = client.get(path)
    for response in (first, second):
        response.close()  # a static file's response holds the file open
    assert GENERATED.fullmatch(first.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert first.headers.getlist("X-Request-Id") == [first.headers["X-Request-Id"]]


def test_a_sane_incoming_id_is_kept(client: FlaskClient) -> None:
    for sane in ("5f0c6e2a9b1d4c7e8f00112233445566", "req-1.2_A", "x" * 64):
        response = client.get("/", headers={"X-Request-Id": sane})
        assert response.headers["X-Request-Id"] == sane


@pytest.mark.parametrize(
    "insane",
    ["", "x" * 65, "a b", "id\r\nSet-Cookie: x=1", "<script>", "ünïcode", "a/b", "a;b"],
)
def test_an_insane_incoming_id_is_replaced(client: FlaskClient, insane: str) -> None:
    response = client.get("/", environ_base={"HTTP_X_REQUEST_ID": insane})
    assert GENERATED.fullmatch(response.headers["X-Request-Id"])


def test_the_fast_path_carries_the_id(
    app: Flask, client: FlaskClient, cached_plate: Callable[[FlaskClient], str]
) -> None:
    token = cached_plate(client)
    with plate_view_calls(app) as calls:
        fast = scan(client, token)
        kept = scan(client, token, **{"X-Request-Id": "nginx-abc123"})
    assert calls == []  # neither scan reached Flask
    assert fast.status_code == kept.status_code == 200
    assert GENERATED.fullmatch(fast.headers["X-Request-Id"])
    assert kept.headers["X-Request-Id"] == "nginx-abc123"


def test_an_api_server_error_names_its_id(
    production_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    from doorplate.api import queries

    def crash(*_args: object) -> None:
        raise RuntimeError("detail")

    monkeypatch.setattr(queries, "live_post", crash)
    response = production_app().test_client().get("/api/v1/posts/1")
    assert response.status_code == 500
    assert response.json is not None
    assert response.json["error"]["request_id"] == response.headers["X-Request-Id"]
    assert response.json["error"]["code"] == "internal_error"


def test_new_ids_are_unique_within_a_process_and_across_forked_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [request_id.new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(GENERATED.fullmatch(i) for i in ids)
    # A worker forked from this process gets its own prefix, so its ids never meet ours.
    monkeypatch.setattr(request_id.os, "getpid", lambda: -42)
    child = [request_id.new_id() for _ in range(1000)]
    assert {i[:16] for i in child}.isdisjoint({i[:16] for i in ids})
    assert set(child).isdisjoint(ids)
