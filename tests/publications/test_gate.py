"""The publish gate in the workflow: approval is refused while a post shows unmasked personal data,
with each occurrence located; masking lets it through, but then the post must expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from doorplate.db import db
from doorplate.publications import service
from doorplate.publications.models import Category, Post, PostState, PostStatus, Table
from doorplate.staff.models import AuditEvent

from .conftest import County, draft, submitted

# Monday 1 December 2026, 10:00 in China.
MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SEVEN_WORKING_DAYS_LATER = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)  # Thursday 00:00 in China

DISBURSEMENT = Table(
    header=("序号", "户主", "身份证号", "联系电话", "发放金额（元）"),
    rows=(
        ("1", "张三明", "330327199001011232", "13800138000", "1,200.00"),
        ("2", "李四", "11010519491231002X", "0577-64712345", "800.00"),
    ),
)


def _disbursement(county: County, **fields: Any) -> Post:
    defaults: dict[str, Any] = {
        "category": Category.DISCLOSURE,
        "title": "2026年困难群众补助资金发放公示",
        "body": "公示期内如有异议，请联系村务监督委员会。\n联系人手机 13912345678",
        "table": DISBURSEMENT,
    }
    return submitted(county.editor_a, village=county.a, **{**defaults, **fields})


def test_approval_is_refused_with_each_occurrence_located(county: County) -> None:
    post = _disbursement(county)
    with pytest.raises(service.PersonalDataFound) as refused:
        service.approve(county.reviewer_a, post, now=MONDAY)
    assert str(refused.value) == (
        "Mask the personal data before publishing: "
        "body line 2: a mobile phone number (139****5678); "
        "table row 1, column 3: a resident ID number (330327********1232); "
        "table row 1, column 4: a mobile phone number (138****8000); "
        "table row 2, column 3: a resident ID number (110105********002X)."
    )
    assert len(refused.value.findings) == 4
    db.session.rollback()
    assert db.session.get(Post, post.id).status is PostStatus.SUBMITTED  # type: ignore[union-attr]


def test_a_long_list_is_summarised_in_the_message(county: County) -> None:
    rows = tuple((str(n), f"1390000{n:04d}") for n in range(1, 13))
    post = submitted(
        county.editor_a, village=county.a, table=Table(header=("序号", "电话"), rows=rows)
    )
    with pytest.raises(service.PersonalDataFound) as refused:
        service.approve(county.reviewer_a, post)
    assert len(refused.value.findings) == 12
    message = str(refused.value)
    assert message.count("a mobile phone number") == 10
    assert message.endswith(
        "table row 10, column 2: a mobile phone number (139****0010); and 2 more."
    )


def test_the_title_is_checked_too(county: County) -> None:
    post = submitted(county.editor_a, village=county.a, title="张三 13800138000 的补助")
    with pytest.raises(service.PersonalDataFound, match=r"title: a mobile phone number"):
        service.approve(county.reviewer_a, post)


def test_after_masking_the_post_passes_and_expires_after_seven_working_days(
    county: County,
) -> None:
    post = _disbursement(county)
    service.reject(county.reviewer_a, post, "请隐去个人信息")
    service.mask_personal_data(county.editor_a, post, name_columns=[1])
    db.session.commit()
    assert post.has_personal_data is True
    assert post.body == "公示期内如有异议，请联系村务监督委员会。\n联系人手机 139****5678"
    assert post.table == Table(
        header=DISBURSEMENT.header,
        rows=(
            ("1", "张*明", "330327********1232", "138****8000", "1,200.00"),
            ("2", "李*", "110105********002X", "0577-64712345", "800.00"),
        ),
    )
    assert "139****5678" in post.body_html
    service.submit(county.editor_a, post)
    service.approve(county.reviewer_a, post, now=MONDAY)
    db.session.commit()
    assert post.status is PostStatus.PUBLISHED
    assert post.expires_at == SEVEN_WORKING_DAYS_LATER
    assert post.state_at(SEVEN_WORKING_DAYS_LATER - timedelta(seconds=1)) is PostState.LIVE
    assert post.state_at(SEVEN_WORKING_DAYS_LATER) is PostState.EXPIRED
    assert service.default_expiry(MONDAY) == SEVEN_WORKING_DAYS_LATER
    approval = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "post.approve"))
    assert approval is not None
    assert approval.detail["expires_at"] == SEVEN_WORKING_DAYS_LATER.isoformat()
    assert approval.detail["personal_data"] is True


def test_the_default_expiry_counts_from_a_scheduled_publishing_time(county: County) -> None:
    post = _disbursement(county, table=None, body="名单见附件：张*明、李*")
    service.reject(county.reviewer_a, post, "补标记")
    service.update_post(
        county.editor_a,
        post,
        category=Category.DISCLOSURE,
        title=post.title,
        body=post.body,
        personal_data=True,  # the author's word: masked names in the text
    )
    service.submit(county.editor_a, post)
    friday = MONDAY + timedelta(days=4)
    service.approve(county.reviewer_a, post, publish_at=friday, now=MONDAY)
    db.session.commit()
    assert post.expires_at == datetime(2026, 12, 15, 16, 0, tzinfo=UTC)  # Wednesday 00:00 in China


def test_an_explicit_expiry_is_kept(county: County) -> None:
    post = submitted(county.editor_a, village=county.a, body="联系人 138****8000")
    assert post.has_personal_data is True  # masked numbers set the flag by themselves
    until = MONDAY + timedelta(days=30)
    service.approve(county.reviewer_a, post, expires_at=until, now=MONDAY)
    db.session.commit()
    assert post.expires_at == until


def test_a_post_without_personal_data_need_not_expire(county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    assert post.has_personal_data is False
    service.approve(county.reviewer_a, post, now=MONDAY)
    assert post.expires_at is None


def test_masking_a_clean_post_changes_nothing(county: County) -> None:
    post = draft(county.editor_a, village=county.a)
    service.mask_personal_data(county.editor_a, post)
    assert post.has_personal_data is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "post.mask"))
    assert event is not None and event.detail == {"changed": False, "name_columns": 0}


def test_masking_refuses_an_unknown_column(county: County) -> None:
    post = draft(county.editor_a, village=county.a, table=DISBURSEMENT)
    with pytest.raises(service.PublicationError, match="no such table column"):
        service.mask_personal_data(county.editor_a, post, name_columns=[5])


def test_the_database_refuses_published_personal_data_without_expiry(county: County) -> None:
    post = submitted(county.editor_a, village=county.a, body="联系人 138****8000")
    service.approve(county.reviewer_a, post, now=MONDAY)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(update(Post).where(Post.id == post.id).values(expires_at=None))
    db.session.rollback()
