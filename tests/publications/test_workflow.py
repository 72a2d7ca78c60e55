"""The review workflow (先审后发): who may write, submit, review and withdraw; which transitions
each status allows; the audit trail; and what the post records about who did what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from doorplate.db import db, utcnow
from doorplate.publications import service
from doorplate.publications.models import Category, Post, PostState, PostStatus
from doorplate.staff.models import AuditEvent, StaffUser

from .conftest import County, draft, published, submitted

# --- writing for a place ------------------------------------------------------------------

# (author, place) -> allowed; places: "a", "a2", "b" villages, "town1", "town2", "county".
WRITE_RIGHTS = {
    "editor_a": {"a"},
    "reviewer_a": {"a"},
    "reviewer_town1": {"a", "a2", "town1"},
    "county": {"a", "a2", "b", "town1", "town2", "county"},
    "admin": {"a", "a2", "b", "town1", "town2", "county"},
}
PLACES = ("a", "a2", "b", "town1", "town2", "county")


def _place(county: County, place: str) -> dict[str, object]:
    if place == "county":
        return {}
    if place.startswith("town"):
        return {"town": getattr(county, place)}
    return {"village": getattr(county, place)}


@pytest.mark.parametrize("author", sorted(WRITE_RIGHTS))
@pytest.mark.parametrize("place", PLACES)
def test_who_may_write_for_which_place(county: County, author: str, place: str) -> None:
    actor = getattr(county, author)
    if place in WRITE_RIGHTS[author]:
        post = draft(actor, **_place(county, place))
        assert post.status is PostStatus.DRAFT
        assert post.author_id == actor.id
        assert post.scope.value == ("village" if len(place) <= 2 else place.rstrip("12"))
    else:
        with pytest.raises(service.NotAllowed):
            draft(actor, **_place(county, place))
        assert db.session.scalar(select(Post.id)) is None


def test_a_post_is_for_one_place(county: County) -> None:
    with pytest.raises(service.PublicationError):
        draft(county.county, village=county.a, town=county.town1)


def test_the_database_refuses_a_scope_without_its_place(county: County) -> None:
    post = draft(county.editor_a, village=county.a)
    with pytest.raises(IntegrityError):
        db.session.execute(update(Post).where(Post.id == post.id).values(village_id=None))
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(Post).where(Post.id == post.id).values(town_id=county.town1.id))
    db.session.rollback()


# --- reviewing ----------------------------------------------------------------------------

# Posts by the first name of each pair, and who may review them.
REVIEW_RIGHTS = [
    ("editor_a", "a", {"reviewer_a", "reviewer_town1", "county", "admin"}),
    ("reviewer_a", "a", {"reviewer_town1", "county", "admin"}),
    ("reviewer_town1", "town1", {"county", "admin"}),
    ("reviewer_town1", "a2", {"reviewer_a2", "county", "admin"}),
    ("county", "county", {"admin"}),
    ("admin", "b", {"reviewer_town2", "county"}),
]
EVERYONE = (
    "editor_a",
    "editor_a2",
    "editor_b",
    "reviewer_a",
    "reviewer_a2",
    "reviewer_town1",
    "reviewer_town2",
    "county",
    "admin",
)


@pytest.mark.parametrize(("author", "place", "reviewers"), REVIEW_RIGHTS)
@pytest.mark.parametrize("reviewer", EVERYONE)
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_who_may_review(
    county: County, author: str, place: str, reviewers: set[str], reviewer: str, decision: str
) -> None:
    post = submitted(getattr(county, author), **_place(county, place))
    actor = getattr(county, reviewer)

    def review() -> None:
        if decision == "approve":
            service.approve(actor, post)
        else:
            service.reject(actor, post, "金额有误")

    if reviewer in reviewers:
        review()
        db.session.commit()
        assert post.status is (
            PostStatus.PUBLISHED if decision == "approve" else PostStatus.REJECTED
        )
        assert post.reviewer_id == actor.id
    else:
        with pytest.raises(service.NotAllowed):
            review()
        db.session.rollback()
        assert db.session.get(Post, post.id).status is PostStatus.SUBMITTED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("author", "place"),
    [
        ("reviewer_a", "a"),
        ("reviewer_town1", "a"),
        ("reviewer_town1", "town1"),
        ("county", "a"),
        ("county", "county"),
        ("admin", "county"),
        ("admin", "b"),
    ],
)
def test_nobody_reviews_their_own_post(county: County, author: str, place: str) -> None:
    actor = getattr(county, author)
    post = submitted(actor, **_place(county, place))
    with pytest.raises(service.NotAllowed, match="their own post"):
        service.approve(actor, post)
    with pytest.raises(service.NotAllowed, match="their own post"):
        service.reject(actor, post, "自己退回")
    db.session.rollback()
    assert db.session.get(Post, post.id).status is PostStatus.SUBMITTED  # type: ignore[union-attr]
    assert service.may_review(actor, post) is False


def test_the_database_refuses_self_review_and_self_publishing(county: County) -> None:
    post = submitted(county.county, village=county.a)
    for column in (Post.reviewer_id, Post.publisher_id):
        with pytest.raises(IntegrityError):
            db.session.execute(
                update(Post).where(Post.id == post.id).values({column: county.county.id})
            )
        db.session.rollback()


def test_approval_records_who_provided_reviewed_and_published(county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    now = utcnow()
    service.approve(county.reviewer_town1, post, now=now)
    db.session.commit()
    assert (post.author_id, post.reviewer_id, post.publisher_id) == (
        county.editor_a.id,
        county.reviewer_town1.id,
        county.reviewer_town1.id,
    )
    assert post.reviewed_at == post.published_at == post.publish_at == now
    assert post.submitted_at is not None and post.submitted_at <= now
    assert post.expires_at is None
    assert post.state_at(now) is PostState.LIVE


def test_rejection_needs_a_reason_and_the_author_resubmits_after_correcting(
    county: County,
) -> None:
    post = submitted(county.editor_a, village=county.a)
    with pytest.raises(service.PublicationError, match="Say why"):
        service.reject(county.reviewer_a, post, "   ")
    service.reject(county.reviewer_a, post, "请补充修缮费用明细")
    db.session.commit()
    assert post.status is PostStatus.REJECTED
    assert post.reject_reason == "请补充修缮费用明细"
    assert post.reviewer_id == county.reviewer_a.id
    assert post.publisher_id is None
    service.update_post(
        county.editor_a,
        post,
        category=Category.FINANCE,
        title="2026年第三季度财务公开",
        body="修缮费用：12,000.00 元",
    )
    service.submit(county.editor_a, post)
    db.session.commit()
    assert post.status is PostStatus.SUBMITTED
    assert post.reject_reason == "请补充修缮费用明细"  # the reviewer sees what was asked
    service.approve(county.reviewer_a, post)
    db.session.commit()
    assert post.status is PostStatus.PUBLISHED
    assert post.category is Category.FINANCE
    assert post.reject_reason is None


def test_only_the_author_edits_or_submits(county: County) -> None:
    post = draft(county.editor_a, village=county.a)
    for other in (county.reviewer_a, county.reviewer_town1, county.county, county.editor_a2):
        with pytest.raises(service.NotAllowed):
            service.update_post(other, post, category=Category.AFFAIRS, title="改", body="改")
        with pytest.raises(service.NotAllowed):
            service.submit(other, post)
    db.session.rollback()
    assert db.session.get(Post, post.id).title == "2026年第三季度村务公开"  # type: ignore[union-attr]


def test_editing_rerenders_the_html(county: County) -> None:
    post = draft(county.editor_a, village=county.a, body="**旧**")
    assert post.body_html == "<p><strong>旧</strong></p>\n"
    service.update_post(
        county.editor_a,
        post,
        category=Category.AFFAIRS,
        title="标题",
        body="# 新\n<script>x</script>",
    )
    db.session.commit()
    assert post.body == "# 新\n<script>x</script>"
    assert post.body_html == "<h2>新</h2>\n"


def test_submitting_needs_text_or_a_table(county: County) -> None:
    post = draft(county.editor_a, village=county.a, body="")
    with pytest.raises(service.PublicationError, match="Write some text"):
        service.submit(county.editor_a, post)


@pytest.mark.parametrize(
    ("title", "message"), [("  ", "needs a title"), ("长" * 201, "at most 200")]
)
def test_titles_are_checked(county: County, title: str, message: str) -> None:
    with pytest.raises(service.PublicationError, match=message):
        draft(county.editor_a, village=county.a, title=title)


def test_withdrawing_takes_a_post_down(county: County) -> None:
    now = utcnow()
    post = published(county.editor_a, county.reviewer_a, village=county.a, now=now)
    with pytest.raises(service.NotAllowed):
        service.withdraw(county.editor_a, post)  # editors ask a reviewer
    with pytest.raises(service.NotAllowed):
        service.withdraw(county.reviewer_a2, post)  # another village's reviewer
    service.withdraw(county.reviewer_town1, post, now=now)
    db.session.commit()
    assert post.status is PostStatus.WITHDRAWN
    assert post.withdrawn_at == now
    assert post.state_at(now + timedelta(seconds=1)) is PostState.WITHDRAWN


def test_a_scheduled_post_can_be_withdrawn_before_it_appears(county: County) -> None:
    later = utcnow() + timedelta(days=2)
    post = published(county.editor_a, county.reviewer_a, village=county.a, publish_at=later)
    assert post.state_at(utcnow()) is PostState.SCHEDULED
    service.withdraw(county.county, post)
    db.session.commit()
    assert post.state_at(later) is PostState.WITHDRAWN


# --- the status machine -------------------------------------------------------------------


def _post_in(county: County, status: PostStatus) -> Post:
    post = draft(county.editor_a, village=county.a)
    if status is PostStatus.DRAFT:
        return post
    service.submit(county.editor_a, post)
    if status is PostStatus.REJECTED:
        service.reject(county.reviewer_a, post, "退回")
    elif status in (PostStatus.PUBLISHED, PostStatus.WITHDRAWN):
        service.approve(county.reviewer_a, post)
        if status is PostStatus.WITHDRAWN:
            service.withdraw(county.reviewer_a, post)
    db.session.commit()
    assert post.status is status
    return post


def _edit(county: County, post: Post) -> None:
    service.update_post(county.editor_a, post, category=Category.NOTICE, title="改", body="改")


ACTIONS: dict[str, Callable[[County, Post], object]] = {
    "edit": _edit,
    "mask": lambda c, p: service.mask_personal_data(c.editor_a, p),
    "submit": lambda c, p: service.submit(c.editor_a, p),
    "approve": lambda c, p: service.approve(c.reviewer_a, p),
    "reject": lambda c, p: service.reject(c.reviewer_a, p, "退回"),
    "withdraw": lambda c, p: service.withdraw(c.reviewer_a, p),
}
ALLOWED_FROM = {
    "edit": {PostStatus.DRAFT, PostStatus.REJECTED},
    "mask": {PostStatus.DRAFT, PostStatus.REJECTED},
    "submit": {PostStatus.DRAFT, PostStatus.REJECTED},
    "approve": {PostStatus.SUBMITTED},
    "reject": {PostStatus.SUBMITTED},
    "withdraw": {PostStatus.PUBLISHED},
}
RESULT = {
    "edit": None,
    "mask": None,
    "submit": PostStatus.SUBMITTED,
    "approve": PostStatus.PUBLISHED,
    "reject": PostStatus.REJECTED,
    "withdraw": PostStatus.WITHDRAWN,
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("status", list(PostStatus))
def test_each_action_applies_only_in_its_statuses(
    county: County, action: str, status: PostStatus
) -> None:
    post = _post_in(county, status)
    changed_at = post.updated_at
    if status in ALLOWED_FROM[action]:
        ACTIONS[action](county, post)
        db.session.commit()
        assert post.status is (RESULT[action] or status)
    else:
        with pytest.raises(service.WrongStatus):
            ACTIONS[action](county, post)
        db.session.rollback()
        post = db.session.get(Post, post.id)  # type: ignore[assignment]
        assert post.status is status
        assert post.updated_at == changed_at


def test_a_refused_transition_says_what_the_post_is_now(county: County) -> None:
    post = _post_in(county, PostStatus.PUBLISHED)
    with pytest.raises(service.WrongStatus, match="this one is published"):
        _edit(county, post)


def test_a_resubmitted_post_is_not_approved_on_an_old_reading(county: County) -> None:
    """Reject, edit and resubmit between a reviewer's read and write: a new submission."""
    post = submitted(county.editor_a, village=county.a)
    stale = post.submitted_at
    service.reject(county.reviewer_a, post, "退回")
    _edit(county, post)
    service.submit(county.editor_a, post)
    db.session.commit()
    set_committed_value(post, "submitted_at", stale)  # what the reviewer had loaded
    with pytest.raises(service.WrongStatus):
        service.approve(county.reviewer_town1, post)


