"""Fixtures for the operations tests: an app in production mode (not testing, not debug), a
plate whose village page is cached, and the ``doorplate`` logger put back as it was."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from publications.conftest import county  # noqa: F401 (a fixture, shared with these tests)
from resident.conftest import PHONE_UA, plate_of  # noqa: F401 (plate_of: a fixture)

from doorplate.db import db
from doorplate.places.models import Village

SECRET_KEY = "ops-test-" + "k" * 40


@pytest.fixture
def doorplate_logger() -> Iterator[logging.Logger]:
    """The app's logger, restored afterwards: a production app configures it for the process."""
    logger = logging.getLogger("doorplate")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.fixture
def production_app(
    make_app: Callable[..., Flask], doorplate_logger: logging.Logger
) -> Callable[..., Flask]:
    """``production_app(**config)``: an app as gunicorn runs it (exceptions become 500 pages and
    log lines, not test failures), on the test database."""

    def build(**overrides: Any) -> Flask:
        return make_app(
            TESTING=False,
            DEBUG=False,
            PROPAGATE_EXCEPTIONS=False,
            SECRET_KEY=SECRET_KEY,
            **overrides,
        )

    return build


def scan(client: FlaskClient, token: str, **headers: str) -> Any:
    return client.get(f"/P/{token}", headers={"User-Agent": PHONE_UA, **headers})


@pytest.fixture
def cached_plate(
    app: Flask,
    county: Any,  # noqa: F811 (the fixture)
    plate_of: Callable[..., str],  # noqa: F811 (the fixture)
) -> Callable[[FlaskClient], str]:
    """``cached_plate(client)``: a plate of village A whose page ``client``'s app has cached (a
    first scan rendered it), so that its next scan takes the fast path."""

    def make(client: FlaskClient) -> str:
        client.application.config["RESIDENT_PAGE_CACHE_SECONDS"] = 30
        village: Village = county.a
        warm, token = plate_of(village), plate_of(village)
        db.session.commit()  # end the test's transaction: on SQLite it holds the write lock
        assert scan(client, warm).status_code == 200
        return token

    return make
