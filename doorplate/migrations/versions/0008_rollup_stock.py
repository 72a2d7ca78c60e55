"""the rollup's stock snapshot (households registered and covered at each day's end)

The rollup is a cache of figures the raw rows give, so the days rolled up so far are emptied
rather than given made-up snapshots: the tallies count those days raw until the next
``doorplate stats rollup`` recomputes them, with their snapshots.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 19:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("rollup_village_day", "rollup_town_day", "rollup_day"):
        op.execute(f"DELETE FROM {table}")  # noqa: S608 - the migration's own table names
    with op.batch_alter_table("rollup_village_day", schema=None) as batch_op:
        batch_op.add_column(sa.Column("households_registered", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("households_covered", sa.Integer(), nullable=False))


def downgrade():
    with op.batch_alter_table("rollup_village_day", schema=None) as batch_op:
        batch_op.drop_column("households_covered")
        batch_op.drop_column("households_registered")