# --- audit --------------------------------------------------------------------------------


def _trail(post_id: int) -> list[tuple[str, int | None]]:
    return [
        (event.action, event.actor_id)
        for event in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "post", AuditEvent.object_id == str(post_id))
            .order_by(AuditEvent.id)
        )
    ]


def test_every_transition_is_audited_with_who(county: County) -> None:
    editor, reviewer, town = county.editor_a, county.reviewer_a, county.reviewer_town1
    post = draft(editor, village=county.a)
    service.submit(editor, post)
    service.reject(reviewer, post, "请核对 13800138000 的金额")
    _edit(county, post)
    service.mask_personal_data(editor, post)
    service.submit(editor, post)
    service.approve(town, post)
    service.withdraw(reviewer, post)
    db.session.commit()
    assert _trail(post.id) == [
        ("post.create", editor.id),
        ("post.submit", editor.id),
        ("post.reject", reviewer.id),
        ("post.update", editor.id),
        ("post.mask", editor.id),
        ("post.submit", editor.id),
        ("post.approve", town.id),
        ("post.withdraw", reviewer.id),
    ]
    reject = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "post.reject"))
    assert reject is not None
    assert reject.detail == {"reason": "请核对 138****8000 的金额"}


def test_refused_actions_leave_no_audit_row(county: County) -> None:
    post = submitted(county.editor_a, village=county.a)
    with pytest.raises(service.NotAllowed):
        service.approve(county.editor_a, post)
    service.approve(county.reviewer_a, post)
    with pytest.raises(service.WrongStatus):
        service.approve(county.reviewer_town1, post)
    db.session.commit()
    assert [action for action, _actor in _trail(post.id)] == [
        "post.create",
        "post.submit",
        "post.approve",
    ]


