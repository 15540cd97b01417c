"""The schema of amphi-scheduler 0.1.0: jobs, runs and dependencies.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ps_jobs",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("schedule_type", sa.String(16), nullable=False, index=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False, index=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("last_run", sa.Text(), nullable=True),
    )
    op.create_table(
        "ps_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(128), nullable=False),
        sa.Column("job_name", sa.String(200), nullable=False),
        sa.Column("execution_id", sa.String(255), nullable=False, unique=True),
        sa.Column("triggered_by", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("scheduled_for", sa.Float(), nullable=True),
        sa.Column("queued_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("log_path", sa.Text(), nullable=True),
        sa.Column("output_tail", sa.Text(), nullable=True),
    )
    op.create_index("ix_ps_runs_job_id_id", "ps_runs", ["job_id", "id"])
    op.create_index("ix_ps_runs_status_id", "ps_runs", ["status", "id"])
    op.create_table(
        "ps_dependencies",
        sa.Column("upstream_id", sa.String(128), primary_key=True, index=True),
        sa.Column("downstream_id", sa.String(128), sa.ForeignKey("ps_jobs.id", ondelete="CASCADE"),
                  primary_key=True, index=True),
        sa.Column("on", sa.String(16), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("ps_dependencies")
    op.drop_table("ps_runs")
    op.drop_table("ps_jobs")
