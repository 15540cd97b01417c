"""The scheduler as one object: builds the parts, starts and stops them in order.

Start-up: the database is migrated, runs left active by servers that died are interrupted and
their processes ended, and this server registers and contends for the dispatcher lease. The
dispatcher reconciles stored jobs, records what was missed while nobody dispatched, and fires;
every other server serves the API and UI and runs what it is asked to run now.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._version import __version__
from .api.documents import run_document
from .errors import SchedulerError
from .events import EventBus
from .execution.dask_launcher import DaskLauncher
from .execution.executors import ExecutionContext, default_registry
from .execution.executors.runner_config import PluginsOnDemand
from .execution.history import RunHistory
from .execution.launchers import LocalLauncher
from .execution.notebooks.artifacts import artifacts_in
from .execution.notebooks.kernel_pool import KernelPool
from .execution.notebooks.one_off import run_overrides
from .execution.notifications import Notifier, NotifySettings, redact
from .execution.orphans import LeftoverSweeper, end_run
from .execution.prestart import Prestarter
from .execution.runs import RunManager, RunSettings
from .jobs.runner_jobs import RunnerJobs
from .jobs.service import JobService
from .jobs.upgrade_097 import UpgradeReport, upgrade_097
from .memory import return_large_blocks_when_freed
from .scheduling.catch_up import catch_up
from .scheduling.dependencies import DependencyTrigger
from .scheduling.dispatcher import Dispatcher, ServerIdentity
from .scheduling.scheduler import SchedulerService
from .storage.broadcast import Broadcast
from .storage.coordination import Coordination
from .storage.store import Store
from .storage.tables import make_engine

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
    short_run_slots: int = 0
    lease_seconds: float = 10.0
    executor: str = "local"  # or "dask"
    dask_scheduler_address: str = ""  # empty with "dask": a LocalCluster of this machine
    max_log_bytes: int = 50 * 1024**2
    max_log_space: int = 5 * 1024**3
    notify: NotifySettings = NotifySettings()
    kernel_pool_size: int = 1  # warm kernels per kernelspec used by notebook jobs
    kernel_idle_seconds: float = 600.0


class PipelineScheduler:
    def __init__(self, config: SchedulerConfig) -> None:
        self.config = config
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(config.db_url)
        self.store = Store(self.engine)
        self.server = ServerIdentity()
        self.events = EventBus()
        self.plugins = PluginsOnDemand(config.plugins_dir)
        self.executors = default_registry(self.plugins)
        self.context = context = ExecutionContext(config.root, config.state_dir, config.python_executable,
                                                  config.jobs_dir, config.plugins_dir)
        self.prestarter = Prestarter(config.python_executable, config.root, config.prestarted_interpreters)
        self.kernel_pool = KernelPool(config.python_executable, config.state_dir, config.kernel_pool_size,
                                      config.kernel_idle_seconds, fallback=self.prestarter)
        self.sweeper = LeftoverSweeper()
        self.launcher = (DaskLauncher(config.dask_scheduler_address or None) if config.executor == "dask"
                         else LocalLauncher(self.kernel_pool))
        self.runs = RunManager(self.store, self.executors, context,
                               RunSettings(config.max_concurrent_runs, config.default_timeout, config.log_dir,
                                           config.runs_retention, server_id=self.server.id,
                                           max_log_bytes=config.max_log_bytes, max_log_space=config.max_log_space,
                                           short_run_slots=config.short_run_slots),
                               self.events, self.launcher, on_target=self._target_checked, sweeper=self.sweeper)
        self.scheduler = SchedulerService(self.engine, self._dispatch, self._schedules_changed, self._unreadable)
        self.jobs = JobService(self.store, self.scheduler, self.executors, context, config.timezone, self.events)
        self.history = RunHistory(self.store, artifacts_in(config.state_dir))
        self.dependencies = DependencyTrigger(self.store, self.runs.submit)
        self.notifier = Notifier(self.store, self.events, config.notify)
        self.runner_jobs = RunnerJobs(self.jobs, self.store, context, self.plugins, config.jobs_dir_poll_seconds)
        self.runner_jobs.writing = False  # until this server is the dispatcher
        self.dispatcher = Dispatcher(Coordination(self.engine), self.server, __version__, config.lease_seconds,
                                     take_over=self._take_over, step_down=self._step_down, bury=self._bury,
                                     tick=self._tick)
        self._repairs = ThreadPoolExecutor(1, thread_name_prefix="pipeline-scheduler-repairs")
        self.broadcast = (Broadcast(self.engine, self.events, self.server.id, self._read_run)
                          if Broadcast.available(self.engine) else None)
        self.started_at: datetime | None = None
        self.upgraded_097: UpgradeReport | None = None  # what this server migrated from amphi-scheduler 0.9.7
        self._job_counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()
        self._counts_stale = True
        self._unsubscribe = [self.events.subscribe(self._jobs_changed),
                             self.events.subscribe(self.jobs.listing.on_event),
                             self.events.subscribe(self.runs.on_event),
                             self.events.subscribe(self.dependencies.on_event),
                             self.events.subscribe(self.notifier.on_event)]

    def start(self) -> None:
        self.started_at = datetime.now(timezone.utc)
        return_large_blocks_when_freed()
        legacy = self.store.interrupt_runs([], "interrupted: the server stopped while this run was active")
        if legacy:
            log.warning("marked %d run(s) left active by an earlier version as interrupted", len(legacy))
        self.prestarter.start()
        self.kernel_pool.start()
        self.sweeper.start()
        self.runs.start()
        self.scheduler.start()
        self.runner_jobs.start()
        if self.broadcast is not None:
            self.broadcast.start()
        self.dispatcher.start()
        self._count_jobs()

    def stop(self) -> None:
        """Stop firing (handing the lease over), then end runs (recorded ``cancelled``), then release the database."""
        self.runner_jobs.stop()
        if self.broadcast is not None:
            self.broadcast.stop()
        self.dispatcher.stop()
        self.scheduler.shutdown()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.dependencies.stop()
        self.runs.stop()
        self.jobs.list_reader.shutdown(wait=False)
        self.launcher.close()
        self.notifier.stop()
        self.sweeper.stop()
        self.prestarter.stop()
        self.kernel_pool.stop()
        self._repairs.shutdown(wait=True)
        self.engine.dispose()

    def health(self) -> dict[str, Any]:
        """From memory only (no query, no thread): the job count kept by events, the broken count at
        most a second old, the dispatcher as the lease loop last saw it."""
        counts = self.runs.counts()
        cluster = self.dispatcher.status()
        return {"scheduler_running": cluster["dispatcher"] is not None, "dispatching": self.dispatcher.dispatching,
                **self._job_counts, "repaired_jobs": list(self.jobs.repairs),
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "running_runs": counts["running"], "queued_runs": counts["queued"], "version": __version__,
                **cluster, **({"upgraded_from_0_9_7": self.upgraded_097.as_dict()} if self.upgraded_097 else {})}

    def _count_jobs(self, jobs_too: bool = True) -> None:
        """Read the counts of ``GET health`` from the database (the job count only when ``jobs_too``:
        alone on its database, a server keeps it exact from its own events)."""
        jobs = self.store.count_jobs() if jobs_too else None
        broken = self.store.broken_count()
        with self._counts_lock:
            self._job_counts = {"jobs": self._job_counts.get("jobs", 0) if jobs is None else jobs,
                                "broken_jobs": broken}

    def _jobs_changed(self, event: dict[str, Any]) -> None:
        """Keep the job count exact at once (created, deleted); the broken count is read again on the next tick."""
        if event.get("type") == "job":
            step = {"created": 1, "deleted": -1}.get(event["action"], 0) if event.get("origin") != "remote" else 0
            with self._counts_lock:
                self._job_counts = {**self._job_counts, "jobs": self._job_counts.get("jobs", 0) + step}
            self._counts_stale = True
            self.dispatcher.nudge()  # its tick reads the broken count again

    def public_config(self) -> dict[str, Any]:
        config = self.config
        return {"amphi_dir": str(config.root), "root_dir": str(config.root),
                "db_url": self.engine.url.render_as_string(hide_password=True), "timezone": config.timezone,
                "python_executable": config.python_executable,
                "prestarted_interpreters": config.prestarted_interpreters, "max_concurrent_runs": config.max_concurrent_runs,
                "short_run_slots": config.short_run_slots,
                "default_timeout": config.default_timeout, "log_dir": str(config.log_dir),
                "runs_retention": config.runs_retention, "max_log_bytes": config.max_log_bytes,
                "max_log_space": config.max_log_space, "jobs_dir": str(config.jobs_dir or ""),
                "plugins_dir": str(config.plugins_dir or ""), "lease_seconds": config.lease_seconds,
                "notify_urls": [redact(url) for url in config.notify.urls], "notify_on": list(config.notify.on),
                "executor": config.executor,
                "dask_scheduler_address": getattr(self.launcher, "address", None),
                "version": __version__}

    # -- dispatching ------------------------------------------------------------------------
    def _take_over(self) -> None:
        """This server became the dispatcher: take in a 0.9.7 workspace's jobs and runs, make stored jobs
        sound, record what was missed, fire."""
        try:
            self.upgraded_097 = upgrade_097(self.engine, self.scheduler, self.jobs, self.config.log_dir) \
                or self.upgraded_097
        except Exception:  # the jobs it could not take in stay where 0.9.7 left them; ours still fire
            log.exception("upgrading from amphi-scheduler 0.9.7 failed")
        self.jobs.reconcile()
        catch_up(self.scheduler, self.runs)
        self.runs.resume_retries()
        self.scheduler.set_dispatching(True)
        self.runner_jobs.writing = True
        self.runner_jobs.sync(again=True)

    def _step_down(self) -> None:
        self.scheduler.set_dispatching(False)
        self.runner_jobs.writing = False

    def _tick(self, shared: bool) -> None:
        """From the dispatcher's loop: every second while other servers share the database (caches
        are bypassed and the dispatcher looks for fires they added; once alone again, the caches
        start afresh); alone, when jobs changed (job counts for ``GET health`` are read again)."""
        if self.runs.shared and not shared:
            self.jobs.listing.mark()
            self.runs.forget_all()
            self.dependencies.forget()
        self.jobs.listing.shared = self.runs.shared = self.dependencies.shared = shared
        if shared:
            self.scheduler.wakeup()
        if self._counts_stale or shared:  # other servers change jobs without telling this one
            self._counts_stale = False
            self._count_jobs(jobs_too=shared)

    def _dispatch(self, job_id: str, instants: list[float]) -> list[Future]:
        return [self.runs.fire(job_id, instants)]

    def _bury(self, server: Any) -> None:
        """A server died: its active runs can never finish; end what they left running on this host."""
        here = server.host == self.server.host
        reason = (f"interrupted: its server ({server.host}, pid {server.pid}) stopped while it was active"
                  + ("; its processes were ended" if here else "; its processes on that host were not reached"))
        interrupted = self.store.interrupt_runs([server.id], reason)
        for run in interrupted:
            if here:
                end_run(run.execution_id, run.pid, run.process_started_at)
            self.events.publish({"type": "run", "run": run_document(dict(run._mapping) | {
                "status": "interrupted", "reason": reason})})
        if interrupted:
            self.runs.retry_interrupted(interrupted, self.store.job_specs({run.job_id for run in interrupted}))

    def _read_run(self, run_id: int) -> dict[str, Any] | None:
        try:
            return self.history.get(str(run_id))
        except SchedulerError:
            return None  # deleted meanwhile

    def _schedules_changed(self, job_ids: list[str]) -> None:
        """APScheduler wrote next run times (after fires): those jobs' entries in the list are stale."""
        self.jobs.listing.mark(job_ids)

    def _unreadable(self, job_id: str, due: float | None, problem: str) -> None:
        self._repairs.submit(self.jobs.repair, job_id, due, problem)

    def run_overrides(self, job_id: str, parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        """The fields a run-now request replaces for its run only (a notebook's parameters), checked."""
        return run_overrides(self.store, self.executors, self.context, job_id, parameters)

    def _target_checked(self, job_id: str, problem: str | None) -> None:
        self.jobs.note_target(job_id, problem)
