"""search: the index of published posts' terms and the county's synonym list

The list starts with the default policy synonyms and the index with every post published so far,
so search works on the first request after the upgrade (``doorplate search reindex`` rebuilds it).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 00:33:49.904720

"""

import sqlalchemy as sa
from alembic import op

from doorplate.search.index import post_terms
from doorplate.search.synonyms import DEFAULT_GROUPS

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    synonym = op.create_table(
        "search_synonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonym")),
        sa.UniqueConstraint("phrase", name=op.f("uq_search_synonym_phrase")),
    )
    post_term = op.create_table(
        "post_term",
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("weight IN (1, 2)", name=op.f("ck_post_term_weight")),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_term_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("term", "post_id", "weight", name=op.f("pk_post_term")),
    )
    with op.batch_alter_table("post_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_term_post_id"), ["post_id"], unique=False)

    op.bulk_insert(
        synonym,
        [
            {"line": line, "phrase": phrase}
            for line, group in enumerate(DEFAULT_GROUPS, start=1)
            for phrase in group
        ],
    )
    post = sa.table(
        "post",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.String()),
        sa.column("body", sa.Text()),
        sa.column("table_data", sa.JSON()),
        sa.column("status", sa.String()),
    )
    published = (
        op.get_bind()
        .execute(
            sa.select(post.c.id, post.c.title, post.c.body, post.c.table_data).where(
                post.c.status == "published"
            )
        )
        .all()
    )
    for post_id, title, body, table_data in published:
        terms = post_terms(title, body, table_data)
        if terms:
            op.bulk_insert(
                post_term,
                [{"post_id": post_id, "term": term, "weight": w} for term, w in terms.items()],
            )


def downgrade():
    with op.batch_alter_table("post_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_term_post_id"))

    op.drop_table("post_term")
    op.drop_table("search_synonym")
