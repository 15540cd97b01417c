"""The schema of our tables, and the engine that reads them.

Our tables (jobs, runs, dependencies, servers, leases) live beside APScheduler's own
``apscheduler_jobs`` in one database. The schema changes only through the versioned migrations of
:mod:`.schema`; these classes describe its current shape for queries.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, column, create_engine, event, table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

APSCHEDULER_TABLE = "apscheduler_jobs"
ACTIVE_STATUSES = ("queued", "running")
FINISHED_STATUSES = ("success", "failure", "timed_out", "cancelled", "interrupted", "skipped")

apscheduler_jobs = table(APSCHEDULER_TABLE, column("id"), column("next_run_time"), column("job_state"))


class UnreadableJSON(str):
    """A stored JSON value that does not parse, kept as its text so that its row still loads."""


def write_json(value: Any) -> str:
    """``json.dumps`` that refuses NaN and infinities: what is stored is always valid JSON."""
    return json.dumps(value, allow_nan=False)


def read_json(text: str) -> Any:
    """``json.loads`` that never fails a whole query because of one corrupt row."""
    try:
        return json.loads(text)
    except ValueError:
        return UnreadableJSON(text)


class Base(DeclarativeBase):
    pass


class JobRow(Base):
    """A job as the user defined it, plus the pre-rendered JSON document the API serves."""

    __tablename__ = "ps_jobs"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    schedule_type: Mapped[str] = mapped_column(String(16), index=True)
    spec: Mapped[Any] = mapped_column(JSON)  # a dict, or UnreadableJSON when the stored text is corrupt
    document: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float)
    last_run: Mapped[str | None] = mapped_column(Text, default=None)
    broken: Mapped[str | None] = mapped_column(Text, default=None)  # why the job cannot be scheduled


class RunRow(Base):
    """One execution of a job, whatever started it."""

    __tablename__ = "ps_runs"
    __table_args__ = (Index("ix_ps_runs_job_id_id", "job_id", "id"), Index("ix_ps_runs_status_id", "status", "id"),
                      Index("ux_ps_runs_job_id_fire_key", "job_id", "fire_key", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(128))
    job_name: Mapped[str] = mapped_column(String(200))
    execution_id: Mapped[str] = mapped_column(String(255), unique=True)
    triggered_by: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    scheduled_for: Mapped[float | None] = mapped_column(Float, default=None)
    queued_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, default=None)
    finished_at: Mapped[float | None] = mapped_column(Float, default=None)
    exit_code: Mapped[int | None] = mapped_column(Integer, default=None)
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    log_path: Mapped[str | None] = mapped_column(Text, default=None)
    output_tail: Mapped[str | None] = mapped_column(Text, default=None)
    # What the run is for, unique per job: a scheduled instant ("at:<epoch>") or the upstream runs
    # that completed a dependency ("after:<run ids>"). Runs asked for by hand have none.
    fire_key: Mapped[str | None] = mapped_column(String(255), default=None)
    server_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the server that runs it
    process_started_at: Mapped[float | None] = mapped_column(Float, default=None)  # with pid: which process
    attempt: Mapped[int | None] = mapped_column(Integer, default=None)  # 1-based; none means 1
    retry_of: Mapped[int | None] = mapped_column(Integer, default=None, index=True)  # the first attempt's id
    retry_at: Mapped[float | None] = mapped_column(Float, default=None)  # when its next attempt is due
    log_truncated: Mapped[int | None] = mapped_column(Integer, default=None)  # bytes dropped from the log
    notification_error: Mapped[str | None] = mapped_column(Text, default=None)
    warning: Mapped[str | None] = mapped_column(Text, default=None)  # what the run started with, e.g. stale code


class DependencyRow(Base):
    """Edge of the dependency graph: ``downstream`` runs when ``upstream`` finishes with ``on``."""

    __tablename__ = "ps_dependencies"

    upstream_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    downstream_id: Mapped[str] = mapped_column(String(128), ForeignKey("ps_jobs.id", ondelete="CASCADE"),
                                               primary_key=True, index=True)
    on: Mapped[str] = mapped_column(String(16), primary_key=True)


class ServerRow(Base):
    """A server using this database, alive while it keeps ``heartbeat_at`` recent."""

    __tablename__ = "ps_servers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[float] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)
    version: Mapped[str] = mapped_column(String(32))


class LeaseRow(Base):
    """A role one server at a time holds (the dispatcher), until ``expires_at`` unless renewed."""

    __tablename__ = "ps_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64), default=None)
    acquired_at: Mapped[float | None] = mapped_column(Float, default=None)
    expires_at: Mapped[float] = mapped_column(Float, default=0.0)


RUN_COLUMNS = tuple(RunRow.__table__.columns)


def insert_or_ignore(dialect: str, model: type[Base], keys: list[str]) -> Any:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` for the database in use (its dialect imported only
    then: PostgreSQL's weighs 2 MB that a SQLite server never needs)."""
    dialect_module = import_module(f"sqlalchemy.dialects.{'postgresql' if dialect == 'postgresql' else 'sqlite'}")
    return dialect_module.insert(model).on_conflict_do_nothing(index_elements=keys)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and cross-thread use."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               json_serializer=write_json, json_deserializer=read_json)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=write_json, json_deserializer=read_json)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
