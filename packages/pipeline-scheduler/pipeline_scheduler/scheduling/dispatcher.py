"""One dispatcher per database: servers sharing a database elect, through it, the one that fires.

On PostgreSQL (servers on several hosts) every server registers itself and heartbeats its row.
The server holding the ``dispatcher`` lease renews it every third of ``lease_seconds``; the others
read it every second and take it once it has expired, so a dispatcher that dies (kill -9) is
replaced within ``lease_seconds`` plus a second. A dispatcher that cannot reach the database stops
firing when its lease would have expired.

On a SQLite file (one host) the lease is an OS lock next to the database (``host_lock.py``): held
for as long as the process lives, released by the kernel when it dies, so a lone idle server
writes nothing, reads nothing and does not even wake up. It wakes when the database is written
(``directory_watch.py``: a server registering, or leaving) and then reads who shares it; a standby
tries the lock every second (a system call), and while servers share the database each checks the
others' pids every second. The lease row is still written on take-over, so that ``GET health``
says who dispatches; it is renewed (and the lock holder waits for it) only while a server of
another version, which knows nothing of the lock, shares the database.

Taking the lease runs ``take_over`` (bring stored triggers in line with the jobs, record what was
missed meanwhile, start firing); losing it stops firing at once. The same loop notices servers that
died: a pid that is gone on this host, or silent for ``dead_after`` seconds. One live server claims
each dead one and ``bury`` deals with its runs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..directory_watch import DirectoryWatch
from ..execution.orphans import process_alive
from ..storage.coordination import Coordination
from .host_lock import HostLock

log = logging.getLogger(__name__)

LEASE = "dispatcher"
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class ServerIdentity:
    """This server, as other servers on the database see it."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


