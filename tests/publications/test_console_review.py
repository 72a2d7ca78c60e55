"""Reviewing through the console (先审后发): no self-approval, one transition when two reviewers
act at once, a stale page does not approve a resubmission, the publish gate names every finding,
masking then approving works, and times are typed in the county's zone."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from doorplate.db import db, utcnow
from doorplate.publications import service
from doorplate.publications.models import Category, Post, PostStatus, Table
from doorplate.staff.models import AuditEvent, StaffUser

from .conftest import County, draft, submitted

PHONES = [f"1380013{n:04d}" for n in range(12)]


def sign_in(app: Flask, user: StaffUser) -> FlaskClient:
    return signed_in_client(app, user.username)


def page(response: object) -> str:
    assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def after(client: FlaskClient, response: object, post: Post) -> str:
    """The post's page the action redirected to, with its message."""
    assert response.status_code == 302, response.status_code  # type: ignore[attr-defined]
    assert response.headers["Location"] == f"/staff/posts/{post.id}"  # type: ignore[attr-defined]
    return page(client.get(f"/staff/posts/{post.id}"))


def stamp(text: str) -> str:
    """The submission the reviewer's page shows (the approve and reject forms carry it)."""
    found = re.search(r'id="submitted_at" name="submitted_at" type="hidden" value="([^"]*)"', text)
    assert found is not None
    return found.group(1)


def reloaded(post: Post) -> Post:
    db.session.expire_all()
    found = db.session.get(Post, post.id)
    assert found is not None
    return found


def actions(post: Post) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "post", AuditEvent.object_id == str(post.id))
            .order_by(AuditEvent.id)
        )
    )


