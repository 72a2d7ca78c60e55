"""Publication use cases: write, submit, review (先审后发), withdraw, mask; the resident listing.

Who may do what:

- anyone writes for their own scope: an editor for their village, a reviewer for their town (or
  village) and the villages in it, county staff for the county, any town and any village; only the
  author edits or submits a post, and only while it is a draft or rejected;
- reviewers and county staff approve, reject and withdraw posts in their scope, never their own
  (not even an administrator: the database refuses it too).

Every transition is one conditional ``UPDATE ... WHERE status = <expected>`` checked by its row
count, so two reviewers pressing "approve" at once make one transition and the other is told the
post has moved on. Approval additionally requires the ``submitted_at`` it read: a post rejected,
edited and resubmitted in between is a different submission and is not approved blind.
Use cases add and flush; the request or command that called them commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, or_, select, true, update
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.base import ExecutableOption

from doorplate.db import db, utcnow
from doorplate.i18n import county_zone
from doorplate.places.models import Town, Village
from doorplate.publications import markdown, privacy
from doorplate.publications.models import (
    STATE_LABELS,
    Attachment,
    Category,
    Post,
    PostScope,
    PostStatus,
    Table,
)
from doorplate.search import index as search_index
from doorplate.staff import audit
from doorplate.staff.models import Role, StaffUser
from doorplate.staff.service import Scope, scope_of
from doorplate.workdays import working_days_after

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 50_000
REASON_MAX_LENGTH = 500
TABLE_MAX_ROWS = 2000  # a village's disbursement list has one row per household
TABLE_MAX_COLUMNS = 20
CELL_MAX_LENGTH = 200
FINDINGS_LISTED = 10  # in the message; a whole unmasked list would bury the page
REVIEW_ROLES = frozenset({Role.REVIEWER, Role.COUNTY, Role.ADMIN})
EDITABLE = frozenset({PostStatus.DRAFT, PostStatus.REJECTED})


class PublicationError(Exception):
    """A publication use case refused; the message is translated and fit to show."""


class NotAllowed(PublicationError):
    """The actor's role or scope does not permit this action on this post."""


class WrongStatus(PublicationError):
    """The post is not (or no longer) in a status the action applies to."""


class PersonalDataFound(PublicationError):
    """Approval blocked: the post shows unmasked personal data, at each of ``findings``."""

    def __init__(self, findings: list[privacy.Finding]) -> None:
        self.findings = findings
        listed = "; ".join(finding.message() for finding in findings[:FINDINGS_LISTED])
        more = len(findings) - FINDINGS_LISTED
        super().__init__(
            _(
                "Mask the personal data before publishing: %(places)s; and %(n)d more.",
                places=listed,
                n=more,
            )
            if more > 0
            else _("Mask the personal data before publishing: %(places)s.", places=listed)
        )


_REFUSED_BECAUSE = {
    "edit": _l("Only a draft or a rejected post can be changed; this one is %(state)s."),
    "submit": _l("Only a draft or a rejected post can be submitted; this one is %(state)s."),
    "review": _l("Only a post awaiting review can be approved or rejected; this one is %(state)s."),
    "withdraw": _l("Only a published post can be withdrawn; this one is %(state)s."),
}


# --- permissions ----------------------------------------------------------------------------


def may_write_for(scope: Scope, town: Town | None, village: Village | None) -> bool:
    """Whether staff with ``scope`` write for that place (neither given: the county)."""
    if scope.is_county:
        return True
    if scope.village_id is not None:
        return village is not None and village.id == scope.village_id
    if village is not None:
        return village.town_id == scope.town_id
    return town is not None and town.id == scope.town_id


def _covers(actor: StaffUser, post: Post) -> bool:
    return may_write_for(scope_of(actor), post.town, post.village)


def may_review(actor: StaffUser, post: Post) -> bool:
    """Reviewers and county staff review posts in their scope, never their own."""
    return actor.role in REVIEW_ROLES and post.author_id != actor.id and _covers(actor, post)


def _check_author(actor: StaffUser, post: Post) -> None:
    if post.author_id != actor.id or not _covers(actor, post):
        raise NotAllowed(_("Only the author of a post can change or submit it."))


