"""Retries: each attempt its own run linked to the first, waits that grow by the backoff, survivors
of a restart, and jobs downstream that wait for the last attempt. Real servers, real processes."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from conftest import wait_for

FAILS = "import sys\nprint('failing', flush=True)\nsys.exit(3)\n"
FAILS_ONCE = """import pathlib, sys
marker = pathlib.Path(__file__).with_name('failed-once')
if not marker.exists():
    marker.write_text('x')
    sys.exit(4)
print('second time lucky')
"""


def seconds(text: str | None) -> float:
    return datetime.fromisoformat(text).timestamp()


async def runs_of(api, job_id: str) -> list[dict]:
    _, body = await api("GET", "runs", job_id=job_id)
    return sorted(body["runs"], key=lambda run: run["id"])


async def test_attempts_are_linked_and_wait_longer_each_time(api, write_script) -> None:
    write_script("fails.py", FAILS)
    _, job = await api("POST", "jobs", {"pipeline_path": "fails.py", "schedule_type": "manual", "retries": 2,
                                        "retry_delay": 0.5, "retry_backoff": 2})
    assert (job["retries"], job["retry_delay"], job["retry_backoff"]) == (2, 0.5, 2.0)
    _, first = await api("POST", f"jobs/{job['id']}/runs")

    async def three_finished() -> list[dict] | None:
        runs = await runs_of(api, job["id"])
        return runs if len(runs) == 3 and all(run["finished_at"] for run in runs) else None

    runs = await wait_for(three_finished, 30)
    assert [(run["attempt"], run["retry_of"], run["status"]) for run in runs] == [
        (1, None, "failure"), (2, first["id"], "failure"), (3, first["id"], "failure")]
    assert runs[0]["retry_at"] and runs[1]["retry_at"] and runs[2]["retry_at"] is None  # no fourth attempt
    waits = [seconds(following["queued_at"]) - seconds(previous["finished_at"])
             for previous, following in zip(runs, runs[1:])]
    assert 0.4 - 0.05 <= waits[0] <= 0.6 + 0.5, waits  # 0.5 s ± 20% jitter, plus the time to start it
    assert 0.8 - 0.05 <= waits[1] <= 1.2 + 0.5, waits  # doubled
    await wait_for(lambda: _still(api, job["id"], 3), 3)  # and no more after the last


async def _still(api, job_id: str, count: int) -> bool:
    return len(await runs_of(api, job_id)) == count


async def test_a_retry_that_succeeds_ends_the_attempts(api, write_script) -> None:
    write_script("flaky.py", FAILS_ONCE)
    _, job = await api("POST", "jobs", {"pipeline_path": "flaky.py", "schedule_type": "manual", "retries": 3,
                                        "retry_delay": 0.2})
    await api("POST", f"jobs/{job['id']}/runs")

    async def succeeded() -> list[dict] | None:
        runs = await runs_of(api, job["id"])
        return runs if runs and runs[-1]["status"] == "success" else None

    runs = await wait_for(succeeded, 20)
    assert [(run["attempt"], run["status"]) for run in runs] == [(1, "failure"), (2, "success")]
    assert runs[-1]["output"] == "second time lucky\n"


async def test_only_the_outcomes_in_retry_on_are_retried(api, write_script) -> None:
    write_script("fails.py", FAILS)
    _, job = await api("POST", "jobs", {"pipeline_path": "fails.py", "schedule_type": "manual", "retries": 2,
                                        "retry_delay": 0.1, "retry_on": ["timed_out"]})
    _, result = await api("POST", f"run/{job['id']}")
    assert result["status"] == "failure" and result["run"]["retry_at"] is None
    runs = await runs_of(api, job["id"])
    assert len(runs) == 1


async def test_jobs_downstream_wait_for_the_last_attempt(api, write_script) -> None:
    write_script("fails.py", FAILS)
    write_script("after.py", "print('after')\n")
    _, upstream = await api("POST", "jobs", {"pipeline_path": "fails.py", "schedule_type": "manual", "retries": 1,
                                             "retry_delay": 0.3})
    _, downstream = await api("POST", "jobs", {"pipeline_path": "after.py", "schedule_type": "trigger",
                                               "trigger_conditions": [{"job_id": upstream["id"], "on": "failure"}]})
    await api("POST", f"jobs/{upstream['id']}/runs")
    ran = await wait_for(lambda: _finished_runs(api, downstream["id"]), 20)
    attempts = await runs_of(api, upstream["id"])
    assert [run["attempt"] for run in attempts] == [1, 2]
    assert seconds(ran[0]["queued_at"]) >= seconds(attempts[1]["finished_at"])  # after the last attempt only
    await wait_for(lambda: _still(api, downstream["id"], 1), 3)


async def _finished_runs(api, job_id: str) -> list[dict] | None:
    runs = await runs_of(api, job_id)
    return runs if runs and all(run["finished_at"] for run in runs) else None


def test_a_retry_due_during_a_restart_runs_once_afterwards(servers, tmp_path: Path) -> None:
    (tmp_path / "fails.py").write_text(FAILS)
    first = servers()
    job = first.request("POST", "jobs", {"pipeline_path": "fails.py", "schedule_type": "manual", "retries": 1,
                                         "retry_delay": 4})
    result = first.request("POST", f"run/{job['id']}")
    assert result["run"]["retry_at"]
    first.stop()

    second = servers()
    runs = second.wait_for(lambda: len(r := second.request("GET", f"runs?job_id={job['id']}")["runs"]) == 2 and r,
                           timeout=20)
    retry = [run for run in runs if run["attempt"] == 2][0]
    assert retry["retry_of"] == result["run_id"]
    assert seconds(retry["queued_at"]) >= seconds(result["run"]["retry_at"]) - 0.5  # not before it was due
    time.sleep(2)
    assert len(second.request("GET", f"runs?job_id={job['id']}")["runs"]) == 2


def test_a_run_interrupted_by_a_dead_server_is_retried_when_asked(servers, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text("import time\nprint('working', flush=True)\ntime.sleep(60)\n")
    first = servers()
    job = first.request("POST", "jobs", {"pipeline_path": "slow.py", "schedule_type": "manual", "retries": 1,
                                         "retry_delay": 0, "retry_on": ["interrupted"], "timeout": 3})
    run = first.request("POST", f"jobs/{job['id']}/runs")
    first.wait_for(lambda: first.request("GET", f"runs/{run['id']}")["status"] == "running")
    first.crash()

    second = servers()
    runs = second.wait_for(lambda: len(r := second.request("GET", f"runs?job_id={job['id']}")["runs"]) == 2 and r,
                           timeout=20)
    by_attempt = {run["attempt"]: run for run in runs}
    assert by_attempt[1]["status"] == "interrupted" and by_attempt[2]["retry_of"] == run["id"]
