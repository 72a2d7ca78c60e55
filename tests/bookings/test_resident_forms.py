"""The resident forms respect the reader: every error on the first answer, each beside its field
and in a summary in the page's order, Chinese punctuation in Chinese; a request (报事报修) keeps
its own words from the done page to the lookup (受理号, 撤回, 照片已收到); every booking page has
a way home and the village office's call button."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape
from typing import Any

import flask_babel
import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from doorplate.bookings.models import Booking, Service, ServiceKind, Slot
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates

PHONE = "138 0013 8000"
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def village(make_village: Callable[..., Village]) -> Village:
    village = make_village("330327100201", "渡龙村")
    village.office_phone = "0577-68881234"
    db.session.commit()
    return village


@pytest.fixture
def token(village: Village, make_household: Callable[..., Household]) -> str:
    household = make_household(village)
    plates.issue_missing(household_ids=[household.id])
    db.session.commit()
    plate = plates.active_plate(household)
    assert plate is not None
    return plate.token


def post(client: FlaskClient, path: str, data: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
    flask_babel.refresh()
    key = re.search(
        r'name="idempotency_key" type="hidden" value="([^"]+)"',
        client.get(path).get_data(as_text=True),
    )
    assert key
    flask_babel.refresh()
    response = client.post(path, data={"idempotency_key": key.group(1), **data}, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def errors_beside_fields(html: str) -> list[tuple[str, str]]:
    """(field, message) of each message beside a field, in the page's order."""
    return re.findall(r'<p class="error" id="([a-z_0-9]+)-error">([^<]+)</p>', html)


def summary(html: str) -> list[tuple[str, str]]:
    """(link target, text) of each line of the error summary."""
    box = re.search(r'<div class="summary".*?</div>', html, re.S)
    assert box, "no error summary"
    return [
        (target, unescape(words))
        for target, words in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', box.group())
    ]


def bookings() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking)) or 0


def test_a_missing_purpose_and_a_bad_phone_are_reported_together(
    client: FlaskClient,
    token: str,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    """The form's "missing" and the use case's "wrong" both come on the first answer."""
    service = make_service()
    slot = make_slot(service, starts_at=datetime(2030, 3, 5, 1, 0, tzinfo=UTC))
    path = f"/P/{token}/services/{service.id}"
    fields = {"slot_id": slot.id, "contact_name": "王1", "phone": "12345", "purpose": ""}
    status, html = post(client, path, fields)
    assert status == 422 and bookings() == 0
    assert errors_beside_fields(html) == [
        ("purpose", "Please choose a purpose."),
        ("contact_name", "The name cannot contain digits or control characters."),
        ("phone", "Give a mobile number of 11 digits, such as 138 0000 0000."),
    ]
    # The summary lists them in the page's order, each a link to its field.
    assert [target for target, _ in summary(html)] == ["purpose", "contact_name", "phone"]
    # Negative control: the same with a purpose chosen leaves only the use case's two.
    status, html = post(client, path, {**fields, "purpose": "新办"})
    assert status == 422
    assert [name for name, _ in errors_beside_fields(html)] == ["contact_name", "phone"]


def test_the_summary_follows_the_page_and_speaks_chinese_punctuation(
    client: FlaskClient, token: str, make_service: Callable[..., Service]
) -> None:
    service = make_service(kind=ServiceKind.REQUEST, purposes=["路灯", "道路"])
    path = f"/P/{token}/services/{service.id}"
    fields = {"purpose": "", "description": "", "contact_name": "李", "phone": "139"}
    status, html = post(client, path, fields, headers=ZH)
    assert status == 422
    assert summary(html) == [
        ("purpose", "类别：请选择类别。"),
        ("description", "情况说明：请简要说明情况。"),
        ("phone", "手机号码：请填写11位手机号码，例如 138 0000 0000。"),
    ]
    assert ": " not in "".join(words for _, words in summary(html))  # no half-width colon
    # Each control points at its message.
    for name in ("purpose", "description", "phone"):
        assert re.search(rf'aria-describedby="{name}-error"[^>]*id="{name}"', html) or re.search(
            rf'id="{name}"[^>]*aria-describedby="{name}-error"', html
        )


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


def _text(html: str) -> str:
    main = re.search(r"<main>(.*)</main>", html, re.S)
    assert main
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main.group(1))).split())


