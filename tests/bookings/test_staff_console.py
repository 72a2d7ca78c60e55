"""The bookings console: the bookings list and the requests queue in the user's scope, one
booking's page with its contact, photo, history and actions, and the 办结 figure.

Bookings are made through the real use cases (``service.book``, ``service.submit_request``) and
every console request goes through the real app as a signed-in user (the login form).
"""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import PASSWORD, csrf_token_from, signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from doorplate.bookings import service
from doorplate.bookings.models import Booking, BookingStatus, Service, ServiceKind, Slot
from doorplate.db import db
from doorplate.places.models import Household, Town, Village
from doorplate.staff import audit
from doorplate.staff.models import Role, StaffUser

COUNTY = ZoneInfo("Asia/Shanghai")  # the tests' BABEL_DEFAULT_TIMEZONE
PHONE_A = "13800138001"
PHONE_B = "13900139002"


@dataclass(frozen=True)
class Place:
    town1: Town
    a: Village
    a2: Village
    b: Village
    home_a: Household
    home_a2: Household
    home_b: Household
    editor_a: StaffUser
    editor_b: StaffUser
    reviewer_town1: StaffUser
    county: StaffUser
    counter: Service  # a county slot service: every village books it
    repairs: Service  # a county request service


@pytest.fixture
def place(
    app: Flask,
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    make_staff: Callable[..., StaffUser],
    make_service: Callable[..., Service],
) -> Place:
    a = make_village("330327100201", "渡龙村")
    a2 = make_village("330327100202", "坑垟村")
    b = make_village("330327101201", "南岙村")
    return Place(
        town1=a.town,
        a=a,
        a2=a2,
        b=b,
        home_a=make_household(a),
        home_a2=make_household(a2),
        home_b=make_household(b),
        editor_a=make_staff(Role.EDITOR, username="editor-a", village=a),
        editor_b=make_staff(Role.EDITOR, username="editor-b", village=b),
        reviewer_town1=make_staff(Role.REVIEWER, username="reviewer-t1", town=a.town),
        county=make_staff(Role.COUNTY, username="county"),
        counter=make_service(name="社保卡办理"),
        repairs=make_service(kind=ServiceKind.REQUEST, name="报事报修"),
    )


SignIn = Callable[[StaffUser], FlaskClient]


@pytest.fixture
def sign_in(app: Flask) -> SignIn:
    def sign_in(user: StaffUser) -> FlaskClient:
        return signed_in_client(app, user.username)

    return sign_in


def book(
    household: Household, slot: Slot, *, phone: str = PHONE_A, now: datetime | None = None
) -> Booking:
    """A booking through the real use case; ``now`` lets a test book a slot that has started."""
    data = service.BookingInput(
        slot_id=slot.id,
        contact_name="张",
        phone=phone,
        purpose="新办",
        idempotency_key=uuid.uuid4().hex,
    )
    booking, created = service.book(household, data, now=now)
    assert created
    db.session.commit()
    return booking


def request_(
    household: Household,
    repairs: Service,
    description: str = "村口路灯不亮",
    *,
    photo: bytes | None = None,
    now: datetime | None = None,
) -> Booking:
    data = service.RequestInput(
        service_id=repairs.id,
        purpose="路灯",
        description=description,
        contact_name="李",
        phone=PHONE_B,
        idempotency_key=uuid.uuid4().hex,
        photo=photo,
    )
    booking, created = service.submit_request(household, data, now=now)
    assert created
    db.session.commit()
    return booking


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def messages(text: str) -> list[str]:
    """The flashed messages on a page, unescaped."""
    found = re.findall(
        r'<div class="alert[^"]*" role="(?:status|alert)"[^>]*>\s*<p>(.*?)</p>', text
    )
    return [html.unescape(m) for m in found]


def listed(text: str) -> list[str]:
    """The references a list shows, in order (as links to their pages)."""
    return re.findall(r'<a class="code" href="/staff/bookings/([0-9A-Z]+)">', text)


def shown_times(text: str) -> list[str]:
    """The slot times a bookings list shows, one per slot time."""
    found = re.findall(r'<td rowspan="\d+"><time datetime="[^"]+">([^<]+)</time>', text)
    return [" ".join(t.split()) for t in found]


