"""The writes on every run's path, sent to SQLite through its driver rather than SQLAlchemy's engine.

A run is written three times (recorded, running, ended). SQLAlchemy Core spends 70-150 µs on each
such transaction where the ``sqlite3`` driver alone takes 30 µs, and in a busy server that Python
time is held under the GIL that the request, the fork server's reader and the run's worker wait
for: each write then took 0.3-0.6 ms on the path of every run-now. The statements stay
SQLAlchemy's own, compiled once for the engine's dialect; the connection is the engine's pooled
one, so pragmas, timeouts and locking behave the same. Other databases keep SQLAlchemy's path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.sql import Executable

Step = tuple[Executable, Mapping[str, Any]]  # a statement and its parameters


class SqliteWrites:
    """Run SQLAlchemy statements through the ``sqlite3`` driver, each group in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._compiled: dict[tuple[int, tuple[str, ...]], tuple[str, tuple[str, ...], Executable]] = {}

    @staticmethod
    def serves(engine: Engine) -> bool:
        return engine.dialect.name == "sqlite"

    def transaction(self, steps: Sequence[Step]) -> list[Any]:
        """Execute ``steps`` in one transaction; for each, the first column of its first row (``RETURNING``)
        or ``None``."""
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            firsts = []
            for statement, parameters in steps:
                sql, names = self._sql(statement, parameters)
                cursor.execute(sql, [parameters[name] for name in names])
                row = cursor.fetchone() if cursor.description else None
                firsts.append(row[0] if row else None)
            connection.commit()
            return firsts
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()  # back to the engine's pool

    def _sql(self, statement: Executable, parameters: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
        """The statement's SQL for these parameter names and the order its ``?`` take them in."""
        key = (id(statement), tuple(sorted(parameters)))
        known = self._compiled.get(key)
        if known is None:
            compiled = statement.compile(dialect=self._engine.dialect, column_keys=list(key[1]))
            known = (str(compiled), tuple(compiled.positiontup or ()), statement)  # holds the statement: ids stay unique
            self._compiled[key] = known
        return known[0], known[1]
