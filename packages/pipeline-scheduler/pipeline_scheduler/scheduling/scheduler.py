"""APScheduler wiring: when jobs fire, and nothing else.

APScheduler's ``SQLAlchemyJobStore`` keeps each job's trigger and our job id; a fire is handed by
:class:`DispatchExecutor` to the run manager at once, so the scheduler thread never runs user code.
Fires are never dropped for lateness (``misfire_grace_time=None``, ``coalesce=True``): a fire that
was due while the server was down follows the job's ``catch_up`` policy, applied at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.engine import Engine

from ..storage.store import APSCHEDULER_TABLE
from .jobstore import BatchingJobStore
from .triggers import zone

log = logging.getLogger(__name__)

Dispatch = Callable[[str, float | None], None]


def fire(job_id: str) -> None:
    """The callable APScheduler stores for every job, by reference, so its rows never pickle user data.

    :class:`DispatchExecutor` routes fires to the run manager and never calls it.
    """
    raise RuntimeError(f"job {job_id} fired outside the pipeline scheduler's DispatchExecutor")


FIRE_REFERENCE = f"{__name__}:fire"


class DispatchExecutor(BaseExecutor):
    """Hands each fire to ``dispatch(job_id, scheduled_timestamp)``, which only enqueues it."""

    def __init__(self, dispatch: Dispatch) -> None:
        super().__init__()
        self._dispatch = dispatch

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        try:
            self._dispatch(job.id, run_times[-1].timestamp() if run_times else None)
        finally:
            self._run_job_success(job.id, [])


class SchedulerService:
    def __init__(self, engine: Engine, default_timezone: str, dispatch: Dispatch,
                 on_change: Callable[[list[str]], None] | None = None) -> None:
        self.jobstore = BatchingJobStore(engine=engine, tablename=APSCHEDULER_TABLE, on_change=on_change)
        self._scheduler = BackgroundScheduler(
            jobstores={"default": self.jobstore},
            executors={"default": DispatchExecutor(dispatch)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=zone(default_timezone),
        )

    started_at: datetime | None = None  # fires due before this were missed while the server was down

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self, record_skipped_fire: Callable[[str, float], bool]) -> None:
        """Start, first applying catch-up to fires missed while the server was down.

        ``record_skipped_fire(job_id, due)`` records a skipped run and says whether the job's policy
        is ``skip``; for those jobs the missed fire is dropped (with that trace) and the next one kept.
        """
        self._scheduler.start(paused=True)
        now = self.started_at = datetime.now(timezone.utc)
        for job in self._scheduler.get_jobs():
            due = job.next_run_time
            if due is None or due >= now:
                continue
            if record_skipped_fire(job.id, due.timestamp()):
                upcoming = job.trigger.get_next_fire_time(due, now)
                while upcoming is not None and upcoming < now:
                    upcoming = job.trigger.get_next_fire_time(upcoming, now)
                if upcoming is None:
                    self._scheduler.remove_job(job.id)
                else:
                    job.modify(next_run_time=upcoming)
        self._scheduler.resume()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def schedule(self, job_id: str, trigger: BaseTrigger | None, paused: bool) -> None:
        """Create or replace the trigger of ``job_id`` (no trigger: dependency-only job)."""
        if trigger is None:
            self.unschedule(job_id)
            return
        options = {"next_run_time": None} if paused else {}
        self._scheduler.add_job(FIRE_REFERENCE, trigger=trigger, args=[job_id], id=job_id, name=job_id,
                                replace_existing=True, **options)

    def unschedule(self, job_id: str) -> None:
        try:
            self._scheduler.remove_job(job_id)
        except JobLookupError:
            pass

    def pause(self, job_id: str) -> None:
        try:
            self._scheduler.pause_job(job_id)
        except JobLookupError:
            pass

    def resume(self, job_id: str) -> None:
        try:
            self._scheduler.resume_job(job_id)
        except JobLookupError:
            pass
