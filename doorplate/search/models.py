"""The search index (a post's terms) and the county's synonym list.

The index is a plain table, ``post_term(term, post_id, weight)``, read with the same SQL on SQLite
and PostgreSQL: a term lookup is a range of its primary key's index, which holds every column.
Full-text engines were the other way: SQLite's FTS5 and PostgreSQL's ``tsvector`` differ in
syntax, ranking and Chinese support (neither segments Chinese), so both would need the terms from
jieba anyway, and twice the query code.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from doorplate.db import db

TERM_MAX_LENGTH = 40  # longer "words" are URLs or runs of digits, never typed into the box
PHRASE_MAX_LENGTH = 20

# Where a term occurs in a post: a title match ranks above a match in the text or table only.
TITLE = 2
TEXT = 1


class PostTerm(db.Model):
    """One term of a published post, with where it occurs (the title wins over the text)."""

    __tablename__ = "post_term"
    __table_args__ = (CheckConstraint(f"weight IN ({TEXT}, {TITLE})", name="weight"),)

    # The weight is part of the key so that the key's index answers a search by itself: read
    # from the table instead, it costs a lookup per row (figures in BENCHMARKS.md).
    # A post has each term once (see ``index.post_terms``).
    term: Mapped[str] = mapped_column(String(TERM_MAX_LENGTH), primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[int] = mapped_column(SmallInteger, primary_key=True)

    def __repr__(self) -> str:
        return f"<PostTerm {self.post_id} {self.term!r} {self.weight}>"


class Synonym(db.Model):
    """A phrase of the synonym list: the phrases of one ``line`` mean the same (医保 = 医疗保险)."""

    __tablename__ = "search_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    line: Mapped[int]
    phrase: Mapped[str] = mapped_column(String(PHRASE_MAX_LENGTH), unique=True)

    def __repr__(self) -> str:
        return f"<Synonym {self.line} {self.phrase!r}>"
