"""Posts: a village's, a town's or the county's affairs, policies and notices.

A post's ``status`` records the review workflow (先审后发); what a resident sees also depends on the
time: an approved post is *scheduled* until its ``publish_at`` and *expired* from its
``expires_at``. Those two are derived from the clock (:meth:`Post.state_at`), never stored, so no
job has to flip them and the resident query stays one indexed WHERE clause.

The database enforces what must never happen whatever the code does: a scope without its place,
an author reviewing or publishing their own post, a published post with personal data and no
expiry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from doorplate.db import UTCDateTime, db, str_enum, utcnow
from doorplate.places.models import Town, Village
from doorplate.staff.models import StaffUser


class PostScope(enum.StrEnum):
    COUNTY = "county"  # shown in every village
    TOWN = "town"  # shown in every village of the town
    VILLAGE = "village"


class Category(enum.StrEnum):
    AFFAIRS = "affairs"  # 村务
    PARTY = "party"  # 党务
    FINANCE = "finance"  # 财务
    POLICY = "policy"  # 政策/解读
    DISCLOSURE = "disclosure"  # 公示, e.g. 资金发放公示
    NOTICE = "notice"  # 通知


CATEGORY_LABELS = {
    Category.AFFAIRS: _l("Village affairs"),
    Category.PARTY: _l("Party affairs"),
    Category.FINANCE: _l("Finance"),
    Category.POLICY: _l("Policies explained"),
    Category.DISCLOSURE: _l("Public notices"),
    Category.NOTICE: _l("Notices"),
}


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    PUBLISHED = "published"  # approved; visible between publish_at and expires_at
    WITHDRAWN = "withdrawn"


class PostState(enum.StrEnum):
    """The status as seen at a moment: ``published`` splits into scheduled, live and expired."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    LIVE = "live"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


STATE_LABELS = {
    PostState.DRAFT: _l("draft"),
    PostState.SUBMITTED: _l("awaiting review"),
    PostState.REJECTED: _l("rejected"),
    PostState.SCHEDULED: _l("scheduled"),
    PostState.LIVE: _l("published"),
    PostState.EXPIRED: _l("expired"),
    PostState.WITHDRAWN: _l("withdrawn"),
}


@dataclass(frozen=True)
class Table:
    """A finance or disbursement table: one header row and rows of text cells, all the same width.

    Stored as JSON (``{"header": [...], "rows": [[...], ...]}``); cells stay text so amounts keep
    the exact form the village wrote (``1,234.50``).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {"header": list(self.header), "rows": [list(row) for row in self.rows]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Table:
        return cls(header=tuple(data["header"]), rows=tuple(tuple(row) for row in data["rows"]))


class Post(db.Model):
    __tablename__ = "post"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'county' AND town_id IS NULL AND village_id IS NULL)"
            " OR (scope = 'town' AND town_id IS NOT NULL AND village_id IS NULL)"
            " OR (scope = 'village' AND town_id IS NULL AND village_id IS NOT NULL)",
            name="scope_matches_place",
        ),
        CheckConstraint("reviewer_id <> author_id", name="not_self_reviewed"),
        CheckConstraint("publisher_id <> author_id", name="not_self_published"),
        CheckConstraint(
            "status NOT IN ('published', 'withdrawn')"
            " OR (publish_at IS NOT NULL AND published_at IS NOT NULL"
            " AND publisher_id IS NOT NULL)",
            name="published_has_publisher",
        ),
        CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL", name="reject_reason"),
        CheckConstraint("expires_at > publish_at", name="expires_after_publish"),
        CheckConstraint(
            "NOT has_personal_data OR status <> 'published' OR expires_at IS NOT NULL",
            name="personal_data_expires",
        ),
        # The resident page: a village's own posts, its town's, and the county's, each by
        # status, category and publish time (see ``service.visible_posts``).
        Index("ix_post_village_listing", "village_id", "status", "category", "publish_at"),
        Index("ix_post_town_listing", "town_id", "status", "category", "publish_at"),
        Index("ix_post_scope_listing", "scope", "status", "category", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[PostScope] = mapped_column(str_enum(PostScope, "post_scope"))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("town.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    category: Mapped[Category] = mapped_column(str_enum(Category, "post_category"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, as the author wrote it
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitised, rendered at save time
    table_data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[PostStatus] = mapped_column(
        str_enum(PostStatus, "post_status"), default=PostStatus.DRAFT
    )
    has_personal_data: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # visible from
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it was approved
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # visible until
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    town: Mapped[Town | None] = relationship()
    village: Mapped[Village | None] = relationship()
    author: Mapped[StaffUser] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[StaffUser | None] = relationship(foreign_keys=[reviewer_id])
    publisher: Mapped[StaffUser | None] = relationship(foreign_keys=[publisher_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="post", order_by="Attachment.id", cascade="all, delete-orphan"
    )

    @property
    def table(self) -> Table | None:
        return None if self.table_data is None else Table.from_json(self.table_data)

    def state_at(self, now: datetime) -> PostState:
        """The workflow status, with ``published`` resolved against the clock."""
        if self.status is not PostStatus.PUBLISHED:
            return PostState(self.status.value)
        assert self.publish_at is not None  # the published_has_publisher constraint
        if now < self.publish_at:
            return PostState.SCHEDULED
        if self.expires_at is not None and now >= self.expires_at:
            return PostState.EXPIRED
        return PostState.LIVE

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.scope} {self.status}>"


class Attachment(db.Model):
    """A file attached to a post: a JPEG or PNG (re-encoded, metadata stripped) or a PDF.

    The bytes live in the database, in the same transaction as the post: an upload is all or
    nothing, and one backup holds everything. ``text`` is a PDF's extracted text, kept for the
    publish gate. An image also keeps the phone-sized copy its post page shows (``phone``, with
    its size). ``content`` and ``phone`` are deferred so listing attachments never loads files.
    """

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint(
            "media_type IN ('image/jpeg', 'image/png', 'application/pdf')", name="media_type"
        ),
        CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120))  # sanitised, shown and used for download
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    text: Mapped[str | None] = mapped_column(Text, deferred=True)
    phone: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    phone_width: Mapped[int | None]
    phone_height: Mapped[int | None]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship(back_populates="attachments")
    uploaded_by: Mapped[StaffUser] = relationship()

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.media_type}>"
