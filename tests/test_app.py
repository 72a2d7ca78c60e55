"""The app factory, configuration layers and schema migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

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


def test_production_database_errors_never_quote_bound_values(tmp_path: Path) -> None:
    """A failed statement's message goes to the log; its values may be a phone or a plate code."""
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    phone = "13812348000"
    production = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40})
    debug = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    messages = {}
    for name, app in (("production", production), ("testing", debug)):
        with app.app_context(), pytest.raises(OperationalError) as failure:
            db.session.execute(text("SELECT * FROM no_such_table WHERE phone = :p"), {"p": phone})
        messages[name] = str(failure.value)
    assert phone not in messages["production"]
    assert phone in messages["testing"]  # the control: SQLAlchemy quotes values by default