def _check_reviewer(actor: StaffUser, post: Post) -> None:
    if post.author_id == actor.id:
        raise NotAllowed(_("Nobody may review their own post: ask another reviewer."))
    if actor.role not in REVIEW_ROLES or not _covers(actor, post):
        raise NotAllowed(_("You may not review posts for this place."))


# --- validation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """What an author writes, validated and rendered."""

    category: Category
    title: str
    body: str
    body_html: str
    table_data: dict[str, Any] | None
    has_personal_data: bool


def _content(
    category: Category,
    title: str,
    body: str,
    table: Table | None,
    personal_data: bool,
    post_id: int | None = None,
) -> Content:
    """The post's content checked and rendered; ``post_id`` (None for a new post) decides which
    images the text may show: only that post's own files."""
    title = unicodedata.normalize("NFC", title).strip()
    body = unicodedata.normalize("NFC", body).replace("\r\n", "\n").strip()
    if not title:
        raise PublicationError(_("A post needs a title."))
    if len(title) > TITLE_MAX_LENGTH:
        raise PublicationError(
            _("The title may be at most %(n)d characters long.", n=TITLE_MAX_LENGTH)
        )
    if len(body) > BODY_MAX_LENGTH:
        raise PublicationError(
            _("The text may be at most %(n)d characters long.", n=BODY_MAX_LENGTH)
        )
    if table is not None:
        table = validate_table(table.to_json())
    return Content(
        category=category,
        title=title,
        body=body,
        body_html=markdown.render(body, post_id),
        table_data=None if table is None else table.to_json(),
        has_personal_data=personal_data or privacy.has_masked_data(title, body, table),
    )


def validate_table(data: Mapping[str, Any]) -> Table:
    """A :class:`Table` from its JSON form, or :class:`PublicationError` saying what is wrong.

    Every column needs a heading (it is read out to screen-reader users with each cell), every
    row the header's width, every cell text of at most ``CELL_MAX_LENGTH`` characters.
    """
    header, rows = data.get("header"), data.get("rows")
    if not isinstance(header, list) or not isinstance(rows, list):
        raise PublicationError(_("A table needs a header row and a list of rows."))
    if not 1 <= len(header) <= TABLE_MAX_COLUMNS:
        raise PublicationError(_("A table has 1 to %(n)d columns.", n=TABLE_MAX_COLUMNS))
    if len(rows) > TABLE_MAX_ROWS:
        raise PublicationError(_("A table has at most %(n)d rows.", n=TABLE_MAX_ROWS))
    for number, row in enumerate([header, *rows]):
        if not isinstance(row, list) or len(row) != len(header):
            raise PublicationError(
                _("Table row %(row)d does not have %(n)d cells.", row=number, n=len(header))
            )
        for column, cell in enumerate(row, start=1):
            if not isinstance(cell, str) or len(cell) > CELL_MAX_LENGTH:
                raise PublicationError(
                    _(
                        "Table row %(row)d, column %(column)d: a cell is text of at most "
                        "%(n)d characters.",
                        row=number,
                        column=column,
                        n=CELL_MAX_LENGTH,
                    )
                )
            if number == 0 and not cell.strip():
                raise PublicationError(_("Table column %(column)d needs a heading.", column=column))
    return Table(
        header=tuple(cell.strip() for cell in header),
        rows=tuple(tuple(cell.strip() for cell in row) for row in rows),
    )


# --- writing --------------------------------------------------------------------------------


def create_post(
    actor: StaffUser,
    *,
    category: Category,
    title: str,
    body: str = "",
    table: Table | None = None,
    personal_data: bool = False,
    town: Town | None = None,
    village: Village | None = None,
) -> Post:
    """A new draft for ``village``, ``town`` or (neither given) the whole county.

    ``personal_data`` is the author's word that the post shows personal data (a list of masked
    names, say); masked numbers and names in the table set the flag by themselves.
    """
    if town is not None and village is not None:
        raise PublicationError(_("A post is for a village, a town or the county, not several."))
    if not may_write_for(scope_of(actor), town, village):
        raise NotAllowed(_("You may not write posts for this place."))
    content = _content(category, title, body, table, personal_data)
    scope = PostScope.VILLAGE if village else PostScope.TOWN if town else PostScope.COUNTY
    post = Post(
        scope=scope,
        town=town,
        village=village,
        author=actor,
        status=PostStatus.DRAFT,
        **asdict(content),
    )
    db.session.add(post)
    db.session.flush()
    audit.record(actor, "post.create", "post", post.id, scope=scope.value, **_place(post))
    return post


