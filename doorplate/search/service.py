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
does not know (上垟 comes out as 上, 垟) from burying the one post that is about them. One grouped
query over ``post_term`` does the matching, scoring and paging, the same SQL on SQLite and
PostgreSQL (``MAX(CASE ...)`` per word, products for "all words of an alternative"), so a common
word's thousands of rows never leave the database; the weights come from a count per word on the
index beforehand, and a last query loads the page's posts.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.sql.expression import literal

from doorplate.db import db, utcnow
from doorplate.places.models import Village
from doorplate.publications.models import Category, Post
from doorplate.publications.service import PostPage, visible_in
from doorplate.search import synonyms
from doorplate.search.models import TITLE, PostTerm
from doorplate.search.terms import normalise, query_words, words

MAX_CONCEPTS = 10  # a query is a few words; more would only lengthen the SQL
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
    return list(dict.fromkeys(found))[:MAX_CONCEPTS]


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
    everywhere, in_title = _matched(asked)
    weights = _weights(asked)
    score = sum(
        (w * (has + title) for w, has, title in zip(weights, everywhere, in_title, strict=True)),
        ZERO,
    )
    matching = (
        select(PostTerm.post_id, func.count().over().label("total"))
        .join(Post, Post.id == PostTerm.post_id)
        .where(PostTerm.term.in_(_words(asked)), *conditions)
        .group_by(PostTerm.post_id, Post.publish_at)
        .having(sum(everywhere, ZERO) >= math.ceil(len(asked) / 2))
    )
    ranked = db.session.execute(
        matching.order_by(score.desc(), Post.publish_at.desc(), PostTerm.post_id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    if not ranked:
        total = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
        return PostPage([], total)
    ids = [post_id for post_id, _total in ranked]
    posts = {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(ids)))}
    return PostPage([posts[post_id] for post_id in ids], ranked[0].total)


def _words(asked: list[Concept]) -> list[str]:
    return sorted({word for c in asked for alternative in c.alternatives for word in alternative})


def _weights(asked: list[Concept]) -> list[ColumnElement[float]]:
    """Each concept's rarity: ``ln(1 + posts / posts with it)``, counted on the whole index."""
    posts = db.session.scalar(select(func.count(Post.id))) or 1
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


def _matched(asked: list[Concept]) -> tuple[list[ColumnElement[int]], list[ColumnElement[int]]]:
    """Per post (grouped by post) and concept: 1 if the post has it, and 1 if in its title."""
    anywhere = {w: _has(PostTerm.term == w) for w in _words(asked)}
    titled = {w: _has(and_(PostTerm.term == w, PostTerm.weight == TITLE)) for w in anywhere}
    return [_concept(c, anywhere) for c in asked], [_concept(c, titled) for c in asked]


def _has(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 if any of the post's rows meets ``condition``, else 0."""
    return func.max(case((condition, 1), else_=0))


def _concept(c: Concept, has: dict[str, ColumnElement[int]]) -> ColumnElement[int]:
    """1 if an alternative of ``c`` has all its words' ``has`` 1, else 0."""
    alternatives = [reduce(operator.mul, (has[w] for w in alt)) for alt in c.alternatives]
    return case((reduce(operator.add, alternatives) > 0, 1), else_=0)
