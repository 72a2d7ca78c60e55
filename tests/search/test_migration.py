"""The migration seeds the synonym list and indexes the posts published before it, so search
works on the first request after the upgrade; it goes back down cleanly."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, update

from doorplate import create_app
from doorplate.db import db, utcnow
from doorplate.places.models import Town, Village
from doorplate.publications import service as publications
from doorplate.publications.models import Category, Post, PostStatus
from doorplate.search import service, synonyms
from doorplate.staff.models import Role
from doorplate.staff.service import create_staff


def test_the_upgrade_indexes_what_was_published_before_it(tmp_path: Path) -> None:
    """On a SQLite file of its own: the shared test database stays at the latest schema."""
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    with create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url}).app_context():
        upgrade(revision="0010")
        village = Village(
            code="330327100201", name="渡龙村", town=Town(code="330327100", name="灵溪镇")
        )
        db.session.add(village)
        db.session.flush()
        author = create_staff(
            "test", username="author", display_name="", password="x" * 12, role=Role.COUNTY
        )
        post = publications.create_post(
            author, category=Category.POLICY, title="医疗保险参保缴费", body="每人每年400元。"
        )
        now = utcnow()
        db.session.execute(  # approved before search existed (approval now also indexes)
            update(Post)
            .where(Post.id == post.id)
            .values(
                status=PostStatus.PUBLISHED,
                publish_at=now,
                published_at=now,
                publisher_id=create_staff(
                    "test",
                    username="publisher",
                    display_name="",
                    password="x" * 12,
                    role=Role.COUNTY,
                ).id,
            )
        )
        db.session.commit()
        upgrade()
        assert synonyms.groups() == list(synonyms.DEFAULT_GROUPS)
        village = db.session.scalars(select(Village)).one()
        assert [p.title for p in service.find_posts(village, "医保").posts] == ["医疗保险参保缴费"]
        db.session.rollback()
        downgrade(revision="0010")
        assert not {"post_term", "search_synonym"} & set(inspect(db.engine).get_table_names())
        db.engine.dispose()
