"""Each scheduled instant is recorded exactly once, even while the database is busy or failing.

Real servers in their own processes, on a real SQLite file that the tests lock or break from
another connection, as another program on the machine would.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from server_process import ServerProcess


def scheduled_runs(server: ServerProcess, job_id: str) -> list[dict]:
    return [run for run in server.request("GET", f"runs?job_id={job_id}&limit=1000")["runs"]
            if run["triggered_by"] == "schedule"]


def instants(runs: list[dict]) -> list[float]:
    return sorted(datetime.fromisoformat(run["scheduled_for"]).timestamp() for run in runs)


def assert_every_instant_once(runs: list[dict], step: float) -> None:
    """No instant twice, none missing between the first and the last."""
    moments = instants(runs)
    duplicates = [moment for moment, count in Counter(moments).items() if count > 1]
    assert not duplicates, f"instants recorded twice: {duplicates}"
    gaps = [(a, b) for a, b in zip(moments, moments[1:]) if round(b - a, 3) != step]
    assert not gaps, f"instants missing between {gaps}"


def hold_database(database: Path, seconds: float, sql: str = "BEGIN EXCLUSIVE") -> threading.Thread:
    """Another program holds the database for ``seconds`` (a thread of this test, its own connection)."""
    ready = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(database, timeout=60, isolation_level=None)
        connection.execute(sql)
        ready.set()
        time.sleep(seconds)  # the fault itself, not a synchronisation
        connection.execute("COMMIT")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(30)
    return thread


def test_a_busy_database_loses_no_instant(servers, tmp_path: Path) -> None:
    """A writer holds the SQLite file for 8 s: every second's instant still gets its own record."""
    (tmp_path / "tick.py").write_text("print('tick')\n")
    server = servers()
    job = server.request("POST", "jobs", {"pipeline_path": "tick.py", "schedule_type": "interval",
                                          "interval_seconds": 1})
    server.wait_for(lambda: len(scheduled_runs(server, job["id"])) >= 2)

    locked_at = time.time()
    hold_database(tmp_path / ".amphi" / "scheduler.sqlite", 8.0).join()
    released_at = time.time()
    server.wait_for(lambda: instants(scheduled_runs(server, job["id"]))[-1] >= released_at + 2, timeout=30)

    runs = scheduled_runs(server, job["id"])
    assert_every_instant_once(runs, 1.0)
    during = [run for run in runs if locked_at < datetime.fromisoformat(run["scheduled_for"]).timestamp() < released_at]
    assert len(during) >= 7, [(run["scheduled_for"], run["status"]) for run in during]
    assert {run["status"] for run in runs} <= {"success", "skipped", "running", "queued"}
    skipped = [run for run in during if run["status"] == "skipped"]
    assert all("previous run is still active" in run["error"] for run in skipped), skipped


def test_fires_that_cannot_be_recorded_are_fired_again_once(servers, tmp_path: Path) -> None:
    """Inserting runs fails for 3 s (a trigger injected into the database): the job is not advanced,
    and once the database accepts runs again every instant of the outage is recorded, once."""
    (tmp_path / "tick.py").write_text("print('tick')\n")
    server = servers()
    job = server.request("POST", "jobs", {"pipeline_path": "tick.py", "schedule_type": "interval",
                                          "interval_seconds": 1, "overlap_policy": "parallel", "max_parallel": 20})
    server.wait_for(lambda: len(scheduled_runs(server, job["id"])) >= 2)

    database = sqlite3.connect(tmp_path / ".amphi" / "scheduler.sqlite", isolation_level=None, timeout=60)
    database.execute("CREATE TRIGGER injected_fault BEFORE INSERT ON ps_runs "
                     "BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    failing_since = time.time()
    time.sleep(3)  # the outage itself
    database.execute("DROP TRIGGER injected_fault")
    recovered_at = time.time()
    server.wait_for(lambda: instants(scheduled_runs(server, job["id"]))[-1] >= recovered_at + 2, timeout=30)

    runs = scheduled_runs(server, job["id"])
    assert_every_instant_once(runs, 1.0)
    outage = [run for run in runs if failing_since < datetime.fromisoformat(run["scheduled_for"]).timestamp()
              < recovered_at]
    assert len(outage) >= 2
    assert all(run["status"] in ("success", "running", "queued") for run in outage), outage


def test_coalesce_is_a_choice_and_still_records_each_instant(servers, tmp_path: Path) -> None:
    """A coalescing job runs only the latest of the instants that came due together; the others are
    recorded skipped. A job that does not coalesce runs each."""
    (tmp_path / "tick.py").write_text("print('tick')\n")
    server = servers()
    common = {"pipeline_path": "tick.py", "schedule_type": "interval", "interval_seconds": 1,
              "overlap_policy": "parallel", "max_parallel": 20}
    merged = server.request("POST", "jobs", {**common, "name": "merged", "coalesce": True})
    each = server.request("POST", "jobs", {**common, "name": "each"})
    assert merged["coalesce"] is True and each["coalesce"] is False
    server.wait_for(lambda: len(scheduled_runs(server, merged["id"])) >= 2)

    hold_database(tmp_path / ".amphi" / "scheduler.sqlite", 5.0).join()
    released_at = time.time()
    server.wait_for(lambda: all(instants(scheduled_runs(server, job["id"]))[-1] >= released_at + 2
                                for job in (merged, each)), timeout=30)

    for job in (merged, each):
        assert_every_instant_once(scheduled_runs(server, job["id"]), 1.0)
    coalesced = [run for run in scheduled_runs(server, merged["id"]) if run["status"] == "skipped"]
    assert len(coalesced) >= 2 and all("coalesced into the fire due at" in run["error"] for run in coalesced)
    assert not [run for run in scheduled_runs(server, each["id"]) if run["status"] == "skipped"]
