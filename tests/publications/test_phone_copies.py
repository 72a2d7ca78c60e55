"""Every image attached to a post keeps a phone-sized copy (720 px on its longer side) for its
page to show inline, made at upload and, for images stored before, by migration 0012; a PDF has
none. The copy is what a phone loads; the stored file stays the download."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import text

from doorplate import create_app
from doorplate.db import db
from doorplate.publications import attachments, images
from doorplate.publications.models import Post

from .conftest import County, draft
from .test_attachments import attach, pdf


@pytest.fixture
def post(county: County) -> Post:
    return draft(county.editor_a, village=county.a)


def _image(size: tuple[int, int], fmt: str, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (30, 120, 60, 200) if mode == "RGBA" else (30, 120, 60)).save(out, fmt)
    return out.getvalue()


def _copy(attachment_id: int) -> Image.Image:
    data = db.session.scalar(
        text("SELECT phone FROM attachment WHERE id = :id"), {"id": attachment_id}
    )
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("size", "fmt", "mode", "expected"),
    [
        ((2000, 1500), "JPEG", "RGB", (720, 540)),
        ((900, 1800), "PNG", "RGBA", (360, 720)),  # a drawing or screenshot stays a PNG
        ((500, 300), "JPEG", "RGB", (500, 300)),  # never enlarged
    ],
)
def test_an_uploaded_image_keeps_a_phone_copy_of_its_kind(
    county: County,
    post: Post,
    size: tuple[int, int],
    fmt: str,
    mode: str,
    expected: tuple[int, int],
) -> None:
    attachment = attach(county, post, f"照片.{fmt.lower()}", _image(size, fmt, mode))
    assert (attachment.phone_width, attachment.phone_height) == expected
    with _copy(attachment.id) as copy:
        assert copy.format == fmt and copy.size == expected
    assert attachments.phone_sizes([attachment]) == {attachment.id: expected}


def test_a_pdf_has_no_phone_copy(county: County, post: Post) -> None:
    attachment = attach(county, post, "名单.pdf", pdf("上垟路"))
    assert attachment.phone_width is None and attachments.phone_sizes([attachment]) == {}


def test_migration_0012_makes_the_copies_of_images_stored_before_it(tmp_path: Path) -> None:
    """On a SQLite file of its own: the shared test database stays at the latest schema."""
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    photo = _image((1600, 1200), "JPEG")
    with create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url}).app_context():
        upgrade(revision="0011")
        for statement in (
            "INSERT INTO staff_user (id, username, display_name, password_hash, role, active,"
            " failed_logins, created_at) VALUES (1, 'clerk', 'c', 'x', 'admin', 1, 0,"
            " '2020-01-01 00:00:00.000000')",
            "INSERT INTO post (id, scope, category, title, body, body_html, status,"
            " has_personal_data, author_id, created_at, updated_at) VALUES (1, 'county',"
            " 'notice', 't', '', '', 'draft', 0, 1, '2020-01-01 00:00:00.000000',"
            " '2020-01-01 00:00:00.000000')",
        ):
            db.session.execute(text(statement))
        for attachment_id, media_type, content in (
            (1, "image/jpeg", photo),
            (2, "application/pdf", b"%PDF-1.7"),
        ):
            db.session.execute(
                text(
                    "INSERT INTO attachment (id, post_id, filename, media_type, size, sha256,"
                    " content, uploaded_by_id, created_at) VALUES (:id, 1, 'f', :type, :size,"
                    " 'x', :content, 1, '2020-01-01 00:00:00.000000')"
                ),
                {"id": attachment_id, "type": media_type, "size": len(content), "content": content},
            )
        db.session.commit()
        upgrade()
        rows = db.session.execute(
            text("SELECT id, phone_width, phone_height FROM attachment ORDER BY id")
        ).all()
        assert [tuple(row) for row in rows] == [(1, 720, 540), (2, None, None)]
        with _copy(1) as copy:
            assert copy.size == (720, 540) and copy.format == "JPEG"
        assert images.PHONE_SIDE == 720
        db.session.rollback()
        db.engine.dispose()
