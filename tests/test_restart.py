"""Persistence across server restarts and crashes, with servers in their own processes."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import psutil


def test_jobs_and_runs_survive_a_restart(servers, tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text("print('persisted')\n")
    first = servers()
    job = first.request("POST", "jobs", {"name": "keep me", "pipeline_path": "job.py", "schedule_type": "cron",
                                         "cron_expression": "0 3 * * *"})
    result = first.request("POST", f"run/{job['id']}")
    first.stop()

    second = servers()
    again = second.request("GET", f"jobs/{job['id']}")
    assert again["name"] == "keep me" and again["next_run_time"] == job["next_run_time"]
    runs = second.request("GET", "runs")["runs"]
    assert [(run["id"], run["status"], run["output"]) for run in runs] == [(result["run_id"], "success", "persisted\n")]
    assert (tmp_path / ".amphi" / "scheduler.sqlite").exists()


def test_a_crash_leaves_runs_interrupted(servers, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text("import time\nprint('working', flush=True)\ntime.sleep(60)\n")
    first = servers()
    job = first.request("POST", "jobs", {"pipeline_path": "slow.py", "schedule_type": "interval",
                                         "interval_seconds": 86400})
    run = first.request("POST", f"jobs/{job['id']}/runs")
    first.wait_for(lambda: first.request("GET", f"runs/{run['id']}")["status"] == "running")
    first.crash()

    second = servers()
    after = second.request("GET", f"runs/{run['id']}")
    assert after["status"] == "interrupted" and "stopped while it was active" in after["error"]
    assert "processes were ended" in after["error"]
    assert not psutil.pid_exists(after["pid"]) or psutil.Process(after["pid"]).status() == psutil.STATUS_ZOMBIE
    assert second.request("GET", "health")["running_runs"] == 0


def test_clean_shutdown_cancels_running_runs(servers, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(60)\n")
    first = servers()
    job = first.request("POST", "jobs", {"pipeline_path": "slow.py", "schedule_type": "interval",
                                         "interval_seconds": 86400})
    run = first.request("POST", f"jobs/{job['id']}/runs")
    running = first.wait_for(lambda: (r := first.request("GET", f"runs/{run['id']}"))["status"] == "running" and r)
    first.stop()
    assert not psutil.pid_exists(running["pid"]) or psutil.Process(running["pid"]).status() == psutil.STATUS_ZOMBIE

    second = servers()
    after = second.request("GET", f"runs/{run['id']}")
    assert after["status"] == "cancelled" and after["error"] == "the server stopped"


def test_missed_fires_follow_the_catch_up_policy(servers, tmp_path: Path) -> None:
    """Every instant due while the server was down gets its own record: run_once runs the latest."""
    (tmp_path / "tick.py").write_text("print('tick')\n")
    first = servers()
    common = {"pipeline_path": "tick.py", "schedule_type": "interval", "interval_seconds": 2}
    once = first.request("POST", "jobs", {**common, "name": "catch up once"})
    skip = first.request("POST", "jobs", {**common, "name": "skip missed", "catch_up": "skip"})
    first.wait_for(lambda: len(first.request("GET", f"runs?job_id={skip['id']}")["runs"]) >= 1)
    first.stop()
    time.sleep(7)  # three or more fires of each job fall in the downtime

    second = servers()

    def runs_of(job_id: str) -> list[dict]:
        return sorted(second.request("GET", f"runs?job_id={job_id}")["runs"], key=lambda r: r["scheduled_for"])

    def missed(run: dict) -> bool:
        return "missed while no server was dispatching" in (run["error"] or "")

    def caught_up(job_id: str) -> list[dict] | None:
        """The catch-up's records and the run after them (the latest missed instant), once it succeeded."""
        runs = runs_of(job_id)
        last = max((index for index, run in enumerate(runs) if missed(run)), default=None)
        if last is None or last + 1 >= len(runs) or runs[last + 1]["status"] != "success":
            return None
        return [run for run in runs[:last + 1] if missed(run)] + [runs[last + 1]]

    once_records = second.wait_for(lambda: caught_up(once["id"]))
    for job in (once, skip):  # no instant lost, none twice: consecutive instants 2 s apart
        instants = [datetime.fromisoformat(r["scheduled_for"]).timestamp() for r in runs_of(job["id"])]
        assert [round(b - a, 3) for a, b in zip(instants, instants[1:])] == [2.0] * (len(instants) - 1), instants

    downtime = once_records[:-1]
    assert len(downtime) >= 2 and all(r["status"] == "skipped" and "catch_up 'run_once'" in r["error"]
                                      for r in downtime)
    assert once_records[-1]["triggered_by"] == "schedule"  # the latest missed instant ran

    skipped = [r for r in runs_of(skip["id"]) if missed(r)]
    assert len(skipped) >= 3 and all(r["status"] == "skipped" for r in skipped)
