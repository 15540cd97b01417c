"""A corrupt row is quarantined, never fatal: the job shows why it is broken, everything else fires.

Rows are damaged with sqlite3 between two runs of a real server (and once under a running one),
the way a disk error, a hand edit or an old version would leave them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server_process import ServerProcess


def database(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / ".amphi" / "scheduler.sqlite", isolation_level=None, timeout=30)


def stored_spec(root: Path, job_id: str) -> dict:
    with database(root) as connection:
        return json.loads(connection.execute("SELECT spec FROM ps_jobs WHERE id = ?", (job_id,)).fetchone()[0])


def set_column(root: Path, table: str, column: str, value: object, job_id: str) -> None:
    key = "id"
    with database(root) as connection:
        assert connection.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (value, job_id)).rowcount == 1


def runs_of(server: ServerProcess, job_id: str) -> list[dict]:
    return server.request("GET", f"runs?job_id={job_id}")["runs"]


@pytest.fixture
def workspace(servers, tmp_path: Path):
    """A server with a healthy job firing every second and a job to damage; stopped, ready to corrupt."""
    (tmp_path / "tick.py").write_text("print('tick')\n")
    server = servers()
    healthy = server.request("POST", "jobs", {"id": "healthy", "pipeline_path": "tick.py",
                                              "schedule_type": "interval", "interval_seconds": 1})
    victim = server.request("POST", "jobs", {"id": "victim", "pipeline_path": "tick.py", "schedule_type": "cron",
                                             "cron_expression": "*/5 * * * * *"})
    server.stop()
    return healthy, victim


def assert_others_fire(server: ServerProcess) -> None:
    started = time.time()
    server.wait_for(lambda: any(run["triggered_by"] == "schedule" and run["queued_at"] and
                                time.mktime(time.strptime(run["queued_at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                                > started - 1 for run in runs_of(server, "healthy")), timeout=15)


@pytest.mark.parametrize("damage, reason", [
    pytest.param(("spec", "{not json"), "stored definition is not valid JSON", id="spec-not-json"),
    pytest.param(("spec", "[1, 2, 3]"), "stored definition is not a JSON object", id="spec-not-an-object"),
    pytest.param(("spec:cron_expression", "61 * * * *"), "the minute field '61' is not valid", id="cron-no-longer-parses"),
    pytest.param(("spec:schedule_type", "fortnightly"), "schedule_type", id="unknown-schedule-type"),
])
def test_a_broken_definition_is_shown_and_never_fires(servers, tmp_path: Path, workspace, damage, reason) -> None:
    column, value = damage
    if column.startswith("spec:"):
        spec = stored_spec(tmp_path, "victim")
        spec[column.split(":")[1]] = value
        value = json.dumps(spec)
    set_column(tmp_path, "ps_jobs", "spec", value, "victim")

    server = servers()
    assert_others_fire(server)
    listed = {job["id"]: job for job in server.request("GET", "jobs")["jobs"]}
    assert reason in listed["victim"]["broken"] and "fix it with PUT" in listed["victim"]["broken"]
    assert "broken" not in listed["healthy"]
    assert reason in server.request("GET", "jobs/victim")["broken"]
    assert server.request("GET", "health")["broken_jobs"] == 1
    before = len(runs_of(server, "victim"))
    time.sleep(6)  # a fire of the old trigger (every 5 s) would have come
    assert len(runs_of(server, "victim")) == before, "a broken job fired on its old trigger"

    fixed = server.request("PUT", "jobs/victim", {"pipeline_path": "tick.py", "schedule_type": "cron",
                                                  "cron_expression": "*/2 * * * * *", "name": "victim"})
    assert "broken" not in fixed and fixed["next_run_time"]
    server.wait_for(lambda: len(runs_of(server, "victim")) > before, timeout=10)
    server.wait_for(lambda: server.request("GET", "health")["broken_jobs"] == 0, timeout=5)


def test_a_broken_job_can_be_deleted(servers, tmp_path: Path, workspace) -> None:
    set_column(tmp_path, "ps_jobs", "spec", "{not json", "victim")
    server = servers()
    assert server.request("GET", "jobs/victim")["broken"]
    listed = subprocess.run([sys.executable, "-m", "pipeline_scheduler.cli", "--url", f"http://127.0.0.1:{server.port}",
                             "--token", server.token, "list"], capture_output=True, text=True, check=True,
                            env={**os.environ, "COLUMNS": "200"})
    assert "broken victim: cannot be scheduled: its stored definition is not valid JSON" in listed.stdout
    assert server.request("DELETE", "jobs/victim") == {"success": True}
    assert [job["id"] for job in server.request("GET", "jobs")["jobs"]] == ["healthy"]


def test_a_broken_job_refuses_run_now_and_pause_with_its_reason(servers, tmp_path: Path, workspace) -> None:
    set_column(tmp_path, "ps_jobs", "spec", "{not json", "victim")
    server = servers()
    for path in ("jobs/victim/runs", "jobs/victim/pause"):
        try:
            server.request("POST", path)
        except Exception as error:  # urllib raises on 4xx
            body = json.loads(error.read())  # type: ignore[attr-defined]
            assert error.code == 409 and "broken" in body["error"], body  # type: ignore[attr-defined]
        else:
            raise AssertionError(f"POST {path} was accepted")


def test_an_unreadable_trigger_is_rebuilt_from_the_definition(servers, tmp_path: Path, workspace) -> None:
    """APScheduler would delete a row it cannot unpickle; we rebuild it from the job's definition."""
    with database(tmp_path) as connection:
        due = connection.execute("SELECT next_run_time FROM apscheduler_jobs WHERE id = 'victim'").fetchone()[0]
    set_column(tmp_path, "apscheduler_jobs", "job_state", b"\x80\x04garbage", "victim")
    server = servers()
    assert_others_fire(server)
    job = server.request("GET", "jobs/victim")
    assert "broken" not in job and job["next_run_time"], job
    repaired = server.request("GET", "health")["repaired_jobs"]
    assert [entry["id"] for entry in repaired] == ["victim"] and "UnpicklingError" in repaired[0]["problem"]
    server.wait_for(lambda: runs_of(server, "victim"), timeout=10)
    with database(tmp_path) as connection:
        state = connection.execute("SELECT job_state FROM apscheduler_jobs WHERE id = 'victim'").fetchone()[0]
    assert state != b"\x80\x04garbage" and due is not None


