"""The limiter itself: counted per client address and bucket, refused with 429 and
``Retry-After``, and only for the methods a view names."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from doorplate.ratelimit import limited


def _app_with_limited_views(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(TEST_LIMIT="3 per minute; 5 per hour")

    @app.get("/limited-a")
    @limited("TEST_LIMIT")
    def limited_a() -> str:
        return "a"

    @app.get("/limited-b")
    @limited("TEST_LIMIT")
    def limited_b() -> str:
        return "b"

    @app.route("/form", methods=["GET", "POST"])
    @limited("TEST_LIMIT", methods={"POST"})
    def form() -> str:
        return "form"

    @app.get("/free")
    def free() -> str:
        return "free"

    return app


def test_the_limit_refuses_the_attempt_after_the_last_allowed(
    make_app: Callable[..., Flask],
) -> None:
    client = _app_with_limited_views(make_app).test_client()
    assert [client.get("/limited-a").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/limited-a")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/free").status_code == 200


def test_the_longer_window_holds_after_the_shorter_one_passes(
    make_app: Callable[..., Flask],
) -> None:
    """Retry-After names the window that refused: the hour's, once 5 an hour are used."""
    app = _app_with_limited_views(make_app)
    app.config["TEST_LIMIT"] = "100 per minute; 5 per hour"
    client = app.test_client()
    assert [client.get("/limited-a").status_code for _ in range(5)] == [200] * 5
    refused = client.get("/limited-a")
    assert refused.status_code == 429
    assert 60 < int(refused.headers["Retry-After"]) <= 3600


def test_views_sharing_a_limit_share_one_count(make_app: Callable[..., Flask]) -> None:
    client = _app_with_limited_views(make_app).test_client()
    assert client.get("/limited-a").status_code == 200
    assert client.get("/limited-b").status_code == 200
    assert client.get("/limited-a").status_code == 200
    assert client.get("/limited-b").status_code == 429


def test_each_client_address_has_its_own_count(make_app: Callable[..., Flask]) -> None:
    client = _app_with_limited_views(make_app).test_client()
    for _ in range(3):
        client.get("/limited-a", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert client.get("/limited-a", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
    assert client.get("/limited-a", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200


def test_only_the_named_methods_count(make_app: Callable[..., Flask]) -> None:
    client = _app_with_limited_views(make_app).test_client()
    assert [client.get("/form").status_code for _ in range(10)] == [200] * 10
    assert [client.post("/form").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/form").status_code == 200
