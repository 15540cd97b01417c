"""Retries, bounded logs and failure notifications: what a run records of them.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ps_runs") as runs:
        runs.add_column(sa.Column("attempt", sa.Integer(), nullable=True))  # 1-based; none: 1
        runs.add_column(sa.Column("retry_of", sa.Integer(), nullable=True))  # the first attempt's id
        runs.add_column(sa.Column("retry_at", sa.Float(), nullable=True))  # when its next attempt is due
        runs.add_column(sa.Column("log_truncated", sa.Integer(), nullable=True))  # bytes dropped from the log
        runs.add_column(sa.Column("notification_error", sa.Text(), nullable=True))
    op.create_index("ix_ps_runs_retry_of", "ps_runs", ["retry_of"])


def downgrade() -> None:
    op.drop_index("ix_ps_runs_retry_of", "ps_runs")
    with op.batch_alter_table("ps_runs") as runs:
        for column in ("notification_error", "log_truncated", "retry_at", "retry_of", "attempt"):
            runs.drop_column(column)
