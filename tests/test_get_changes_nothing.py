"""No GET changes anything: every GET route of ``app.url_map``, asked as an administrator (and
anonymously), leaves every table as it was.

A browser fetches GET URLs on its own: an image in a post, a link preview, a prefetch, another
site's ``<img>``. So a GET must not issue plates, write an audit row or change any record in the
name of whoever's browser it was; changes are POSTs with the CSRF token. The walk reads the
routes from the URL map, so a new route is covered without anyone remembering to add it: one
whose URL arguments this module cannot fill fails until ``_values`` learns them.

The same walk checks what every GET answer must get right however it was made: a
``Content-Type`` naming its charset once, and HTML with no inline style or script the site's
own Content-Security-Policy would block.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from conftest import signed_in_client
from flask import Flask
from PIL import Image
from sqlalchemy import select, text
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter
from werkzeug.test import TestResponse

from doorplate import create_app
from doorplate.bookings import service as bookings
from doorplate.bookings.models import Service, ServiceKind, ServiceScope, Slot
from doorplate.db import db
from doorplate.places.models import Household, Village
from doorplate.plates import service as plates
from doorplate.plates.models import Plate
from doorplate.publications import attachments
from doorplate.publications import service as publications
from doorplate.publications.models import Category
from doorplate.staff.models import Role, StaffUser

# An anonymous opening of a plate page is a visit (访问人次): recording it is the page's job.
VISIT_TABLES = frozenset({"visit", "visit_window", "visit_salt"})
ALLOWED_CHANGES = {("anonymous", "resident.plate"): VISIT_TABLES}


def _get_rules() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
    )


RULES = _get_rules()


@dataclass(frozen=True)
class Objects:
    """Ids and codes of one of each kind of record, to fill URL arguments with."""

    token: str
    village_code: str
    town_code: str
    household_id: int
    plate_id: int
    post_id: int
    attachment_id: int
    slot_service_id: int
    request_service_id: int
    booking_reference: str
    request_reference: str


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def objects(
    app: Flask,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    make_staff: Callable[..., StaffUser],
) -> Objects:
    """A village with households and plates, a published post with a file, services with a
    slot, a booking and a request with a photo: something for every route to show."""
    village = make_village()
    home = make_household(village, address="上垟路2号", head_name="张三", phone="13812345678")
    make_household(village, address="上垟路10号")
    plates.issue_missing()
    editor = make_staff(Role.EDITOR, username="editor", village=village)
    reviewer = make_staff(Role.REVIEWER, username="reviewer", village=village)
    make_staff(Role.ADMIN, username="root")
    post = publications.create_post(
        editor, category=Category.AFFAIRS, title="村务公开", body="修路。", village=village
    )
    file = attachments.add_attachment(editor, post, "公示栏.png", _png())
    publications.submit(editor, post)
    publications.approve(reviewer, post)
    slot_service = Service(
        scope=ServiceScope.VILLAGE,
        village=village,
        kind=ServiceKind.SLOT,
        name="社保卡办理",
        description="",
        materials=["身份证"],
        location="村便民服务中心",
        duration_minutes=30,
        purposes=["新办"],
    )
    request_service = Service(
        scope=ServiceScope.VILLAGE,
        village=village,
        kind=ServiceKind.REQUEST,
        name="报事报修",
        description="",
        materials=[],
        location="",
        duration_minutes=30,
        purposes=["路灯"],
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    slot = Slot(
        service=slot_service, starts_at=start, ends_at=start + timedelta(minutes=30), capacity=5
    )
    db.session.add_all([slot_service, request_service, slot])
    db.session.flush()
    booked, _ = bookings.book(
        home, bookings.BookingInput(slot.id, "张三", "13812345678", "新办", "key-booking-0001")
    )
    asked, _ = bookings.submit_request(
        home,
        bookings.RequestInput(
            request_service.id,
            "路灯",
            "路灯坏了",
            "张三",
            "13812345678",
            "key-request-0001",
            _png(),
        ),
    )
    db.session.commit()
    plate = db.session.scalars(select(Plate).where(Plate.household_id == home.id)).one()
    return Objects(
        token=plate.token,
        village_code=village.code,
        town_code=village.town.code,
        household_id=home.id,
        plate_id=plate.id,
        post_id=post.id,
        attachment_id=file.id,
        slot_service_id=slot_service.id,
        request_service_id=request_service.id,
        booking_reference=booked.reference,
        request_reference=asked.reference,
    )


def _values(rule: Rule, found: Objects) -> Iterator[dict[str, Any]]:
    """URL arguments for ``rule`` naming real records; one set per value of an ``any()``
    argument (each download format), and both kinds of service and booking."""
    known: dict[str, list[Any]] = {
        "token": [found.token],
        "code": [found.village_code],
        "village_code": [found.village_code],
        "town_code": [found.town_code],
        "household_id": [found.household_id],
        "plate_id": [found.plate_id],
        "post_id": [found.post_id],
        "attachment_id": [found.attachment_id],
        "service_id": [found.slot_service_id, found.request_service_id],
        "reference": [found.booking_reference, found.request_reference],
        "category": ["affairs"],
        "size": ["large"],
        "filename": ["css/staff.css"],
    }
    if rule.endpoint == "i18n.switch":
        known["code"] = ["en"]
    for name, converter in rule._converters.items():  # noqa: SLF001 (the rule's own choices)
        if isinstance(converter, AnyConverter):
            known[name] = sorted(converter.items)
    unknown = sorted(rule.arguments - known.keys())
    if unknown:
        pytest.fail(f"{rule.rule} takes {unknown}: teach {__name__}._values real values for them")
    width = max(len(known[name]) for name in rule.arguments) if rule.arguments else 1
    for i in range(width):
        yield {name: known[name][min(i, len(known[name]) - 1)] for name in rule.arguments}


# Queries a page is really asked with, so its working path (not only its bare form) runs.
QUERIES: dict[str, Callable[[Objects], dict[str, str]]] = {
    "bookings.lookup": lambda found: {"reference": found.booking_reference, "phone": "5678"},
    "api.booking": lambda found: {"phone_last4": "5678"},
    "resident.search": lambda found: {"q": "村务"},
    "staff.households": lambda found: {"q": "上垟路", "village": found.village_code},
    "staff.plates.overview": lambda found: {},
}


def _urls(app: Flask, endpoint: str, path: str, found: Objects) -> list[str]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path)
    adapter = app.url_map.bind("localhost")
    query = QUERIES.get(endpoint, lambda _found: {})(found)
    urls = []
    for values in _values(rule, found):
        url = adapter.build(endpoint, values)
        if rule.rule.startswith("/p/"):  # the lowercase spelling of the plate rule
            url = url.replace("/P/", "/p/", 1)
        urls.append(url)
        if query:
            urls.append(adapter.build(endpoint, {**values, **query}))
    return urls


def _snapshot() -> dict[str, str]:
    """A digest of every row of every table, by table."""
    db.session.expire_all()
    digests = {}
    for table in db.metadata.sorted_tables:
        order = ", ".join(column.name for column in table.primary_key.columns)
        rows = db.session.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}"))  # noqa: S608
        digests[table.name] = hashlib.sha256(repr(rows.all()).encode()).hexdigest()
    db.session.rollback()
    return digests


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


@pytest.mark.parametrize(("endpoint", "path"), RULES, ids=[f"GET {p}" for _e, p in RULES])
@pytest.mark.parametrize("who", ["admin", "anonymous"])
def test_a_get_changes_no_table(
    app: Flask, objects: Objects, who: str, endpoint: str, path: str
) -> None:
    client = signed_in_client(app, "root") if who == "admin" else app.test_client()
    allowed = ALLOWED_CHANGES.get((who, endpoint), frozenset())
    for url in _urls(app, endpoint, path, objects):
        before = _snapshot()
        response = client.get(url)
        response.close()
        assert response.status_code < 500, url
        assert _changed(before, _snapshot()) <= allowed, url
        _check_answer(url, response)


def test_the_walk_sees_a_change_and_reaches_real_pages(app: Flask, objects: Objects) -> None:
    """The controls: a snapshot does change when a row does, and the walk's URLs find their
    records (not a 404, which would change nothing for the wrong reason)."""
    before = _snapshot()
    plates.install_village("test", db.session.scalars(select(Village)).one())
    db.session.commit()
    assert _changed(before, _snapshot()) == {"plate", "audit_event"}
    anonymous = app.test_client()
    before = _snapshot()
    assert anonymous.get(f"/P/{objects.token}").status_code == 200
    assert _changed(before, _snapshot()) & VISIT_TABLES  # the allowed change is a real one
    admin = signed_in_client(app, "root")
    for endpoint, path in RULES:
        statuses = []
        for url in _urls(app, endpoint, path, objects):
            response = admin.get(url)
            response.close()
            statuses.append(response.status_code)
        assert set(statuses) != {404}, path  # (a booking's photo: only the request has one)


class _InlineStyle(HTMLParser):
    """Style and script the CSP blocks: a ``style`` attribute (a nonce cannot allow one), and a
    ``<style>`` or inline ``<script>`` without this response's nonce."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.blocked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if "style" in named:
            self.blocked.append(f"style attribute on <{tag}>")
        inline = tag == "style" or (tag == "script" and "src" not in named)
        if inline and (self.nonce is None or named.get("nonce") != self.nonce):
            self.blocked.append(f"<{tag}> without the nonce")


