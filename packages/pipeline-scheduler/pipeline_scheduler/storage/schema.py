"""Bring a database to the current schema with Alembic's versioned migrations.

A database made before migrations existed (amphi-scheduler 0.1.0 created its tables directly) is
recognised by its tables and stamped with the first revision, which is that schema. Servers
starting together on one database take turns: a file lock beside a SQLite file, an advisory lock
on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "ps_schema_version"
RELEASED_SCHEMA = "0001"  # what amphi-scheduler 0.1.0 created without migrations
ADVISORY_LOCK_ID = 0x616D706869  # "amphi"


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest revision (creating our tables in an empty one)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _file_lock(engine), engine.begin() as connection:
        _advisory_lock(connection)
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "ps_jobs" in tables and VERSION_TABLE not in tables:
            command.stamp(config, RELEASED_SCHEMA)
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if VERSION_TABLE not in inspect(connection).get_table_names():
            return None
        return connection.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))


@contextlib.contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _advisory_lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})