class Dispatcher:
    def __init__(self, coordination: Coordination, server: ServerIdentity, version: str, lease_seconds: float,
                 take_over: Callable[[], None], step_down: Callable[[], None],
                 bury: Callable[[Any], None], tick: Callable[[bool], None] | None = None,
                 host_lock: bool = True) -> None:
        """``host_lock=False``: the database lease even on a SQLite file (as servers before the lock did)."""
        self._coordination = coordination
        self.server = server
        self._version = version
        self.lease_seconds = lease_seconds
        self.dead_after = 3 * lease_seconds
        self._take_over, self._step_down, self._bury = take_over, step_down, bury
        self._tick = tick or (lambda shared: None)
        self.dispatching = False
        self.dispatching_since: float | None = None
        self.shared = False  # other live servers use this database
        self._renewed_at = 0.0
        self._status: dict[str, Any] = {"server_id": server.id, "servers": 0, "dispatcher": None}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        database = coordination.sqlite_file() if host_lock else None
        self._host_lock = HostLock(database.with_name(database.name + ".dispatcher.lock")) if database else None
        self._watch = DirectoryWatch(database.parent, {database.name, f"{database.name}-wal",
                                                       f"{database.name}-journal"}) if database else None
        self._others: list[Any] = []  # the other live servers, as last read
        self._older_servers = False  # a live server of another version shares the database

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Register, bury the servers that died, try for the lease once (so that a lone server
        dispatches before it serves), then keep going in the background."""
        self._coordination.register(self.server.id, self.server.host, self.server.pid, self._version,
                                    heartbeats=self._host_lock is None)
        self.bury_dead()
        self._contend()
        self._read_status()
        self._thread = threading.Thread(target=self._loop, name="pipeline-scheduler-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop firing and hand the lease over at once (a standby takes it on its next poll)."""
        self._stop.set()
        self.nudge()
        if self._thread is not None:
            self._thread.join(10)
        with self._lock:
            if self.dispatching:
                self._set(False)
        try:
            self._coordination.release(LEASE, self.server.id)
            self._coordination.unregister(self.server.id)
        except Exception:
            log.exception("could not release the dispatcher lease")
        if self._host_lock is not None:
            self._host_lock.release()
            self._watch.close()

    def nudge(self) -> None:
        """Run the loop's tick now (something changed in this server); the database lease loop ticks
        every second anyway."""
        if self._watch is not None:
            self._watch.nudge()

    # -- state ------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Who dispatches, as ``GET health`` shows it: what the loop last read (refreshed when servers
        come or go, and at once when this server takes or loses the lease), never a query."""
        return self._status

    def _read_status(self, rows: Sequence[Any] | None = None) -> None:
        """``rows``: the servers' rows when just read (a survey reads them once for both uses)."""
        servers = {row.id: row for row in (self._coordination.servers() if rows is None else rows)}
        lease = self._coordination.holder(LEASE, valid_only=self._host_lock is None)
        holder = servers.get(lease.holder) if lease is not None else None
        if self._host_lock is not None and holder is None:
            lease = None  # the lock of a server that is gone holds nothing
        self._status = {"server_id": self.server.id, "servers": len(servers),
                        "dispatcher": None if lease is None else {
                            "server_id": lease.holder, "host": holder.host if holder else None,
                            "pid": holder.pid if holder else None, "since": lease.acquired_at,
                            "this_server": lease.holder == self.server.id}}

    # -- the loop ---------------------------------------------------------------------------
    def _loop(self) -> None:
        if self._host_lock is not None:
            self._host_loop()
            return
        last_beat = time.monotonic()
        while not self._stop.wait(POLL_SECONDS):
            try:
                self._contend()
                if time.monotonic() - last_beat >= self.lease_seconds / 3:
                    last_beat = time.monotonic()
                    self._heartbeat()
                self._tick(self.shared)
            except Exception:
                log.exception("the dispatcher loop failed; trying again")

    def _host_loop(self) -> None:
        """Sleeps until the database is written or nudged, unless there is something to poll: the lock
        (a standby), the other servers' pids (shared), the lease (an older server shares the database).
        While the database is busy, one survey a second at most."""
        failed, pending, surveyed_at = False, False, 0.0
        while not self._stop.is_set():
            if pending:
                self._stop.wait(max(0.0, surveyed_at + POLL_SECONDS - time.monotonic()))
            else:
                polling = failed or not self.dispatching or self.shared or self._older_servers
                pending = self._watch.wait(POLL_SECONDS if polling else None)
            if self._stop.is_set():
                return
            try:
                if pending and time.monotonic() - surveyed_at < POLL_SECONDS:
                    continue  # surveyed a moment ago: again once the second is over
                if pending or failed or self._one_gone():
                    self._survey()
                    surveyed_at, pending = time.monotonic(), False
                self._contend()
                self._tick(self.shared)
                failed = False
            except Exception:
                log.exception("the dispatcher loop failed; trying again")
                failed = True

    def _contend(self) -> None:
        """Renew the lease when due, or take it when it is free; act on any change."""
        with self._lock:
            renewing = self._host_lock is None or self._older_servers
            if self.dispatching and (not renewing or time.monotonic() - self._renewed_at < self.lease_seconds / 3):
                return
            if self._host_lock is not None and not self._host_lock.try_acquire():
                return  # another server of this version dispatches
            if not self.dispatching and self._host_lock is None:
                current = self._coordination.holder(LEASE)
                if current is not None and current.holder != self.server.id:
                    return  # a valid lease of another server: nothing to try
            try:
                held = self._take_lease()
            except Exception:
                log.exception("could not renew the dispatcher lease")
                if self.dispatching and time.monotonic() - self._renewed_at > self.lease_seconds:
                    log.warning("stopping dispatch: the lease has expired without renewal")
                    self._set(False)
                return
            if held:
                self._renewed_at = time.monotonic()
            if held != self.dispatching:
                self._set(held)
                self._read_status()

    def _take_lease(self) -> bool:
        """The database lease; with the host lock, also from a server of this version that let go
        of the lock (stopped or died), whose lease row may not have expired yet."""
        if self._coordination.acquire(LEASE, self.server.id, self.lease_seconds):
            return True
        if self._host_lock is None:
            return False
        current = self._coordination.holder(LEASE)
        if current is None:
            return False  # released meanwhile: the next poll takes it
        owner = next((row for row in self._coordination.servers() if row.id == current.holder), None)
        if owner is not None and owner.version != self._version:
            return False  # a server that knows nothing of the lock dispatches: wait for its lease
        return self._coordination.seize(LEASE, self.server.id, self.lease_seconds, replacing=current.holder)

    def _set(self, dispatching: bool) -> None:
        if dispatching:
            log.info("server %s (%s, pid %d) is the dispatcher", self.server.id, self.server.host, self.server.pid)
            self.dispatching, self.dispatching_since = True, time.time()
            try:
                self._take_over()
            except Exception:
                log.exception("taking over as dispatcher failed; giving the lease back")
                self.dispatching, self.dispatching_since = False, None
                self._step_down()
                self._coordination.release(LEASE, self.server.id)
                if self._host_lock is not None:
                    self._host_lock.release()
        else:
            log.info("server %s stops dispatching", self.server.id)
            self.dispatching, self.dispatching_since = False, None
            self._step_down()

    def _heartbeat(self) -> None:
        if not self._coordination.heartbeat(self.server.id):  # declared dead while unreachable: come back
            self._coordination.register(self.server.id, self.server.host, self.server.pid, self._version)
        self._read_status(self.bury_dead())

    def _survey(self) -> None:
        """With the host lock, instead of heartbeats: read who shares the database (servers came or
        went), bury the dead, and come back if this server was declared dead."""
        rows = self.bury_dead()
        if self._host_lock is not None and not any(row.id == self.server.id for row in rows):
            self._coordination.register(self.server.id, self.server.host, self.server.pid, self._version,
                                        heartbeats=False)
            rows = self._coordination.servers()
        self._read_status(rows)

    def _one_gone(self) -> bool:
        """Whether a server known alive has died since the last survey: its pid on this host (a few
        system calls, no database), its silence elsewhere."""
        now = time.time()
        return any(not process_alive(row.pid, row.started_at) if row.host == self.server.host
                   else row.heartbeat_at < now - self.dead_after for row in self._others)

    def bury_dead(self) -> list[Any]:
        """Claim and clean up after every server that died; the rows of the servers alive."""
        now = time.time()
        rows = list(self._coordination.servers())
        others = []
        for row in list(rows):
            if row.id == self.server.id:
                continue
            gone_here = row.host == self.server.host and not process_alive(row.pid, row.started_at)
            silent = row.heartbeat_at < now - self.dead_after
            if not (gone_here or silent):
                others.append(row)
                continue
            rows.remove(row)  # dead, whichever server claims it
            if self._coordination.claim_dead(row.id, None if gone_here else now - self.dead_after):
                log.warning("server %s (%s, pid %d) is gone; cleaning up its runs", row.id, row.host, row.pid)
                self._bury(row)
        self._others = others
        self.shared = bool(others)
        self._older_servers = any(row.version != self._version for row in others)
        return rows