def reloaded(booking: Booking) -> Booking:
    """The booking as stored now, detached, with the test's transaction ended: on SQLite it would
    hold the write lock the app's next request waits for."""
    db.session.expire_all()
    found = db.session.get(Booking, booking.id)
    assert found is not None
    db.session.expunge(found)
    db.session.rollback()
    return found


def audited(booking: Booking) -> list[str]:
    """The audit actions recorded on the booking, oldest first (transaction ended likewise)."""
    actions = [event.action for event in audit.events_for("booking", booking.reference)]
    db.session.rollback()
    return actions


def tomorrow(hour: int) -> datetime:
    """``hour`` o'clock tomorrow in county time, as UTC."""
    day = datetime.now(COUNTY).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), COUNTY).astimezone(UTC)


def completed_figure(text: str) -> int:
    match = re.search(r'<span class="count" id="completed-count">(\d+)</span>', text)
    assert match, "no 办结 figure on the page"
    return int(match.group(1))


# --- the lists -------------------------------------------------------------------------------


def test_the_bookings_list_shows_the_scope_by_day_and_time(
    place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    nine, ten = (
        make_slot(place.counter, starts_at=tomorrow(9)),
        make_slot(place.counter, starts_at=tomorrow(10)),
    )
    later = make_slot(place.counter, starts_at=tomorrow(9) + timedelta(days=1))
    a_ten = book(place.home_a, ten)
    a_nine = book(place.home_a, nine)
    a2_nine = book(place.home_a2, nine)
    a_later = book(place.home_a, later)
    b_nine = book(place.home_b, nine, phone=PHONE_B)

    editor = page(sign_in(place.editor_a).get("/staff/bookings"))
    assert listed(editor) == [a_nine.reference, a_ten.reference, a_later.reference]
    assert PHONE_A in editor and PHONE_B not in editor  # the contact, for calling back
    assert len(re.findall(r'<h2 id="day-', editor)) == 2  # tomorrow, the day after
    assert shown_times(editor) == ["9:00 AM", "10:00 AM", "9:00 AM"]  # county time, once a slot

    reviewer = page(sign_in(place.reviewer_town1).get("/staff/bookings"))
    assert set(listed(reviewer)) == {
        a_nine.reference,
        a2_nine.reference,
        a_ten.reference,
        a_later.reference,
    }
    county = page(sign_in(place.county).get("/staff/bookings"))
    assert b_nine.reference in listed(county)
    assert PHONE_B in county


def test_the_bookings_list_filters_by_status_service_and_day(
    place: Place,
    make_slot: Callable[..., Slot],
    make_service: Callable[..., Service],
    sign_in: SignIn,
) -> None:
    other = make_service(village=place.a, name="村证明开具")
    elsewhere = make_service(village=place.b, name="南岙村证明")
    nine = make_slot(place.counter, starts_at=tomorrow(9))
    later = make_slot(place.counter, starts_at=tomorrow(9) + timedelta(days=1))
    proof = make_slot(other, starts_at=tomorrow(11))
    first = book(place.home_a, nine)
    second = book(place.home_a, later)
    third = book(place.home_a, proof)
    service.confirm(place.editor_a, second)
    db.session.commit()
    client = sign_in(place.editor_a)

    def refs(query: str) -> set[str]:
        return set(listed(page(client.get(f"/staff/bookings?{query}"))))

    assert refs("") == {first.reference, second.reference, third.reference}
    assert refs("status=confirmed") == {second.reference}
    assert refs(f"service={other.id}") == {third.reference}
    day_after = later.starts_at.astimezone(COUNTY).date().isoformat()
    assert refs(f"day={day_after}") == {second.reference}
    assert refs("status=nonsense") == set()  # an unknown filter shows nothing, not everything
    assert refs("day=yesterday") == set()
    assert refs(f"service={elsewhere.id}") == set()  # another village's service: not a choice
    offered = re.findall(r'<option[^>]*value="(\d+)"', page(client.get("/staff/bookings")))
    assert offered == [str(place.counter.id), str(other.id)]  # county's first; slot services


def test_the_bookings_list_pages(
    app: Flask, place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    app.config["STAFF_PAGE_SIZE"] = 2
    slots = [make_slot(place.counter, starts_at=tomorrow(8 + n)) for n in range(3)]
    made = [book(place.home_a, slot).reference for slot in slots]
    client = sign_in(place.editor_a)
    first = page(client.get("/staff/bookings?status=submitted"))
    assert listed(first) == made[:2]
    assert 'href="/staff/bookings?page=2&amp;status=submitted" rel="next"' in first
    assert listed(page(client.get("/staff/bookings?status=submitted&page=2"))) == made[2:]


def test_the_requests_queue_shows_the_oldest_open_first(place: Place, sign_in: SignIn) -> None:
    now = datetime.now(UTC)
    old = request_(place.home_a, place.repairs, "桥栏杆松了", now=now - timedelta(days=3))
    done = request_(place.home_a, place.repairs, "水渠堵了", now=now - timedelta(days=5))
    new = request_(place.home_a, place.repairs, "村口路灯不亮", now=now - timedelta(hours=1))
    theirs = request_(place.home_b, place.repairs, "南岙村的事", now=now - timedelta(days=9))
    service.complete(place.editor_a, done)
    db.session.commit()
    client = sign_in(place.editor_a)

    queue = page(client.get("/staff/requests"))
    assert listed(queue) == [old.reference, new.reference, done.reference]
    assert theirs.reference not in listed(queue)
    assert "桥栏杆松了" in queue and "南岙村的事" not in queue
    completed = page(client.get("/staff/requests?status=completed"))
    assert listed(completed) == [done.reference]
    assert old.reference not in listed(page(client.get("/staff/bookings")))  # not a slot


# --- scope -----------------------------------------------------------------------------------


def test_another_villages_booking_is_as_unknown_as_a_missing_one(
    place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    theirs = book(place.home_b, make_slot(place.counter), phone=PHONE_B)
    ticket = request_(place.home_b, place.repairs, photo=png())
    client = sign_in(place.editor_a)
    for reference in (theirs.reference, ticket.reference, "ZZZZZZZZ"):
        assert client.get(f"/staff/bookings/{reference}").status_code == 404
        assert client.get(f"/staff/bookings/{reference}/photo").status_code == 404
        for action, data in (
            ("confirm", {}),
            ("complete", {"note": "x"}),
            ("no-show", {}),
            ("reject", {"reason": "x"}),
        ):
            response = client.post(f"/staff/bookings/{reference}/{action}", data=data)
            assert response.status_code == 404, (reference, action)
    assert reloaded(theirs).status is BookingStatus.SUBMITTED
    assert reloaded(ticket).status is BookingStatus.SUBMITTED
    assert audited(theirs) == audited(ticket) == []
    # The control: the village's own editor opens and handles it.
    own = sign_in(place.editor_b)
    assert PHONE_B in page(own.get(f"/staff/bookings/{theirs.reference}"))
    own.post(f"/staff/bookings/{theirs.reference}/confirm")
    assert reloaded(theirs).status is BookingStatus.CONFIRMED


# --- the actions -----------------------------------------------------------------------------


def test_confirm_then_confirm_again_is_refused(
    place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    booking = book(place.home_a, make_slot(place.counter))
    client = sign_in(place.editor_a)
    detail = page(client.get(f"/staff/bookings/{booking.reference}"))
    assert f'action="/staff/bookings/{booking.reference}/confirm"' in detail
    assert f'action="/staff/bookings/{booking.reference}/no-show"' not in detail  # not started

    done = page(client.post(f"/staff/bookings/{booking.reference}/confirm", follow_redirects=True))
    assert messages(done) == ["Confirmed."]
    assert reloaded(booking).status is BookingStatus.CONFIRMED
    assert f'action="/staff/bookings/{booking.reference}/confirm"' not in done
    assert "confirmed it" in done  # the history, from the audit trail

    again = page(client.post(f"/staff/bookings/{booking.reference}/confirm", follow_redirects=True))
    assert messages(again) == ["This booking has already been handled: it is confirmed."]
    assert reloaded(booking).status is BookingStatus.CONFIRMED


def test_complete_twice_completes_once(
    place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    booking = book(place.home_a, make_slot(place.counter))
    client = sign_in(place.editor_a)
    url = f"/staff/bookings/{booking.reference}/complete"
    first = page(client.post(url, data={"note": "已办好新卡"}, follow_redirects=True))
    assert messages(first) == ["Completed."]
    second = page(client.post(url, data={"note": "已办好新卡"}, follow_redirects=True))
    assert messages(second) == ["This booking has already been handled: it is completed."]
    done = reloaded(booking)
    assert done.status is BookingStatus.COMPLETED
    assert done.staff_note == "已办好新卡"
    assert done.handled_by_id == place.editor_a.id
    assert audited(booking) == ["booking.complete"]
    assert "已办好新卡" in second  # the note, on the page


def test_no_show_only_after_the_slot_started(
    place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    started = make_slot(place.counter, starts_at=now - timedelta(minutes=30))
    booking = book(place.home_a, started, now=now - timedelta(days=1))
    past = make_slot(place.counter, starts_at=now - timedelta(days=2))
    missed = book(place.home_a, past, now=now - timedelta(days=3))
    upcoming = book(place.home_a, make_slot(place.counter))
    client = sign_in(place.editor_a)

    # A past day's bookings are found by choosing the day; today's are on the list anyway.
    past_day = past.starts_at.astimezone(COUNTY).date().isoformat()
    assert listed(page(client.get(f"/staff/bookings?day={past_day}"))) == [missed.reference]
    assert missed.reference not in listed(page(client.get("/staff/bookings")))

    refused = page(
        client.post(f"/staff/bookings/{upcoming.reference}/no-show", follow_redirects=True)
    )
    assert messages(refused) == ["The booked time has not started yet."]
    assert reloaded(upcoming).status is BookingStatus.SUBMITTED

    detail = page(client.get(f"/staff/bookings/{booking.reference}"))
    assert f'action="/staff/bookings/{booking.reference}/no-show"' in detail
    done = page(client.post(f"/staff/bookings/{booking.reference}/no-show", follow_redirects=True))
    assert messages(done) == ["Recorded: the resident did not come."]
    assert reloaded(booking).status is BookingStatus.NO_SHOW


def test_reject_needs_a_reason_and_frees_the_place(
    place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    slot = make_slot(place.counter, capacity=2)
    booking = book(place.home_a, slot)
    client = sign_in(place.editor_a)
    url = f"/staff/bookings/{booking.reference}/reject"

    blank = page(client.post(url, data={"reason": "  "}))
    assert "Give the reason: the resident sees it." in blank
    assert reloaded(booking).status is BookingStatus.SUBMITTED

    done = page(client.post(url, data={"reason": "材料不全，请带户口本"}, follow_redirects=True))
    assert messages(done) == ["Rejected. The resident sees the reason."]
    assert "材料不全，请带户口本" in done
    assert reloaded(booking).status is BookingStatus.REJECTED
    db.session.refresh(slot)
    assert slot.booked == 0  # the place is free again
    db.session.rollback()

    again = page(client.post(url, data={"reason": "再退一次"}, follow_redirects=True))
    assert messages(again) == ["This booking has already been handled: it is rejected."]
    assert "再退一次" not in again


def test_a_requests_photo_is_a_staff_only_download(place: Place, sign_in: SignIn) -> None:
    ticket = request_(place.home_a, place.repairs, photo=png())
    plain = request_(place.home_a, place.repairs, "没有照片")
    client = sign_in(place.editor_a)

    detail = page(client.get(f"/staff/bookings/{ticket.reference}"))
    assert f'href="/staff/bookings/{ticket.reference}/photo"' in detail
    assert "/no-show" not in detail  # a request has no time to miss
    assert "村口路灯不亮" in detail and PHONE_B in detail
    response = client.get(f"/staff/bookings/{ticket.reference}/photo")
    assert response.status_code == 200
    assert response.mimetype in {"image/png", "image/jpeg"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert Image.open(io.BytesIO(response.data)).size == (40, 30)

    assert "/photo" not in page(client.get(f"/staff/bookings/{plain.reference}"))
    assert client.get(f"/staff/bookings/{plain.reference}/photo").status_code == 404
    client.post("/staff/logout")
    anonymous = client.get(f"/staff/bookings/{ticket.reference}/photo")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/staff/login")


def test_a_purged_contact_is_gone_from_the_pages(
    place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    booking = book(place.home_a, make_slot(place.counter))
    service.complete(place.editor_a, booking)
    service.purge_contacts(datetime.now(UTC) + timedelta(days=181), retention_days=180)
    db.session.commit()
    client = sign_in(place.editor_a)
    detail = page(client.get(f"/staff/bookings/{booking.reference}"))
    assert "The contact was removed after the retention period." in detail
    assert PHONE_A not in detail and "张" not in detail
    assert "completed it" in detail  # the history stays


# --- the 办结 figure --------------------------------------------------------------------------


def test_completing_one_booking_moves_the_figure_by_exactly_one(
    place: Place, make_slot: Callable[..., Slot], sign_in: SignIn
) -> None:
    slot = make_slot(place.counter)
    mine = book(place.home_a, slot)
    theirs = book(place.home_b, slot, phone=PHONE_B)
    editor_a, editor_b, county = (
        sign_in(place.editor_a),
        sign_in(place.editor_b),
        sign_in(place.county),
    )

    def figures() -> tuple[int, ...]:
        return tuple(
            completed_figure(page(client.get(path)))
            for client in (editor_a, editor_b, county)
            for path in ("/staff/", "/staff/bookings")
        )

    assert figures() == (0, 0, 0, 0, 0, 0)
    editor_b.post(f"/staff/bookings/{theirs.reference}/complete", data={"note": ""})
    assert figures() == (0, 0, 1, 1, 1, 1)  # another village's completion is not editor A's
    editor_a.post(f"/staff/bookings/{mine.reference}/complete", data={"note": ""})
    editor_a.post(f"/staff/bookings/{mine.reference}/complete", data={"note": ""})  # again
    assert figures() == (1, 1, 1, 1, 2, 2)
    home = page(editor_a.get("/staff/"))
    assert 'href="/staff/bookings"' in home


# --- CSRF and languages ----------------------------------------------------------------------


def test_actions_need_the_csrf_token(
    make_app: Callable[..., Flask], place: Place, make_slot: Callable[..., Slot]
) -> None:
    booking = book(place.home_a, make_slot(place.counter))
    reference = booking.reference
    db.session.rollback()  # another app's requests use another session: free SQLite's lock
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    client.post(
        "/staff/login", data={"username": "editor-a", "password": PASSWORD, "csrf_token": token}
    )
    detail = page(client.get(f"/staff/bookings/{reference}"))
    assert detail.count('name="csrf_token"') == 4  # sign out, confirm, complete, reject

    for action in ("confirm", "complete", "reject", "no-show"):
        refused = client.post(f"/staff/bookings/{reference}/{action}", data={"reason": "x"})
        assert refused.status_code == 400, action
    assert reloaded(booking).status is BookingStatus.SUBMITTED

    token = csrf_token_from(detail)
    done = client.post(f"/staff/bookings/{reference}/confirm", data={"csrf_token": token})
    assert done.status_code == 302
    assert reloaded(booking).status is BookingStatus.CONFIRMED


def test_the_pages_in_chinese(zh_app: Flask, place: Place, make_slot: Callable[..., Slot]) -> None:
    slot = make_slot(place.counter, starts_at=tomorrow(9))
    reference = book(place.home_a, slot).reference
    ticket = request_(place.home_a, place.repairs).reference
    db.session.rollback()  # another app's requests use another session: free SQLite's lock
    client = signed_in_client(zh_app, "editor-a")
    local_day = tomorrow(9).astimezone(COUNTY).date()
    chinese_day = f"{local_day.year}年{local_day.month}月{local_day.day}日"

    listing = page(client.get("/staff/bookings"))
    assert '<html lang="zh-CN">' in listing
    assert chinese_day in listing
    assert "首页" in listing  # the menu
    assert listed(listing) == [reference]
    assert listed(page(client.get("/staff/requests"))) == [ticket]
    detail = page(client.get(f"/staff/bookings/{reference}"))
    assert f"{local_day.year}/{local_day.month}/{local_day.day} 09:00" in detail  # the slot
    assert "操作记录" in detail
    english = page(client.get(f"/staff/bookings/{reference}?lang=en"))
    assert '<html lang="en">' in english and "History" in english


def test_the_menu_offers_bookings_and_requests(place: Place, sign_in: SignIn) -> None:
    menu = page(sign_in(place.editor_a).get("/staff/bookings"))
    assert '<a href="/staff/bookings" aria-current="page">Bookings</a>' in menu
    assert '<a href="/staff/requests">Requests</a>' in menu
