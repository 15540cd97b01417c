"""Bring a database to the current schema with Alembic's versioned migrations.

A database made before migrations existed (amphi-scheduler 0.1.0 created its tables directly) is
recognised by its tables and stamped with the first revision, which is that schema. Servers
starting together on one database take turns: a file lock beside a SQLite file, an advisory lock
on PostgreSQL.

Alembic (with Mako and Pygments) costs the server about 10 MB that it would keep for its whole life
for a few milliseconds of work, so a database that is behind is upgraded by a short-lived child
process (``python -m pipeline_scheduler.storage.schema``), and one already at the newest revision
(every start but the first) costs one query.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
URL_VARIABLE = "PIPELINE_SCHEDULER_MIGRATE_URL"  # the child's database (in the environment: it may hold a password)
VERSION_TABLE = "ps_schema_version"
RELEASED_SCHEMA = "0001"  # what amphi-scheduler 0.1.0 created without migrations
ADVISORY_LOCK_ID = 0x616D706869  # "amphi"


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest revision (creating our tables in an empty one)."""
    if current_revision(engine) == newest_revision():
        return
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        upgrade(engine)  # another process could not see this database
        return
    url = engine.url.render_as_string(hide_password=False)
    child = subprocess.run([sys.executable, "-m", __name__], env={**os.environ, URL_VARIABLE: url},
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"upgrading the database schema failed:\n{child.stderr[-4000:]}")


def newest_revision() -> str:
    """The head revision: migration files are named after their revision (``0004_….py``), one chain."""
    return max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def upgrade(engine: Engine) -> None:
    """Alembic's upgrade to head, serialised between servers starting together."""
    from alembic import command
    from alembic.config import Config

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


if __name__ == "__main__":
    from .tables import make_engine

    upgrade(make_engine(os.environ[URL_VARIABLE]))
