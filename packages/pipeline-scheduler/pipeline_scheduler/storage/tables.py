"""The schema of our tables, and the engine that reads them.

Our tables (jobs, runs, dependencies, servers, leases) live beside APScheduler's own
``apscheduler_jobs`` in one database. The schema changes only through the versioned migrations of
:mod:`.schema`; these tables describe its current shape for queries.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text, column,
                        create_engine, event, table)
from sqlalchemy.engine import Engine

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


class TableColumns:
    """A table whose columns read as attributes (``JobRow.id``), as the queries are written, on
    SQLAlchemy Core alone: its ORM (6 MB of a server's memory) is never imported."""

    def __init__(self, table: Table) -> None:
        self.__table__ = table

    def __getattr__(self, name: str) -> Column:
        try:
            return self.__table__.c[name]
        except KeyError:
            raise AttributeError(name) from None

    def __clause_element__(self) -> Table:
        return self.__table__


metadata = MetaData()

# A job as the user defined it, plus the pre-rendered JSON document the API serves.
JobRow = TableColumns(Table(
    "ps_jobs", metadata,
    Column("id", String(128), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False, index=True),
    Column("schedule_type", String(16), nullable=False, index=True),
    Column("spec", JSON, nullable=False),  # a dict, or UnreadableJSON when the stored text is corrupt
    Column("document", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False, index=True),
    Column("updated_at", Float, nullable=False),
    Column("last_run", Text),
    Column("broken", Text),  # why the job cannot be scheduled
))

# One execution of a job, whatever started it.
RunRow = TableColumns(Table(
    "ps_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(128), nullable=False),
    Column("job_name", String(200), nullable=False),
    Column("execution_id", String(255), nullable=False, unique=True),
    Column("triggered_by", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("scheduled_for", Float),
    Column("queued_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("exit_code", Integer),
    Column("pid", Integer),
    Column("log_path", Text),
    Column("output_tail", Text),
    # What the run is for, unique per job: a scheduled instant ("at:<epoch>") or the upstream runs
    # that completed a dependency ("after:<run ids>"). Runs asked for by hand have none.
    Column("fire_key", String(255)),
    Column("server_id", String(64)),  # the server that runs it
    Column("process_started_at", Float),  # with pid: which process
    Column("attempt", Integer),  # 1-based; none means 1
    Column("retry_of", Integer, index=True),  # the first attempt's id
    Column("retry_at", Float),  # when its next attempt is due
    Column("log_truncated", Integer),  # bytes dropped from the log
    Column("notification_error", Text),
    Column("warning", Text),  # what the run started with, e.g. stale code
    Index("ix_ps_runs_job_id_id", "job_id", "id"),
    Index("ix_ps_runs_status_id", "status", "id"),
    Index("ux_ps_runs_job_id_fire_key", "job_id", "fire_key", unique=True),
))

# Edge of the dependency graph: ``downstream`` runs when ``upstream`` finishes with ``on``.
DependencyRow = TableColumns(Table(
    "ps_dependencies", metadata,
    Column("upstream_id", String(128), primary_key=True, index=True),
    Column("downstream_id", String(128), ForeignKey("ps_jobs.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("on", String(16), primary_key=True),
))

# A server using this database: alive while it keeps ``heartbeat_at`` recent (PostgreSQL), or while its
# process (pid and start time on its host) lives (SQLite, where ``heartbeat_at`` is +inf).
ServerRow = TableColumns(Table(
    "ps_servers", metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
    Column("version", String(32), nullable=False),
))

# A role one server at a time holds (the dispatcher), until ``expires_at`` unless renewed.
LeaseRow = TableColumns(Table(
    "ps_leases", metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64)),
    Column("acquired_at", Float),
    Column("expires_at", Float, nullable=False, default=0.0),
))


RUN_COLUMNS = tuple(RunRow.__table__.columns)


def insert_or_ignore(dialect: str, model: TableColumns, keys: list[str]) -> Any:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` for the database in use (its dialect imported only
    then: PostgreSQL's weighs 2 MB that a SQLite server never needs)."""
    dialect_module = import_module(f"sqlalchemy.dialects.{'postgresql' if dialect == 'postgresql' else 'sqlite'}")
    return dialect_module.insert(model).on_conflict_do_nothing(index_elements=keys)


# Page cache of each SQLite connection. SQLite's default (2 MB) fills up in every pooled connection once a
# few thousand jobs are read: 3-4 MB more RSS at 10,000 jobs than this, where the pages come back from the
# OS's file cache in microseconds (the tree's upper levels stay cached).
SQLITE_CACHE_KIB = 256


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
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()
