"""The MXX client's verbs (``mxx-client list --type active``, ``status``, ``cancel JOB``, ``remove``)
said with our REST API's existing routes (jobs, runs, registry), so that its users' habits work here.

MXX kept a job in two places, the scheduler and the registry; we keep one job, so:

* **active** jobs are the jobs with a queued or running run;
* **status** of a job is what it is doing now (running, queued, paused, scheduled, on demand) and its
  last run; the status of an execution id (``<job>_<YYYYmmdd_HHMMSS>_<suffix>``) is that run's;
* **cancel** a job stops its scheduled fires (it is paused, so ``resume`` undoes it) and cancels
  its queued and running runs;
* **remove** a job deletes it once nothing of it is running (a job defined by a file of the jobs
  directory goes with its file; the registry route says so).
"""

from __future__ import annotations

import re
from typing import Any

from .client import ClientError, SchedulerClient
from .parse import PROG, find_job

ACTIVE = ("running", "queued")
EXECUTION_ID = re.compile(r"^.+_\d{8}_\d{6}_[0-9a-f]{8}$")
RUNS_SCANNED = 1000  # the server's page limit


def active_runs(client: SchedulerClient, job_id: str | None = None) -> list[dict[str, Any]]:
    """Queued and running runs (of one job), running first, oldest first within each."""
    found = []
    for status in ACTIVE:
        runs = client.request("GET", "runs", job_id=job_id, status=status, limit=RUNS_SCANNED)["runs"]
        found += sorted(runs, key=lambda run: run["id"])
    return found


def run_by_execution_id(client: SchedulerClient, execution_id: str) -> dict[str, Any]:
    for run in client.request("GET", "runs", limit=RUNS_SCANNED)["runs"]:
        if run.get("execution_id") == execution_id:
            return run
    raise ClientError(f"no run with the execution id {execution_id!r} among the last {RUNS_SCANNED} runs", 404,
                      "execution_id", hint=f"`{PROG} runs` lists the runs")


def job_state(job: dict[str, Any], running: list[dict[str, Any]]) -> str:
    """One word for what a job is doing now."""
    if any(run["status"] == "running" for run in running):
        return "running"
    if running:
        return "queued"
    if job.get("broken"):
        return "broken"
    if job.get("paused"):
        return "paused"
    return "scheduled" if job.get("next_run_time") else "on demand"


def job_status(client: SchedulerClient, ref: str) -> dict[str, Any]:
    """``status JOB``: the job's state, its active runs and its last run."""
    job = find_job(client, ref)
    running = active_runs(client, job["id"])
    return {"job_id": job["id"], "name": job["name"], "status": job_state(job, running),
            "trigger": job.get("trigger"), "timezone": job.get("timezone"), "paused": bool(job.get("paused")),
            "next_run_time": job.get("next_run_time"), "active_runs": running, "last_run": job.get("last_run")}


def cancel_job(client: SchedulerClient, ref: str) -> dict[str, Any]:
    """``cancel JOB``: no more scheduled fires (paused) and its queued and running runs cancelled."""
    job = find_job(client, ref)
    running = active_runs(client, job["id"])
    scheduled = job.get("schedule_type") != "manual" and not job.get("paused")
    if not scheduled and not running:
        state = "paused" if job.get("paused") else "on demand"
        raise ClientError(f"job {job['name']!r} is {state} and has no queued or running run: nothing to cancel",
                          409, "job", hint=f"`{PROG} remove {ref}` removes the job itself")
    if scheduled:
        job = client.request("POST", f"jobs/{job['id']}/pause")
    cancelled = []
    for run in running:
        try:
            cancelled.append(client.request("POST", f"runs/{run['id']}/cancel"))
        except ClientError as error:
            if error.status != 409:  # 409: it ended meanwhile
                raise
    return {"job": job, "paused": scheduled, "cancelled_runs": cancelled}


def remove_job(client: SchedulerClient, ref: str) -> dict[str, Any]:
    """``remove JOB``: delete a job that has nothing queued or running (its past runs stay)."""
    job = find_job(client, ref)
    running = active_runs(client, job["id"])
    if running:
        raise ClientError(f"job {job['name']!r} is {running[0]['status']} (run {running[0]['id']}); "
                          "it can be removed once it has finished", 409, "job",
                          hint=f"cancel it first: {PROG} cancel {ref}")
    route = "registry" if job.get("kind") == "runner_config" else "jobs"  # the registry refuses file-defined jobs
    client.request("DELETE", f"{route}/{job['id']}")
    return job
