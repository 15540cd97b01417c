"""The run manager: one lifecycle for every run, whatever started it.

``queued → running → success | failure | timed_out | cancelled | interrupted | skipped``

Requests arrive through :meth:`RunManager.submit` (a run now) and :meth:`RunManager.fire`
(scheduled instants), which never block: an intake thread records them in batches (a burst of a
thousand fires costs one commit) and applies the job's policies (overlap, coalesce, catch-up); a
bounded pool of worker threads starts processes, waits for them and records how they ended. The
scheduler thread and the Tornado loop therefore never wait on a run.

A scheduled instant is recorded once: its run carries the fire key ``at:<instant>``, unique per
job in the database, so a fire repeated by a retry or by a second server is not recorded again.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import re
import secrets
import subprocess
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..api.documents import iso, last_run_summary, run_document
from ..batches import batch_after
from ..errors import Conflict, NotFound, SchedulerError
from ..events import EventBus
from ..jobs.pipeline_source import PipelineSources
from ..paths import remove_files
from ..storage.store import Store
from .executors import ExecutionContext, Executor, ExecutorRegistry
from .launchers import Launcher, LocalLauncher, RunProcess, WorkerLost
from .logs import LogLimiter, LogSpace
from .notebooks.artifacts import artifacts_in
from .orphans import RUN_MARKER, LeftoverSweeper
from .retries import Attempt, RetryQueue, next_attempt_delay
from .short_runs import ShortRuns

log = logging.getLogger(__name__)

INTAKE_BATCH = 1000
SETTLE_SECONDS = 2.0  # the longest a read waits for the writes of runs that have ended (see settle)
TIDY_GATHER_SECONDS = 0.15  # runs that end this close together are tidied in one pass, after their answers


@dataclass(frozen=True)
class RunSettings:
    max_concurrent_runs: int
    default_timeout: float | None
    log_dir: Path
    runs_retention: int
    server_id: str | None = None  # recorded on every run this server executes
    max_log_bytes: int = 50 * 1024**2  # per run (0: unbounded)
    max_log_space: int = 0  # all logs together (0: unbounded)
    tail_bytes: int = 8192
    short_run_slots: int = 0  # more slots while runs are short (see short_runs)


@dataclass
class ActiveRun:
    """A run that is queued or running, as the manager tracks it in memory."""

    job_id: str
    job_name: str
    execution_id: str
    triggered_by: str
    scheduled_for: float | None
    queued_at: float
    kind: str
    spec: dict[str, Any]  # the job as defined when the run was queued
    run_id: int = 0
    status: str = "queued"
    started_at: float | None = None
    cwd: str | None = None
    log_path: Path | None = None
    process: RunProcess | None = None
    kill_grace: float = 3.0
    cancel_reason: str | None = None
    held: bool = False  # waiting for an earlier run of the same job (overlap policy "queue")
    fire_key: str | None = None
    server_id: str | None = None
    process_started_at: float | None = None
    attempt: int = 1
    retry_of: int | None = None  # the first attempt's run id
    log_dropped: int = 0  # bytes dropped from its log so far (max_log_bytes)
    warning: str | None = None  # what it started with (its pipeline changed since its code was generated)
    ended: Future = field(default_factory=Future)  # its Outcome once known, before it is written (see settle)
    recorded: threading.Event | None = None  # set once recorded, when it went to a worker before (see _accept)
    unrecorded: bool = False  # its record failed: the caller heard why, and the run must not go on
    finished: Future = field(default_factory=Future)  # its Outcome once written and announced

    def row(self) -> dict[str, Any]:
        return {"id": self.run_id, "job_id": self.job_id, "job_name": self.job_name,
                "execution_id": self.execution_id, "triggered_by": self.triggered_by, "status": self.status,
                "reason": None, "scheduled_for": self.scheduled_for, "queued_at": self.queued_at,
                "started_at": self.started_at, "finished_at": None, "exit_code": None,
                "pid": self.process.pid if self.process else None,
                "log_path": str(self.log_path) if self.log_path else None, "output_tail": None,
                "fire_key": self.fire_key, "server_id": self.server_id,
                "process_started_at": self.process_started_at, "attempt": self.attempt, "retry_of": self.retry_of,
                "retry_at": None, "warning": self.warning}


@dataclass
class Accepted:
    """What :meth:`RunManager.submit` resolves to: the run as recorded (``None``: its fire key was
    recorded before, by a retry or another server), and futures of its :class:`Outcome`: ``ended``
    as soon as it is known, ``finished`` once it is written and announced."""

    run: dict[str, Any] | None
    finished: Future
    ended: Future


@dataclass(frozen=True)
class Outcome:
    """A finished run: its document, where it ran, and its whole log when that fitted in the kept tail."""

    run: dict[str, Any]
    cwd: str | None = None
    whole_log: str | None = None


@dataclass
class _Request:
    """What the intake records: one run, or (``instants``) one record per scheduled instant."""

    job_id: str
    triggered_by: str
    received_at: float
    accepted: Future
    fire_key: str | None = None
    scheduled_for: float | None = None
    attempt: int = 1
    retry_of: int | None = None
    instants: tuple[float, ...] = ()
    missed: bool = False  # the instants passed while no server was dispatching: the job's catch-up policy
    uncounted: tuple[int, float, float] | None = None  # (count, first, last) missed instants not listed
    overrides: dict[str, Any] | None = None  # fields of the job replaced for this run only (parameters)


def fire_key(instant: float) -> str:
    """The key of a scheduled instant, the same on every server that computes it."""
    return f"at:{instant:.6f}"


def execution_id(name: str, at: float) -> str:
    """``<job>_<YYYYmmdd_HHMMSS>_<suffix>``: readable, sortable, unique."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:60] or "job"
    stamp = datetime.fromtimestamp(at, timezone.utc).strftime("%Y%m%d_%H%M%S")
    return f"{slug}_{stamp}_{secrets.token_hex(4)}"