def test_approving_publishes_now_and_records_who(app: Flask, county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    client = sign_in(app, county.reviewer_town1)
    text = page(client.get(f"/staff/posts/{post.id}"))
    before = utcnow()
    response = client.post(f"/staff/posts/{post.id}/approve", data={"submitted_at": stamp(text)})
    text = after(client, response, post)
    assert "The post has been approved." in text
    approved = reloaded(post)
    assert approved.status is PostStatus.PUBLISHED
    assert approved.reviewer_id == approved.publisher_id == county.reviewer_town1.id
    assert approved.publish_at is not None and before <= approved.publish_at <= utcnow()
    assert approved.expires_at is None
    assert "Leave empty to keep it up until it is withdrawn." not in text  # no form any more


def test_self_approval_is_refused_with_a_message(app: Flask, county: County) -> None:
    post = submitted(county.reviewer_a, village=county.a)
    client = sign_in(app, county.reviewer_a)
    submission = post.submitted_at.isoformat()  # type: ignore[union-attr]
    for action, data in [("approve", {}), ("reject", {"reason": "自己退回"})]:
        response = client.post(
            f"/staff/posts/{post.id}/{action}", data={"submitted_at": submission, **data}
        )
        text = after(client, response, post)
        assert "Nobody may review their own post: ask another reviewer." in text, action
    assert reloaded(post).status is PostStatus.SUBMITTED
    assert actions(post) == ["post.create", "post.submit"]
    # Another reviewer of the village's town may.
    other = sign_in(app, county.reviewer_town1)
    other.post(f"/staff/posts/{post.id}/approve", data={"submitted_at": submission})
    assert reloaded(post).status is PostStatus.PUBLISHED


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_reviewers_at_once_make_one_transition(app: Flask, county: County, second: str) -> None:
    post = submitted(county.editor_a, village=county.a)
    first_client = sign_in(app, county.reviewer_a)
    second_client = sign_in(app, county.reviewer_town1)
    # Both open the page while the post awaits review.
    first_stamp = stamp(page(first_client.get(f"/staff/posts/{post.id}")))
    second_stamp = stamp(page(second_client.get(f"/staff/posts/{post.id}")))
    first_client.post(f"/staff/posts/{post.id}/approve", data={"submitted_at": first_stamp})
    response = second_client.post(
        f"/staff/posts/{post.id}/{second}",
        data={"submitted_at": second_stamp, "reason": "数字有误"},
    )
    text = after(second_client, response, post)
    assert "Only a post awaiting review can be approved or rejected; this one is published." in text
    approved = reloaded(post)
    assert approved.status is PostStatus.PUBLISHED
    assert approved.reviewer_id == county.reviewer_a.id and approved.reject_reason is None
    assert actions(post) == ["post.create", "post.submit", "post.approve"]


def test_a_page_opened_before_a_resubmission_does_not_review_it(app: Flask, county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    slow = sign_in(app, county.reviewer_town1)
    stale = stamp(page(slow.get(f"/staff/posts/{post.id}")))
    service.reject(county.reviewer_a, post, "请补充附件")
    service.update_post(county.editor_a, post, category=post.category, title="改过了", body="新")
    db.session.commit()
    service.submit(county.editor_a, post, now=utcnow() + timedelta(seconds=1))
    db.session.commit()
    for action in ("approve", "reject"):
        response = slow.post(
            f"/staff/posts/{post.id}/{action}", data={"submitted_at": stale, "reason": "x"}
        )
        text = after(slow, response, post)
        assert "The post has changed since you opened it. Read it again before reviewing it." in (
            text
        )
    assert reloaded(post).status is PostStatus.SUBMITTED
    fresh = stamp(page(slow.get(f"/staff/posts/{post.id}")))
    assert fresh != stale
    slow.post(f"/staff/posts/{post.id}/approve", data={"submitted_at": fresh})
    assert reloaded(post).status is PostStatus.PUBLISHED


def test_the_publish_gate_lists_every_occurrence(app: Flask, county: County) -> None:
    table = Table(
        header=("序号", "户主", "联系电话"),
        rows=tuple((str(n), f"张{n}明", phone) for n, phone in enumerate(PHONES, start=1)),
    )
    post = submitted(county.editor_a, village=county.a, body="咨询 13912345678", table=table)
    client = sign_in(app, county.reviewer_town1)
    text = page(client.get(f"/staff/posts/{post.id}"))
    response = client.post(f"/staff/posts/{post.id}/approve", data={"submitted_at": stamp(text)})
    blocked = page(response)
    alert = re.search(r"Not approved: the post shows personal data.*?</ul>", blocked, re.S)
    assert alert is not None
    shown = re.findall(r"<li>(.*?)</li>", alert.group(0))
    assert shown == [
        "body line 1: a mobile phone number (139****5678)",
        *(
            f"table row {n}, column 3: a mobile phone number ({p[:3]}****{p[-4:]})"
            for n, p in enumerate(PHONES, start=1)
        ),
    ]
    assert "13800130000" not in blocked.split('<h2 id="content-heading">')[0]
    assert reloaded(post).status is PostStatus.SUBMITTED
    assert actions(post) == ["post.create", "post.submit"]


def test_masking_then_approving_defaults_the_expiry(app: Flask, county: County) -> None:
    """The whole loop: blocked, sent back with a reason, masked in one click, resubmitted,
    approved; the names column was ticked by its heading and the post expires by default."""
    table = Table(
        header=("序号", "领取人", "身份证号", "金额"),
        rows=(("1", "张三明", "330327199001011232", "1,200.00"), ("2", "李四", "", "850.50")),
    )
    post = submitted(county.editor_a, village=county.a, category=Category.DISCLOSURE, table=table)
    reviewer = sign_in(app, county.reviewer_a)
    author = sign_in(app, county.editor_a)
    text = page(reviewer.get(f"/staff/posts/{post.id}"))
    reviewer.post(f"/staff/posts/{post.id}/approve", data={"submitted_at": stamp(text)})
    response = reviewer.post(
        f"/staff/posts/{post.id}/reject",
        data={"submitted_at": stamp(text), "reason": "身份证号未打码：330327199001011232"},
    )
    assert "The post has been sent back to its author." in after(reviewer, response, post)

    text = page(author.get(f"/staff/posts/{post.id}"))
    assert "Sent back by the reviewer: 身份证号未打码：330327199001011232" in text
    ticked = re.findall(r'<input checked id="name_columns-(\d)"', text)
    assert ticked == ["1"]  # 领取人
    author.post(f"/staff/posts/{post.id}/mask", data={"name_columns": ticked})
    author.post(f"/staff/posts/{post.id}/submit")
    masked = reloaded(post)
    assert masked.status is PostStatus.SUBMITTED and masked.has_personal_data
    assert masked.table is not None
    assert masked.table.rows == (
        ("1", "张*明", "330327********1232", "1,200.00"),
        ("2", "李*", "", "850.50"),
    )

    text = page(reviewer.get(f"/staff/posts/{post.id}"))
    assert "a post with personal data is taken down after 7 working days" in text
    response = reviewer.post(f"/staff/posts/{post.id}/approve", data={"submitted_at": stamp(text)})
    text = after(reviewer, response, post)
    approved = reloaded(post)
    assert approved.status is PostStatus.PUBLISHED
    assert approved.publish_at is not None
    assert approved.expires_at == service.default_expiry(approved.publish_at)
    assert "Taken down at" in text
    history = re.findall(r"<strong>([^<]+)</strong> ([^<(:]+)", text)
    assert [(who, what.strip()) for who, what in history] == [
        ("editor-a", "created the draft"),
        ("editor-a", "submitted it for review"),
        ("reviewer-a", "sent it back"),
        ("editor-a", "masked personal data"),
        ("editor-a", "submitted it for review"),
        ("reviewer-a", "approved and published it"),
    ]
    # The reason quoted the ID number: the audit trail keeps it masked.
    assert "身份证号未打码：330327********1232" in text
    assert "330327199001011232" not in text


def test_times_are_typed_in_the_county_zone(app: Flask, county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    client = sign_in(app, county.reviewer_a)
    year = utcnow().year + 1
    response = client.post(
        f"/staff/posts/{post.id}/approve",
        data={
            "submitted_at": post.submitted_at.isoformat(),  # type: ignore[union-attr]
            "publish_at": f"{year}-03-02T09:00",
            "expires_at": f"{year}-03-09T18:30",
        },
    )
    text = after(client, response, post)
    approved = reloaded(post)
    assert approved.publish_at == datetime(year, 3, 2, 1, 0, tzinfo=UTC)  # Asia/Shanghai is +8
    assert approved.expires_at == datetime(year, 3, 9, 10, 30, tzinfo=UTC)
    assert '<span class="state state-scheduled">scheduled</span>' in text


@pytest.mark.parametrize(
    ("publish", "expires", "message"),
    [
        ("2020-01-01T09:00", "", "The publishing time cannot be in the past."),
        ("", "2020-01-01T09:00", "The expiry must come after the publishing time."),
        ("soon", "", "Enter a date and a time."),
    ],
)
def test_bad_times_are_explained_and_nothing_changes(
    app: Flask, county: County, publish: str, expires: str, message: str
) -> None:
    post = submitted(county.editor_a, village=county.a)
    client = sign_in(app, county.reviewer_a)
    text = page(
        client.post(
            f"/staff/posts/{post.id}/approve",
            data={
                "submitted_at": post.submitted_at.isoformat(),  # type: ignore[union-attr]
                "publish_at": publish,
                "expires_at": expires,
            },
        )
    )
    assert message in text
    assert f'value="{publish}"' in text  # what was typed stays
    assert reloaded(post).status is PostStatus.SUBMITTED


def test_publishing_now_typed_to_the_minute_is_not_in_the_past(app: Flask, county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    client = sign_in(app, county.reviewer_a)
    local_now = utcnow().astimezone(ZoneInfo("Asia/Shanghai"))
    client.post(
        f"/staff/posts/{post.id}/approve",
        data={
            "submitted_at": post.submitted_at.isoformat(),  # type: ignore[union-attr]
            "publish_at": local_now.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert reloaded(post).status is PostStatus.PUBLISHED


def test_a_rejection_needs_a_reason(app: Flask, county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    client = sign_in(app, county.reviewer_a)
    submission = post.submitted_at.isoformat()  # type: ignore[union-attr]
    text = page(client.post(f"/staff/posts/{post.id}/reject", data={"submitted_at": submission}))
    assert "Say why the post is rejected, so the author can correct it." in text
    assert reloaded(post).status is PostStatus.SUBMITTED
    response = client.post(
        f"/staff/posts/{post.id}/reject", data={"submitted_at": submission, "reason": "金额不符"}
    )
    after(client, response, post)
    rejected = reloaded(post)
    assert (rejected.status, rejected.reject_reason) == (PostStatus.REJECTED, "金额不符")
    author_page = page(sign_in(app, county.editor_a).get(f"/staff/posts/{post.id}"))
    assert "Sent back by the reviewer: 金额不符" in author_page
    assert f"/staff/posts/{post.id}/edit" in author_page


def test_reviewers_outside_the_town_cannot_review(app: Flask, county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    submission = post.submitted_at.isoformat()  # type: ignore[union-attr]
    for reviewer in (county.reviewer_town2, county.reviewer_a2):
        client = sign_in(app, reviewer)
        for action in ("approve", "reject"):
            response = client.post(
                f"/staff/posts/{post.id}/{action}",
                data={"submitted_at": submission, "reason": "x"},
            )
            assert response.status_code == 404
    assert reloaded(post).status is PostStatus.SUBMITTED


def test_a_draft_cannot_be_approved_from_a_forged_form(app: Flask, county: County) -> None:
    post = draft(county.editor_a, village=county.a)
    client = sign_in(app, county.reviewer_a)
    response = client.post(f"/staff/posts/{post.id}/approve", data={"submitted_at": ""})
    assert "Only a post awaiting review can be approved or rejected; this one is draft." in after(
        client, response, post
    )
    assert reloaded(post).status is PostStatus.DRAFT
