"""Job definitions: validate, persist, schedule. The one home of the rules about what a job may be.

Every write (create, update, pause, delete, reconcile) holds one lock from reading the current
job to scheduling the new one, so that concurrent requests and the jobs-directory watcher never
lose each other's changes or slip a dependency cycle past the check.

A job whose stored definition cannot be scheduled (it does not parse, names an unknown schedule
type, a cron that no longer validates) is **broken**: it keeps its row and shows the reason, never
fires, and is fixed with ``PUT`` or deleted. A job whose target file vanished is shown broken too
but keeps firing, so that each instant is recorded (as a failed run saying why).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..api.documents import iso, job_document, job_fields, jobs_list, splice_job
from ..api.payloads import JobSpec, PreviewRequest, merge_update, parse_payload, refuse_server_set
from ..errors import Conflict, Invalid, NotFound, SchedulerError
from ..events import EventBus
from ..execution.executors import ExecutionContext, ExecutorRegistry
from ..execution.executors.working_dir import working_dir
from ..execution.notifications import redact, unknown_url
from ..paths import resolve_in_root
from ..scheduling.dependencies import check_no_cycle
from ..scheduling.scheduler import SchedulerService, StoredJob
from ..scheduling.triggers import BuiltTrigger, build_trigger, next_fire_times, parse_datetime, zone
from ..scheduling.wallclock import ONE_MICROSECOND, UTC
from ..storage.store import Store
from ..storage.tables import UnreadableJSON
from .listing import JobListing
from .pipeline_source import PipelineSources

log = logging.getLogger(__name__)

ANCHORED = {("interval", None), ("date", "every_x_days")}  # schedules counted from run_date


@dataclass(frozen=True)
class Definition:
    """A validated job, ready to store and schedule."""

    spec: JobSpec
    kind: str
    built: BuiltTrigger
    dependencies: list[tuple[str, str]]
    target_problem: str | None  # the target file is missing or unusable: shown, but the job still fires


class JobService:
    def __init__(self, store: Store, scheduler: SchedulerService, executors: ExecutorRegistry,
                 context: ExecutionContext, default_timezone: str, events: EventBus) -> None:
        self._store = store
        self._events = events
        self._scheduler = scheduler
        self._executors = executors
        self._context = context
        self.default_timezone = default_timezone
        self.sources = PipelineSources(context.root)
        self.listing = JobListing(store, self.sources, context.state_dir)
        # Job lists are read on a thread of their own: glibc gives each thread its own heap, and the pages a
        # 10,000-job list leaves there are reused by the next list instead of piling up in every pool thread.
        self.list_reader = ThreadPoolExecutor(1, thread_name_prefix="pipeline-scheduler-lists")
        self._lock = threading.RLock()
        self._target_problems: set[str] = set()
        self.repairs: deque[dict[str, Any]] = deque(maxlen=100)  # unreadable triggers rebuilt, for GET health

    # -- reads ------------------------------------------------------------------------------
    def list_json(self, limit: int | None = None, offset: int = 0, kind: str | None = None,
                  fields: str | None = None) -> bytes:
        """``GET jobs``: the whole list from :class:`JobListing`; a page (``limit``/``offset``) or a
        ``type`` filter is read from the database. ``fields`` (``"id,name,..."``): only those of each job."""
        if kind not in (None, "all", "scheduled", "on_demand"):
            raise Invalid("type: one of all, scheduled, on_demand", "type")
        wanted = job_fields(fields)
        if limit is None and not offset and kind in (None, "all"):
            return self.listing.render(wanted)
        on_demand = None if kind in (None, "all") else kind == "on_demand"
        return jobs_list(self._store.job_documents(limit=limit, offset=offset, on_demand=on_demand),
                         self.sources.stale_in, wanted)

    def get_json(self, job_id: str) -> str:
        rows = self._store.job_documents(job_id=job_id)
        if not rows:
            raise NotFound("Job not found", "job_id")
        return splice_job(*rows[0], code_stale=self.sources.stale_in(rows[0].document))

    def require(self, job_id: str) -> None:
        if not self._store.existing_job_ids([job_id]):
            raise NotFound("Job not found", "job_id")

    # -- writes -----------------------------------------------------------------------------
    def create(self, payload: Any, origin: str = "api") -> str:
        """``POST jobs``: a new job, or (0.9.7's edit path) a replacement when ``id`` names one.

        ``origin`` says who defines the job (the API, the registry, a file of the jobs directory);
        clients cannot set it."""
        refuse_server_set(payload)
        spec = parse_payload(JobSpec, payload)
        spec.origin = origin
        with self._lock:
            existing = self._store.get_job(spec.id) if spec.id else None
            if existing is not None and spec.replace_existing is False:
                raise Conflict(f"id: a job with id {spec.id!r} already exists", "id")
            if existing is not None and _stored(existing).get("origin") == "jobs_dir" and origin != "jobs_dir":
                raise Conflict(f"id: job {spec.id!r} is defined by a file of the jobs directory; edit that file", "id")
            self.sources.stamp(spec, _stored(existing) if existing is not None else None, "python_code" in payload)
            return self._save(spec, existing)

    def adopt(self, payload: dict[str, Any], due: datetime | None) -> str:
        """Take in a job another scheduler defined (amphi-scheduler 0.9.7, :mod:`.upgrade_097`) as it
        stands: its date may be past and its target missing (shown, as reconcile does), and its next
        fire ``due`` is kept."""
        spec = parse_payload(JobSpec, payload)
        with self._lock:
            return self._save(spec, self._store.get_job(spec.id), adopted=True, due=due)

    def update(self, job_id: str, changes: Any) -> str:
        """``PUT jobs/{id}``: change some fields; the schedule is rebuilt and stored as sent.

        A broken job whose stored definition cannot be read is replaced by the body as a whole."""
        if not isinstance(changes, dict):
            raise Invalid("the request body must be a JSON object")
        refuse_server_set(changes)
        with self._lock:
            existing = self._store.get_job(job_id)
            if existing is None:
                raise NotFound("Job not found", "job_id")
            if changes.get("id", job_id) != job_id:
                raise Invalid("id: cannot be changed", "id")
            current = _stored(existing)
            spec = parse_payload(JobSpec, merge_update(current, {**changes, "id": job_id, "name": changes.get(
                "name", existing.name)}))
            spec.origin = current.get("origin", "api")
            self.sources.stamp(spec, current, "python_code" in changes)
            return self._save(spec, existing)

    def delete(self, job_id: str) -> None:
        with self._lock:
            if not self._store.existing_job_ids([job_id]):
                raise NotFound("Job not found", "job_id")
            dependents = [d for d in self._store.dependents(job_id) if d != job_id]
            if dependents:
                raise Conflict(f"job {job_id} is a trigger condition of {', '.join(sorted(dependents))}; "
                               "change or delete those jobs first", "job_id")
            self._scheduler.unschedule(job_id)
            self._store.delete_job(job_id)
            self._target_problems.discard(job_id)
            self._changed(job_id, "deleted")

    def set_paused(self, job_id: str, paused: bool) -> str:
        with self._lock:
            existing = self._store.get_job(job_id)
            if existing is None:
                raise NotFound("Job not found", "job_id")
            if not isinstance(existing.spec, dict):
                raise Conflict(f"job {job_id} is broken ({existing.broken}); fix it with PUT first", "job_id")
            spec = {**existing.spec, "paused": paused}
            (self._scheduler.pause if paused else self._scheduler.resume)(job_id)
            now = time.time()
            document = job_document(spec, job_id=job_id, name=existing.name, kind=existing.kind,
                                    description=existing.description,
                                    timezone_name=existing.timezone, paused=paused, created_at=existing.created_at,
                                    updated_at=now)
            self._store.update_job_fields(job_id, spec=spec, paused=paused, updated_at=now, document=document)
            self._changed(job_id, "paused" if paused else "resumed")
            return self.get_json(job_id)

    def preview(self, payload: Any) -> dict[str, Any]:
        """``POST triggers/preview``: the next fire times of a trigger payload, and its description."""
        request = parse_payload(PreviewRequest, payload)
        built = build_trigger(request, self.default_timezone, allow_past=True)
        tz = zone(built.timezone)
        after = parse_datetime(request.after, tz, "after") + ONE_MICROSECOND if request.after else None
        return {"trigger": built.description, "timezone": built.timezone,
                "next_run_times": [moment.astimezone(tz).isoformat()
                                   for moment in next_fire_times(built.trigger, request.count, after)]}

    # -- keeping stored jobs sound -----------------------------------------------------------
    def reconcile(self) -> dict[str, int]:
        """Bring every stored job in line with its definition (at start-up and when this server
        becomes the dispatcher): broken definitions are marked and unscheduled, stored triggers
        that are missing, unreadable or out of date (an upgrade) are rebuilt keeping their due
        fire, stale documents are rendered again. Returns counts of what it found."""
        counts = {"jobs": 0, "broken": 0, "rebuilt": 0}
        with self._lock:
            stored = {job.id: job for job in self._scheduler.stored_jobs()}
            for row in self._store.all_jobs():
                counts["jobs"] += 1
                outcome = self._reconcile_one(row, stored.pop(row.id, None))
                if outcome:
                    counts[outcome] += 1
        if stored:  # rows of no job of ours (0.9.7's are taken in before this, by .upgrade_097): left alone
            log.warning("APScheduler rows of no known job are left as they are: %s", ", ".join(sorted(stored)))
        if counts["broken"] or counts["rebuilt"]:
            log.warning("reconciled %d jobs: %d broken, %d triggers rebuilt", counts["jobs"], counts["broken"],
                        counts["rebuilt"])
        return counts

    def repair(self, job_id: str, due: float | None, problem: str) -> None:
        """A stored trigger could not be read: rebuild it from the job's definition, keeping its due fire."""
        with self._lock:
            row = self._store.get_job(job_id)
            if row is None:
                log.warning("APScheduler row %s belongs to no job (%s); left as it is", job_id, problem)
                return
            self._reconcile_one(row, StoredJob(job_id, due, None, problem))

    def note_target(self, job_id: str, problem: str | None) -> None:
        """A run found the job's target missing (``problem``) or started it fine (``None``)."""
        if (problem is not None) == (job_id in self._target_problems):
            return
        with self._lock:
            row = self._store.get_job(job_id)
            if row is None or (row.broken and job_id not in self._target_problems):
                return  # broken for another reason: only saving the job clears that
            (self._target_problems.add if problem else self._target_problems.discard)(job_id)
            if self._store.set_broken(job_id, problem):
                self._changed(job_id, "updated")

    def _reconcile_one(self, row: Any, stored: StoredJob | None) -> str | None:
        try:
            if not isinstance(row.spec, dict):
                raise Invalid("its stored definition is not valid JSON" if isinstance(row.spec, UnreadableJSON)
                              else "its stored definition is not a JSON object")
            spec = parse_payload(JobSpec, row.spec)
            spec.origin = row.spec.get("origin", "api")
            if _unanchored(spec) and stored is not None and stored.next_run_time is not None:
                spec.run_date = datetime.fromtimestamp(stored.next_run_time, UTC).isoformat()  # keep its rhythm
            definition = self._definition(spec, check_target=True, allow_past=True)
        except SchedulerError as error:
            reason = f"cannot be scheduled: {error.message}; fix it with PUT or delete it"
            self._scheduler.unschedule(row.id)
            if row.broken != reason and self._store.set_broken(row.id, reason):
                log.error("job %s %s", row.id, reason)
                self._changed(row.id, "updated")
            return "broken"
        stored_spec = definition.spec.stored()
        document = self._document(stored_spec, row.id, row.name, definition.kind, definition.built, row.paused,
                                  row.created_at, row.updated_at)
        if document != row.document or stored_spec != row.spec or definition.built.description != row.description:
            self._store.update_job_fields(row.id, spec=stored_spec, document=document,
                                          description=definition.built.description)
        rebuilt = None
        trigger = definition.built.trigger
        if trigger is None:
            if stored is not None:
                self._scheduler.unschedule(row.id)
        elif stored is not None and not stored.matches(trigger):
            if stored.state is None:
                log.warning("the stored trigger of job %s could not be read (%s); rebuilt from its definition",
                            row.id, stored.problem)
                self.repairs.append({"id": row.id, "problem": stored.problem, "at": iso(time.time())})
            self._scheduler.schedule(row.id, trigger, row.paused, _kept_due(trigger, stored.next_run_time))
            rebuilt = "rebuilt"
        elif stored is None and _fires_again(trigger):  # a one-time job that already fired has no row
            self._scheduler.schedule(row.id, trigger, row.paused)
            rebuilt = "rebuilt"
        problem = definition.target_problem
        (self._target_problems.add if problem else self._target_problems.discard)(row.id)
        if (row.broken != problem and self._store.set_broken(row.id, problem)) or rebuilt:
            self._changed(row.id, "updated")
        return rebuilt

    # -- internals --------------------------------------------------------------------------
    def _changed(self, job_id: str, action: str) -> None:
        """Tell listeners (the run manager's definitions, the job list, browsers) that a job changed."""
        self._events.publish({"type": "job", "id": job_id, "action": action})

    def _definition(self, spec: JobSpec, *, check_target: bool, allow_past: bool = False) -> Definition:
        """Validate ``spec`` (which gets its id, name and anchor) into a :class:`Definition`.

        ``check_target``: a missing or unusable target is noted instead of refused."""
        spec.id = spec.id or uuid.uuid4().hex[:12]
        spec.name = spec.name or datetime.now(timezone.utc).strftime("job_%Y%m%d%H%M%S")
        if spec.pipeline_path and not check_target:  # confinement first: its message is the one that matters
            resolve_in_root(self._context.root, spec.pipeline_path, "pipeline_path", must_exist=False)
        executor = self._executors.for_spec(spec)
        target_problem = None
        try:
            executor.validate(spec, self._context)
            working_dir(spec.stored(), self._context)
        except Invalid as error:
            if not check_target:
                raise
            target_problem = f"cannot run: {error.message}"
        for index, target in enumerate(spec.notify):
            if unknown_url(target.url):
                raise Invalid(f"notify.{index}.url: not a notification URL Apprise can send to ({redact(target.url)}; "
                              "see https://github.com/caronc/apprise/wiki)", f"notify.{index}.url")
        dependencies, upstream_names = self._dependencies(spec.id, spec)
        built = build_trigger(spec, self.default_timezone, job_names=upstream_names, allow_past=allow_past)
        if _unanchored(spec):
            # counted from its first fire, stored, so that rebuilding the trigger keeps its rhythm
            first = next_fire_times(built.trigger, 1)
            if first:
                spec.run_date = first[0].isoformat()
                built = build_trigger(spec, self.default_timezone, job_names=upstream_names, allow_past=allow_past)
        return Definition(spec, executor.kind, built, dependencies, target_problem)

    def _save(self, spec: JobSpec, existing: Any, *, adopted: bool = False, due: datetime | None = None) -> str:
        definition = self._definition(spec, check_target=adopted, allow_past=adopted)
        job_id, built = spec.id, definition.built
        stored = spec.stored()
        now = time.time()
        created_at = existing.created_at if existing is not None else now
        row = {"id": job_id, "name": spec.name, "kind": definition.kind, "spec": stored, "timezone": built.timezone,
               "description": built.description, "schedule_type": spec.schedule_type,
               "paused": spec.paused, "created_at": created_at, "updated_at": now,
               "broken": definition.target_problem,
               "document": self._document(stored, job_id, spec.name, definition.kind, built, spec.paused, created_at,
                                          now)}
        self._store.save_job(row, definition.dependencies)
        try:
            self._scheduler.schedule(job_id, built.trigger, spec.paused, due)
        except Exception:
            if existing is None:
                self._store.delete_job(job_id)
            else:
                self._store.save_job(dict(existing._mapping), self._existing_dependencies(existing.spec))
            raise
        finally:
            (self._target_problems.add if definition.target_problem else self._target_problems.discard)(job_id)
            self._changed(job_id, "created" if existing is None else "updated")
        return self.get_json(job_id)

    def _dependencies(self, job_id: str, spec: JobSpec) -> tuple[list[tuple[str, str]], dict[str, str]]:
        """The dependency edges of a ``trigger`` job (checked: known, acyclic) and the upstream names."""
        if spec.schedule_type != "trigger":
            return [], {}
        conditions = spec.trigger_conditions or []
        known = self._store.job_names(c.job_id for c in conditions)
        for index, condition in enumerate(conditions):
            if condition.job_id == job_id:
                raise Invalid(f"trigger_conditions.{index}.job_id: a job cannot depend on itself",
                              f"trigger_conditions.{index}.job_id")
            if condition.job_id not in known:
                raise Invalid(f"trigger_conditions.{index}.job_id: unknown job {condition.job_id!r}",
                              f"trigger_conditions.{index}.job_id")
        check_no_cycle(self._store, job_id, [c.job_id for c in conditions])
        return sorted({(c.job_id, c.on) for c in conditions}), known

    @staticmethod
    def _existing_dependencies(spec: Any) -> list[tuple[str, str]]:
        if not isinstance(spec, dict) or spec.get("schedule_type") != "trigger":
            return []
        return sorted({(c["job_id"], c.get("on", "success")) for c in spec.get("trigger_conditions") or []})

    @staticmethod
    def _document(stored: dict[str, Any], job_id: str, name: str, kind: str, built: BuiltTrigger, paused: bool,
                  created_at: float, updated_at: float) -> str:
        return job_document(stored, job_id=job_id, name=name, kind=kind, description=built.description,
                            timezone_name=built.timezone, paused=paused, created_at=created_at,
                            updated_at=updated_at)


def _unanchored(spec: JobSpec) -> bool:
    """An interval or every-N-days schedule without the ``run_date`` it is counted from."""
    return not spec.run_date and (spec.schedule_type, spec.date_type if spec.schedule_type == "date" else None) \
        in ANCHORED


def _stored(row: Any) -> dict[str, Any]:
    """A stored job's definition, or nothing when it cannot be read (the request then replaces it)."""
    return row.spec if isinstance(row.spec, dict) else {}


def _fires_again(trigger: Any) -> bool:
    now = datetime.now(UTC)
    upcoming = trigger.get_next_fire_time(None, now)
    return upcoming is not None and upcoming >= now


def _kept_due(trigger: Any, due: float | None) -> datetime | None:
    """When a rebuilt trigger fires next: a fire already due stays due (catch-up records it), a future
    one is computed anew (the old trigger may have been wrong)."""
    if due is None:
        return None
    now = datetime.now(UTC)
    moment = datetime.fromtimestamp(due, UTC)
    return trigger.get_next_fire_time(None, moment) if moment < now else None
