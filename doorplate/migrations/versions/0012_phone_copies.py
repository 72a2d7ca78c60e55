"""a phone-sized copy of every image attachment

A post page shows its pictures inline; the stored file (up to 2048 px) is several times what a
360 px-wide phone needs on a village's weak 4G. Each image gets a copy 720 px on its longer side
(``publications.images.phone_copy``), made here for the images already stored and at upload
from now on; the stored file stays the download.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 02:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

from doorplate.publications import images

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ATTACHMENT = sa.table(
    "attachment",
    sa.column("id", sa.Integer),
    sa.column("media_type", sa.String),
    sa.column("content", sa.LargeBinary),
    sa.column("phone", sa.LargeBinary),
    sa.column("phone_width", sa.Integer),
    sa.column("phone_height", sa.Integer),
)


def upgrade():
    with op.batch_alter_table("attachment", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("phone", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("phone_width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("phone_height", sa.Integer(), nullable=True))
    connection = op.get_bind()
    ids = connection.execute(
        sa.select(_ATTACHMENT.c.id).where(_ATTACHMENT.c.media_type.in_([images.JPEG, images.PNG]))
    ).scalars()
    for attachment_id in list(ids):  # one file in memory at a time
        media_type, content = connection.execute(
            sa.select(_ATTACHMENT.c.media_type, _ATTACHMENT.c.content).where(
                _ATTACHMENT.c.id == attachment_id
            )
        ).one()
        copy = images.phone_copy(content, media_type)
        connection.execute(
            _ATTACHMENT.update()
            .where(_ATTACHMENT.c.id == attachment_id)
            .values(phone=copy.content, phone_width=copy.width, phone_height=copy.height)
        )


def downgrade():
    with op.batch_alter_table("attachment", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("phone_height")
        batch_op.drop_column("phone_width")
        batch_op.drop_column("phone")
