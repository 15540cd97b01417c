"""Job definitions: validate, persist, schedule. The one home of the rules about what a job may be."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any

from ..api.documents import job_document, jobs_list, splice_job
from ..api.payloads import JobSpec, PreviewRequest, merge_update, parse_payload
from ..errors import Conflict, Invalid, NotFound
from ..events import EventBus
from ..execution.executors import ExecutionContext, ExecutorRegistry
from ..execution.executors.working_dir import working_dir
from ..paths import resolve_in_root
from ..scheduling.dependencies import check_no_cycle
from ..scheduling.scheduler import SchedulerService
from ..scheduling.triggers import BuiltTrigger, build_trigger, next_fire_times
from ..storage.store import Store
from .listing import JobListing


class JobService:
    def __init__(self, store: Store, scheduler: SchedulerService, executors: ExecutorRegistry,
                 context: ExecutionContext, default_timezone: str, events: EventBus) -> None:
        self._store = store
        self._events = events
        self._scheduler = scheduler
        self._executors = executors
        self._context = context
        self.default_timezone = default_timezone
        self.listing = JobListing(store)

    # -- reads ------------------------------------------------------------------------------
    def list_json(self, limit: int | None = None, offset: int = 0, kind: str | None = None) -> bytes:
        """``GET jobs``: the whole list from :class:`JobListing`; a page (``limit``/``offset``) or a
        ``type`` filter is read from the database."""
        if kind not in (None, "all", "scheduled", "on_demand"):
            raise Invalid("type: one of all, scheduled, on_demand", "type")
        if limit is None and not offset and kind in (None, "all"):
            return self.listing.render()
        on_demand = None if kind in (None, "all") else kind == "on_demand"
        return jobs_list(self._store.job_documents(limit=limit, offset=offset, on_demand=on_demand))

    def get_json(self, job_id: str) -> str:
        rows = self._store.job_documents(job_id=job_id)
        if not rows:
            raise NotFound("Job not found", "job_id")
        return splice_job(*rows[0])

    def require(self, job_id: str) -> None:
        if not self._store.existing_job_ids([job_id]):
            raise NotFound("Job not found", "job_id")

    # -- writes -----------------------------------------------------------------------------
    def create(self, payload: Any, origin: str = "api") -> str:
        """``POST jobs``: a new job, or (0.9.7's edit path) a replacement when ``id`` names one.

        ``origin`` says who defines the job (the API, the registry, a file of the jobs directory);
        clients cannot set it."""
        spec = parse_payload(JobSpec, payload)
        spec.origin = origin
        existing = self._store.get_job(spec.id) if spec.id else None
        if existing is not None and spec.replace_existing is False:
            raise Conflict(f"id: a job with id {spec.id!r} already exists", "id")
        if existing is not None and existing.spec.get("origin") == "jobs_dir" and origin != "jobs_dir":
            raise Conflict(f"id: job {spec.id!r} is defined by a file of the jobs directory; edit that file", "id")
        return self._save(spec, existing)

    def update(self, job_id: str, changes: Any) -> str:
        """``PUT jobs/{id}``: change some fields; the schedule is rebuilt and stored as sent."""
        existing = self._store.get_job(job_id)
        if existing is None:
            raise NotFound("Job not found", "job_id")
        if not isinstance(changes, dict):
            raise Invalid("the request body must be a JSON object")
        if changes.get("id", job_id) != job_id:
            raise Invalid("id: cannot be changed", "id")
        spec = parse_payload(JobSpec, merge_update(existing.spec, {**changes, "id": job_id, "name": changes.get(
            "name", existing.name)}))
        spec.origin = existing.spec.get("origin", "api")
        return self._save(spec, existing)

    def delete(self, job_id: str) -> None:
        if not self._store.existing_job_ids([job_id]):
            raise NotFound("Job not found", "job_id")
        dependents = [d for d in self._store.dependents(job_id) if d != job_id]
        if dependents:
            raise Conflict(f"job {job_id} is a trigger condition of {', '.join(sorted(dependents))}; "
                           "change or delete those jobs first", "job_id")
        self._scheduler.unschedule(job_id)
        self._store.delete_job(job_id)
        self._changed(job_id, "deleted")

    def set_paused(self, job_id: str, paused: bool) -> str:
        existing = self._store.get_job(job_id)
        if existing is None:
            raise NotFound("Job not found", "job_id")
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
        return {"trigger": built.description, "timezone": built.timezone,
                "next_run_times": [moment.isoformat() for moment in next_fire_times(built.trigger, request.count)]}

    # -- internals --------------------------------------------------------------------------
    def _changed(self, job_id: str, action: str) -> None:
        """Tell listeners (the run manager's definitions, the job list, browsers) that a job changed."""
        self._events.publish({"type": "job", "id": job_id, "action": action})

    def _save(self, spec: JobSpec, existing: Any) -> str:
        job_id = spec.id or uuid.uuid4().hex[:12]
        spec.id = job_id
        spec.name = spec.name or datetime.now(timezone.utc).strftime("job_%Y%m%d%H%M%S")
        if spec.pipeline_path:  # confinement first: its message is the one that matters
            resolve_in_root(self._context.root, spec.pipeline_path, "pipeline_path", must_exist=False)
        executor = self._executors.for_spec(spec)
        executor.validate(spec, self._context)
        stored = spec.stored()
        working_dir(stored, self._context)
        dependencies, upstream_names = self._dependencies(job_id, spec)
        built = build_trigger(spec, self.default_timezone, job_names=upstream_names)
        now = time.time()
        created_at = existing.created_at if existing is not None else now
        row = {"id": job_id, "name": spec.name, "kind": executor.kind, "spec": stored, "timezone": built.timezone,
               "description": built.description, "schedule_type": spec.schedule_type,
               "paused": spec.paused, "created_at": created_at, "updated_at": now,
               "document": self._document(stored, job_id, spec.name, executor.kind, built, spec.paused, created_at,
                                          now)}
        self._store.save_job(row, dependencies)
        try:
            self._scheduler.schedule(job_id, built.trigger, spec.paused)
        except Exception:
            if existing is None:
                self._store.delete_job(job_id)
            else:
                self._store.save_job(dict(existing._mapping), self._existing_dependencies(existing.spec))
            raise
        finally:
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
    def _existing_dependencies(spec: dict[str, Any]) -> list[tuple[str, str]]:
        if spec.get("schedule_type") != "trigger":
            return []
        return sorted({(c["job_id"], c.get("on", "success")) for c in spec.get("trigger_conditions") or []})

    @staticmethod
    def _document(stored: dict[str, Any], job_id: str, name: str, kind: str, built: BuiltTrigger, paused: bool,
                  created_at: float, updated_at: float) -> str:
        return job_document(stored, job_id=job_id, name=name, kind=kind, description=built.description,
                            timezone_name=built.timezone, paused=paused, created_at=created_at,
                            updated_at=updated_at)
