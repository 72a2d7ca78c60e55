"""What the API reads beyond the shared queries: a post anyone may read now.

"Visible" stays defined by the publications package: the list goes through
:func:`doorplate.publications.service.visible_posts`, and a single post is live by
:meth:`Post.state_at`, the model's own reading of its status against the clock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from doorplate.db import db
from doorplate.places.models import Village
from doorplate.publications.models import Post, PostState

# Post ids are INTEGER columns: a larger number in a URL is simply not a post (PostgreSQL would
# refuse to compare it rather than find nothing).
MAX_ID = 2**31 - 1


def live_post(post_id: int, now: datetime) -> Post | None:
    """The post if it is published, started, not expired and not withdrawn; None otherwise, as
    for an unknown id.

    Any village's: a live post is public, shown on the plate pages of every household it
    concerns, so asking for it by id reveals nothing a resident's page does not.
    """
    if not 0 < post_id <= MAX_ID:
        return None
    post = db.session.scalar(
        select(Post)
        .where(Post.id == post_id)
        .options(
            joinedload(Post.town),
            joinedload(Post.village).joinedload(Village.town),
            selectinload(Post.attachments),
        )
    )
    return post if post is not None and post.state_at(now) is PostState.LIVE else None
