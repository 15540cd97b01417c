"""Firing you can trust: one run per scheduled instant, servers and the dispatcher lease, broken jobs.

0.1.0 stored ``coalesce: true`` on every job whatever the client sent; coalescing is now a choice,
so stored jobs stop coalescing.

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ps_runs") as runs:
        runs.add_column(sa.Column("fire_key", sa.String(255), nullable=True))
        runs.add_column(sa.Column("server_id", sa.String(64), nullable=True))
        runs.add_column(sa.Column("process_started_at", sa.Float(), nullable=True))
    op.create_index("ux_ps_runs_job_id_fire_key", "ps_runs", ["job_id", "fire_key"], unique=True)
    with op.batch_alter_table("ps_jobs") as jobs:
        jobs.add_column(sa.Column("broken", sa.Text(), nullable=True))
    jobs_table = sa.table("ps_jobs", sa.column("id", sa.String), sa.column("spec", sa.Text))
    connection = op.get_bind()
    for job_id, text in connection.execute(sa.select(jobs_table.c.id, jobs_table.c.spec)).all():
        try:
            spec = json.loads(text)
        except (TypeError, ValueError):
            continue  # unreadable: the job shows as broken
        if isinstance(spec, dict) and spec.get("coalesce"):
            spec["coalesce"] = False
            connection.execute(jobs_table.update().where(jobs_table.c.id == job_id).values(spec=json.dumps(spec)))
    op.create_table(
        "ps_servers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
    )
    op.create_table(
        "ps_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("acquired_at", sa.Float(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ps_leases")
    op.drop_table("ps_servers")
    with op.batch_alter_table("ps_jobs") as jobs:
        jobs.drop_column("broken")
    op.drop_index("ux_ps_runs_job_id_fire_key", "ps_runs")
    with op.batch_alter_table("ps_runs") as runs:
        runs.drop_column("process_started_at")
        runs.drop_column("server_id")
        runs.drop_column("fire_key")