def update_post(
    actor: StaffUser,
    post: Post,
    *,
    category: Category,
    title: str,
    body: str = "",
    table: Table | None = None,
    personal_data: bool = False,
) -> Post:
    """Replace a draft's or rejected post's content (the author's resubmission after rejection)."""
    _check_author(actor, post)
    content = _content(category, title, body, table, personal_data, post.id)
    _transition(post, "edit", EDITABLE, **asdict(content))
    audit.record(actor, "post.update", "post", post.id)
    return post


def mask_personal_data(actor: StaffUser, post: Post, name_columns: Collection[int] = ()) -> Post:
    """One-click masking: numbers in the title, text and table, and names in ``name_columns``.

    Marks the post as showing personal data whenever anything was masked, so it will need an
    expiry when approved.
    """
    _check_author(actor, post)
    table = post.table
    if table is not None and any(not 0 <= i < len(table.header) for i in name_columns):
        raise PublicationError(_("There is no such table column."))
    masked_table = None if table is None else privacy.mask_table(table, name_columns)
    masked = (privacy.mask_text(post.title), privacy.mask_body(post.body), masked_table)
    changed = masked != (post.title, post.body, table)
    content = _content(
        post.category, *masked, personal_data=post.has_personal_data or changed, post_id=post.id
    )
    _transition(post, "edit", EDITABLE, **asdict(content))
    audit.record(
        actor, "post.mask", "post", post.id, changed=changed, name_columns=len(name_columns)
    )
    return post


def begin_edit(actor: StaffUser, post: Post) -> None:
    """Check that ``actor`` may change ``post`` now (its author, while a draft or rejected) and
    mark it changed, for changes other than :func:`update_post` (attachments).

    One conditional ``UPDATE`` like every transition: a post submitted meanwhile is refused, and
    on PostgreSQL the row stays locked until commit, so no submission slips in between.
    """
    _check_author(actor, post)
    _transition(post, "edit", EDITABLE, updated_at=utcnow())


def submit(actor: StaffUser, post: Post, now: datetime | None = None) -> Post:
    """Send a draft (or a corrected rejected post) for review."""
    _check_author(actor, post)
    if not post.body.strip() and post.table_data is None:
        raise PublicationError(_("Write some text or add a table before submitting."))
    _transition(post, "submit", EDITABLE, status=PostStatus.SUBMITTED, submitted_at=now or utcnow())
    audit.record(actor, "post.submit", "post", post.id)
    return post


# --- reviewing ------------------------------------------------------------------------------


