"""Jobs that run when other jobs finish (``schedule_type: trigger``).

A finished run costs one indexed lookup of the jobs that depend on its job; the evaluation runs on
its own thread so the finishing run never waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..api.payloads import TriggerCondition
from ..errors import Invalid
from ..events import Event
from ..storage.store import Store

log = logging.getLogger(__name__)

Submit = Callable[[str, str], Any]


class DependencyTrigger:
    def __init__(self, store: Store, submit: Submit) -> None:
        self._store = store
        self._submit = submit
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="pipeline-scheduler-dependencies")

    def on_event(self, event: Event) -> None:
        """Event listener: hand finished runs to the evaluation thread."""
        run = event.get("run") or {}
        if event.get("type") == "run" and run.get("status") in ("success", "failure"):
            self._pool.submit(self._evaluate, run["job_id"], run["status"])

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _evaluate(self, upstream_id: str, outcome: str) -> None:
        try:
            downstream_ids = self._store.dependents(upstream_id)
            jobs = self._store.job_specs(downstream_ids) if downstream_ids else {}
            for job in jobs.values():
                if self._satisfied(job.id, job.spec, upstream_id, outcome):
                    self._submit(job.id, "trigger")
        except Exception:
            log.exception("evaluating the jobs that depend on %s failed", upstream_id)

    def _satisfied(self, job_id: str, spec: dict[str, Any], upstream_id: str, outcome: str) -> bool:
        conditions = [TriggerCondition(**condition) for condition in spec.get("trigger_conditions") or []]
        if not any(c.job_id == upstream_id and c.on == outcome for c in conditions):
            return False
        if spec.get("logical_operator", "AND") == "OR":
            return True
        # AND: every upstream's latest outcome matches, and each has finished since this job last fired
        last_fired = self._store.latest_run_time(job_id, "trigger") or 0.0
        for condition in conditions:
            latest = self._store.latest_finished(condition.job_id)
            if latest is None or latest.status != condition.on or (latest.finished_at or 0.0) <= last_fired:
                return False
        return True


def check_no_cycle(store: Store, job_id: str, upstream_ids: list[str]) -> None:
    """Refuse a dependency that would make ``job_id`` (indirectly) wait for itself."""
    seen: set[str] = set()
    frontier = set(upstream_ids)
    while frontier:
        if job_id in frontier:
            raise Invalid("trigger_conditions: these conditions would create a dependency cycle back to this job",
                          "trigger_conditions")
        seen |= frontier
        frontier = set(store.upstreams(frontier)) - seen
