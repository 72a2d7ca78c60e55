"""re-render every post's HTML with the current sanitiser

Posts keep their HTML as rendered at save time. Until 0010 the sanitiser let images from any
address through, so a post saved before it could still make a reader's browser fetch a staff URL
in their name (issue 16, point 3). Rendering each post's Markdown again with the sanitiser of
this release keeps only images of the post's own files. Nothing to undo on downgrade: the older
code renders the same posts the same way when they are next saved.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

from doorplate.publications import markdown

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_POST = sa.table("post", sa.column("id", sa.Integer), sa.column("body", sa.Text),
                 sa.column("body_html", sa.Text))  # fmt: skip


def upgrade():
    connection = op.get_bind()
    for post_id, body in connection.execute(sa.select(_POST.c.id, _POST.c.body)).all():
        connection.execute(
            _POST.update()
            .where(_POST.c.id == post_id)
            .values(body_html=markdown.render(body or "", post_id))
        )


def downgrade():
    pass