# --- times --------------------------------------------------------------------------------


def test_publishing_times_are_checked(county: County) -> None:
    now = utcnow()
    post = submitted(county.editor_a, village=county.a)
    with pytest.raises(service.PublicationError, match="in the past"):
        service.approve(county.reviewer_a, post, publish_at=now - timedelta(minutes=1), now=now)
    with pytest.raises(service.PublicationError, match="after the publishing time"):
        service.approve(county.reviewer_a, post, expires_at=now, now=now)
    with pytest.raises(service.PublicationError, match="after the publishing time"):
        service.approve(
            county.reviewer_a,
            post,
            publish_at=now + timedelta(days=3),
            expires_at=now + timedelta(days=2),
            now=now,
        )
    assert post.status is PostStatus.SUBMITTED


def test_staff_listings_follow_the_scope(
    county: County, make_staff: Callable[..., StaffUser]
) -> None:
    in_a = draft(county.editor_a, village=county.a)
    in_b = draft(county.editor_b, village=county.b)
    in_town1 = draft(county.reviewer_town1, town=county.town1)
    everywhere = draft(county.county)
    from doorplate.staff.service import scope_of

    def ids(user: StaffUser) -> set[int]:
        return {post.id for post in service.posts_in_scope(scope_of(user)).posts}

    assert ids(county.editor_a) == {in_a.id}
    assert ids(county.reviewer_town1) == {in_a.id, in_town1.id}
    assert ids(county.reviewer_town2) == {in_b.id}
    assert ids(county.county) == {in_a.id, in_b.id, in_town1.id, everywhere.id}
    assert service.post_in_scope(scope_of(county.editor_a), in_b.id) is None
    assert service.post_in_scope(scope_of(county.reviewer_town1), in_a.id) == in_a
    submitted_page = service.posts_in_scope(
        scope_of(county.county), service.PostFilter(statuses={PostStatus.SUBMITTED})
    )
    assert submitted_page.total == 0