@pytest.mark.parametrize("photo", [True, False], ids=["with-photo", "without-photo"])
def test_a_request_has_its_own_words_from_the_done_page_to_the_lookup(
    client: FlaskClient,
    token: str,
    village: Village,
    make_service: Callable[..., Service],
    photo: bool,
) -> None:
    service = make_service(village=village, kind=ServiceKind.REQUEST, purposes=["路灯"])
    path = f"/P/{token}/services/{service.id}"
    fields: dict[str, Any] = {
        "purpose": "路灯",
        "description": "村口路灯不亮",
        "contact_name": "李",
        "phone": PHONE,
    }
    if photo:
        fields["photo"] = (io.BytesIO(_png()), "lamp.png")
    status, html = post(client, path, fields, headers=ZH, content_type="multipart/form-data")
    assert status == 201
    words = _text(html)
    assert "您的受理号：" in words and "预约" not in words
    assert ("照片已收到。" in words) is photo
    # Its lookup link opens the lookup that asks for a 受理号, and says so.
    lookup = f"/booking?kind=request&v={village.code}"
    assert f'href="{lookup.replace("&", "&amp;")}"' in html
    flask_babel.refresh()
    page = client.get(lookup, headers=ZH).get_data(as_text=True)
    assert '<label for="reference">受理号</label>' in page and "预约号" not in _text(page)
    # The status page offers 撤回; the confirming page and the withdrawn page say so too.
    reference = db.session.scalars(select(Booking.reference)).one()
    flask_babel.refresh()
    found = {"reference": reference, "phone_last4": "8000"}
    status_page = client.post(lookup, data=found, headers=ZH).get_data(as_text=True)
    assert ">撤回</button>" in status_page and "取消预约" not in status_page
    flask_babel.refresh()
    asked = client.post("/booking/cancel", data=found, headers=ZH).get_data(as_text=True)
    assert "<h1>确认撤回？</h1>" in asked and ">确认撤回</button>" in asked
    flask_babel.refresh()
    done = client.post("/booking/cancel", data={**found, "confirmed": "yes"}, headers=ZH)
    assert done.status_code == 200
    withdrawn = _text(done.get_data(as_text=True))
    assert "已撤回" in withdrawn and "受理号" in withdrawn and "预约" not in withdrawn


def test_booking_pages_have_a_way_home_and_the_call_button(
    client: FlaskClient,
    token: str,
    village: Village,
    make_service: Callable[..., Service],
    make_slot: Callable[..., Slot],
) -> None:
    service = make_service()
    slot = make_slot(service)
    path = f"/P/{token}/services/{service.id}"
    status, done = post(
        client, path, {"slot_id": slot.id, "contact_name": "王", "phone": PHONE, "purpose": "新办"}
    )
    assert status == 201
    reference = db.session.scalars(select(Booking.reference)).one()
    found = {"reference": reference, "phone_last4": "8000"}
    pages = {
        "services": (client.get(f"/P/{token}/services").get_data(as_text=True), f"/P/{token}"),
        "form": (client.get(path).get_data(as_text=True), f"/P/{token}"),
        "done": (done, f"/P/{token}"),
        "lookup": (
            client.get(f"/booking?v={village.code}").get_data(as_text=True),
            f"/v/{village.code}/",
        ),
        "status": (
            client.post("/booking", data=found).get_data(as_text=True),
            f"/v/{village.code}/",
        ),
        "confirm": (
            client.post("/booking/cancel", data=found).get_data(as_text=True),
            f"/v/{village.code}/",
        ),
        "cancelled": (
            client.post("/booking/cancel", data={**found, "confirmed": "yes"}).get_data(
                as_text=True
            ),
            f"/v/{village.code}/",
        ),
    }
    for name, (html, home) in pages.items():
        assert f'<div class="home">\n<p><a href="{home}">' in html, name
        assert 'class="call-button" href="tel:057768881234"' in html, name
    # A lookup from nowhere in particular still leads home, without a call button to guess.
    bare = client.get("/booking").get_data(as_text=True)
    assert '<div class="home">\n<p><a href="/">' in bare and 'class="call-button"' not in bare
    # A village code that is not one is ignored, not an error.
    assert client.get("/booking?v=999999999999").status_code == 200
    assert client.get("/booking?v=%3Cscript%3E").status_code == 200


def test_a_request_sent_back_with_errors_asks_for_its_photo_again(
    client: FlaskClient, token: str, make_service: Callable[..., Service]
) -> None:
    """A page sent back cannot keep a chosen file: the photo field says to choose it again."""
    service = make_service(kind=ServiceKind.REQUEST, purposes=["路灯"])
    path = f"/P/{token}/services/{service.id}"
    fields = {"purpose": "路灯", "description": "村口路灯不亮", "contact_name": "李", "phone": "1"}
    status, html = post(
        client,
        path,
        {**fields, "photo": (io.BytesIO(_png()), "lamp.png")},
        content_type="multipart/form-data",
    )
    assert status == 422
    assert errors_beside_fields(html) == [
        ("photo", "Please choose the photo again."),
        ("phone", "Give a mobile number of 11 digits, such as 138 0000 0000."),
    ]
    # Without a photo there is nothing to choose again.
    status, html = post(client, path, fields)
    assert [name for name, _ in errors_beside_fields(html)] == ["phone"]
