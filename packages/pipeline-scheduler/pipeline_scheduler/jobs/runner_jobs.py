"""Runner-config jobs on the server: the jobs directory kept in sync, and the registry of the MXX server.

Config files in ``jobs_dir`` become jobs named after their file (``daily_backup.toml`` → job
``daily_backup``): loaded at start-up, then re-read when a file is added, edited or removed (or a
template or the global config changes). A file that does not validate is reported with its error
(file, section, field, line) and leaves the other jobs, and its own previous version, untouched.
A job paused through the API (or cancelled through the registry) stays paused when its file is
read again. Only the dispatcher writes jobs from files, so that servers sharing a root do not race.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from ..api.payloads import Payload, parse_payload
from ..directory_watch import DirectoryWatch
from ..errors import Conflict, Invalid, NotFound, SchedulerError
from ..execution.executors import ExecutionContext
from ..execution.executors.runner_config import PluginsOnDemand, check_config
from ..paths import relative_to_root
from ..runner.files import job_files, job_id_for
from ..storage.store import Store
from .service import JobService

log = logging.getLogger(__name__)

JOBS_DIR_ORIGIN = "jobs_dir"
REGISTRY_TYPES = ("all", "scheduled", "on_demand")
# How often watchfiles' thread (where inotify is missing, or polling is forced) wakes to collect
# notifications and look at its stop event: its default (50 ms) costs an idle server 0.04 CPU-s a minute.
WATCH_STEP_MS = 1000
SETTLE_SECONDS = 0.3  # after a change, for the rest of a save to land (watchfiles' debounce)


class RegisterRequest(Payload):
    """``POST registry``, as the MXX server took it."""

    job_id: str
    config: dict[str, Any]
    schedule: dict[str, Any] | None = None
    replace_existing: bool = False


class RunnerJobs:
    def __init__(self, jobs: JobService, store: Store, context: ExecutionContext, plugins: PluginsOnDemand,
                 poll_seconds: float) -> None:
        self._jobs = jobs
        self._store = store
        self._context = context
        self.plugins = plugins
        self._poll_seconds = poll_seconds
        self._seen: dict[Path, tuple] = {}
        self.writing = True  # this server may write jobs from files (it is the dispatcher)
        self.errors: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._directory_watch: DirectoryWatch | None = None
        self._lock = threading.Lock()

    @property
    def jobs_dir(self) -> Path | None:
        return self._context.jobs_dir

    # -- jobs directory ---------------------------------------------------------------------
    def start(self) -> None:
        if self.jobs_dir is None:
            return
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.sync()
        if self._poll_seconds > 0:
            self._thread = threading.Thread(target=self._watch, name="pipeline-scheduler-jobs-dir", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._directory_watch is not None:
            self._directory_watch.nudge()
        if self._thread is not None:
            self._thread.join(5)

    def _watch(self) -> None:
        """Sync when the file system says something changed: no scanning (and no CPU) while idle. With
        inotify (Linux) the thread sleeps until a file of the directory changes; elsewhere, and where
        notifications do not work (network file systems: ``WATCHFILES_FORCE_POLLING=1``), watchfiles
        collects them once a second, or polls every ``jobs_dir_poll`` seconds."""
        watch = DirectoryWatch(self.jobs_dir)
        if watch.notified and not os.environ.get("WATCHFILES_FORCE_POLLING"):
            self._directory_watch = watch
            try:
                self._watch_notified(watch)
            finally:
                watch.close()
            return
        watch.close()
        self._watch_with_watchfiles()

    def _watch_notified(self, watch: DirectoryWatch) -> None:
        while not self._stop.is_set():
            if not watch.wait(None) or self._stop.wait(SETTLE_SECONDS):
                continue
            try:
                self.sync()
            except Exception:
                log.exception("scanning the jobs directory %s failed", self.jobs_dir)

    def _watch_with_watchfiles(self) -> None:
        from watchfiles import watch  # only servers with a jobs directory pay for it

        for _changes in watch(self.jobs_dir, stop_event=self._stop, debounce=300, step=WATCH_STEP_MS, rust_timeout=0,
                              poll_delay_ms=int(self._poll_seconds * 1000), raise_interrupt=False):
            try:
                self.sync()
            except Exception:
                log.exception("scanning the jobs directory %s failed", self.jobs_dir)

    def sync(self, *, again: bool = False) -> None:
        """Bring the jobs defined by files in line with the files, touching only what changed
        (``again``: every file, e.g. after another server was writing them)."""
        if self.jobs_dir is None or not self.writing:
            return
        with self._lock:
            if again:
                self._seen.clear()
            files: dict[str, Path] = {}
            for path in job_files(self.jobs_dir):
                job_id = job_id_for(path)
                if job_id in files:
                    self._report(path, f"job id {job_id!r} is already defined by {files[job_id].name}")
                    continue
                files[job_id] = path
            shared = _signature(p for p in self.jobs_dir.iterdir() if p.is_file() and p not in files.values())
            for job_id, path in files.items():
                signature = (_signature([path]), shared)
                if self._seen.get(path) != signature:
                    self._seen[path] = signature
                    self._load(job_id, path)
            for gone in [p for p in self._seen if p not in files.values()]:
                del self._seen[gone]
                self.errors.pop(str(gone), None)
            for job in self._store.jobs_of_kind("runner_config"):
                if _origin(job) == JOBS_DIR_ORIGIN and job.id not in files:
                    self._remove(job.id)

    def _load(self, job_id: str, path: Path) -> None:
        try:
            existing = self._store.get_job(job_id)
            if existing is not None and _origin(existing) != JOBS_DIR_ORIGIN:
                raise Invalid(f"job id {job_id!r} is taken by a job created through the API")
            config = check_config(path, "config", self._context, self.plugins.get(), job_id)
            paused = {"paused": True} if existing is not None and existing.paused else {}
            self._jobs.create({"id": job_id, "name": job_id, **self._target(path), **_schedule_payload(config),
                               **paused}, origin=JOBS_DIR_ORIGIN)
        except SchedulerError as error:
            self._report(path, error.message, error.details)
        else:
            self.errors.pop(str(path), None)
            log.info("runner config %s loaded as job %s", path, job_id)

    def _target(self, path: Path) -> dict[str, Any]:
        root = self._context.root.resolve()
        if root in path.resolve().parents:
            return {"pipeline_path": relative_to_root(root, path.resolve())}
        from ..runner.config import read_source  # the runner's config reader, loaded once there is a file

        return {"runner_config": read_source(path).data}  # a jobs directory outside the root

    def _remove(self, job_id: str) -> None:
        try:
            self._jobs.delete(job_id)
            log.info("job %s removed: its runner config is gone", job_id)
        except SchedulerError as error:
            log.warning("job %s could not be removed: %s", job_id, error.message)

    def _report(self, path: Path, message: str, details: dict | None = None) -> None:
        located = {key: (details or {}).get(key) for key in ("section", "field", "line")}
        self.errors[str(path)] = {"file": str(path), "error": message, **located}
        log.warning("runner config %s: %s", path, message)

    # -- registry ---------------------------------------------------------------------------
    def register(self, payload: Any) -> str:
        """``POST registry``: a runner config registered under a job id (scheduled when it has a schedule)."""
        request = parse_payload(RegisterRequest, payload)
        existing = self._store.get_job(request.job_id)
        if existing is not None and not request.replace_existing:
            raise Conflict(f"job_id: a job {request.job_id!r} already exists (send replace_existing: true)",
                           "job_id")
        if existing is not None and _origin(existing) == JOBS_DIR_ORIGIN:
            raise Conflict(f"job_id: job {request.job_id!r} is defined by a file of the jobs directory", "job_id")
        config = dict(request.config)
        if request.schedule is not None:
            config["schedule"] = request.schedule
        validated = check_config(config, "config", self._context, self.plugins.get(), request.job_id)
        return self._jobs.create({"id": request.job_id, "name": request.job_id, "runner_config": config,
                                  **_schedule_payload(validated)}, origin="registry")

    def entries(self, kind: str | None) -> dict[str, Any]:
        """``GET registry?type=``: runner-config jobs, scheduled or on demand, and the files that failed."""
        kind = kind or "all"
        if kind not in REGISTRY_TYPES:
            raise Invalid(f"type: one of {', '.join(REGISTRY_TYPES)}", "type")
        entries = [_entry(job) for job in self._store.jobs_of_kind("runner_config")]
        return {"jobs": [e for e in entries if kind == "all" or e["type"] == kind],
                "errors": sorted(self.errors.values(), key=lambda error: error["file"])}

    def entry(self, job_id: str) -> dict[str, Any]:
        job = self._store.get_job(job_id)
        if job is None or job.kind != "runner_config":
            raise NotFound("Job not found in the registry", "job_id")
        return _entry(job)

    def unregister(self, job_id: str) -> None:
        entry = self.entry(job_id)
        if entry["origin"] == JOBS_DIR_ORIGIN:
            raise Conflict(f"job {job_id} is defined by {entry['source']}: delete that file instead", "job_id")
        self._jobs.delete(job_id)


def _schedule_payload(config: Any) -> dict[str, Any]:
    return config.schedule.to_trigger_payload() if config.schedule is not None else {"schedule_type": "manual"}


def _origin(job: Any) -> str:
    return job.spec.get("origin", "api") if isinstance(job.spec, dict) else "api"


def _entry(job: Any) -> dict[str, Any]:
    spec = job.spec if isinstance(job.spec, dict) else {}
    return {"job_id": job.id, "type": "on_demand" if spec.get("schedule_type") == "manual" else "scheduled",
            "origin": spec.get("origin", "api"), "source": spec.get("pipeline_path") or "api",
            "config": spec.get("runner_config"), "paused": job.paused, "trigger": job.description}


def _signature(paths: Any) -> tuple:
    stats = []
    for path in sorted(paths):
        try:
            stat = path.stat()
        except OSError:
            continue
        stats.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(stats)
