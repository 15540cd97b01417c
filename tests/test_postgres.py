"""The PostgreSQL store: the same migrations, one record per instant and one dispatcher, with two
real servers on one real PostgreSQL database (a throwaway cluster, tests/postgres.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect

from pipeline_scheduler.storage.coordination import Coordination
from pipeline_scheduler.storage.schema import current_revision
from pipeline_scheduler.storage.store import Store
from pipeline_scheduler.storage.tables import make_engine

MIGRATIONS = Path(__file__).parents[1] / "packages" / "pipeline-scheduler" / "pipeline_scheduler" / "storage" / \
    "migrations" / "versions"


def test_migrations_build_the_schema_on_an_empty_database(postgres) -> None:
    engine = make_engine(postgres.create_database())
    Store(engine)
    assert current_revision(engine) == sorted(path.name[:4] for path in MIGRATIONS.glob("0*.py"))[-1]
    tables = set(inspect(engine).get_table_names())
    assert {"ps_jobs", "ps_runs", "ps_dependencies", "ps_servers", "ps_leases", "ps_schema_version"} <= tables
    Store(engine)  # a second server starting on it changes nothing
    engine.dispose()


def test_an_instant_is_recorded_once_and_the_lease_held_by_one(postgres) -> None:
    engine = make_engine(postgres.create_database())
    store = Store(engine)
    run = {"job_id": "a", "job_name": "a", "triggered_by": "schedule", "status": "queued", "queued_at": 1.0}
    first = store.insert_runs([{**run, "execution_id": "1", "fire_key": "at:1"},
                               {**run, "execution_id": "2", "fire_key": "at:1"},  # the same instant twice
                               {**run, "execution_id": "3", "triggered_by": "manual"}])
    again = store.insert_runs([{**run, "execution_id": "4", "fire_key": "at:1"}])  # another server, later
    assert first[0] is not None and first[1] is None and first[2] is not None and again == [None]
    leases = Coordination(engine)
    assert leases.acquire("dispatcher", "one", 10) is True
    assert leases.acquire("dispatcher", "two", 10) is False
    assert leases.acquire("dispatcher", "one", 10) is True  # renewed
    assert leases.holder("dispatcher").holder == "one"
    engine.dispose()


def test_two_servers_on_postgres_fire_each_instant_once_and_take_over(servers, postgres, tmp_path: Path) -> None:
    (tmp_path / "tick.py").write_text("print('tick')\n")
    url = postgres.create_database()
    first, second = servers(db_url=url, lease_seconds=4), servers(db_url=url, lease_seconds=4)
    jobs = [(first, second)[index % 2].request("POST", "jobs", {
        "pipeline_path": "tick.py", "schedule_type": "interval", "interval_seconds": 2,
        "overlap_policy": "parallel", "max_parallel": 5}) for index in range(10)]
    assert second.request("POST", f"run/{jobs[0]['id']}")["output"] == "tick\n"
    time.sleep(12)
    dispatcher = first if first.request("GET", "health")["dispatching"] else second
    standby = second if dispatcher is first else first
    dispatcher.crash()
    standby.wait_for(lambda: standby.request("GET", "health")["dispatching"], timeout=10)
    time.sleep(6)

    instants = defaultdict(list)
    for run in standby.request("GET", "runs?limit=1000")["runs"]:
        if run["triggered_by"] == "schedule":
            instants[run["job_id"]].append(datetime.fromisoformat(run["scheduled_for"]).timestamp())
    assert set(instants) == {job["id"] for job in jobs}
    for moments in instants.values():
        moments.sort()
        assert len(moments) == len(set(moments)), "an instant was recorded twice"
        assert all(round(b - a, 3) == 2.0 for a, b in zip(moments, moments[1:])), moments
        assert moments[-1] > time.time() - 4  # still firing after the takeover


def events_seen(server, until: Callable[[list[tuple[str, dict]]], bool],
                timeout: float = 20.0) -> list[tuple[str, dict]]:
    """The events of ``GET events`` on ``server`` (a browser's live connection) until those seen satisfy
    ``until`` (however many come: another server's notes arrive in their own time, a run's in one or more)."""
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/pipeline-scheduler/events",
                                     headers={"Authorization": f"token {server.token}"})
    seen, kind = [], None
    deadline = time.monotonic() + timeout
    with urllib.request.urlopen(request, timeout=timeout) as stream:
        for raw in stream:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind:
                seen.append((kind, json.loads(line[6:])))
                if until(seen) or time.monotonic() > deadline:
                    return seen
    return seen


def test_a_browser_on_one_server_sees_the_runs_of_another_live(servers, postgres, tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text("print('hello')\n")
    url = postgres.create_database()
    first, second = servers(db_url=url), servers(db_url=url)
    job = first.request("POST", "jobs", {"name": "hello", "pipeline_path": "hello.py", "schedule_type": "manual"})
    watched: list = []

    def ran_and_updated(seen: list[tuple[str, dict]]) -> bool:
        return (("run", "success") in [(kind, data.get("status")) for kind, data in seen]
                and ("job", "updated") in [(kind, data.get("action")) for kind, data in seen])

    watcher = threading.Thread(target=lambda: watched.extend(events_seen(second, ran_and_updated)))
    watcher.start()
    time.sleep(1)  # the stream is open
    result = first.request("POST", f"run/{job['id']}")  # on the first server
    first.request("PUT", f"jobs/{job['id']}", {"name": "hello again"})
    watcher.join(30)
    runs = [data for kind, data in watched if kind == "run" and data["id"] == result["run_id"]]
    jobs = [data for kind, data in watched if kind == "job" and data["id"] == job["id"]]
    assert [run["status"] for run in runs][-1] == "success" and runs[-1]["output"] == "hello\n", watched
    assert jobs and jobs[-1]["action"] == "updated", watched
    assert second.request("GET", f"jobs/{job['id']}")["name"] == "hello again"