def blocked_inline(response: TestResponse) -> list[str]:
    policy = response.headers.get("Content-Security-Policy", "")
    nonce = re.search(r"'nonce-([^']+)'", policy)
    parser = _InlineStyle(nonce.group(1) if nonce else None)
    parser.feed(response.get_data(as_text=True))
    return parser.blocked


def _check_answer(url: str, response: TestResponse) -> None:
    content_type = response.headers.get("Content-Type", "")
    assert content_type.count("charset=") <= 1, f"{url}: {content_type}"
    if content_type.startswith("text/") or "json" in content_type:
        assert "charset=" in content_type or "json" in content_type, f"{url}: {content_type}"
    if response.mimetype == "text/html":
        assert blocked_inline(response) == [], url


def test_the_inline_check_sees_what_the_policy_blocks(app: Flask) -> None:
    """A negative control for ``blocked_inline``."""
    page = (
        '<p style="color:red">a</p><style>p{}</style><style nonce="n">p{}</style><script>x</script>'
    )
    with_nonce = app.response_class(page, mimetype="text/html")
    with_nonce.headers["Content-Security-Policy"] = "style-src 'self' 'nonce-n'"
    assert blocked_inline(with_nonce) == [  # type: ignore[arg-type]
        "style attribute on <p>",
        "<style> without the nonce",
        "<script> without the nonce",
    ]
