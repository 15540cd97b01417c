"""APScheduler's SQLAlchemy job store, with the writes of one processing pass batched.

After handing each due job to its executor, APScheduler writes that job back (new next run time)
or deletes it (last fire), one commit per job, before handing over the next one. With a thousand
jobs due in the same second the last one was dispatched seconds late. APScheduler reads a store
with ``get_due_jobs`` at the start of a pass and ``get_next_run_time`` at its end, all under its
job-store lock: writes made in between are kept and committed together when the pass ends.
Writes made outside a pass (add, modify, pause, resume) go straight to the database as before.
Every write reports the job ids it touched to ``on_change`` (the job list's next run times).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import datetime

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import bindparam

_REMOVED = None


class BatchingJobStore(SQLAlchemyJobStore):
    def __init__(self, *args, on_change: Callable[[list[str]], None] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._in_pass = False
        self._pending: dict[str, Job | None] = {}
        self._on_change = on_change or (lambda job_ids: None)

    def get_due_jobs(self, now: datetime) -> list[Job]:
        self._flush()
        jobs = super().get_due_jobs(now)
        self._in_pass = bool(jobs)
        return jobs

    def get_next_run_time(self) -> datetime | None:
        self._in_pass = False
        self._flush()
        return super().get_next_run_time()

    def update_job(self, job: Job) -> None:
        if self._in_pass:
            self._pending[job.id] = job
        else:
            self._flush()
            super().update_job(job)
            self._on_change([job.id])

    def remove_job(self, job_id: str) -> None:
        if self._in_pass:
            self._pending[job_id] = _REMOVED
        else:
            self._flush()
            super().remove_job(job_id)
            self._on_change([job_id])

    # every other read or write sees the batch committed first
    def lookup_job(self, job_id: str) -> Job | None:
        self._flush()
        return super().lookup_job(job_id)

    def get_all_jobs(self) -> list[Job]:
        self._flush()
        return super().get_all_jobs()

    def add_job(self, job: Job) -> None:
        self._flush()
        super().add_job(job)
        self._on_change([job.id])

    def remove_all_jobs(self) -> None:
        self._pending.clear()
        super().remove_all_jobs()

    def shutdown(self) -> None:
        self._flush()  # the engine is shared with our own tables: leave it to its owner

    def _flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        updates = [{"job_id": job.id, "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
                    "job_state": pickle.dumps(job.__getstate__(), self.pickle_protocol)}
                   for job in pending.values() if job is not _REMOVED]
        removed = [job_id for job_id, job in pending.items() if job is _REMOVED]
        with self.engine.begin() as connection:
            if updates:
                connection.execute(self.jobs_t.update().where(self.jobs_t.c.id == bindparam("job_id"))
                                   .values(next_run_time=bindparam("next_run_time"),
                                           job_state=bindparam("job_state")), updates)
            if removed:
                connection.execute(self.jobs_t.delete().where(self.jobs_t.c.id.in_(removed)))
        self._on_change(list(pending))
