"""The scheduler as one object: builds the parts, starts and stops them in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._version import __version__
from .api.documents import iso
from .events import EventBus
from .execution.executors import ExecutionContext, default_registry
from .execution.history import RunHistory
from .execution.prestart import Prestarter
from .execution.runs import RunManager, RunSettings, execution_id
from .jobs.runner_jobs import RunnerJobs
from .jobs.service import JobService
from .runner import PluginRegistry
from .scheduling.dependencies import DependencyTrigger
from .scheduling.scheduler import SchedulerService
from .storage.store import Store, make_engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerConfig:
    root: Path
    db_url: str
    timezone: str
    python_executable: str
    max_concurrent_runs: int
    default_timeout: float | None
    log_dir: Path
    state_dir: Path
    runs_retention: int
    jobs_dir: Path | None = None
    plugins_dir: Path | None = None
    jobs_dir_poll_seconds: float = 2.0
    prestarted_interpreters: int = 0


class PipelineScheduler:
    def __init__(self, config: SchedulerConfig) -> None:
        self.config = config
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(config.db_url)
        self.store = Store(self.engine)
        self.events = EventBus()
        self.plugins = PluginRegistry.load(config.plugins_dir if config.plugins_dir and config.plugins_dir.is_dir()
                                           else None)
        self.executors = default_registry(self.plugins)
        context = ExecutionContext(config.root, config.state_dir, config.python_executable, config.jobs_dir,
                                   config.plugins_dir)
        self.prestarter = Prestarter(config.python_executable, config.root, config.prestarted_interpreters)
        self.runs = RunManager(self.store, self.executors, context,
                               RunSettings(config.max_concurrent_runs, config.default_timeout, config.log_dir,
                                           config.runs_retention), self.events, self.prestarter)
        self.scheduler = SchedulerService(self.engine, config.timezone, self._dispatch, self._schedules_changed)
        self.jobs = JobService(self.store, self.scheduler, self.executors, context, config.timezone, self.events)
        self.history = RunHistory(self.store)
        self.dependencies = DependencyTrigger(self.store, self.runs.submit)
        self.runner_jobs = RunnerJobs(self.jobs, self.store, context, self.plugins, config.jobs_dir_poll_seconds)
        self._unsubscribe = [self.events.subscribe(self.jobs.listing.on_event),
                             self.events.subscribe(self.runs.on_event),
                             self.events.subscribe(self.dependencies.on_event)]

    def start(self) -> None:
        interrupted = self.store.interrupt_active_runs("the server stopped while this run was active")
        if interrupted:
            log.warning("marked %d run(s) left active by a previous server as interrupted", interrupted)
        self.prestarter.start()
        self.runs.start()
        self.scheduler.start(self._record_missed_fire)
        self.runner_jobs.start()

    def stop(self) -> None:
        """Stop firing, then end runs (recorded ``cancelled``), then release the database."""
        self.runner_jobs.stop()
        self.scheduler.shutdown()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.dependencies.stop()
        self.runs.stop()
        self.prestarter.stop()
        self.engine.dispose()

    def health(self) -> dict[str, Any]:
        counts = self.runs.counts()
        started = self.scheduler.started_at
        return {"scheduler_running": self.scheduler.running, "jobs": self.store.count_jobs(),
                "started_at": started.isoformat() if started else None,
                "running_runs": counts["running"], "queued_runs": counts["queued"], "version": __version__}

    def public_config(self) -> dict[str, Any]:
        config = self.config
        return {"amphi_dir": str(config.root), "root_dir": str(config.root),
                "db_url": self.engine.url.render_as_string(hide_password=True), "timezone": config.timezone,
                "python_executable": config.python_executable,
                "prestarted_interpreters": config.prestarted_interpreters, "max_concurrent_runs": config.max_concurrent_runs,
                "default_timeout": config.default_timeout, "log_dir": str(config.log_dir),
                "runs_retention": config.runs_retention, "jobs_dir": str(config.jobs_dir or ""),
                "plugins_dir": str(config.plugins_dir or ""), "version": __version__}

    def _schedules_changed(self, job_ids: list[str]) -> None:
        """APScheduler wrote next run times (after fires): those jobs' entries in the list are stale."""
        self.jobs.listing.mark(job_ids)

    def _dispatch(self, job_id: str, scheduled_for: float | None) -> None:
        self.runs.submit(job_id, "schedule", scheduled_for)

    def _record_missed_fire(self, job_id: str, due: float) -> bool:
        """Catch-up at start-up: a ``skip`` job's missed fire becomes a ``skipped`` run with the reason."""
        job = self.store.job_specs([job_id]).get(job_id)
        if job is None or job.spec.get("catch_up") != "skip":
            return False
        self.store.insert_runs([{
            "job_id": job_id, "job_name": job.name, "execution_id": execution_id(job.name, due),
            "triggered_by": "schedule", "status": "skipped", "scheduled_for": due, "queued_at": due,
            "finished_at": due,
            "reason": f"skipped: the fire due at {iso(due)} was missed while the server was down (catch_up 'skip')"}])
        return True
