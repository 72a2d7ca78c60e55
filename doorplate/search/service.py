"""Finding the posts a resident's words mean: the search box's and the API's ``q``.

A query becomes *concepts*: each phrase of the synonym list it contains (with its synonyms as
alternatives, 医保 or 医疗保险), then each remaining word jieba finds (上垟路停水: 上, 垟, 路,
停水; a compound as its parts), particles and question words left out. An alternative of
several words (最低生活保障) needs them all. A post is found when it has at least half of the
concepts (so 上垟路停水 finds 上垟路段停水通知, which has no word 路), among the posts the village
sees (its own, its town's and the county's, live now, as
:func:`doorplate.publications.service.visible_in` says).

Ranking: each concept a post has adds its weight, twice over when it is in the title, and newer
posts come first among equals. A concept's weight is its rarity (inverse document frequency,
``ln(1 + posts / posts with it)``): 停水 says more than 路, which is what saves place names jieba
does not know (上垟 comes out as 上, 垟) from burying the one post that is about them.

One query does the matching, scoring and paging, the same SQL on SQLite and PostgreSQL: it sums
each post's rows of ``post_term`` into a bit mask of the words it has (and one of those in its
title), so the work per row is one ``CASE``, and tests each alternative with ``mask & bits =
bits`` per post; a common word's thousands of rows never leave the database. The weights come
from a count per word on the index beforehand, and a last query loads the page's posts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, ColumnElement, case, cast, func, or_, select
from sqlalchemy.sql.expression import literal

from doorplate.db import db, utcnow
from doorplate.places.models import Village
from doorplate.publications.models import Category, Post
from doorplate.publications.service import PostPage, visible_in
from doorplate.search import synonyms
from doorplate.search.models import TITLE, PostTerm
from doorplate.search.terms import normalise, query_words, words

MAX_CONCEPTS = 10  # a query is a few words; more would only lengthen the SQL
MAX_WORDS = 62  # a post's words are bits of one BIGINT
ZERO = literal(0)


@dataclass(frozen=True)
class Concept:
    """Something the resident asked for: any one of ``alternatives``, each a set of words a post
    must all have."""

    alternatives: tuple[tuple[str, ...], ...]


def concepts(text: str, groups: list[tuple[str, ...]]) -> list[Concept]:
    """What ``text`` asks for, given the synonym list: its phrases of the list first (longest
    first, so 社保卡 is not read as 社保), then the words of what is left."""
    found: list[Concept] = []
    pieces = [normalise(text)]
    by_phrase = {phrase: group for group in groups for phrase in group}
    for phrase in sorted(by_phrase, key=len, reverse=True):
        if any(phrase in piece for piece in pieces):
            alternatives = tuple(filter(None, (words(p) for p in by_phrase[phrase])))
            found.append(Concept(tuple(dict.fromkeys(alternatives))))
            pieces = [part for piece in pieces for part in piece.split(phrase)]
    for piece in pieces:
        found += [Concept(((word,),)) for word in query_words(piece)]
    kept: list[Concept] = []
    for concept in dict.fromkeys(found):
        if len(kept) == MAX_CONCEPTS or len(_words([*kept, concept])) > MAX_WORDS:
            break
        kept.append(concept)
    return kept


def find_posts(
    village: Village,
    text: str,
    *,
    category: Category | None = None,
    page: int = 1,
    per_page: int = 20,
    now: datetime | None = None,
) -> PostPage:
    """The posts ``village`` sees that match ``text``, best first, one page of them."""
    asked = concepts(text, synonyms.groups())
    if not asked:
        return PostPage([], 0)
    conditions = [*visible_in(village, now or utcnow())]
    if category is not None:
        conditions.append(Post.category == category)
    words = _words(asked)
    bit = case(
        {word: literal(1 << n, BigInteger) for n, word in enumerate(words)}, value=PostTerm.term
    )
    per_post = (  # the index alone: each post's words as bits, grouped before the join
        select(
            PostTerm.post_id.label("id"),
            cast(func.sum(bit), BigInteger).label("anywhere"),
            cast(func.sum(case((PostTerm.weight == TITLE, bit), else_=0)), BigInteger).label(
                "in_title"
            ),
        )
        .where(PostTerm.term.in_(words))
        .group_by(PostTerm.post_id)
        .subquery()
    )
    masks = [[_mask(alternative, words) for alternative in c.alternatives] for c in asked]
    has = [_has(per_post.c.anywhere, m) for m in masks]
    titled = [_has(per_post.c.in_title, m) for m in masks]
    scored = (
        select(
            Post.id,
            Post.publish_at,
            sum(has, ZERO).label("hits"),
            sum(
                (w * (h + t) for w, h, t in zip(_weights(asked), has, titled, strict=True)), ZERO
            ).label("score"),
        )
        .join(per_post, per_post.c.id == Post.id)
        .where(*conditions)
        .subquery()
    )
    matching = select(scored.c.id, func.count().over().label("total")).where(
        scored.c.hits >= math.ceil(len(asked) / 2)
    )
    ranked = db.session.execute(
        matching.order_by(scored.c.score.desc(), scored.c.publish_at.desc(), scored.c.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    if not ranked:  # nothing, or a page past the last: how many there are, for the pager
        counted = select(func.count()).select_from(matching.subquery())
        return PostPage([], (db.session.scalar(counted) or 0) if page > 1 else 0)
    ids = [post_id for post_id, _total in ranked]
    posts = {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(ids)))}
    return PostPage([posts[post_id] for post_id in ids], ranked[0].total)


def _words(asked: list[Concept]) -> list[str]:
    return sorted({word for c in asked for alternative in c.alternatives for word in alternative})


def _weights(asked: list[Concept]) -> list[ColumnElement[float]]:
    """Each concept's rarity: ``ln(1 + posts / posts with it)``, counted on the whole index."""
    posts = db.session.scalar(select(func.max(Post.id))) or 1  # ids count posts; one index read
    counts = dict(
        db.session.execute(
            select(PostTerm.term, func.count())
            .where(PostTerm.term.in_(_words(asked)))
            .group_by(PostTerm.term)
        ).all()
    )

    def having(alternative: tuple[str, ...]) -> int:
        return min(counts.get(word, 0) for word in alternative)

    return [
        literal(round(math.log(1 + posts / max(1, sum(map(having, c.alternatives)))), 6))
        for c in asked
    ]


def _mask(alternative: tuple[str, ...], words: list[str]) -> int:
    """The bits of an alternative's words (bit n: ``words[n]``)."""
    return sum(1 << words.index(word) for word in alternative)


def _has(bits: ColumnElement[int], masks: list[int]) -> ColumnElement[int]:
    """1 if ``bits`` holds every word of one of the alternatives' ``masks``, else 0."""
    return case((or_(*(bits.op("&")(mask) == mask for mask in masks)), 1), else_=0)
