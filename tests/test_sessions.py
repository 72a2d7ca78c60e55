"""Sessions: a request without a session cookie (every plate scan) never builds the signer;
one with a cookie still has it checked."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from doorplate.security import SessionInterface


def test_no_cookie_no_signer(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("the signer was built for a request without a session cookie")

    assert isinstance(app.session_interface, SessionInterface)
    monkeypatch.setattr(SessionInterface, "get_signing_serializer", refuse)
    assert client.get("/").status_code == 200


def test_a_session_cookie_is_still_verified(app: Flask, client: FlaskClient) -> None:
    assert isinstance(app.session_interface, SessionInterface)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "forged.value.signature")
    with client.session_transaction() as session:
        assert dict(session) == {}  # a bad signature is an empty session, as in Flask
