"""Shared fixtures: a real database (a SQLite file, or PostgreSQL via DOORPLATE_TEST_DATABASE_URL),
an app per test, and factory callables for the registry and staff.

The schema is built once per run through the real migrations; each test then starts from empty
tables, so tests can commit like the app does.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import text

from doorplate import create_app
from doorplate.config import DEFAULTS
from doorplate.db import db
from doorplate.places.models import Household, Town, Village
from doorplate.staff.models import Role, StaffUser
from doorplate.staff.service import create_staff

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DOORPLATE_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'doorplate-test.sqlite3'}"


def _test_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "https://dp.example.gov.cn",
        # Assertions read English messages; tests of the Chinese default use ``zh_app``.
        "BABEL_DEFAULT_LOCALE": "en",
        # Real hashing, fewer rounds: the suite logs in hundreds of times.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Pages show what a test just published; tests/resident/test_page_cache.py turns it on.
        "RESIDENT_PAGE_CACHE_SECONDS": 0,
        # Visits recorded in the request, so a test sees them at once; test_queue.py queues them.
        "VISIT_FLUSH_SECONDS": 0,
    }


@pytest.fixture(scope="session")
def _schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        db.engine.dispose()


def _empty_tables() -> None:
    """Every table empty and every id counting from 1 again, as in a fresh database.

    On PostgreSQL, a DELETE of just the tables the test wrote to and a reset of the sequences it
    used cost about a hundredth of ``TRUNCATE`` of every table (which makes new files for each),
    a difference each of the suite's thousands of tests paid. SQLite hands out ids from the
    largest one left, so emptying its tables is enough.
    """
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # children before parents
    if db.engine.dialect.name == "postgresql":
        written = db.session.execute(
            text("SELECT " + ", ".join(f"EXISTS (SELECT FROM {name})" for name in tables))  # noqa: S608
        ).one()
        tables = [name for name, has_rows in zip(tables, written, strict=True) if has_rows]
    for name in tables:
        db.session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (names from metadata)
    if db.engine.dialect.name == "postgresql":
        used = db.session.scalars(
            text(
                "SELECT quote_ident(sequencename) FROM pg_sequences"
                " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        ).all()
        if used:
            db.session.execute(
                text("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in used))
            )
    db.session.commit()


@pytest.fixture
def make_app(database_url: str, _schema: None, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database with extra config; tables are emptied afterwards, and
    the ``doorplate`` logger a production-mode app configures for the process is restored."""
    apps: list[Flask] = []
    logger = logging.getLogger("doorplate")
    logging_before = (list(logger.handlers), logger.level, logger.propagate)

    def build(**overrides: Any) -> Flask:
        app = create_app({**_test_config(database_url, tmp_path), **overrides})
        apps.append(app)
        return app

    yield build
    for app in apps:  # a graceful stop writes each queue of visits, before their plates go
        with app.app_context():
            db.session.rollback()
            if queued := app.extensions.get("doorplate.visit_queue"):
                queued.flush()
    for app in apps:
        with app.app_context():
            _empty_tables()
            db.engine.dispose()
    logger.handlers[:], logger.level, logger.propagate = logging_before


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def zh_app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An app with the shipped default language, Chinese."""
    app = make_app(BABEL_DEFAULT_LOCALE=DEFAULTS["BABEL_DEFAULT_LOCALE"])
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_town(app: Flask) -> Callable[..., Town]:
    def make(code: str = "330327100", name: str = "灵溪镇") -> Town:
        town = Town(code=code, name=name)
        db.session.add(town)
        db.session.commit()
        return town

    return make


@pytest.fixture
def make_village(app: Flask, make_town: Callable[..., Town]) -> Callable[..., Village]:
    def make(code: str = "330327100201", name: str = "渡龙村", town: Town | None = None) -> Village:
        if town is None:
            town = db.session.query(Town).filter_by(code=code[:9]).one_or_none() or make_town(
                code=code[:9], name=f"镇{code[6:9]}"
            )
        village = Village(code=code, name=name, town=town)
        db.session.add(village)
        db.session.commit()
        return village

    return make


@pytest.fixture
def make_household(app: Flask) -> Callable[..., Household]:
    counter = iter(range(1, 10**6))

    def make(village: Village, address: str | None = None, **fields: Any) -> Household:
        n = next(counter)
        household = Household(
            village=village,
            address=address or f"{village.name}上垟路{n}号",
            house_no=fields.pop("house_no", f"{n}号"),
            **fields,
        )
        db.session.add(household)
        db.session.commit()
        return household

    return make


@pytest.fixture
def make_staff(app: Flask) -> Callable[..., StaffUser]:
    """``make_staff(Role.EDITOR, village=v)``; the password is ``PASSWORD`` unless given."""

    def make(
        role: Role = Role.ADMIN,
        *,
        username: str | None = None,
        town: Town | None = None,
        village: Village | None = None,
        password: str = PASSWORD,
    ) -> StaffUser:
        user = create_staff(
            "test",
            username=username or f"{role.value}{db.session.query(StaffUser).count() + 1}",
            display_name="",
            password=password,
            role=role,
            town_code=town.code if town else None,
            village_code=village.code if village else None,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., Any]:
    """Log ``client`` in as a staff user through the real login form."""

    def do_login(user: StaffUser | str, password: str = PASSWORD) -> Any:
        username = user if isinstance(user, str) else user.username
        return client.post("/staff/login", data={"username": username, "password": password})

    return do_login


def signed_in_client(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    """A new client of ``app`` signed in as ``username`` through the real login form."""
    client = app.test_client()
    response = client.post("/staff/login", data={"username": username, "password": password})
    assert response.status_code == 302, "sign-in failed"
    return client


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)
