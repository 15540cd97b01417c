"""Upgrading in place from amphi-scheduler 0.9.7: a workspace made by the real 0.9.7 (its own venv, its
own Jupyter server, its own HTTP routes, its clock in Paris) opens here with its jobs, schedules, next
fire times and run history, and 0.9.7's tables kept for a downgrade.

The workspace is made once for the module (about 10 s, plus about 40 s the first time the 0.9.7 venv
is built, see legacy_097_env.py); each test upgrades its own copy: in a Jupyter server (the API), and
with the scheduler started twice (the second start finds nothing to do).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from conftest import wait_for
from legacy_097_env import Server097
from pipeline_scheduler.api.payloads import JobSpec, parse_payload
from pipeline_scheduler.jobs.upgrade_097 import translate
from pipeline_scheduler.scheduling.scheduler import StoredJob
from pipeline_scheduler.scheduling.triggers import build_trigger, next_fire_times
from pipeline_scheduler.service import PipelineScheduler, SchedulerConfig

PARIS = "Europe/Paris"
KEPT_JOBS, KEPT_RUNS = "amphi097_apscheduler_jobs", "amphi097_scheduler_runs"
NOT_MIGRATABLE = "first-monday"  # APScheduler: the 1st *and* a Monday; crontab can only say "or"


def _in(hours: float) -> str:
    """A wall-clock time of Paris, as Amphi's form sends it (no offset)."""
    return datetime.fromtimestamp(time.time() + hours * 3600, ZoneInfo(PARIS)).strftime("%Y-%m-%dT%H:%M:00")


def _jobs_097() -> list[dict[str, Any]]:
    """A job of every kind, as Amphi's UI posts them to 0.9.7."""
    code = "print('from 0.9.7 code')"
    return [
        {"id": "once", "name": "Once", "pipeline_path": "etl/load.py", "schedule_type": "date", "date_type": "once",
         "run_date": _in(24 * 40)},
        {"id": "daily", "name": "Daily", "pipeline_path": "etl/load.py", "schedule_type": "date", "date_type": "daily",
         "run_date": "2026-12-07T08:15:00Z"},  # 0.9.7 ignores the Z: 08:15 on its server's clock
        {"id": "weekly", "name": "Weekly", "python_code": code, "pipeline_path": "etl/sales.ampln",
         "schedule_type": "date", "date_type": "weekly", "run_date": _in(24 * 3)},
        {"id": "monthly", "name": "Monthly", "pipeline_path": "etl/load.py", "schedule_type": "date",
         "date_type": "monthly", "run_date": "2027-01-31T23:30:00"},
        {"id": "every-3-days", "name": "Every 3 days", "python_code": code, "schedule_type": "date",
         "date_type": "every_x_days", "interval_days": 3},
        {"id": "hourly", "name": "Hourly", "python_code": code, "schedule_type": "interval", "interval_seconds": 3600},
        {"id": "ticker", "name": "Ticker", "python_code": "print('tick')", "schedule_type": "interval",
         "interval_seconds": 2},
        {"id": "weekdays", "name": "Weekdays", "python_code": code, "schedule_type": "cron",
         "cron_expression": "30 9 * * 0-4"},  # APScheduler: Monday to Friday
        {"id": "odd-weekdays", "name": "Every other weekday", "python_code": code, "schedule_type": "cron",
         "cron_expression": "15 30 6 * * */2"},  # seconds first; Monday, Wednesday, Friday, Sunday
        {"id": NOT_MIGRATABLE, "name": "First Monday", "python_code": code, "schedule_type": "cron",
         "cron_expression": "0 9 1 * 0"},
        {"id": "paused", "name": "Paused", "python_code": code, "schedule_type": "cron",
         "cron_expression": "0 12 * * 5-6"},
        {"id": "fails", "name": "Fails", "python_code": "import sys; print('out'); sys.exit('boom')",
         "schedule_type": "interval", "interval_seconds": 86400},
        {"id": "after-hourly", "name": "After hourly", "python_code": "print('after')", "schedule_type": "trigger",
         "trigger_conditions": [{"job_id": "hourly", "on": "success"}]},
    ]


