"""Events across servers on one PostgreSQL database, with ``LISTEN``/``NOTIFY``.

Each server sends what happens on it (a run recorded, started or finished; a job saved or deleted)
to the channel ``ps_events`` as a small note (the ids only: ``NOTIFY`` carries at most 8 kB), in
batches from a thread of its own. Every other server listens on a connection of its own, reads the
run again from the database and publishes it locally, marked ``remote``: browsers on any server
see every run live, caches drop what another server changed, and the listeners that act on events
(dependent jobs, notifications) leave remote ones to the server where they happened.

SQLite has no such channel: there, servers sharing a file bypass their caches instead (see
:mod:`..service`), and a browser sees live only the runs of the server it is connected to.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..batches import batch_after
from ..events import EventBus

log = logging.getLogger(__name__)

CHANNEL = "ps_events"
BATCH = 200


class Broadcast:
    def __init__(self, engine: Engine, events: EventBus, server_id: str,
                 read_run: Callable[[int], dict[str, Any] | None]) -> None:
        self._engine = engine
        self._events = events
        self._server_id = server_id
        self._read_run = read_run
        self._outbox: queue.SimpleQueue[dict | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unsubscribe: Callable[[], None] | None = None

    @staticmethod
    def available(engine: Engine) -> bool:
        return engine.dialect.name == "postgresql"

    def start(self) -> None:
        self._unsubscribe = self._events.subscribe(self._local)
        self._threads = [threading.Thread(target=self._send_loop, name="pipeline-scheduler-notify-out", daemon=True),
                         threading.Thread(target=self._listen_loop, name="pipeline-scheduler-notify-in", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stop.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(5)

    # -- out --------------------------------------------------------------------------------
    def _local(self, event: dict[str, Any]) -> None:
        if event.get("origin") == "remote":
            return
        if event.get("type") == "run" and event["run"].get("id"):
            self._outbox.put({"s": self._server_id, "t": "run", "id": event["run"]["id"]})
        elif event.get("type") == "job":
            self._outbox.put({"s": self._server_id, "t": "job", "id": event["id"], "a": event["action"]})

    def _send_loop(self) -> None:
        while True:
            note = self._outbox.get()
            if note is None:
                return
            batch = batch_after(note, self._outbox, BATCH)
            try:
                with self._engine.begin() as connection:
                    for item in batch:
                        connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                                           {"channel": CHANNEL, "payload": json.dumps(item)})
            except Exception:
                log.exception("could not tell the other servers of %d event(s)", len(batch))

    # -- in ---------------------------------------------------------------------------------
    def _listen_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:
                log.exception("listening to the other servers failed; listening again in 2 s")
                self._stop.wait(2)

    def _listen(self) -> None:
        raw = self._engine.raw_connection()
        try:
            connection = raw.driver_connection  # psycopg 3
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=1.0):
                    self._remote(json.loads(notice.payload))
        finally:
            raw.close()

    def _remote(self, note: dict[str, Any]) -> None:
        if note.get("s") == self._server_id:
            return
        if note["t"] == "run":
            run = self._read_run(note["id"])
            if run is not None:
                self._events.publish({"type": "run", "run": run, "origin": "remote"})
        elif note["t"] == "job":
            self._events.publish({"type": "job", "id": note["id"], "action": note["a"], "origin": "remote"})
