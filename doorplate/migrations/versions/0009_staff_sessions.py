"""staff sessions and sign-in delays

A session version per staff user, so signing out, a password change, deactivation and an
administrator's "sign out everywhere" end every copy of a session cookie at once; the failed
sign-ins of each address on each account, for the sign-in delays that replace the account lock
(so ``locked_until`` goes; the failure counts stay, to be told at the next sign-in).

``staff_user`` is altered in place (``recreate="never"``): batch mode's copy-and-rename would drop
a table the audit trail's rows refer to, which SQLite's enforced foreign keys refuse; SQLite has
dropped a column in place since 3.35 (2021).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import doorplate.db

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_user", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.drop_column("locked_until")
    op.create_table(
        "sign_in_failure",
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("last_failed_at", doorplate.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_sign_in_failure_staff_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_user_id", "address", name=op.f("pk_sign_in_failure")),
    )


def downgrade():
    op.drop_table("sign_in_failure")
    with op.batch_alter_table("staff_user", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("locked_until", doorplate.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("session_version")
