"""Migration 0009 on a database with staff and their audit trail: the accounts keep their failure
counts and start at session version 1, and it goes down and up again."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from doorplate import create_app
from doorplate.db import db


def test_the_staff_table_is_altered_in_place_under_its_audit_trail(tmp_path: Path) -> None:
    """On a SQLite file of its own, where copying ``staff_user`` would break the foreign keys of
    the audit rows (the shared test database stays at the latest schema)."""
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    with create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url}).app_context():
        upgrade(revision="0008")
        db.session.execute(
            text(
                "INSERT INTO staff_user (id, username, display_name, password_hash, role, active,"
                " failed_logins, locked_until, created_at) VALUES (1, 'clerk', 'c', 'x', 'admin',"
                " 1, 3, '2020-01-01 00:00:00.000000', '2020-01-01 00:00:00.000000')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO audit_event (at, actor_id, actor_name, action, object_type, detail)"
                " VALUES ('2020-01-01 00:00:00.000000', 1, 'clerk', 'login', 'staff_user', '{}')"
            )
        )
        db.session.commit()
        upgrade()
        staff = db.session.execute(
            text("SELECT id, failed_logins, session_version FROM staff_user")
        ).all()
        assert [tuple(row) for row in staff] == [(1, 3, 1)]
        assert db.session.execute(text("SELECT actor_id FROM audit_event")).scalar_one() == 1
        db.session.rollback()
        downgrade(revision="0008")
        assert db.session.execute(text("SELECT failed_logins FROM staff_user")).scalar_one() == 3
        db.session.rollback()
        upgrade()
        db.engine.dispose()