def approve(
    actor: StaffUser,
    post: Post,
    *,
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> Post:
    """Approve and publish: visible from ``publish_at`` (default now) until ``expires_at``.

    Refused while the post or a PDF attached to it shows unmasked personal data
    (:class:`PersonalDataFound` locates each number). A post with (masked) personal data, in its
    own content or an attachment, must expire; without an ``expires_at`` it gets
    :func:`default_expiry`.
    """
    now = now or utcnow()
    _check_reviewer(actor, post)
    files = _attachment_texts(post)
    findings = privacy.scan(post.title, post.body, post.table, files)
    if findings:
        raise PersonalDataFound(findings)
    personal = shows_personal_data(post, files)
    publish_at = publish_at or now
    if publish_at < now:
        raise PublicationError(_("The publishing time cannot be in the past."))
    if expires_at is None and personal:
        expires_at = default_expiry(publish_at)
    if expires_at is not None and expires_at <= publish_at:
        raise PublicationError(_("The expiry must come after the publishing time."))
    _transition(
        post,
        "review",
        {PostStatus.SUBMITTED},
        Post.submitted_at == post.submitted_at,
        status=PostStatus.PUBLISHED,
        reviewer_id=actor.id,
        reviewed_at=now,
        reject_reason=None,
        publisher_id=actor.id,
        published_at=now,
        publish_at=publish_at,
        expires_at=expires_at,
        has_personal_data=personal,
    )
    search_index.index_post(post)
    audit.record(
        actor,
        "post.approve",
        "post",
        post.id,
        publish_at=publish_at.isoformat(),
        expires_at=expires_at.isoformat() if expires_at else None,
        personal_data=personal,
    )
    return post


def _attachment_texts(post: Post) -> list[tuple[str, str]]:
    """(file name, text) of each of the post's attachments that has text (its PDFs)."""
    rows = db.session.execute(
        select(Attachment.filename, Attachment.text)
        .where(Attachment.post_id == post.id, Attachment.text.is_not(None))
        .order_by(Attachment.id)
    )
    return [(name, text) for name, text in rows]


def shows_personal_data(post: Post, files: list[tuple[str, str]] | None = None) -> bool:
    """Whether the post shows (masked) personal data, in its own content or an attached PDF:
    such a post must expire. ``files`` are its attachments' texts, if already read."""
    if files is None:
        files = _attachment_texts(post)
    return post.has_personal_data or any(
        privacy.has_masked_data("", text, None) for _name, text in files
    )


def default_expiry(publish_at: datetime) -> datetime:
    """When a notice with personal data comes down: after ``PERSONAL_DATA_WORKING_DAYS``."""
    zone = county_zone()
    return working_days_after(publish_at, privacy.PERSONAL_DATA_WORKING_DAYS, zone)


def reject(actor: StaffUser, post: Post, reason: str, now: datetime | None = None) -> Post:
    """Send a submitted post back to its author with the reason, for correction."""
    _check_reviewer(actor, post)
    reason = unicodedata.normalize("NFC", reason).strip()
    if not reason:
        raise PublicationError(_("Say why the post is rejected, so the author can correct it."))
    if len(reason) > REASON_MAX_LENGTH:
        raise PublicationError(
            _("The reason may be at most %(n)d characters long.", n=REASON_MAX_LENGTH)
        )
    _transition(
        post,
        "review",
        {PostStatus.SUBMITTED},
        Post.submitted_at == post.submitted_at,
        status=PostStatus.REJECTED,
        reviewer_id=actor.id,
        reviewed_at=now or utcnow(),
        reject_reason=reason,
    )
    # The reason is free text: keep any number a reviewer quoted out of the audit trail.
    audit.record(actor, "post.reject", "post", post.id, reason=privacy.mask_text(reason))
    return post


def withdraw(actor: StaffUser, post: Post, now: datetime | None = None) -> Post:
    """Take a published post down (or cancel a scheduled one) before it expires."""
    if actor.role not in REVIEW_ROLES or not _covers(actor, post):
        raise NotAllowed(_("You may not withdraw posts for this place."))
    _transition(
        post,
        "withdraw",
        {PostStatus.PUBLISHED},
        status=PostStatus.WITHDRAWN,
        withdrawn_at=now or utcnow(),
    )
    search_index.drop_post(post.id)
    audit.record(actor, "post.withdraw", "post", post.id)
    return post


def _transition(
    post: Post,
    action: str,
    expected: Collection[PostStatus],
    *conditions: ColumnElement[bool],
    **values: Any,
) -> None:
    """One ``UPDATE`` that applies only if the post is still in an ``expected`` status."""
    done = db.session.execute(
        update(Post)
        .where(Post.id == post.id, Post.status.in_(expected), *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(post)
    if not done:
        state = STATE_LABELS[post.state_at(utcnow())]
        raise WrongStatus(_REFUSED_BECAUSE[action] % {"state": state})


def _place(post: Post) -> dict[str, str]:
    if post.village is not None:
        return {"village": post.village.code}
    if post.town is not None:
        return {"town": post.town.code}
    return {}


# --- staff queries --------------------------------------------------------------------------


@dataclass(frozen=True)
class PostPage:
    """One page of posts and the total number of matches."""

    posts: list[Post]
    total: int


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    """Posts whose place ``scope`` covers (the Python twin is :func:`may_write_for`)."""
    if scope.is_county:
        return true()
    if scope.village_id is not None:
        return Post.village_id == scope.village_id
    in_town = select(Village.id).where(Village.town_id == scope.town_id)
    return or_(Post.town_id == scope.town_id, Post.village_id.in_(in_town))


def post_in_scope(scope: Scope, post_id: int) -> Post | None:
    """The post if ``scope`` covers its place; otherwise None, as for an unknown id."""
    return db.session.scalar(select(Post).where(Post.id == post_id, _in_scope(scope)))


@dataclass(frozen=True)
class PostFilter:
    """Which of the posts in scope a console list shows: every condition given applies."""

    statuses: Collection[PostStatus] = ()
    author_id: int | None = None
    county_only: bool = False
    town_code: str | None = None
    village_code: str | None = None
    category: Category | None = None


def posts_in_scope(
    scope: Scope, wanted: PostFilter = PostFilter(), *, page: int = 1, per_page: int = 50
) -> PostPage:
    """The posts staff with ``scope`` manage that match ``wanted``, most recently changed first,
    with their places and authors loaded (the list shows them)."""
    conditions = [_in_scope(scope)]
    if wanted.statuses:
        conditions.append(Post.status.in_(wanted.statuses))
    if wanted.author_id is not None:
        conditions.append(Post.author_id == wanted.author_id)
    if wanted.county_only:
        conditions.append(Post.scope == PostScope.COUNTY)
    if wanted.town_code is not None:
        town = select(Town.id).where(Town.code == wanted.town_code).scalar_subquery()
        conditions.append(Post.town_id == town)
    if wanted.village_code is not None:
        village = select(Village.id).where(Village.code == wanted.village_code).scalar_subquery()
        conditions.append(Post.village_id == village)
    if wanted.category is not None:
        conditions.append(Post.category == wanted.category)
    return _page(
        conditions,
        [Post.updated_at.desc(), Post.id.desc()],
        page,
        per_page,
        options=[
            joinedload(Post.village).joinedload(Village.town),
            joinedload(Post.town),
            joinedload(Post.author),
        ],
    )


# --- the resident pages ---------------------------------------------------------------------


def live(now: datetime) -> list[ColumnElement[bool]]:
    """Published, started and not expired: what the public may see (of some place) at ``now``."""
    return [
        Post.status == PostStatus.PUBLISHED,
        Post.publish_at <= now,
        or_(Post.expires_at.is_(None), Post.expires_at > now),
    ]


def visible_in(village: Village, now: datetime) -> list[ColumnElement[bool]]:
    """Live, and for this village, its town or the whole county (the lists and the search)."""
    return [
        *live(now),
        or_(
            Post.village_id == village.id,
            Post.town_id == village.town_id,
            Post.scope == PostScope.COUNTY,
        ),
    ]


def visible_posts(
    village: Village,
    *,
    category: Category | None = None,
    page: int = 1,
    per_page: int = 20,
    now: datetime | None = None,
) -> PostPage:
    """What a resident of ``village`` sees, newest first: its own, its town's and the county's
    published posts, optionally of one ``category`` (searching is :mod:`doorplate.search`'s)."""
    conditions = visible_in(village, now or utcnow())
    if category is not None:
        conditions.append(Post.category == category)
    return _page(conditions, [Post.publish_at.desc(), Post.id.desc()], page, per_page)


def visible_post(village: Village, post_id: int, now: datetime | None = None) -> Post | None:
    """One post a resident of ``village`` may read now; None otherwise, as for an unknown id."""
    return db.session.scalar(
        select(Post).where(Post.id == post_id, *visible_in(village, now or utcnow()))
    )


def latest_by_category(
    village: Village, *, per_category: int = 3, now: datetime | None = None
) -> dict[Category, list[Post]]:
    """The newest ``per_category`` visible posts of each category, in one query (the village's
    home page). Categories without posts are absent."""
    rank = (
        func.row_number()
        .over(partition_by=Post.category, order_by=[Post.publish_at.desc(), Post.id.desc()])
        .label("rank")
    )
    ranked = select(Post.id, rank).where(*visible_in(village, now or utcnow())).subquery()
    posts = db.session.scalars(
        select(Post)
        .join(ranked, ranked.c.id == Post.id)
        .where(ranked.c.rank <= per_category)
        .order_by(Post.publish_at.desc(), Post.id.desc())
    )
    latest: dict[Category, list[Post]] = {}
    for post in posts:
        latest.setdefault(post.category, []).append(post)
    return latest


def _page(
    conditions: list[ColumnElement[bool]],
    order: list[Any],
    page: int,
    per_page: int,
    options: Sequence[ExecutableOption] = (),
) -> PostPage:
    total = db.session.scalar(select(func.count(Post.id)).where(*conditions)) or 0
    posts = db.session.scalars(
        select(Post)
        .where(*conditions)
        .options(*options)
        .order_by(*order)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return PostPage(list(posts), total)
