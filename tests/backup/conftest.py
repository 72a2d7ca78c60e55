"""Fixtures for backup tests: a fresh, empty database of the test backend to restore into, and
helpers to run a command against an app of one's choosing."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import make_url

from doorplate import create_app
from doorplate.db import db


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def app_on(url: str) -> Flask:
    """An app on ``url`` outside the shared fixtures (which would empty its tables afterwards)."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "BABEL_DEFAULT_LOCALE": "en",
            "RESIDENT_PAGE_CACHE_SECONDS": 0,
            "VISIT_FLUSH_SECONDS": 0,
        }
    )


def invoke(app: Flask, *args: str, input: str | None = None) -> Result:
    """Run a ``doorplate`` command on ``app`` (its own app context, whatever is current)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), input=input)


def leftovers(folder: Path) -> list[Path]:
    """Temporary files a backup or restore leaves behind if it is not atomic."""
    return sorted(folder.glob(".*.part"))


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database that does not exist yet (SQLite) or is empty (PostgreSQL)."""
    if not is_postgres(database_url):
        yield f"sqlite:///{tmp_path / 'restored' / 'doorplate.sqlite3'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_restore_{secrets.token_hex(4)}"
    server: dict[str, Any] = {"host": url.host, "port": url.port, "user": url.username}
    if url.password:
        server["password"] = url.password
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def restored_app(fresh_url: str) -> Iterator[Flask]:
    app = app_on(fresh_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
