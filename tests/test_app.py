"""The app factory, configuration layers and schema migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask

from doorplate import create_app
from doorplate.config import ConfigError
from doorplate.db import db


def test_migrations_match_models(app: Flask) -> None:
    """The schema built by Alembic is exactly what the models declare."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_production_refuses_to_start_without_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOORPLATE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="DOORPLATE_SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_refuses_short_secret_key() -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "changeme"})


def test_environment_layer_sits_between_defaults_and_overrides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOORPLATE_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DOORPLATE_COUNTY_NAME", "平阳县")
    monkeypatch.setenv("DOORPLATE_STAFF_IDLE_MINUTES", "5")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/dp")
    app = create_app({"STAFF_IDLE_MINUTES": 7})
    assert app.config["COUNTY_NAME"] == "平阳县"
    assert app.config["STAFF_IDLE_MINUTES"] == 7
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/dp"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