def read_tail(path: Path | None, size: int) -> tuple[str, bool]:
    """The last ``size`` bytes of a log (from a line start when cut), and whether that is all of it."""
    if path is None or not path.exists():
        return "", True
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        length = handle.tell()
        handle.seek(max(0, length - size))
        data = handle.read()
    if length > size and b"\n" in data:
        data = data.split(b"\n", 1)[1]
    return data.decode("utf-8", errors="replace"), length <= size


def _pass_on(done: Future, to: Future) -> None:
    if done.exception() is not None:
        to.set_exception(done.exception())
    else:
        to.set_result(done.result())


def _attempt_after(run: Any, due: float) -> Attempt:
    """The attempt that follows ``run`` (a row or a mapping of one), due at ``due``."""
    get = run.get if isinstance(run, dict) else lambda key: getattr(run, key)
    return Attempt(due, get("job_id"), (get("attempt") or 1) + 1, get("retry_of") or get("id"),
                   get("triggered_by"), get("scheduled_for"))


def _planned(request: _Request, spec: dict[str, Any]) -> list[tuple[float | None, str | None, str | None]]:
    """``(scheduled_for, fire_key, skip_reason)`` of each record a request makes, by the job's policies."""
    if not request.instants:
        return [(request.scheduled_for, request.fire_key, None)]
    latest = request.instants[-1]
    if request.missed:
        policy = spec.get("catch_up") or "run_once"
        why = f"skipped: missed while no server was dispatching (catch_up {policy!r}"
        reason = why + (", which runs only the latest missed fire)" if policy == "run_once" else ")")
        run_latest = policy == "run_once"
    else:
        reason = f"skipped: coalesced into the fire due at {iso(latest)} (coalesce)"
        run_latest = bool(spec.get("coalesce")) and len(request.instants) > 1
        if not run_latest:
            return [(instant, fire_key(instant), None) for instant in request.instants]
    plan = [(instant, fire_key(instant), reason) for instant in request.instants]
    if run_latest:
        plan[-1] = (latest, fire_key(latest), None)
    if request.uncounted:
        count, first, last = request.uncounted
        plan.insert(0, (first, f"missed:{first:.6f}-{last:.6f}",
                        f"skipped: {count} more fires from {iso(first)} to {iso(last)} were missed while no server "
                        f"was dispatching"))
    return plan


