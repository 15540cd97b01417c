"""An idle server on a SQLite file does nothing: no database write, no lease renewal, no heartbeat.

The dispatcher lease on SQLite is an OS lock beside the database (``scheduling/host_lock.py``):
a standby never fires while another process holds it, and takes over as soon as the holder dies
(kill -9), without waiting for any lease to expire. Real servers in their own processes, a real
SQLite file read from another connection, a lock taken by this test as another server would.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from pathlib import Path

from pipeline_scheduler.scheduling.dispatcher import Dispatcher, ServerIdentity
from pipeline_scheduler.storage.coordination import Coordination
from pipeline_scheduler.storage.store import Store
from pipeline_scheduler.storage.tables import make_engine
from server_process import ServerProcess
from sqlalchemy.engine import Engine


def database_of(root: Path) -> Path:
    return root / ".amphi" / "scheduler.sqlite"


def files_signature(database: Path) -> list[tuple[int, int] | None]:
    """Size and modification time of the database and its write-ahead log."""
    found = []
    for path in (database, database.with_name(database.name + "-wal")):
        found.append((path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None)
    return found


def scheduled_runs(server: ServerProcess, job_id: str) -> list[dict]:
    return [run for run in server.request("GET", f"runs?job_id={job_id}&limit=1000")["runs"]
            if run["triggered_by"] == "schedule"]


def test_an_idle_server_writes_nothing_to_its_database(servers, tmp_path: Path) -> None:
    """With a short lease (the database lease would renew every second), a server with jobs that are
    not due commits nothing over 6 s: SQLite's data_version, seen from another connection, and the
    files' sizes and times stay the same. It still says it dispatches."""
    (tmp_path / "tick.py").write_text("print('tick')\n")
    server = servers(lease_seconds=3)
    for index in range(20):
        server.request("POST", "jobs", {"name": f"idle {index}", "pipeline_path": "tick.py",
                                        "schedule_type": "interval", "interval_seconds": 86400})
    time.sleep(2)  # past the writes of the creations (and the first health counts)
    watcher = sqlite3.connect(database_of(tmp_path), isolation_level=None)
    version = watcher.execute("PRAGMA data_version").fetchone()[0]
    before = files_signature(database_of(tmp_path))

    time.sleep(6)  # the idle window: two lease lengths

    assert watcher.execute("PRAGMA data_version").fetchone()[0] == version, "the idle server wrote to the database"
    assert files_signature(database_of(tmp_path)) == before
    health = server.request("GET", "health")
    assert health["dispatching"] is True and health["dispatcher"]["this_server"] is True and health["jobs"] == 20
    watcher.close()


def test_a_standby_never_fires_while_the_lock_is_held_and_takes_over_once_it_is_free(servers, tmp_path: Path) -> None:
    """This test holds the dispatcher's lock as another server would: the server stays a standby and
    records no fire; once the lock is free it takes over and fires, recording the missed instants."""
    (tmp_path / "tick.py").write_text("print('tick')\n")
    database_of(tmp_path).parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(database_of(tmp_path).with_name("scheduler.sqlite.dispatcher.lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        server = servers()
        job = server.request("POST", "jobs", {"pipeline_path": "tick.py", "schedule_type": "interval",
                                              "interval_seconds": 1})
        time.sleep(4)  # four instants come due while another process holds the lock
        assert scheduled_runs(server, job["id"]) == []
        health = server.request("GET", "health")
        assert health["dispatching"] is False and health["dispatcher"] is None
    finally:
        os.close(lock)
    server.wait_for(lambda: any(run["status"] == "success" for run in scheduled_runs(server, job["id"])), timeout=20)
    assert server.request("GET", "health")["dispatcher"]["this_server"] is True
    skipped = [run["error"] for run in scheduled_runs(server, job["id"]) if run["status"] == "skipped"]
    assert any("missed while no server was dispatching" in error for error in skipped), skipped


def test_a_killed_dispatcher_is_replaced_without_waiting_for_its_lease(servers, tmp_path: Path) -> None:
    """kill -9 releases the lock at once: with a 60-s lease, the standby still takes over in seconds,
    and the dead server is buried (one server left)."""
    first = servers(lease_seconds=60)
    second = servers(lease_seconds=60)
    second.wait_for(lambda: second.request("GET", "health")["servers"] == 2)
    assert first.request("GET", "health")["dispatching"] and not second.request("GET", "health")["dispatching"]

    first.crash()

    # health tells the lease loop's last view (at most a second old): wait until it shows the take-over whole
    health = second.wait_for(lambda: (found := second.request("GET", "health"))["dispatching"]
                             and found["dispatcher"] is not None and found, timeout=20)
    assert health["dispatcher"]["this_server"] is True and health["servers"] == 1


def lease_dispatcher(engine: Engine, version: str, *, host_lock: bool) -> Dispatcher:
    return Dispatcher(Coordination(engine), ServerIdentity(), version, lease_seconds=3.0, take_over=lambda: None,
                      step_down=lambda: None, bury=lambda row: None, host_lock=host_lock)


def dispatching_samples(dispatchers: list[Dispatcher], seconds: float) -> list[list[bool]]:
    """Who dispatches, ten times a second for ``seconds``."""
    samples = []
    for _ in range(int(seconds * 10)):
        samples.append([dispatcher.dispatching for dispatcher in dispatchers])
        time.sleep(0.1)
    return samples


def test_a_server_before_the_lock_and_one_with_it_never_dispatch_together(tmp_path: Path) -> None:
    """A rolling upgrade: a server of an older version (the database lease only) dispatches; a new one
    starting next to it takes the lock but waits for the lease, which the old one keeps renewing;
    the old one stops and the new one takes over. Then an old one joins the new dispatcher: the new
    one renews the lease again, and one of them dispatches, the same one throughout."""
    engine = make_engine(f"sqlite:///{tmp_path / 'scheduler.sqlite'}")
    Store(engine)
    old = lease_dispatcher(engine, "old", host_lock=False)
    old.start()
    new = lease_dispatcher(engine, "new", host_lock=True)
    new.start()
    try:
        assert old.dispatching
        assert dispatching_samples([old, new], 7) == [[True, False]] * 70  # two lease lengths
        old.stop()
        deadline = time.monotonic() + 10
        while not new.dispatching and time.monotonic() < deadline:
            time.sleep(0.1)
        assert new.dispatching

        time.sleep(4)  # the lease row has expired: the new server renews nothing while alone
        joining = lease_dispatcher(engine, "old", host_lock=False)
        joining.start()
        time.sleep(2)  # the new one notices the old one (a database write) within a second
        samples = dispatching_samples([joining, new], 7)
        assert samples.count(samples[0]) == len(samples) and samples[0].count(True) == 1, samples
        joining.stop()
    finally:
        new.stop()
        old.stop()
        engine.dispose()
