"""APScheduler's SQLAlchemy job store, made safe for "each instant exactly once".

APScheduler reads a store with ``get_due_jobs`` at the start of a processing pass, hands each
due job to its executor, writes the job back (next run time) or deletes it, and asks
``get_next_run_time`` at the end, all under its job-store lock. This store changes three things:

* **Record before advance.** The writes of a pass are kept and made when the pass ends, and only
  for the jobs whose fires were recorded as runs by then (:meth:`expect`). If recording failed,
  the job keeps its old next run time and fires again; the run table's unique fire key makes the
  second attempt a no-op when the first one was recorded after all. A thousand fires due at
  once cost a few commits instead of a thousand.
* **No lost updates between servers.** A write is conditional on the row being as it was read:
  if another server changed or deleted the job meanwhile, its version stays.
* **Unreadable rows are reported, never deleted.** APScheduler deletes a row it cannot unpickle;
  here the row is set aside (left out of due jobs and wake-ups until it is written again) and
  ``on_unreadable`` decides what to do: the job's definition in our tables is the truth.

A failing database never stops the scheduler thread: errors at the end of a pass are logged and
the pass is retried a second later.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable
from concurrent.futures import Future, wait
from datetime import datetime, timedelta, timezone

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import and_, bindparam, select

log = logging.getLogger(__name__)

_REMOVED = None
RECORD_TIMEOUT = 120.0  # seconds a pass waits for its fires to be recorded before retrying them
RETRY_SECONDS = 1.0


class BatchingJobStore(SQLAlchemyJobStore):
    def __init__(self, *args, on_change: Callable[[list[str]], None] | None = None,
                 on_unreadable: Callable[[str, float | None, str], None] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._in_pass = False
        self._pending: dict[str, Job | None] = {}
        self._read_states: dict[str, bytes] = {}  # job_state as read at the start of the pass
        self._records: dict[str, list[Future]] = {}
        self._set_aside: set[str] = set()  # rows that cannot be read, until repaired
        self._on_change = on_change or (lambda job_ids: None)
        self._on_unreadable = on_unreadable or (lambda job_id, due, reason: None)

    def expect(self, job_id: str, records: list[Future]) -> None:
        """The fires of ``job_id`` in this pass are being recorded by ``records``: advance the job
        only once they all succeed."""
        self._records.setdefault(job_id, []).extend(records)

    # -- a processing pass ------------------------------------------------------------------
    def get_due_jobs(self, now: datetime) -> list[Job]:
        self._flush()
        jobs = self._get_jobs(self.jobs_t.c.next_run_time <= datetime_to_utc_timestamp(now), *self._not_set_aside())
        self._in_pass = bool(jobs)
        return jobs

    def get_next_run_time(self) -> datetime | None:
        self._in_pass = False
        retry = datetime.now(timezone.utc) + timedelta(seconds=RETRY_SECONDS)
        try:
            if not self._flush():
                return retry  # fires not recorded: fire them again, but not in a busy loop
            query = (select(self.jobs_t.c.next_run_time).where(self.jobs_t.c.next_run_time.is_not(None),
                                                               *self._not_set_aside())
                     .order_by(self.jobs_t.c.next_run_time).limit(1))
            with self.engine.begin() as connection:
                upcoming = connection.execute(query).scalar()
            return datetime.fromtimestamp(upcoming, timezone.utc) if upcoming is not None else None
        except Exception:
            log.exception("the scheduler's job store failed; retrying in %g s", RETRY_SECONDS)
            return retry

    def update_job(self, job: Job) -> None:
        if self._in_pass:
            self._pending[job.id] = job
        else:
            self._flush()
            super().update_job(job)
            self._set_aside.discard(job.id)  # rewritten: readable again
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
        self._set_aside.discard(job.id)
        self._on_change([job.id])

    def remove_all_jobs(self) -> None:
        self._pending.clear()
        super().remove_all_jobs()

    def shutdown(self) -> None:
        self._flush()  # the engine is shared with our own tables: leave it to its owner

    def _get_jobs(self, *conditions) -> list[Job]:
        jobs = []
        query = select(self.jobs_t.c.id, self.jobs_t.c.job_state, self.jobs_t.c.next_run_time)
        query = query.order_by(self.jobs_t.c.next_run_time)
        query = query.where(and_(*conditions)) if conditions else query
        unreadable = []
        with self.engine.begin() as connection:
            for row in connection.execute(query):
                try:
                    jobs.append(self._reconstitute_job(row.job_state))
                    self._read_states[row.id] = row.job_state
                except Exception as error:
                    unreadable.append((row.id, row.next_run_time, f"{type(error).__name__}: {error}"))
        for job_id, due, reason in unreadable:
            self._set_aside.add(job_id)
            log.error("the stored trigger of job %s cannot be read (%s)", job_id, reason)
            self._on_unreadable(job_id, due, reason)
        return jobs

    def _flush(self) -> bool:
        """Write the pass's updates of jobs whose fires were recorded; whether all were."""
        if not self._pending:
            self._records.clear()
            return True
        pending, records, self._pending, self._records = self._pending, self._records, {}, {}
        read_states, self._read_states = self._read_states, {}
        unrecorded = _unrecorded(records)
        for job_id in unrecorded:
            log.warning("fires of job %s were not recorded; they will be fired again", job_id)
        updates, removed = [], []
        for job_id, job in pending.items():
            if job_id in unrecorded or job_id not in read_states:
                continue
            if job is _REMOVED:
                removed.append({"job_id": job_id, "was": read_states[job_id]})
            else:
                updates.append({"job_id": job_id, "was": read_states[job_id],
                                "next": datetime_to_utc_timestamp(job.next_run_time),
                                "state": pickle.dumps(job.__getstate__(), self.pickle_protocol)})
        unchanged = (self.jobs_t.c.id == bindparam("job_id")) & (self.jobs_t.c.job_state == bindparam("was"))
        with self.engine.begin() as connection:
            if updates:
                connection.execute(self.jobs_t.update().where(unchanged)
                                   .values(next_run_time=bindparam("next"), job_state=bindparam("state")),
                                   updates)
            if removed:
                connection.execute(self.jobs_t.delete().where(unchanged), removed)
        self._on_change(list(pending))
        return not unrecorded

    def _not_set_aside(self) -> list:
        return [self.jobs_t.c.id.not_in(list(self._set_aside))] if self._set_aside else []


def _unrecorded(records: dict[str, list[Future]]) -> set[str]:
    """Jobs with a fire whose recording failed or did not finish in time."""
    futures = [future for job_futures in records.values() for future in job_futures]
    if futures:
        wait(futures, timeout=RECORD_TIMEOUT)
    return {job_id for job_id, job_futures in records.items()
            if any(not future.done() or future.exception() is not None for future in job_futures)}
