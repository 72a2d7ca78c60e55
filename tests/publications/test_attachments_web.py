"""Attachments on the web: uploading and removing in the console (scope, messages, oversize
requests), the staff download of unpublished files, the public download of a live post's files
with its exact headers, and the partial the post page includes."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import PASSWORD, csrf_token_from, signed_in_client
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from doorplate.db import db, utcnow
from doorplate.publications import attachments, service
from doorplate.publications.models import Attachment, Post
from doorplate.staff.models import StaffUser

from .conftest import County, draft
from .test_attachments import gif, pdf, png

FILE_CSP = "default-src 'none'; sandbox"


@pytest.fixture
def as_user(app: Flask) -> Callable[[StaffUser], FlaskClient]:
    def sign_in(user: StaffUser) -> FlaskClient:
        return signed_in_client(app, user.username)

    return sign_in


def upload(client: FlaskClient, post_id: int, name: str, data: bytes) -> TestResponse:
    return client.post(
        f"/staff/posts/{post_id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def flashes(client: FlaskClient) -> list[tuple[str, str]]:
    """The messages waiting for the next page, taken as that page would."""
    with client.session_transaction() as session:
        return list(session.pop("_flashes", []))


def back_to_post(response: TestResponse, post_id: int) -> bool:
    return response.status_code == 302 and response.headers["Location"] == f"/staff/posts/{post_id}"


def attached(county: County, post: Post, name: str, data: bytes) -> Attachment:
    attachment = attachments.add_attachment(county.editor_a, post, name, data)
    db.session.commit()
    return attachment


def live_post_with(county: County, name: str, data: bytes) -> tuple[Post, Attachment]:
    post = draft(county.editor_a, village=county.a)
    attachment = attached(county, post, name, data)
    service.submit(county.editor_a, post)
    service.approve(county.reviewer_a, post)
    db.session.commit()
    return post, attachment


# --- the console ----------------------------------------------------------------------------


def test_the_author_uploads_and_removes_a_file(
    county: County, as_user: Callable[[StaffUser], FlaskClient]
) -> None:
    post = draft(county.editor_a, village=county.a)
    client = as_user(county.editor_a)
    response = upload(client, post.id, "../照片/村口.PNG", png())
    assert back_to_post(response, post.id)
    assert flashes(client) == [("success", "村口.png is attached.")]
    attachment = db.session.scalars(select(Attachment)).one()
    assert (attachment.post_id, attachment.filename) == (post.id, "村口.png")

    response = client.post(f"/staff/posts/{post.id}/attachments/{attachment.id}/remove")
    assert back_to_post(response, post.id)
    assert flashes(client) == [("success", "村口.png was removed.")]
    db.session.expire_all()
    assert db.session.scalars(select(Attachment)).all() == []


def test_a_refused_upload_is_explained_on_the_post_page(
    county: County, as_user: Callable[[StaffUser], FlaskClient]
) -> None:
    post = draft(county.editor_a, village=county.a)
    client = as_user(county.editor_a)
    assert back_to_post(upload(client, post.id, "动画.gif", gif()), post.id)
    refused = (
        "动画.gif was not attached: only JPEG and PNG images and PDF documents can be attached."
    )
    assert flashes(client) == [("error", refused)]
    response = client.post(f"/staff/posts/{post.id}/attachments", data={})
    assert back_to_post(response, post.id)
    assert flashes(client) == [("error", "Choose a file to attach.")]
    assert db.session.scalars(select(Attachment)).all() == []


def test_the_post_page_shows_the_files_and_the_message(
    county: County, as_user: Callable[[StaffUser], FlaskClient]
) -> None:
    post = draft(county.editor_a, village=county.a)
    client = as_user(county.editor_a)
    page = upload(client, post.id, "名单.pdf", pdf("List")).headers["Location"]
    html = client.get(page).get_data(as_text=True)
    assert "名单.pdf is attached." in html
    assert 'aria-labelledby="attachments-heading"' in html
    assert f'action="/staff/posts/{post.id}/attachments" enctype="multipart/form-data"' in html


def test_only_the_author_may_change_the_files(
    county: County, as_user: Callable[[StaffUser], FlaskClient]
) -> None:
    post = draft(county.editor_a, village=county.a)
    attachment = attached(county, post, "a.png", png())
    client = as_user(county.reviewer_a)  # in scope, may open the post, is not its author
    assert back_to_post(upload(client, post.id, "b.png", png()), post.id)
    assert flashes(client) == [("error", "Only the author of a post can change or submit it.")]
    client.post(f"/staff/posts/{post.id}/attachments/{attachment.id}/remove")
    assert flashes(client) == [("error", "Only the author of a post can change or submit it.")]
    assert [a.filename for a in db.session.scalars(select(Attachment))] == ["a.png"]


@pytest.mark.parametrize("outsider", ["editor_a2", "editor_b", "reviewer_town2", "reviewer_a2"])
def test_staff_outside_the_posts_place_get_404(
    county: County, as_user: Callable[[StaffUser], FlaskClient], outsider: str
) -> None:
    post = draft(county.editor_a, village=county.a)
    attachment = attached(county, post, "a.png", png())
    client = as_user(getattr(county, outsider))
    base = f"/staff/posts/{post.id}/attachments"
    assert client.get(f"{base}/{attachment.id}").status_code == 404
    assert upload(client, post.id, "b.png", png()).status_code == 404
    assert client.post(f"{base}/{attachment.id}/remove").status_code == 404
    assert [a.filename for a in db.session.scalars(select(Attachment))] == ["a.png"]
    # The control: the same requests from someone whose scope covers the post work.
    assert as_user(county.reviewer_town1).get(f"{base}/{attachment.id}").status_code == 200


def test_an_attachment_is_reached_only_through_its_own_post(
    county: County, as_user: Callable[[StaffUser], FlaskClient]
) -> None:
    post = draft(county.editor_a, village=county.a)
    other = draft(county.editor_a, village=county.a)
    attachment = attached(county, post, "a.png", png())
    client = as_user(county.editor_a)
    assert client.get(f"/staff/posts/{other.id}/attachments/{attachment.id}").status_code == 404
    assert (
        client.post(f"/staff/posts/{other.id}/attachments/{attachment.id}/remove").status_code
        == 404
    )
    assert client.get(f"/staff/posts/{post.id}/attachments/{attachment.id}").status_code == 200


def test_reviewers_open_the_files_of_a_post_before_approving_it(
    county: County, as_user: Callable[[StaffUser], FlaskClient]
) -> None:
    post = draft(county.editor_a, village=county.a)
    original = pdf("Minutes")
    attachment = attached(county, post, "会议纪要.pdf", original)
    service.submit(county.editor_a, post)
    db.session.commit()
    response = as_user(county.reviewer_a).get(f"/staff/posts/{post.id}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.data == original
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"attachment.pdf\"; filename*=UTF-8''"
        "%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81.pdf"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == FILE_CSP
    assert response.headers["Cache-Control"] == "no-store"  # staff pages are never cached


def test_the_reviewer_is_told_a_post_with_masked_data_in_a_pdf_will_expire(
    county: County, as_user: Callable[[StaffUser], FlaskClient]
) -> None:
    clean = draft(county.editor_a, village=county.a)
    attached(county, clean, "纪要.pdf", pdf("Minutes of the meeting"))
    listed = draft(county.editor_a, village=county.a)
    attached(county, listed, "名单.pdf", pdf("1  330327********1234  138****8000"))
    for post in (clean, listed):
        service.submit(county.editor_a, post)
    db.session.commit()
    reviewer = as_user(county.reviewer_a)
    clean_page = reviewer.get(f"/staff/posts/{clean.id}").get_data(as_text=True)
    listed_page = reviewer.get(f"/staff/posts/{listed.id}").get_data(as_text=True)
    assert "keep it up until it is withdrawn" in clean_page
    assert "taken down after 7 working days" in listed_page
    assert "keep it up until it is withdrawn" not in listed_page


@pytest.mark.parametrize("csrf", [False, True])
def test_an_oversized_request_is_explained_not_a_bare_413(
    make_app: Callable[..., Flask], county: County, csrf: bool
) -> None:
    """With CSRF on, the token check is what reads the body first: still explained."""
    app = make_app(MAX_CONTENT_LENGTH=5_000, WTF_CSRF_ENABLED=csrf)
    post_id = draft(county.editor_a, village=county.a).id
    login = {"username": county.editor_a.username, "password": PASSWORD}
    db.session.commit()  # SQLite: the other app's requests must not wait for this session
    client = app.test_client()
    if csrf:
        login["csrf_token"] = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    assert client.post("/staff/login", data=login).status_code == 302
    response = upload(client, post_id, "big.pdf", pdf("x") + bytes(10_000))
    assert back_to_post(response, post_id)
    assert flashes(client)[-1] == ("error", "The file was not attached: it is larger than 10 MB.")
    assert db.session.scalars(select(Attachment)).all() == []


# --- the public download --------------------------------------------------------------------


def test_a_live_posts_file_is_downloaded_with_exact_headers(
    county: County, client: FlaskClient
) -> None:
    post, attachment = live_post_with(county, "村务公开 2026.png", png())
    content = attachments.content_of(attachment)
    response = client.get(f"/posts/{post.id}/files/{attachment.id}")
    assert response.status_code == 200
    assert response.data == content
    headers = dict(response.headers)
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Length"] == str(len(content))
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"2026.png\"; filename*=UTF-8''"
        "%E6%9D%91%E5%8A%A1%E5%85%AC%E5%BC%80%202026.png"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == FILE_CSP
    assert headers["Cache-Control"] == "public, no-cache"
    assert headers["ETag"] == f'"{attachment.sha256}"'
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "Set-Cookie" not in headers


def test_an_ascii_name_is_sent_both_ways(county: County, client: FlaskClient) -> None:
    post, attachment = live_post_with(county, "notice 2026.pdf", pdf("Notice"))
    response = client.get(f"/posts/{post.id}/files/{attachment.id}")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"notice 2026.pdf\"; filename*=UTF-8''notice%202026.pdf"
    )


def test_a_cached_file_is_revalidated_by_its_checksum(county: County, client: FlaskClient) -> None:
    post, attachment = live_post_with(county, "a.png", png())
    url = f"/posts/{post.id}/files/{attachment.id}"
    response = client.get(url, headers={"If-None-Match": f'"{attachment.sha256}"'})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == f'"{attachment.sha256}"'
    assert response.headers["Cache-Control"] == "public, no-cache"
    changed = client.get(url, headers={"If-None-Match": '"0000"'})
    assert changed.status_code == 200
    assert changed.data == attachments.content_of(attachment)


def _not_live(county: County, state: str) -> Post:
    post = draft(county.editor_a, village=county.a)
    attached(county, post, "a.png", png())
    now = utcnow()
    if state != "draft":
        service.submit(county.editor_a, post)
    if state == "scheduled":
        service.approve(county.reviewer_a, post, publish_at=now + timedelta(days=1))
    elif state == "expired":
        past = now - timedelta(days=10)
        service.approve(
            county.reviewer_a, post, now=past, publish_at=past, expires_at=now - timedelta(days=1)
        )
    elif state == "withdrawn":
        service.approve(county.reviewer_a, post)
        service.withdraw(county.reviewer_a, post)
    db.session.commit()
    return post


@pytest.mark.parametrize("state", ["draft", "submitted", "scheduled", "expired", "withdrawn"])
def test_files_of_posts_that_are_not_live_are_not_found(
    county: County, client: FlaskClient, state: str
) -> None:
    post = _not_live(county, state)
    attachment_id = post.attachments[0].id
    response = client.get(f"/posts/{post.id}/files/{attachment_id}")
    assert response.status_code == 404
    assert b"\x89PNG" not in response.data


def test_a_file_is_found_only_under_its_own_post(county: County, client: FlaskClient) -> None:
    post, attachment = live_post_with(county, "a.png", png())
    other, _other_attachment = live_post_with(county, "b.png", png())
    assert client.get(f"/posts/{other.id}/files/{attachment.id}").status_code == 404
    assert client.get(f"/posts/{post.id}/files/{attachment.id + 100}").status_code == 404
    assert client.get(f"/posts/{post.id}/files/{attachment.id}").status_code == 200


# --- the partial on the post page -----------------------------------------------------------


def _partial(app: Flask, post: Post, may_edit: bool, **context: Any) -> str:
    with app.test_request_context("/staff/"):
        return render_template(
            "staff/posts/_attachments.html", post=post, may_edit=may_edit, **context
        )


def test_the_partial_lists_files_with_kind_size_and_download(app: Flask, county: County) -> None:
    post = draft(county.editor_a, village=county.a)
    image = attached(county, post, "a.png", png())
    document = attached(county, post, "名单.pdf", pdf("x", "y"))  # over 1 KB
    html = _partial(app, post, may_edit=True)
    for attachment in (image, document):
        assert f'href="/staff/posts/{post.id}/attachments/{attachment.id}"' in html
        assert f'action="/staff/posts/{post.id}/attachments/{attachment.id}/remove"' in html
        assert attachments.filesize(attachment.size) in html
    assert "PNG image" in html and "PDF document" in html and "名单.pdf" in html
    assert attachments.filesize(document.size).endswith(" KB")
    assert f'action="/staff/posts/{post.id}/attachments" enctype="multipart/form-data"' in html
    assert 'accept=".jpg,.jpeg,.png,.pdf"' in html
    assert "up to 10 MB each, at most 10 files per post" in html
    assert html.count('name="csrf_token"') == 3  # each remove button and the upload form


def test_the_partial_offers_no_changes_when_the_post_cannot_be_edited(
    app: Flask, county: County
) -> None:
    post = draft(county.editor_a, village=county.a)
    attached(county, post, "a.png", png())
    html = _partial(app, post, may_edit=False)
    assert "a.png" in html
    assert "<form" not in html and "csrf_token" not in html
    empty = draft(county.editor_a, village=county.a)
    assert "No attachments." in _partial(app, empty, may_edit=False)


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (850, "850 B"),
        (12_345, "12 KB"),
        (3_565_158, "3.4 MB"),
        (10 * 1024 * 1024, "10 MB"),
        (12_345 * 1024 * 1024, "12,345 MB"),
    ],
)
def test_sizes_are_shown_in_the_locales_format(app: Flask, size: int, shown: str) -> None:
    with app.test_request_context("/"):
        assert attachments.filesize(size) == shown
