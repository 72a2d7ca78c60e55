"""What the API reads beyond the shared queries: a post anyone may read now, and the area a
statistics query names.

"Visible" stays defined by the publications package: the list goes through
:func:`doorplate.publications.service.visible_posts`, and a single post is live by
:meth:`Post.state_at`, the model's own reading of its status against the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from doorplate.bounds import MAX_ID
from doorplate.db import db
from doorplate.places.models import Town, Village
from doorplate.publications.models import Post, PostState
from doorplate.staff.service import Scope


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


@dataclass(frozen=True)
class StatsArea:
    """The area ``/api/v1/stats`` counts: the county, one town or one village."""

    scope: Scope
    town: Town | None
    village: Village | None


class UnknownPlace(Exception):
    """A town or village code that names no place (or a village not in the town given)."""


def stats_area(town_code: str | None, village_code: str | None) -> StatsArea:
    """The area for the codes given; codes are public (statistical division codes)."""
    town = village = None
    if town_code is not None:
        town = db.session.scalar(select(Town).where(Town.code == town_code))
        if town is None:
            raise UnknownPlace(_("There is no town with this code."))
    if village_code is not None:
        village = db.session.scalar(
            select(Village).where(Village.code == village_code).options(joinedload(Village.town))
        )
        if village is None:
            raise UnknownPlace(_("There is no village with this code."))
        if town is not None and village.town_id != town.id:
            raise UnknownPlace(_("This village is not in the town given."))
        return StatsArea(Scope(village_id=village.id), village.town, village)
    if town is not None:
        return StatsArea(Scope(town_id=town.id), town, None)
    return StatsArea(Scope(), None, None)
