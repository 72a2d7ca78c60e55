"""Migration 0010 renders every saved post again with this release's sanitiser, so an image a
post saved earlier pointed at a staff address (a download run in the reader's name) is gone,
while its own files stay."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from doorplate import create_app
from doorplate.db import db

BODY = "![plates](/staff/plates/town/330327100/pdf)\n\n![photo](/posts/1/files/2)\n\n上垟路停水。"


def test_posts_saved_before_0010_lose_outside_images_and_keep_their_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    with create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url}).app_context():
        upgrade(revision="0009")
        db.session.execute(
            text(
                "INSERT INTO staff_user (id, username, display_name, password_hash, role, active,"
                " failed_logins, created_at) VALUES (1, 'clerk', 'c', 'x', 'admin', 1, 0,"
                " '2020-01-01 00:00:00.000000')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO post (id, scope, category, title, body, body_html, status,"
                " has_personal_data, author_id, created_at, updated_at) VALUES (1, 'county',"
                " 'notice', 't', :body, :html, 'draft', 0, 1, '2020-01-01 00:00:00.000000',"
                " '2020-01-01 00:00:00.000000')"
            ),
            {"body": BODY, "html": '<p><img src="/staff/plates/town/330327100/pdf" alt="x"></p>'},
        )
        db.session.commit()
        upgrade()
        html = db.session.execute(text("SELECT body_html FROM post")).scalar_one()
        assert "/staff/" not in html
        assert 'src="/posts/1/files/2"' in html and "上垟路停水。" in html
        db.session.rollback()
        db.engine.dispose()
