"""Upgrading in place from the released 0.1.0: a database it wrote (tests/fixtures/released-0.1.0.sqlite,
made by tests/fixtures/make_released_db.py with git f0b5a4e) opens with every job, schedule and run kept.

Its stored triggers are APScheduler's own and reference module paths that have moved since; the
server rebuilds them from the jobs' definitions, keeps their due fires, and records what came due
while the workspace was closed (the fixture was written on 2026-12-05, so there is always some).
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from cronsim import CronSim

FIXTURE = Path(__file__).parent / "fixtures" / "released-0.1.0.sqlite"
MIGRATIONS = Path(__file__).parents[1] / "packages" / "pipeline-scheduler" / "pipeline_scheduler" / "storage" / \
    "migrations" / "versions"
WRITTEN_AT = datetime(2026, 12, 5, 15, 19, tzinfo=timezone.utc)
NEW_YORK = ZoneInfo("America/New_York")


def released_workspace(root: Path) -> Path:
    (root / ".amphi").mkdir()
    shutil.copy(FIXTURE, root / ".amphi" / "scheduler.sqlite")
    (root / "tick.py").write_text("print('tick')\n")
    (root / "slow.py").write_text("import time\ntime.sleep(600)\n")
    return root / ".amphi" / "scheduler.sqlite"


def test_a_released_workspace_opens_with_everything_kept(servers, tmp_path: Path) -> None:
    database = released_workspace(tmp_path)
    server = servers(timezone="America/New_York")
    jobs = {job["id"]: job for job in server.request("GET", "jobs")["jobs"]}
    assert {job_id: job["name"] for job_id, job in jobs.items()} == {
        "nightly": "Nightly cron", "either-day": "First or Monday", "every-5-min": "Every five minutes",
        "daily": "Daily", "once": "Once", "every-3-days": "Every 3 days", "paused": "Paused",
        "after-nightly": "After nightly", "manual": "On demand", "slow": "Slow"}
    assert not [job_id for job_id, job in jobs.items() if job.get("broken")]
    assert server.request("GET", "health")["broken_jobs"] == 0

    now = datetime.now(timezone.utc)
    for job_id, expression in (("nightly", "30 2 * * *"), ("either-day", "0 9 1 * 1"), ("daily", "15 7 * * *")):
        upcoming = datetime.fromisoformat(jobs[job_id]["next_run_time"])
        expected = next(iter(CronSim(expression, now.astimezone(NEW_YORK))))  # an independent cron reading
        assert upcoming.timestamp() == expected.timestamp(), (job_id, upcoming, expected)
    assert jobs["once"]["next_run_time"] == "2029-12-31T19:00:00-05:00"  # 2030-01-01T00:00Z, not yet due
    assert jobs["paused"]["paused"] is True and jobs["paused"]["next_run_time"] is None
    assert jobs["after-nightly"]["trigger_conditions"] == [{"job_id": "nightly", "on": "success"}]
    assert jobs["every-5-min"]["coalesce"] is False  # 0.1.0 stored true on every job

    # the 5-minute job keeps its rhythm: its next fire is its old due time plus whole intervals
    first_due = 1796484287.931476
    upcoming = datetime.fromisoformat(jobs["every-5-min"]["next_run_time"]).timestamp()
    assert upcoming > now.timestamp() and round((upcoming - first_due) % 300, 3) in (0.0, 300.0)

    runs = {run["id"]: run for run in server.request("GET", "runs?limit=1000")["runs"]}
    assert {run_id: runs[run_id]["status"] for run_id in (1, 2, 3, 4)} == {
        1: "success", 2: "success", 3: "success", 4: "interrupted"}
    missed = [run for run in runs.values() if run["job_id"] == "every-5-min"]
    assert missed, "the instants due since the fixture was written were not recorded"
    assert all(datetime.fromisoformat(run["scheduled_for"]) >= WRITTEN_AT for run in missed)

    with sqlite3.connect(database) as connection:
        newest = sorted(path.name[:4] for path in MIGRATIONS.glob("0*.py"))[-1]
        assert connection.execute("SELECT version_num FROM ps_schema_version").fetchone()[0] == newest
        states = connection.execute("SELECT id, job_state FROM apscheduler_jobs").fetchall()
    assert states and all(b"pipeline_scheduler.scheduling.scheduler" in state for _, state in states)
    assert {job_id for job_id, _ in states} == {"nightly", "either-day", "every-5-min", "daily", "once",
                                                "every-3-days", "paused"}


def test_an_upgraded_workspace_fires(servers, tmp_path: Path) -> None:
    released_workspace(tmp_path)
    server = servers(timezone="America/New_York")
    caught_up = server.wait_for(lambda: [run for run in server.request("GET", "runs?job_id=every-5-min")["runs"]
                                         if run["status"] == "success"], timeout=15)
    assert caught_up[0]["triggered_by"] == "schedule" and caught_up[0]["output"] == "tick\n"  # the latest missed fire
    result = server.request("POST", "run/manual")
    assert result["success"] is True and result["output"] == "code\n"
