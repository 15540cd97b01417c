"""APScheduler wiring: when jobs fire, and nothing else.

APScheduler's ``SQLAlchemyJobStore`` keeps each job's trigger and our job id. Every server runs a
``BackgroundScheduler`` so that its API can add, change and pause jobs, but only the server that
holds the dispatcher lease lets it process due jobs (:meth:`SchedulerService.set_dispatching`).
A fire is handed by :class:`DispatchExecutor` to ``dispatch(job_id, instants)``, which records a
run per instant; the job store advances the job only once those are recorded. Nothing is dropped
for lateness (``misfire_grace_time=None``) and APScheduler never merges instants
(``coalesce=False``): every instant due while the store was busy is handed over on its own.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone

from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ..storage.tables import APSCHEDULER_TABLE, apscheduler_jobs
from .jobstore import BatchingJobStore

log = logging.getLogger(__name__)

UTC = timezone.utc
Dispatch = Callable[[str, list[float]], list[Future]]


def fire(job_id: str) -> None:
    """The callable APScheduler stores for every job, by reference, so its rows never pickle user data.

    :class:`DispatchExecutor` routes fires to the run manager and never calls it.
    """
    raise RuntimeError(f"job {job_id} fired outside the pipeline scheduler's DispatchExecutor")


FIRE_REFERENCE = f"{__name__}:fire"


@dataclass(frozen=True)
class StoredJob:
    """A row of APScheduler's table as stored: its next run time and its state, when readable."""

    id: str
    next_run_time: float | None
    state: dict | None  # the unpickled Job state; None when it cannot be read
    problem: str | None = None

    def matches(self, trigger: BaseTrigger) -> bool:
        """Whether this row already holds ``trigger`` as we would store it."""
        state = self.state
        return (state is not None and state.get("func") == FIRE_REFERENCE and tuple(state.get("args", ())) == (self.id,)
                and state.get("coalesce") is False and state.get("misfire_grace_time", 0) is None
                and type(state.get("trigger")) is type(trigger)
                and state["trigger"].__getstate__() == trigger.__getstate__())


class DispatchExecutor(BaseExecutor):
    """Hands each job's due instants to ``dispatch`` and tells the store what to wait for."""

    def __init__(self, dispatch: Dispatch, jobstore: BatchingJobStore) -> None:
        super().__init__()
        self._dispatch = dispatch
        self._jobstore = jobstore

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        try:
            self._jobstore.expect(job.id, self._dispatch(job.id, [moment.timestamp() for moment in run_times]))
        finally:
            self._run_job_success(job.id, [])


class SchedulerService:
    def __init__(self, engine: Engine, dispatch: Dispatch,
                 on_change: Callable[[list[str]], None] | None = None,
                 on_unreadable: Callable[[str, float | None, str], None] | None = None) -> None:
        self.engine = engine
        self.jobstore = BatchingJobStore(engine=engine, tablename=APSCHEDULER_TABLE, on_change=on_change,
                                         on_unreadable=on_unreadable)
        self._scheduler = BackgroundScheduler(
            jobstores={"default": self.jobstore},
            executors={"default": DispatchExecutor(dispatch, self.jobstore)},
            job_defaults={"coalesce": False, "misfire_grace_time": None, "max_instances": 1},
            jobstore_retry_interval=1,
            timezone=UTC,
        )

    @property
    def running(self) -> bool:
        """Whether this server's scheduler processes due jobs (it holds the dispatcher lease)."""
        return self._scheduler.state == STATE_RUNNING

    def start(self) -> None:
        """Start without processing due jobs: the API can change jobs, nothing fires yet."""
        self._scheduler.start(paused=True)

    def set_dispatching(self, dispatching: bool) -> None:
        (self._scheduler.resume if dispatching else self._scheduler.pause)()

    def wakeup(self) -> None:
        """Look at the store again (another server may have added an earlier fire)."""
        if self.running:
            self._scheduler.wakeup()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def schedule(self, job_id: str, trigger: BaseTrigger | None, paused: bool,
                 next_run_time: datetime | None = None) -> None:
        """Create or replace the trigger of ``job_id`` (no trigger: dependency-only job).

        ``next_run_time`` keeps a fire that is already due (catch-up) instead of the trigger's next one."""
        if trigger is None:
            self.unschedule(job_id)
            return
        options = {"next_run_time": None} if paused else {}
        if next_run_time is not None and not paused:
            options["next_run_time"] = next_run_time
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

    def move(self, job_id: str, next_run_time: datetime | None) -> None:
        """Set the next fire of ``job_id`` (``None``: it has none left and is removed)."""
        if next_run_time is None:
            self.unschedule(job_id)
        else:
            self._scheduler.modify_job(job_id, next_run_time=next_run_time)

    def stored_jobs(self) -> Iterator[StoredJob]:
        """Every row of APScheduler's table, read without APScheduler (a bad row cannot stop the others)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time,
                                       apscheduler_jobs.c.job_state)).all()
        for row in rows:
            try:
                state = pickle.loads(row.job_state)
                if not isinstance(state, dict) or "trigger" not in state:
                    raise ValueError("not an APScheduler job")
            except Exception as error:
                yield StoredJob(row.id, row.next_run_time, None, f"{type(error).__name__}: {error}")
            else:
                yield StoredJob(row.id, row.next_run_time, state)