@pytest.fixture(scope="module")
def workspace_097(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A workspace used by 0.9.7: its jobs as it listed them, and its database."""
    root = tmp_path_factory.mktemp("workspace-097") / "root"
    (root / "etl").mkdir(parents=True)
    (root / "etl" / "load.py").write_text("print('load')\n")
    (root / "etl" / "sales.ampln").write_text("{}\n")
    server = Server097(root, PARIS).start()
    try:
        for job in _jobs_097():
            server.request("POST", "jobs", job)
        server.request("POST", "run/hourly")  # a success, and the trigger job it completes
        server.request("POST", "run/fails")
        server.wait_for(lambda: any(run["job_id"] == "ticker" for run in server.request("GET", "runs")["runs"]), 60)
        listed = {job["id"]: job for job in server.request("GET", "jobs")["jobs"]}
        runs = server.request("GET", "runs?limit=1000")["runs"]
    finally:
        server.stop()
    server.pause("paused")
    database = root / ".amphi" / "scheduler.sqlite"
    with sqlite3.connect(database) as db:
        job_rows = dict(db.execute("SELECT id, job_state FROM apscheduler_jobs"))
    return {"root": root, "jobs": listed, "runs": runs, "job_rows": job_rows}


@pytest.fixture
def scheduler_config() -> dict[str, Any]:
    return {"timezone": "UTC"}  # not 0.9.7's zone: the jobs keep theirs


@pytest.fixture
def upgraded_root(workspace_097: dict[str, Any], jp_root_dir: Path) -> Path:
    """A copy of the 0.9.7 workspace as the root of the test's server (asked for before ``api`` starts it)."""
    shutil.copytree(workspace_097["root"], jp_root_dir, dirs_exist_ok=True)
    return jp_root_dir


async def test_jobs_runs_and_old_tables_survive_the_upgrade(workspace_097: dict[str, Any], upgraded_root: Path,
                                                            api: Any) -> None:
    async def upgraded() -> Any:
        return (await api("GET", "health"))[1].get("upgraded_from_0_9_7")

    report = await wait_for(upgraded)
    old = workspace_097["jobs"]
    jobs = {job["id"]: job for job in (await api("GET", "jobs"))[1]["jobs"]}

    assert set(jobs) == set(old) - {NOT_MIGRATABLE}
    assert sorted(report["jobs"]) == sorted(jobs)
    assert [problem["id"] for problem in report["not_migrated"]] == [NOT_MIGRATABLE]
    assert "crontab reads as either" in report["not_migrated"][0]["reason"]
    assert {job_id: job["name"] for job_id, job in jobs.items()} == {job_id: old[job_id]["name"] for job_id in jobs}
    assert not [job_id for job_id, job in jobs.items() if job.get("broken")]

    # the same next fire, to the microsecond, as 0.9.7's APScheduler computed (the ticker moved on since)
    for job_id in set(jobs) - {"paused", "ticker", "after-hourly"}:
        assert datetime.fromisoformat(jobs[job_id]["next_run_time"]) == datetime.fromisoformat(
            old[job_id]["next_run_time"]), job_id
    assert jobs["paused"]["paused"] is True and jobs["paused"]["next_run_time"] is None

    # schedules in 0.9.7's words and zone; daily/weekly/monthly keep their wall-clock time in Paris
    assert {job_id: (job["schedule_type"], job.get("date_type")) for job_id, job in jobs.items()
            if job["schedule_type"] == "date"} == {
        "once": ("date", "once"), "daily": ("date", "daily"), "weekly": ("date", "weekly"),
        "monthly": ("date", "monthly"), "every-3-days": ("date", "every_x_days")}
    assert all(job["timezone"] == PARIS for job_id, job in jobs.items() if job_id != "after-hourly")
    daily = datetime.fromisoformat(jobs["daily"]["next_run_time"]).astimezone(ZoneInfo(PARIS))
    assert (daily.hour, daily.minute) == (8, 15)
    assert jobs["every-3-days"]["interval_days"] == 3 and jobs["hourly"]["interval_seconds"] == 3600
    assert jobs["weekly"]["python_code"] == "print('from 0.9.7 code')"
    assert jobs["weekly"]["pipeline_path"] == "etl/sales.ampln"
    assert jobs["once"]["pipeline_path"] == "etl/load.py" and "python_code" not in jobs["once"]
    assert jobs["after-hourly"]["trigger_conditions"] == [{"job_id": "hourly", "on": "success"}]

    # cron day-of-week in crontab's numbering, firing at the instants APScheduler's own trigger gives
    assert jobs["weekdays"]["cron_expression"] == "30 9 * * 1-5"
    for job_id, fields in (("weekdays", {"minute": "30", "hour": "9", "day_of_week": "0-4"}),
                           ("odd-weekdays", {"second": "15", "minute": "30", "hour": "6", "day_of_week": "*/2"})):
        theirs = CronTrigger(**fields, timezone=PARIS)
        expected, previous, now = [], None, datetime.now(timezone.utc)
        for _ in range(14):
            previous = theirs.get_next_fire_time(previous, previous or now)
            expected.append(previous)
        _, preview = await api("POST", "triggers/preview", {
            "schedule_type": "cron", "cron_expression": jobs[job_id]["cron_expression"], "timezone": PARIS,
            "count": 14})
        assert [datetime.fromisoformat(moment) for moment in preview["next_run_times"]] == expected, job_id

    # the run history, with 0.9.7's ids, fields and outputs; each run has its log
    runs = {run["id"]: run for run in (await api("GET", "runs", limit=1000))[1]["runs"]}
    for old_run in workspace_097["runs"]:
        run = runs[old_run["id"]]
        assert {key: run[key] for key in ("job_id", "job_name", "status", "triggered_by", "exit_code", "output",
                                          "error")} == {key: old_run[key] for key in (
            "job_id", "job_name", "status", "triggered_by", "exit_code", "output", "error")}
        assert datetime.fromisoformat(run["started_at"]) == datetime.fromisoformat(old_run["started_at"])
        assert datetime.fromisoformat(run["finished_at"]) == datetime.fromisoformat(old_run["finished_at"])
    by_job = {(run["job_id"], run["triggered_by"], run["status"]) for run in workspace_097["runs"]}
    assert {("hourly", "manual", "success"), ("after-hourly", "trigger", "success"),
            ("fails", "manual", "failure"), ("ticker", "schedule", "success")} <= by_job
    failed = next(run for run in workspace_097["runs"] if run["job_id"] == "fails")
    assert "boom" in (await api("GET", f"runs/{failed['id']}/log"))[1] and runs[failed["id"]]["exit_code"] == 1
    assert jobs["fails"]["last_run"]["status"] == "failure"

    # 0.9.7's tables, kept as they were: rename them back to downgrade
    with sqlite3.connect(upgraded_root / ".amphi" / "scheduler.sqlite") as db:
        assert dict(db.execute(f"SELECT id, job_state FROM {KEPT_JOBS}")) == workspace_097["job_rows"]
        assert db.execute(f"SELECT count(*) FROM {KEPT_RUNS}").fetchone()[0] == len(workspace_097["runs"])
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "scheduler_runs" not in tables
        assert db.execute("SELECT count(*) FROM apscheduler_jobs WHERE id = ?", (NOT_MIGRATABLE,)).fetchone()[0] == 0


def _start(root: Path) -> PipelineScheduler:
    """Our scheduler on ``root``, as the server extension starts it, once it dispatches."""
    amphi = root / ".amphi"
    scheduler = PipelineScheduler(SchedulerConfig(
        root=root, db_url=f"sqlite:///{amphi / 'scheduler.sqlite'}", timezone="UTC", python_executable=sys.executable,
        max_concurrent_runs=2, default_timeout=None, log_dir=amphi / "logs", state_dir=amphi, runs_retention=50,
        lease_seconds=2.0))
    scheduler.start()
    deadline = time.monotonic() + 30
    while not scheduler.dispatcher.dispatching:
        assert time.monotonic() < deadline, "the scheduler did not become the dispatcher"
        time.sleep(0.05)
    return scheduler


def _wait(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)
    return result


def test_a_second_start_changes_nothing_and_migrated_jobs_fire(workspace_097: dict[str, Any], tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(workspace_097["root"], root)
    scheduler = _start(root)
    try:
        assert scheduler.health()["upgraded_from_0_9_7"]["jobs"]

        # the 2-second ticker fires here, on 0.9.7's rhythm
        ticker = json.loads(scheduler.jobs.get_json("ticker"))
        anchor = datetime.fromisoformat(ticker["run_date"]).timestamp()
        fired = _wait(lambda: [run for run in scheduler.history.list(job_id="ticker")["runs"]
                               if not run["execution_id"].startswith("amphi097-") and run["status"] == "success"])
        assert fired[-1]["output"] == "tick\n"
        assert round((datetime.fromisoformat(fired[-1]["scheduled_for"]).timestamp() - anchor) % 2, 3) in (0.0, 2.0)
        scheduler.jobs.set_paused("ticker", True)
        before = _snapshot(scheduler, root)
    finally:
        scheduler.stop()

    scheduler = _start(root)
    try:
        assert "upgraded_from_0_9_7" not in scheduler.health()
        assert _snapshot(scheduler, root) == before
    finally:
        scheduler.stop()


def test_a_row_that_cannot_be_read_is_kept_and_reported(workspace_097: dict[str, Any], tmp_path: Path) -> None:
    """A 0.9.7 row whose trigger no longer unpickles (say, a class of another APScheduler version) stays in
    0.9.7's kept table, is reported, and so is the job that waits on it; the others are migrated."""
    root = tmp_path / "root"
    shutil.copytree(workspace_097["root"], root)
    database = root / ".amphi" / "scheduler.sqlite"
    with sqlite3.connect(database) as db:
        (state,) = db.execute("SELECT job_state FROM apscheduler_jobs WHERE id = 'hourly'").fetchone()
        broken = state.replace(b"apscheduler.triggers.interval", b"apscheduler.triggers.intervax")
        db.execute("UPDATE apscheduler_jobs SET job_state = ? WHERE id = 'hourly'", (broken,))
    scheduler = _start(root)
    try:
        report = scheduler.health()["upgraded_from_0_9_7"]
        jobs = {job["id"] for job in json.loads(scheduler.jobs.list_json())["jobs"]}
    finally:
        scheduler.stop()
    reasons = {problem["id"]: problem["reason"] for problem in report["not_migrated"]}
    assert set(reasons) == {"hourly", "after-hourly", NOT_MIGRATABLE}
    assert "cannot be read" in reasons["hourly"] and "intervax" in reasons["hourly"]
    assert "unknown job 'hourly'" in reasons["after-hourly"]
    assert jobs == set(workspace_097["jobs"]) - set(reasons)
    with sqlite3.connect(database) as db:
        assert db.execute(f"SELECT job_state FROM {KEPT_JOBS} WHERE id = 'hourly'").fetchone() == (broken,)
        assert db.execute("SELECT count(*) FROM apscheduler_jobs WHERE id IN ('hourly', 'after-hourly')").fetchone() \
            == (0,)


def _snapshot(scheduler: PipelineScheduler, root: Path) -> tuple[Any, ...]:
    """The jobs and runs our API shows and 0.9.7's kept tables."""
    jobs = json.loads(scheduler.jobs.list_json())["jobs"]
    runs = scheduler.history.list(limit="1000")["runs"]
    with sqlite3.connect(root / ".amphi" / "scheduler.sqlite") as db:
        kept = (db.execute(f"SELECT * FROM {KEPT_JOBS} ORDER BY id").fetchall(),
                db.execute(f"SELECT * FROM {KEPT_RUNS} ORDER BY id").fetchall())
    return jobs, [run["id"] for run in runs], kept


def _cron_097(day_of_week: str, hour: str) -> tuple[CronTrigger, StoredJob]:
    """A 0.9.7 cron job's trigger, and its row as our scheduler reads it."""
    theirs = CronTrigger(minute="30", hour=hour, day_of_week=day_of_week, timezone=PARIS)
    first = theirs.get_next_fire_time(None, datetime.now(timezone.utc))
    state = {"func": "pipeline_scheduler.handler:run_pipeline", "trigger": theirs, "args": ("print(1)",),
             "kwargs": {"schedule_type": "cron", "pipeline_path": ""}, "name": "Cron", "next_run_time": first}
    return theirs, StoredJob("cron", first.timestamp(), state)


@pytest.mark.parametrize("day_of_week", ["0-4", "mon-fri", "5,6", "sat-sun", "*/2", "1-5/2", "6", "wed", "0,3-4"])
def test_cron_weekdays_in_apscheduler_numbering_keep_their_instants(day_of_week: str) -> None:
    """0.9.7 cron lines count weekdays from Monday = 0; migrated, they fire at the same instants."""
    theirs, stored = _cron_097(day_of_week, "9")
    payload, due, notes = translate(stored, "UTC")
    assert due.timestamp() == stored.next_run_time and notes == []
    expected, previous = [], None
    for _ in range(60):  # over a year: daylight-saving changes included
        previous = theirs.get_next_fire_time(previous, previous or due)
        expected.append(previous.timestamp())
    ours = build_trigger(parse_payload(JobSpec, payload), "UTC").trigger
    assert [moment.timestamp() for moment in next_fire_times(ours, 60, due)] == expected, payload["cron_expression"]


def test_a_time_skipped_by_daylight_saving_is_noted() -> None:
    """At 02:30 on the Sunday clocks spring forward, APScheduler fires at 03:30 and cron at 03:00: the job
    is migrated with cron's rule, and the upgrade says so."""
    _, stored = _cron_097("6", "2")
    payload, _, notes = translate(stored, "UTC")
    assert payload["cron_expression"] == "30 2 * * 0"
    assert len(notes) == 1 and "T03:00:00+02:00 where 0.9.7 fired at" in notes[0] and "T03:30:00+02:00" in notes[0]


DOWNGRADE = f"""
DELETE FROM apscheduler_jobs WHERE id IN (SELECT id FROM {KEPT_JOBS});
INSERT INTO apscheduler_jobs SELECT id, next_run_time, job_state FROM {KEPT_JOBS};
DROP TABLE {KEPT_JOBS};
ALTER TABLE {KEPT_RUNS} RENAME TO scheduler_runs;
"""  # as the README says


def test_a_downgrade_renames_the_tables_back_and_0_9_7_has_everything_again(workspace_097: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(workspace_097["root"], root)
    _start(root).stop()
    with sqlite3.connect(root / ".amphi" / "scheduler.sqlite") as db:
        db.executescript(DOWNGRADE)
    server = Server097(root, PARIS).start()
    try:
        jobs = {job["id"]: job for job in server.request("GET", "jobs")["jobs"]}
        runs = server.request("GET", "runs?limit=1000")["runs"]
    finally:
        server.stop()
    old = workspace_097["jobs"]
    assert set(jobs) == set(old)
    moved = {"ticker", "paused"}  # the ticker fired since the listing, the paused job was paused after it
    assert {job_id: (job["name"], job["next_run_time"]) for job_id, job in jobs.items() if job_id not in moved} == {
        job_id: (job["name"], job["next_run_time"]) for job_id, job in old.items() if job_id not in moved}
    assert jobs["paused"]["next_run_time"] is None
    assert {run["id"] for run in workspace_097["runs"]} <= {run["id"] for run in runs}

    # and up again: 0.9.7's runs are not doubled, its jobs are ours again
    scheduler = _start(root)
    try:
        assert sorted(scheduler.health()["upgraded_from_0_9_7"]["jobs"]) == sorted(set(old) - {NOT_MIGRATABLE})
        migrated = [run["execution_id"] for run in scheduler.history.list(limit="1000")["runs"]
                    if run["execution_id"].startswith("amphi097-")]
        with sqlite3.connect(root / ".amphi" / "scheduler.sqlite") as db:
            kept = [run_id for (run_id,) in db.execute(f"SELECT id FROM {KEPT_RUNS}")]
        assert len(kept) >= len(runs) and sorted(migrated) == sorted(f"amphi097-{run_id}" for run_id in kept)
    finally:
        scheduler.stop()
