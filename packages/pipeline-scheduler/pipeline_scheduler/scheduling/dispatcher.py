"""One dispatcher per database: servers sharing a database elect, through it, the one that fires.

Every server registers itself and heartbeats its row. The server holding the ``dispatcher`` lease
renews it every third of ``lease_seconds``; the others read it every second and take it once it
has expired, so a dispatcher that dies (kill -9) is replaced within ``lease_seconds`` plus a
second. Taking the lease runs ``take_over`` (bring stored triggers in line with the jobs,
record what was missed meanwhile, start firing); losing it stops firing at once. A dispatcher that
cannot reach the database stops firing when its lease would have expired.

The same loop notices servers that died: silent for ``dead_after`` seconds, or, on this host, a
pid that is gone. One live server claims each dead one and ``bury`` deals with its runs.
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

from ..execution.orphans import process_alive
from ..storage.coordination import Coordination

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
                 bury: Callable[[Any], None], tick: Callable[[bool], None] | None = None) -> None:
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

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Register, bury the servers that died, try for the lease once (so that a lone server
        dispatches before it serves), then keep going in the background."""
        self._coordination.register(self.server.id, self.server.host, self.server.pid, self._version)
        self.bury_dead()
        self._contend()
        self._read_status()
        self._thread = threading.Thread(target=self._loop, name="pipeline-scheduler-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop firing and hand the lease over at once (a standby takes it on its next poll)."""
        self._stop.set()
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

    # -- state ------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Who dispatches, as ``GET health`` shows it: what the loop last read (at most a heartbeat old,
        refreshed at once when this server takes or loses the lease), never a query."""
        return self._status

    def _read_status(self, rows: Sequence[Any] | None = None) -> None:
        """``rows``: the servers' rows when just read (a heartbeat reads them once for both uses)."""
        servers = {row.id: row for row in (self._coordination.servers() if rows is None else rows)}
        lease = self._coordination.holder(LEASE)
        holder = servers.get(lease.holder) if lease is not None else None
        self._status = {"server_id": self.server.id, "servers": len(servers),
                        "dispatcher": None if lease is None else {
                            "server_id": lease.holder, "host": holder.host if holder else None,
                            "pid": holder.pid if holder else None, "since": lease.acquired_at,
                            "this_server": lease.holder == self.server.id}}

    # -- the loop ---------------------------------------------------------------------------
    def _loop(self) -> None:
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

    def _contend(self) -> None:
        """Renew the lease when due, or take it when it has expired; act on any change."""
        with self._lock:
            if self.dispatching and time.monotonic() - self._renewed_at < self.lease_seconds / 3:
                return
            if not self.dispatching:
                current = self._coordination.holder(LEASE)
                if current is not None and current.holder != self.server.id:
                    return  # a valid lease of another server: nothing to try
            try:
                held = self._coordination.acquire(LEASE, self.server.id, self.lease_seconds)
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
        else:
            log.info("server %s stops dispatching", self.server.id)
            self.dispatching, self.dispatching_since = False, None
            self._step_down()

    def _heartbeat(self) -> None:
        if not self._coordination.heartbeat(self.server.id):  # declared dead while unreachable: come back
            self._coordination.register(self.server.id, self.server.host, self.server.pid, self._version)
        self._read_status(self.bury_dead())

    def bury_dead(self) -> list[Any]:
        """Claim and clean up after every server that died; the rows of the servers alive."""
        now = time.time()
        alive = 0
        rows = list(self._coordination.servers())
        for row in list(rows):
            if row.id == self.server.id:
                continue
            gone_here = row.host == self.server.host and not process_alive(row.pid, row.started_at)
            silent = row.heartbeat_at < now - self.dead_after
            if not (gone_here or silent):
                alive += 1
                continue
            rows.remove(row)  # dead, whichever server claims it
            if self._coordination.claim_dead(row.id, now + 1 if gone_here else now - self.dead_after):
                log.warning("server %s (%s, pid %d) is gone; cleaning up its runs", row.id, row.host, row.pid)
                self._bury(row)
        self.shared = alive > 0
        return rows