class RunManager:
    def __init__(self, store: Store, executors: ExecutorRegistry, context: ExecutionContext, settings: RunSettings,
                 events: EventBus, launcher: Launcher | None = None,
                 on_target: Callable[[str, str | None], None] | None = None,
                 sweeper: LeftoverSweeper | None = None) -> None:
        self._store = store
        self._executors = executors
        self._context = context
        self._settings = settings
        self._events = events
        self._launcher = launcher or LocalLauncher()
        self._on_target = on_target or (lambda job_id, problem: None)  # the target was missing / was found
        self._sweeper = sweeper
        self._sources = PipelineSources(context.root)
        self._retries = RetryQueue(self.start_attempt)
        self._logs = LogLimiter(settings.max_log_bytes, self._log_compacted)
        self._log_space = LogSpace(settings.log_dir, settings.max_log_space, store.oldest_logs, self._log_removed)
        self._random = random.Random()
        self._intake: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._ready: queue.SimpleQueue[ActiveRun | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._active: dict[int, ActiveRun] = {}
        self._finishing: set[int] = set()  # runs that ended and are not written yet (see settle)
        self._settled = threading.Condition()
        self._per_job: dict[str, list[ActiveRun]] = defaultdict(list)
        self._waiting: dict[str, deque[ActiveRun]] = defaultdict(deque)
        self._threads: list[threading.Thread] = []
        self._housekeeping: threading.Thread | None = None
        self._finished_runs: queue.SimpleQueue[tuple[str, Path | None] | None] = queue.SimpleQueue()  # to tidy after
        self._definitions: dict[str, Any] = {}  # job id -> (id, name, kind, spec), until the job changes
        self._definitions_version = 0
        self.shared = False  # other servers change jobs too: read definitions for every request
        self._stopping = False
        self._short_runs = ShortRuns()

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._settings.log_dir.mkdir(parents=True, exist_ok=True)
        self._threads = [threading.Thread(target=self._intake_loop, name="pipeline-scheduler-intake", daemon=True)]
        self._housekeeping = threading.Thread(target=self._housekeeping_loop, name="pipeline-scheduler-housekeeping",
                                              daemon=True)
        self._housekeeping.start()
        self._threads += [threading.Thread(target=self._worker_loop, name=f"pipeline-scheduler-worker-{n}", daemon=True)
                          for n in range(self._settings.max_concurrent_runs)]
        self._threads += [threading.Thread(target=self._worker_loop, args=(self._short_runs.gate,),
                                           name=f"pipeline-scheduler-short-worker-{n}", daemon=True)
                          for n in range(self._settings.short_run_slots)]
        for thread in self._threads:
            thread.start()
        self._retries.begin()
        self._logs.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking runs, cancel queued ones, end running processes and record them ``cancelled``."""
        self._stopping = True
        self._retries.stop()
        self._logs.stop()
        self._intake.put(None)
        with self._lock:
            active = list(self._active.values())
        for run in active:
            self.cancel(run.run_id, "the server stopped")
        self._short_runs.open_for_stop()
        for _ in range(self._settings.max_concurrent_runs + self._settings.short_run_slots):
            self._ready.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._finished_runs.put(None)  # after what the workers left to tidy
        if self._housekeeping is not None:
            self._housekeeping.join()

    # -- public API (any thread) ------------------------------------------------------------
    def submit(self, job_id: str, triggered_by: str, key: str | None = None,
               overrides: dict[str, Any] | None = None) -> Future:
        """Ask for a run; the returned future resolves to :class:`Accepted` once it is recorded
        (``Accepted.run`` is ``None`` when the job already has a run with fire key ``key``).
        ``overrides`` replace fields of the job for this run only (checked by the caller)."""
        return self._enqueue(_Request(job_id, triggered_by, time.time(), Future(), fire_key=key, overrides=overrides))

    def submit_to_end(self, job_id: str, triggered_by: str, overrides: dict[str, Any] | None = None) -> Future:
        """:meth:`submit`, as one future of the run's :class:`Outcome`, resolved as soon as the run
        ended (before its end is written: readers :meth:`settle` first): a caller waiting for the end
        is woken once, not also when the run is recorded."""
        ended: Future = Future()

        def recorded(accepted: Future) -> None:
            if accepted.exception() is not None:
                ended.set_exception(accepted.exception())
            else:
                accepted.result().ended.add_done_callback(lambda outcome: _pass_on(outcome, ended))

        self.submit(job_id, triggered_by, overrides=overrides).add_done_callback(recorded)
        return ended

    def fire(self, job_id: str, instants: list[float], *, missed: bool = False,
             uncounted: tuple[int, float, float] | None = None) -> Future:
        """Record the scheduled ``instants`` of a job, each as its own run or ``skipped`` record; the
        future resolves to the list of :class:`Accepted` once all are recorded.

        Instants due together run each (the overlap policy decides), unless the job coalesces:
        then the latest runs and the others are recorded ``skipped``. ``missed`` instants passed
        while no server was dispatching and follow the job's ``catch_up`` policy instead;
        ``uncounted`` summarises missed instants too many to list, in one record.
        """
        return self._enqueue(_Request(job_id, "schedule", time.time(), Future(), instants=tuple(instants),
                                      missed=missed, uncounted=uncounted))

    def start_attempt(self, attempt: Attempt) -> Future:
        """Record the next attempt of a run (a retry) to run now."""
        return self._enqueue(_Request(attempt.job_id, attempt.triggered_by, time.time(), Future(),
                                      fire_key=attempt.fire_key, scheduled_for=attempt.scheduled_for,
                                      attempt=attempt.number, retry_of=attempt.first))

    def resume_retries(self) -> int:
        """Wait again for the retries recorded as due and not yet started (after a restart or a takeover)."""
        pending = self._store.pending_retries()
        for run in pending:
            self._retries.add(_attempt_after(run, max(run.retry_at, time.time())))
        return len(pending)

    def retry_interrupted(self, runs: list[Any], specs: dict[str, Any]) -> None:
        """Runs a dead server left behind and marked interrupted: retried where their job asks for it."""
        for run in runs:
            job = specs.get(run.job_id)
            spec = job.spec if job is not None and isinstance(job.spec, dict) else {}
            delay = next_attempt_delay(spec, "interrupted", run.attempt or 1, self._random)
            if delay is not None:
                due = time.time() + delay
                self._store.update_run(run.id, retry_at=due)
                self._retries.add(_attempt_after(run, due))

    def _enqueue(self, request: _Request) -> Future:
        if self._stopping:
            request.accepted.set_exception(SchedulerError("the scheduler is stopping"))
        else:
            self._intake.put(request)
        return request.accepted

    def cancel(self, run_id: int, reason: str = "cancelled by the user") -> bool:
        """Cancel a queued or running run; ``False`` when it is not active."""
        with self._lock:
            run = self._active.get(run_id)
            if run is None or run.cancel_reason is not None:
                return run is not None
            run.cancel_reason = reason
            status, process = run.status, run.process
            if run.held:
                self._waiting[run.job_id].remove(run)
        if status == "queued":
            self._finish(run, "cancelled", reason)
        elif process is not None:
            process.stop(run.kill_grace)
        return True

    def on_event(self, event: dict[str, Any]) -> None:
        """Event listener: a job that was saved or deleted is read again for its next run."""
        if event.get("type") == "job":
            self.forget_job(event["id"])

    def forget_job(self, job_id: str) -> None:
        with self._lock:
            self._definitions.pop(job_id, None)
            self._definitions_version += 1

    def forget_all(self) -> None:
        with self._lock:
            self._definitions.clear()
            self._definitions_version += 1

    def settle(self, timeout: float = SETTLE_SECONDS) -> None:
        """Wait until the runs that have ended so far are written and announced. An answer to a run
        that waited for its end goes out before its last commit; whatever reads runs or jobs on this
        server afterwards (API calls, the intake's policies) calls this first, so nobody sees a run
        still going after being told it ended. Bounded: while the database is locked, readers go on
        (WAL lets them) rather than wait with the write."""
        deadline = time.monotonic() + timeout
        with self._settled:
            pending = set(self._finishing)
            while pending & self._finishing and (left := deadline - time.monotonic()) > 0:
                self._settled.wait(left)

    def is_active(self, run_id: int) -> bool:
        with self._lock:
            return run_id in self._active

    def counts(self) -> dict[str, int]:
        with self._lock:
            running = sum(1 for run in self._active.values() if run.status == "running")
            return {"running": running, "queued": len(self._active) - running}

    # -- intake -----------------------------------------------------------------------------
    def _intake_loop(self) -> None:
        while True:
            first = self._intake.get()
            if first is None:
                return
            batch = batch_after(first, self._intake, INTAKE_BATCH)
            try:
                self._accept(batch)
            except Exception as error:  # the database failed: every caller hears about it
                log.exception("could not record %d run(s)", len(batch))
                for request in batch:
                    if not request.accepted.done():
                        request.accepted.set_exception(error)

    def _accept(self, batch: list[_Request]) -> None:
        self.settle()  # a run that just ended has freed its job's slot
        jobs = self._definitions_of({request.job_id for request in batch})
        admitted: list[tuple[_Request, list[ActiveRun]]] = []
        with self._lock:
            for request in batch:
                job = jobs.get(request.job_id)
                if job is None:
                    request.accepted.set_exception(NotFound(f"job {request.job_id} not found", "job_id"))
                    continue
                if not isinstance(job.spec, dict):
                    request.accepted.set_exception(Conflict(f"job {job.id} is broken: its stored definition cannot "
                                                            "be read; save it again with PUT", "job_id"))
                    continue
                runs = []
                spec = {**job.spec, **request.overrides} if request.overrides else job.spec
                for scheduled_for, key, skip_reason in _planned(request, job.spec):
                    run = ActiveRun(job.id, job.name, execution_id(job.name, request.received_at),
                                    request.triggered_by, scheduled_for, request.received_at, job.kind, spec,
                                    fire_key=key, server_id=self._settings.server_id, attempt=request.attempt,
                                    retry_of=request.retry_of)
                    skip_reason = skip_reason or self._overlap_verdict(job.spec, len(self._per_job[job.id]))
                    if skip_reason:
                        run.status, run.cancel_reason = "skipped", skip_reason
                    else:
                        self._per_job[job.id].append(run)
                        if self._starts_while_recorded(request, run):
                            run.recorded = threading.Event()
                    runs.append(run)
                admitted.append((request, runs))
        if not admitted:
            return
        early = [run for _, runs in admitted for run in runs if run.recorded is not None]
        for run in early:
            self._ready.put(run)
        everything = [run for _, runs in admitted for run in runs]
        rows = []
        for run in everything:
            row = run.row()
            del row["id"]  # assigned by the database
            if run.status == "skipped":
                row.update(reason=run.cancel_reason, finished_at=run.queued_at)
            rows.append(row)
        try:
            ids = self._store.insert_runs(rows)
        except Exception:
            self._release(everything)
            for run in early:
                run.unrecorded = True
                run.recorded.set()
            raise
        self._release([run for run, run_id in zip(everything, ids) if run_id is None])  # recorded before
        documents = {}
        for run, run_id, row in zip(everything, ids, rows):
            if run_id is not None:
                run.run_id = row["id"] = run_id
                documents[id(run)] = run_document(row)
        for request, runs in admitted:
            accepted = []
            for run in runs:
                document = documents.get(id(run))
                if document is not None:
                    self._events.publish({"type": "run", "run": document})  # before a worker can say "running"
                    if run.status == "skipped":
                        run.ended.set_result(Outcome(document))
                        run.finished.set_result(Outcome(document))
                    elif run.recorded is not None:
                        self._admit_started(run)
                    else:
                        self._admit(run)
                accepted.append(Accepted(document, run.finished, run.ended))
            request.accepted.set_result(accepted if request.instants else accepted[0])

    def _starts_while_recorded(self, request: _Request, run: ActiveRun) -> bool:
        """Whether a run goes to the workers before its record is written (lock held): a run asked for
        now (no fire key: nothing can make its record a duplicate) that would start at once. Its
        process starts while the record is written; it waits for the record before it reports anything."""
        if request.fire_key or request.instants or self._stopping:
            return False
        return run.spec.get("overlap_policy") != "queue" or self._per_job[run.job_id][0] is run

    def _release(self, runs: list[ActiveRun]) -> None:
        """Free the job slots of runs that were not recorded."""
        with self._lock:
            for run in runs:
                if run in self._per_job[run.job_id]:
                    self._per_job[run.job_id].remove(run)
                if not self._per_job[run.job_id]:
                    self._per_job.pop(run.job_id, None)

    def _definitions_of(self, job_ids: set[str]) -> dict[str, Any]:
        """Job definitions from memory, reading the database only for jobs not seen since they changed."""
        if self.shared:
            return self._store.job_specs(job_ids)
        with self._lock:
            version = self._definitions_version
            known = {job_id: self._definitions[job_id] for job_id in job_ids if job_id in self._definitions}
        missing = job_ids - known.keys()
        if missing:
            loaded = self._store.job_specs(missing)
            known.update(loaded)
            with self._lock:
                if version == self._definitions_version:  # no job changed while we read
                    self._definitions.update(loaded)
        return known

    @staticmethod
    def _overlap_verdict(spec: dict[str, Any], active: int) -> str | None:
        """Why a new run must be skipped under the job's overlap policy, or ``None``."""
        policy = spec.get("overlap_policy") or "skip"
        if policy == "skip" and active:
            return "skipped: the previous run is still active (overlap policy 'skip')"
        limit = spec.get("max_parallel") or 1
        if policy == "parallel" and active >= limit:
            return f"skipped: {limit} run(s) already active (overlap policy 'parallel', max {limit})"
        return None

    def _admit_started(self, run: ActiveRun) -> None:
        """A run that went to the workers before it was recorded now has its record (and its id)."""
        with self._lock:
            self._active[run.run_id] = run
            if self._stopping:
                run.cancel_reason = "the server stopped"
        assert run.recorded is not None
        run.recorded.set()

    def _admit(self, run: ActiveRun) -> None:
        """Hand a recorded run to the workers, or hold it behind its job's earlier run (policy "queue")."""
        with self._lock:
            self._active[run.run_id] = run
            if self._stopping:
                run.cancel_reason = "the server stopped"
            elif run.spec.get("overlap_policy") == "queue" and self._per_job[run.job_id][0] is not run:
                run.held = True
                self._waiting[run.job_id].append(run)
                return
        if run.cancel_reason is not None:
            self._finish(run, "cancelled", run.cancel_reason)
        else:
            self._ready.put(run)

    # -- execution --------------------------------------------------------------------------
    def _worker_loop(self, gate: threading.Event | None = None) -> None:
        """Run what is ready; an extra slot (``gate``) takes a run only while runs are short."""
        while True:
            if gate is not None:
                gate.wait()
            run = self._ready.get()
            if run is None:
                return
            try:
                self._execute(run)
            except Exception as error:
                log.exception("run %s failed inside the scheduler", run.execution_id)
                if not run.finished.done():
                    self._finish(run, "failure", f"internal error: {error}")

    def _execute(self, run: ActiveRun) -> None:
        with self._lock:
            if run.cancel_reason is not None:
                return  # cancel() already recorded it
            run.status = "starting"
        run.warning = self._sources.stale_warning(run.spec)
        if run.warning and run.spec.get("on_stale") == "fail":
            self._fail_to_start(run, f"not started: {run.warning} (on_stale 'fail')")
            return
        try:
            executor = self._executors.get(run.kind)
            command = executor.command(run.job_id, run.execution_id, run.spec, self._context)
        except (SchedulerError, KeyError) as error:
            problem = f"cannot run: {getattr(error, 'message', error)}"
            self._on_target(run.job_id, problem)
            self._fail_to_start(run, problem)
            return
        run.log_path = self._settings.log_dir / run.job_id / f"{run.execution_id}.log"
        try:
            run.log_path.parent.mkdir(parents=True, exist_ok=True)
            run.log_path.touch()
            if run.warning:
                with open(run.log_path, "a", encoding="utf-8") as head:
                    head.write(f"warning: {run.warning}\n")
        except OSError as error:
            log_path, run.log_path = run.log_path, None
            self._fail_to_start(run, f"cannot write the run's log {log_path}: {error.strerror or error}")
            return
        run.cwd, run.kill_grace = str(command.cwd), command.kill_grace
        timeout = run.spec.get("timeout") or self._settings.default_timeout
        try:
            process = self._launcher.start(command, run.log_path,
                                           {**os.environ, **(run.spec.get("env") or {}), RUN_MARKER: run.execution_id},
                                           run.execution_id, run.spec.get("resources"))
        except OSError as error:
            self._fail_to_start(run, f"could not start {command.argv[0]}: {error.strerror or error}")
            return
        started_at = time.time()
        if not self._await_record(run):
            process.stop(run.kill_grace)
            remove_files([str(run.log_path)])
            return
        self._on_target(run.job_id, None)
        self._logs.watch(run.run_id, run.log_path)
        with self._lock:
            run.process, run.status, run.started_at = process, "running", started_at
            run.process_started_at = process.started_at
            cancelled_meanwhile = run.cancel_reason is not None
        if cancelled_meanwhile:
            process.stop(run.kill_grace)
        started = run.row()
        self._store.record_run(run.run_id, run.job_id, last_run_summary(started), status="running",
                               started_at=run.started_at, pid=process.pid, log_path=started["log_path"],
                               process_started_at=run.process_started_at, warning=run.warning)
        self._events.publish({"type": "run", "run": run_document(started)})
        status, reason, exit_code = self._wait(run, process, timeout, executor)
        self._finish(run, status, reason, exit_code)

    @staticmethod
    def _await_record(run: ActiveRun) -> bool:
        """Wait for the record of a run that went to a worker before it was written; whether it was."""
        if run.recorded is not None:
            run.recorded.wait()
        return not run.unrecorded

    def _fail_to_start(self, run: ActiveRun, problem: str) -> None:
        if self._await_record(run):
            self._finish(run, "failure", problem)

    def _wait(self, run: ActiveRun, process: RunProcess, timeout: float | None,
              executor: Executor) -> tuple[str, str | None, int | None]:
        timed_out = False
        try:
            exit_code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.stop(run.kill_grace)
            exit_code, timed_out = process.wait(), True
        except WorkerLost as error:
            return "interrupted", f"interrupted: {error}", None
        if timed_out or run.cancel_reason is not None or run.spec.get("kill_leftovers", True):
            process.end_leftovers()  # what is left in its group, then (later) what escaped it
            if self._sweeper is not None and process.pid is not None:
                self._sweeper.sweep(run.execution_id, run.started_at or run.queued_at)
        if run.cancel_reason is not None:
            return "cancelled", run.cancel_reason, exit_code
        if timed_out:
            return "timed_out", f"timed out after {timeout:g} s", exit_code
        meaning = executor.outcome(exit_code)
        if meaning is not None:
            return meaning[0], meaning[1], exit_code
        if exit_code == 0:
            return "success", None, 0
        said = executor.failure_reason(run.job_id, run.execution_id, self._context)
        return "failure", said or f"exited with code {exit_code}", exit_code

    def _finish(self, run: ActiveRun, status: str, reason: str | None, exit_code: int | None = None) -> None:
        """The one place a run ends: answer whoever waits for its end, write it, free its slot, tell listeners."""
        row = run.row()
        run.log_dropped += self._logs.finish(run.run_id, run.log_path)
        tail, whole = read_tail(run.log_path, self._settings.tail_bytes)
        row.update(status=status, reason=reason, exit_code=exit_code, finished_at=time.time(), output_tail=tail,
                   log_truncated=run.log_dropped or None)
        if run.started_at is not None:
            self._short_runs.ended(row["finished_at"] - run.started_at)
        delay = None if self._stopping else next_attempt_delay(run.spec, status, run.attempt, self._random)
        if delay is not None:
            row["retry_at"] = row["finished_at"] + delay
        document = run_document(row)
        outcome = Outcome(document, run.cwd, tail if whole else None)
        with self._settled:
            self._finishing.add(run.run_id)
        if not run.ended.done():
            run.ended.set_result(outcome)  # its answer goes out while its end is written
        try:
            self._record_end(run, row)
            # listeners hear of the end before in-process waiters, with the settings the run ran with (not sent
            # to clients)
            self._events.publish({"type": "run", "run": document, "spec": run.spec})
            if delay is not None:
                self._retries.add(_attempt_after(row, row["retry_at"]))
            run.finished.set_result(outcome)
            self._finished_runs.put((run.job_id, run.log_path))
        finally:
            with self._settled:
                self._finishing.discard(run.run_id)
                self._settled.notify_all()

    def _record_end(self, run: ActiveRun, row: dict[str, Any]) -> None:
        """Write how a run ended, then free its job's slot (and start the run held behind it)."""
        try:
            self._store.record_run(run.run_id, run.job_id, last_run_summary(row),
                                   **{key: row[key] for key in ("status", "reason", "exit_code", "finished_at",
                                                                "output_tail", "log_path", "started_at", "retry_at",
                                                                "log_truncated")})
        finally:
            with self._lock:
                run.status = row["status"]
                self._active.pop(run.run_id, None)
                siblings = self._per_job.get(run.job_id, [])
                if run in siblings:
                    siblings.remove(run)
                if not siblings:
                    self._per_job.pop(run.job_id, None)
                following = None
                waiting = self._waiting.get(run.job_id)
                if waiting and not run.held:  # a held run never had the job's slot, so frees none
                    following = waiting.popleft()
                    following.held = False
                if waiting is not None and not waiting:
                    self._waiting.pop(run.job_id, None)
            if following is not None:
                self._ready.put(following)

    def _housekeeping_loop(self) -> None:
        """Tidy after finished runs, a batch at a time: a stream of runs costs one prune per job and
        pass, and a pass never competes with the answer of the run that started it."""
        while True:
            first = self._finished_runs.get()
            if first is None:
                return
            time.sleep(TIDY_GATHER_SECONDS)
            batch = batch_after(first, self._finished_runs, INTAKE_BATCH)
            try:
                self._tidy(batch)
            except Exception:
                log.exception("tidying after %d run(s) failed", len(batch))

    def _tidy(self, finished: list[tuple[str, Path | None]]) -> None:
        """After runs: prune their jobs' old runs (``runs_retention``), keep all logs within ``max_log_space``."""
        if self._settings.runs_retention > 0:
            for job_id in dict.fromkeys(job_id for job_id, _ in finished):
                pruned = self._store.prune_runs(job_id, self._settings.runs_retention)
                remove_files(pruned)
                if pruned:
                    artifacts_in(self._context.state_dir).sweep(job_id, self._store.execution_ids)
        for _, log_path in finished:
            self._log_space.add(log_path)

    def _log_compacted(self, run_id: int, dropped: int) -> None:
        """The log of a running run was compacted: recorded at once, so that readers know (see history)."""
        with self._lock:
            run = self._active.get(run_id)
            if run is None:
                return
            run.log_dropped += dropped
            total = run.log_dropped
        self._store.update_run(run_id, log_truncated=total)

    def _log_removed(self, run_id: int, size: int) -> None:
        """The log of an old finished run was removed to make room (max_log_space)."""
        self._store.update_run(run_id, log_path=None, log_truncated=size)
