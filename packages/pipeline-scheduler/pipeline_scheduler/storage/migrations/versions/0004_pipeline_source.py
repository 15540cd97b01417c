"""Pipeline sources: a run records the warning it started with (its pipeline changed since its code
was generated). Jobs keep the pipeline's hash in their definition, which needs no column.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ps_runs") as runs:
        runs.add_column(sa.Column("warning", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ps_runs") as runs:
        runs.drop_column("warning")
