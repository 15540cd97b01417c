"""Servers sharing one database: who is alive, and who holds a lease (the dispatcher).

Both work through the database alone, with conditional updates, so that they behave the same on
SQLite and PostgreSQL and need no other service. On a SQLite file the dispatcher adds an OS lock
(``scheduling/host_lock.py``) and the rows here only say who dispatches.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.engine import Engine, Row

from .tables import LeaseRow, ServerRow, insert_or_ignore

ALIVE_WHILE_ITS_PROCESS_RUNS = float("inf")
"""The heartbeat of a server that never heartbeats: on one host, its pid and start time say whether it lives."""


class Coordination:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- servers ----------------------------------------------------------------------------
    def sqlite_file(self) -> Path | None:
        """The database file when the database is a SQLite file (not in memory)."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or "mode=memory" in str(url):
            return None
        return Path(url.database).resolve()

    def register(self, server_id: str, host: str, pid: int, version: str, heartbeats: bool = True) -> None:
        """``heartbeats=False``: this server's liveness is its process (``ALIVE_WHILE_ITS_PROCESS_RUNS``)."""
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(insert(ServerRow).values(id=server_id, host=host, pid=pid, started_at=now, version=version,
                                                  heartbeat_at=now if heartbeats else ALIVE_WHILE_ITS_PROCESS_RUNS))

    def heartbeat(self, server_id: str) -> bool:
        """Say this server is alive; ``False`` when its row is gone (another server declared it dead)."""
        with self.engine.begin() as conn:
            return conn.execute(update(ServerRow).where(ServerRow.id == server_id)
                                .values(heartbeat_at=time.time())).rowcount > 0

    def unregister(self, server_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(ServerRow).where(ServerRow.id == server_id))

    def servers(self) -> Sequence[Row]:
        with self.engine.connect() as conn:
            return conn.execute(select(ServerRow.__table__).order_by(ServerRow.started_at)).all()

    def claim_dead(self, server_id: str, silent_since: float | None = None) -> bool:
        """Take the clean-up of a server, silent since before ``silent_since`` when given (``None``: its
        process is gone): only one server wins."""
        silent = [] if silent_since is None else [ServerRow.heartbeat_at < silent_since]
        with self.engine.begin() as conn:
            return conn.execute(delete(ServerRow).where(ServerRow.id == server_id, *silent)).rowcount > 0

    # -- leases -----------------------------------------------------------------------------
    def acquire(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew the lease ``name`` for ``seconds``; ``False`` while another holder's is valid."""
        now = time.time()
        with self.engine.begin() as conn:  # one conditional write: no read-then-write race
            taken = conn.execute(update(LeaseRow)
                                 .where(LeaseRow.name == name, (LeaseRow.holder == holder) | (LeaseRow.expires_at < now))
                                 .values(holder=holder, expires_at=now + seconds,
                                         acquired_at=case((LeaseRow.holder == holder, LeaseRow.acquired_at),
                                                          else_=now))).rowcount > 0
        if taken:
            return True
        with self.engine.begin() as conn:  # the first time: the row does not exist yet
            return conn.execute(insert_or_ignore(conn.dialect.name, LeaseRow, ["name"])
                                .values(name=name, holder=holder, acquired_at=now, expires_at=now + seconds)
                                .returning(LeaseRow.name)).first() is not None

    def seize(self, name: str, holder: str, seconds: float, replacing: str) -> bool:
        """Take the lease ``name`` from ``replacing`` (known to be gone), valid or not; ``False`` when
        somebody else took it meanwhile."""
        now = time.time()
        with self.engine.begin() as conn:
            return conn.execute(update(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == replacing)
                                .values(holder=holder, acquired_at=now, expires_at=now + seconds)).rowcount > 0

    def release(self, name: str, holder: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder)
                         .values(holder=None, expires_at=0.0))

    def holder(self, name: str, valid_only: bool = True) -> Row | None:
        """``(holder, acquired_at, expires_at)`` of a lease that is currently held (``valid_only=False``:
        whatever its expiry, for a lease the holder keeps by other means)."""
        valid = [LeaseRow.expires_at >= time.time()] if valid_only else []
        with self.engine.connect() as conn:
            return conn.execute(select(LeaseRow.holder, LeaseRow.acquired_at, LeaseRow.expires_at)
                                .where(LeaseRow.name == name, LeaseRow.holder.is_not(None), *valid)).first()
