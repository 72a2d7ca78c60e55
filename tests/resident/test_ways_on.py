"""No dead ends: the village's call button and a way home on every resident page that knows the
village (list, search, post, 404 and a replaced plate's 410), photos in posts shown inline,
Chinese content marked as Chinese on the English interface, and a favicon."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from PIL import Image
from publications.conftest import County

from doorplate.db import db, utcnow
from doorplate.places.models import Household
from doorplate.plates import service as plates
from doorplate.plates.models import RevokeReason
from doorplate.publications import images, markdown
from doorplate.publications.models import Attachment, Category
from doorplate.staff.audit import cli_actor

from .conftest import page, post_in

CALL = re.compile(r'<a class="call-button" href="tel:057768711001">')


def _office(county: County) -> None:
    county.a.office_phone = "0577-68711001"
    db.session.commit()


@pytest.mark.parametrize(
    "path",
    ["/v/{code}/", "/v/{code}/c/finance", "/v/{code}/search?q=水", "/v/{code}/posts/{post}"],
)
def test_every_village_page_has_the_call_button(
    client: FlaskClient, county: County, path: str
) -> None:
    _office(county)
    post = post_in(county, "a", "停水通知")
    html = page(client, path.format(code=county.a.code, post=post.id))
    assert len(CALL.findall(html)) == 1
    assert "Call the village office" in html


def test_pages_below_the_home_have_a_way_home(client: FlaskClient, county: County) -> None:
    post = post_in(county, "a", "停水通知")
    for path in ("c/finance", "search?q=水", f"posts/{post.id}", "posts/999999"):
        html = page(client, f"/v/{county.a.code}/{path}", status=404 if "999" in path else 200)
        home = re.search(r'<a data-home href="([^"]+)"', html)
        assert home is not None and home.group(1) == f"/v/{county.a.code}/", path


def test_without_an_office_line_there_is_no_call_button(
    client: FlaskClient, county: County
) -> None:
    county.a.office_phone = None
    db.session.commit()
    assert 'class="call-button"' not in page(client, f"/v/{county.a.code}/")


def test_the_404_of_a_village_page_offers_its_call_button(
    client: FlaskClient, county: County
) -> None:
    _office(county)
    html = page(client, f"/v/{county.a.code}/posts/999999", status=404)
    assert CALL.search(html)
    unknown_village = page(client, "/v/999999999999/", status=404)
    assert 'class="call-button"' not in unknown_village and 'href="/"' in unknown_village


def test_a_replaced_plate_offers_its_villages_call_button(
    client: FlaskClient, county: County, plate_of: Callable[..., str]
) -> None:
    _office(county)
    token = plate_of(county.a)
    household = db.session.scalars(db.select(Household)).one()
    plates.revoke(cli_actor(), household, RevokeReason.LOST)
    db.session.commit()
    html = page(client, f"/P/{token}", status=410)
    assert CALL.search(html)
    assert "上垟路" not in html and token not in html  # still nothing about the household


def _photo(county: County, post_id: int, name: str, size: tuple[int, int]) -> Attachment:
    """An image attached as an upload leaves it: stored re-encoded, with its phone copy."""
    out = io.BytesIO()
    Image.new("RGB", size, (90, 90, 90)).save(out, "JPEG")
    data = out.getvalue()
    copy = images.phone_copy(data, images.JPEG)
    attachment = Attachment(
        post_id=post_id,
        filename=name,
        media_type=images.JPEG,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        phone=copy.content,
        phone_width=copy.width,
        phone_height=copy.height,
        uploaded_by_id=county.editor_a.id,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def test_photos_show_inline_phone_sized_with_the_download_kept(
    client: FlaskClient, county: County
) -> None:
    post = post_in(county, "a", "完工照片", category=Category.AFFAIRS)
    photo = _photo(county, post.id, "路面.jpg", (2000, 1500))
    pdf = b"%PDF-1.7"
    db.session.add(
        Attachment(
            post_id=post.id,
            filename="名单.pdf",
            media_type="application/pdf",
            size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
            content=pdf,
            uploaded_by_id=county.editor_a.id,
        )
    )
    db.session.commit()
    html = page(client, f"/v/{county.a.code}/posts/{post.id}")
    found = re.findall(r"<img [^>]*>", html)
    assert len(found) == 1  # the PDF stays a download only
    assert f'src="/posts/{post.id}/files/{photo.id}/phone"' in found[0]
    assert 'width="720" height="540" loading="lazy" alt="Photo: 路面.jpg"' in found[0]
    assert f'<a href="/posts/{post.id}/files/{photo.id}">路面.jpg</a>' in html  # download kept

    copy = client.get(f"/posts/{post.id}/files/{photo.id}/phone")
    assert copy.status_code == 200 and copy.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(copy.data)) as shown:
        assert shown.size == (720, 540)
    assert len(copy.data) < photo.size
    assert (
        client.get(copy.request.path, headers={"If-None-Match": copy.headers["ETag"]}).status_code
        == 304
    )
    pdf_id = max(a.id for a in post.attachments)
    assert client.get(f"/posts/{post.id}/files/{pdf_id}/phone").status_code == 404


def test_a_picture_in_the_text_shows_its_phone_copy(client: FlaskClient, county: County) -> None:
    post = post_in(county, "a", "完工照片", category=Category.AFFAIRS)
    photo = _photo(county, post.id, "路面.jpg", (1600, 1200))
    post.body_html = markdown.render(f"![新路面](/posts/{post.id}/files/{photo.id})", post.id)
    db.session.commit()
    html = page(client, f"/v/{county.a.code}/posts/{post.id}")
    assert (
        f'<img src="/posts/{post.id}/files/{photo.id}/phone" alt="新路面" width="720"'
        ' height="540" loading="lazy">'
    ) in html
    assert len(re.findall(r"<img ", html)) == 1  # not shown again below the text


def test_a_phone_copy_of_a_post_not_live_is_not_found(client: FlaskClient, county: County) -> None:
    post = post_in(county, "a", "完工照片", category=Category.AFFAIRS)
    photo = _photo(county, post.id, "路面.jpg", (800, 600))
    post.expires_at = None
    post.publish_at = utcnow() + timedelta(days=1)  # scheduled: not live yet
    db.session.commit()
    assert client.get(f"/posts/{post.id}/files/{photo.id}/phone").status_code == 404


def test_chinese_content_is_marked_chinese_on_the_english_interface(
    client: FlaskClient, county: County
) -> None:
    post = post_in(county, "a", "停水通知", body="明天停水。")
    english = page(client, f"/v/{county.a.code}/posts/{post.id}")
    assert '<html lang="en">' in english
    assert '<h1 data-read lang="zh-CN">停水通知</h1>' in english
    assert '<div class="body" data-read lang="zh-CN">' in english
    chinese = page(
        client, f"/v/{county.a.code}/posts/{post.id}", headers={"Accept-Language": "zh-CN"}
    )
    assert '<html lang="zh-CN">' in chinese and 'lang="zh-CN">停水' not in chinese


def test_the_favicon_is_served_and_kept(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml" and response.data.startswith(b"<svg")
    assert response.cache_control.public and response.cache_control.max_age == 7 * 24 * 3600
    response.close()
