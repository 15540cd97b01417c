"""The MXX scheduler server's routes that our API lacked, mapped onto our jobs and runs.

MXX clients (``mxx-client``, scripts written for ``/api/scheduler``) call ``GET jobs/active``,
``POST jobs/{id}/trigger`` and ``POST jobs/{id}/remove``; ``POST jobs`` with ``job_id`` and
``config`` registers a runner config (see ``JobsHandler``). Where MXX and amphi-scheduler 0.9.7
gave one route two meanings (``DELETE jobs/{id}``: MXX cancelled, 0.9.7 deleted), 0.9.7's wins.
These routes come before ``jobs/{id}`` in the route table, so ``active`` is not read as a job id.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from ..errors import Conflict, NotFound
from ..storage.tables import ACTIVE_STATUSES
from .handlers import JOB, JobHandler, SchedulerHandler, endpoint

MAX_ACTIVE_RUNS = 1000  # the run list's own cap; far above any max_concurrent_runs


class ActiveJobsHandler(JobHandler):
    """``GET jobs/active``: jobs with a run queued or running, each with those runs, as
    ``{"jobs": [job + {"job_id", "status", "active_runs"}], "count"}``. Only ``GET`` is taken: ``PUT``
    and ``DELETE`` still reach a job whose id is ``active``."""

    @endpoint
    async def get(self, job_id: str) -> None:
        self.reply(await self.call(self._active_jobs))

    def _active_jobs(self) -> dict[str, Any]:
        runs_by_job: dict[str, list[dict[str, Any]]] = {}
        for status in ACTIVE_STATUSES:
            for run in self.scheduler.history.list(status=status, limit=str(MAX_ACTIVE_RUNS))["runs"]:
                runs_by_job.setdefault(run["job_id"], []).append(run)
        jobs = [self._entry(job_id, sorted(runs, key=lambda run: run["id"])) for job_id, runs in runs_by_job.items()]
        return {"jobs": jobs, "count": len(jobs)}

    def _entry(self, job_id: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            job = orjson.loads(self.scheduler.jobs.get_json(job_id))
        except NotFound:  # deleted while its run goes on
            job = {"id": job_id, "name": runs[0]["job_name"]}
        running = any(run["status"] == "running" for run in runs)
        return {**job, "job_id": job_id, "status": "running" if running else "queued", "active_runs": runs}


class JobTriggerHandler(SchedulerHandler):
    """``POST jobs/{id}/trigger``: run any job now; answers once the run is recorded (not when it ends)."""

    @endpoint
    async def post(self, job_id: str) -> None:
        await self.call(self.scheduler.jobs.require, job_id)
        accepted = await asyncio.wrap_future(self.scheduler.runs.submit(job_id, "api"))
        run = accepted.run
        self.reply({"message": f"Job '{job_id}' triggered", "job_id": job_id, "run_id": run["id"],
                    "execution_id": run["execution_id"], "status": run["status"], "run": run})


class JobRemoveHandler(SchedulerHandler):
    """``POST jobs/{id}/remove``: delete a job that is not running (MXX refused to remove an active
    job: cancel its run first); its finished runs stay in the history."""

    @endpoint
    async def post(self, job_id: str) -> None:
        await self.call(self._remove, job_id)
        self.reply({"success": True, "message": f"Job '{job_id}' removed"})

    def _remove(self, job_id: str) -> None:
        self.scheduler.jobs.require(job_id)
        for status in ACTIVE_STATUSES:
            active = self.scheduler.history.list(job_id=job_id, status=status, limit="1")["runs"]
            if active:
                raise Conflict(f"job {job_id} has a run {status} (run {active[0]['id']}); cancel it "
                               f"(POST runs/{active[0]['id']}/cancel) before removing the job", "job_id")
        self.scheduler.jobs.delete(job_id)


ROUTES: list[tuple[str, type[SchedulerHandler]]] = [
    ("jobs/(?P<job_id>active)", ActiveJobsHandler),
    (f"jobs/{JOB}/trigger", JobTriggerHandler),
    (f"jobs/{JOB}/remove", JobRemoveHandler),
]