def test_a_trigger_corrupted_while_the_server_runs_is_rebuilt(servers, tmp_path: Path) -> None:
    (tmp_path / "tick.py").write_text("print('tick')\n")
    server = servers()
    job = server.request("POST", "jobs", {"pipeline_path": "tick.py", "schedule_type": "interval",
                                          "interval_seconds": 1})
    server.wait_for(lambda: runs_of(server, job["id"]))
    set_column(tmp_path, "apscheduler_jobs", "job_state", b"not a pickle", job["id"])
    corrupted_at = time.time()
    server.wait_for(lambda: any(time.mktime(time.strptime(run["scheduled_for"][:19], "%Y-%m-%dT%H:%M:%S"))
                                - time.timezone > corrupted_at + 1 for run in runs_of(server, job["id"])), timeout=15)
    assert "broken" not in server.request("GET", f"jobs/{job['id']}")


def test_a_vanished_target_is_shown_and_each_fire_says_why(servers, tmp_path: Path, workspace) -> None:
    (tmp_path / "tick.py").rename(tmp_path / "tick.moved")
    server = servers()
    assert "no such file" in server.request("GET", "jobs/victim")["broken"]
    failed = server.wait_for(lambda: [run for run in runs_of(server, "victim") if run["status"] == "failure"])
    assert "cannot run" in failed[0]["error"]

    (tmp_path / "tick.moved").rename(tmp_path / "tick.py")
    # a success of a fire after the file came back (the workspace's own server may have run it before)
    server.wait_for(lambda: any(run["status"] == "success" and run["id"] > failed[0]["id"]
                                for run in runs_of(server, "victim")), timeout=15)
    server.wait_for(lambda: "broken" not in server.request("GET", "jobs/victim"), timeout=5)


def test_a_corrupt_document_is_rendered_again(servers, tmp_path: Path, workspace) -> None:
    set_column(tmp_path, "ps_jobs", "document", '{"id": "victim", "trunc', "victim")
    server = servers()
    listed = {job["id"]: job for job in server.request("GET", "jobs")["jobs"]}  # valid JSON again
    assert listed["victim"]["cron_expression"] == "*/5 * * * * *" and "broken" not in listed["victim"]
