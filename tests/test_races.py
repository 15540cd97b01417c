"""Concurrent writers never lose each other's changes, slip a cycle past the check, or fire twice.

The real scheduler service (its SQLite file, APScheduler, run manager and processes) without the
HTTP layer, driven by many threads that a barrier releases together; seeds are fixed.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline_scheduler.errors import SchedulerError
from pipeline_scheduler.service import PipelineScheduler, SchedulerConfig


@pytest.fixture
def scheduler(tmp_path: Path):
    (tmp_path / "tick.py").write_text("print('tick')\n")
    (tmp_path / ".amphi" / "jobs").mkdir(parents=True)
    config = SchedulerConfig(root=tmp_path, db_url=f"sqlite:///{tmp_path}/.amphi/scheduler.sqlite", timezone="UTC",
                             python_executable=sys.executable, max_concurrent_runs=4, default_timeout=None,
                             log_dir=tmp_path / ".amphi" / "logs", state_dir=tmp_path / ".amphi", runs_retention=0,
                             jobs_dir=tmp_path / ".amphi" / "jobs", jobs_dir_poll_seconds=0)
    service = PipelineScheduler(config)
    service.start()
    yield service
    service.stop()


def together(*actions: Callable[[], object]) -> list[BaseException]:
    """Run the actions on their own threads, released at the same instant; their errors."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            action()
        except BaseException as error:  # collected, asserted by the caller
            errors.append(error)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_pause_never_writes_back_a_definition_read_before_a_concurrent_edit(scheduler) -> None:
    rng = random.Random(8)
    job = json.loads(scheduler.jobs.create({"id": "edited", "pipeline_path": "tick.py", "schedule_type": "cron",
                                            "cron_expression": "0 3 * * *"}))
    for round_number in range(60):
        name = f"name {round_number}"
        paused = rng.random() < 0.5
        errors = together(lambda: scheduler.jobs.update(job["id"], {"name": name}),
                          lambda: scheduler.jobs.set_paused(job["id"], paused))
        assert not errors, errors
        stored = json.loads(scheduler.jobs.get_json(job["id"]))
        assert (stored["name"], stored["paused"]) == (name, paused), round_number


def test_two_jobs_cannot_be_made_to_wait_for_each_other(scheduler) -> None:
    for round_number in range(40):
        left, right = f"left{round_number}", f"right{round_number}"
        for job_id in (left, right):
            scheduler.jobs.create({"id": job_id, "pipeline_path": "tick.py", "schedule_type": "manual"})

        def after(downstream: str, upstream: str) -> Callable[[], object]:
            return lambda: scheduler.jobs.update(downstream, {"schedule_type": "trigger", "trigger_conditions": [
                {"job_id": upstream, "on": "success"}]})

        errors = together(after(left, right), after(right, left))
        assert len(errors) == 1 and isinstance(errors[0], SchedulerError) and "cycle" in errors[0].message, errors
        assert not (scheduler.store.dependents(left) == [right] and scheduler.store.dependents(right) == [left])


def test_an_and_dependency_fires_once_when_its_upstreams_finish_together(scheduler) -> None:
    """Both upstreams' "finished" events arrive back to back (within the intake's latency): the
    downstream job runs once, not once per event."""
    for round_number in range(15):
        upstreams = [f"up{round_number}a", f"up{round_number}b"]
        finished = []
        for job_id in upstreams:
            scheduler.jobs.create({"id": job_id, "python_code": "print('up')", "schedule_type": "manual"})
            finished.append(scheduler.runs.submit(job_id, "api").result(30).finished.result(60).run)
        downstream = f"down{round_number}"
        scheduler.jobs.create({"id": downstream, "python_code": "print('down')", "schedule_type": "trigger",
                               "logical_operator": "AND", "trigger_conditions": [
                                   {"job_id": job_id, "on": "success"} for job_id in upstreams]})
        for run in finished:
            scheduler.dependencies.on_event({"type": "run", "run": run})
        scheduler.dependencies.drain()
        runs = scheduler.store.list_runs(job_id=downstream, status=None, limit=10, before=None)
        assert len(runs) == 1, (round_number, [(run.id, run.status, run.reason) for run in runs])


def test_a_paused_file_job_stays_paused_when_its_file_is_read_again(scheduler, tmp_path: Path) -> None:
    config = tmp_path / ".amphi" / "jobs" / "backup.toml"
    config.write_text('[os]\ncmd = "echo one"\n\n[schedule]\ncron = "0 3 * * *"\n')
    scheduler.runner_jobs.sync()
    scheduler.jobs.set_paused("backup", True)
    config.write_text('[os]\ncmd = "echo two"\n\n[schedule]\ncron = "0 4 * * *"\n')
    scheduler.runner_jobs.sync()
    job = json.loads(scheduler.jobs.get_json("backup"))
    assert job["paused"] is True and job["cron_expression"] == "0 4 * * *" and job["next_run_time"] is None
