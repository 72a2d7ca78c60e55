"""Keeping the index current: a post's terms go in when it is approved and come out when it is
withdrawn.

A post's content can change only while it is a draft or rejected (see
:mod:`doorplate.publications.service`), so approval is the one moment its terms are read; a
scheduled or expired post keeps its terms and is kept out of results by the same visibility
condition as every resident list. ``doorplate search reindex`` rebuilds the whole index, e.g.
after an upgrade of the segmenter's dictionary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select

from doorplate.db import db
from doorplate.publications.models import Post, PostStatus
from doorplate.search.models import TEXT, TITLE, PostTerm
from doorplate.search.terms import index_words


def post_terms(title: str, body: str, table_data: Mapping[str, Any] | None) -> dict[str, int]:
    """Each term of a post with where it occurs: the title, else the text or a table cell."""
    cells = [] if table_data is None else [table_data["header"], *table_data["rows"]]
    text = "\n".join([body, *("\t".join(row) for row in cells)])
    terms = dict.fromkeys(index_words(text), TEXT)
    terms.update(dict.fromkeys(index_words(title), TITLE))
    return terms


def index_post(post: Post) -> None:
    """Put the post's terms in the index (replacing any it had)."""
    drop_post(post.id)
    terms = post_terms(post.title, post.body, post.table_data)
    if terms:
        db.session.execute(
            insert(PostTerm),
            [{"post_id": post.id, "term": term, "weight": w} for term, w in terms.items()],
        )


def drop_post(post_id: int) -> None:
    """Take the post's terms out of the index: it is found no more."""
    db.session.execute(delete(PostTerm).where(PostTerm.post_id == post_id))


def reindex() -> int:
    """Rebuild the index from every published post; the number of posts indexed."""
    db.session.execute(delete(PostTerm))
    posts = db.session.scalars(select(Post).where(Post.status == PostStatus.PUBLISHED)).all()
    for post in posts:
        index_post(post)
    return len(posts)
