"""Jobs that run when other jobs finish (``schedule_type: trigger``).

A finished run of a job that no job depends on costs a set lookup (the jobs some job waits for are
kept until a job changes, unless other servers change jobs too); any other costs one indexed lookup
of the jobs that depend on its job, on a thread of its own so the finishing run never waits for it.
Evaluations run one at a time and each waits until the run it asks for is recorded, so the next one
sees it; the run's fire key names the upstream runs that completed the condition, so two evaluations
(or two servers) that see the same finished upstream runs record one run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..api.payloads import TriggerCondition
from ..errors import Invalid
from ..events import Event
from ..storage.store import Store

log = logging.getLogger(__name__)

Submit = Callable[..., Future]
RECORD_TIMEOUT = 60.0


class DependencyTrigger:
    def __init__(self, store: Store, submit: Submit) -> None:
        self._store = store
        self._submit = submit
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="pipeline-scheduler-dependencies")
        self._upstreams: frozenset[str] | None = None  # the jobs some job waits for; None: read them again
        self._upstreams_version = 0
        self.shared = False  # other servers change jobs too: the kept upstreams may be stale

    def on_event(self, event: Event) -> None:
        """Event listener: hand finished runs of jobs that others wait for to the evaluation thread (a
        run that will be retried has not finished yet as far as the jobs waiting for it are concerned;
        a run of another server is that server's to evaluate)."""
        if event.get("type") == "job":
            self.forget()
            return
        run = event.get("run") or {}
        if (event.get("type") == "run" and event.get("origin") != "remote" and run.get("status") in ("success", "failure")
                and not run.get("retry_at")):
            upstreams = self._upstreams
            if upstreams is None or self.shared or run["job_id"] in upstreams:
                self._pool.submit(self._evaluate, run["job_id"], run["id"], run["status"])

    def forget(self) -> None:
        """Jobs changed: read the jobs others wait for again at the next finished run."""
        self._upstreams, self._upstreams_version = None, self._upstreams_version + 1

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until the evaluations asked for so far are done (they run one at a time, in order)."""
        self._pool.submit(lambda: None).result(timeout)

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _evaluate(self, upstream_id: str, upstream_run: int, outcome: str) -> None:
        try:
            if self._upstreams is None:
                version = self._upstreams_version
                upstreams = frozenset(self._store.upstream_ids())
                if version == self._upstreams_version:  # no job changed while they were read
                    self._upstreams = upstreams
            downstream_ids = self._store.dependents(upstream_id)
            jobs = self._store.job_specs(downstream_ids) if downstream_ids else {}
            for job in jobs.values():
                if not isinstance(job.spec, dict):
                    continue  # broken: it says so on the job
                key = self._completed(job.id, job.spec, upstream_id, upstream_run, outcome)
                if key is not None:
                    self._submit(job.id, "trigger", key=key).result(RECORD_TIMEOUT)
        except Exception:
            log.exception("evaluating the jobs that depend on %s failed", upstream_id)

    def _completed(self, job_id: str, spec: dict[str, Any], upstream_id: str, upstream_run: int,
                   outcome: str) -> str | None:
        """The fire key of the run this finished upstream run completes, or ``None``."""
        conditions = [TriggerCondition(**condition) for condition in spec.get("trigger_conditions") or []]
        if not any(c.job_id == upstream_id and c.on == outcome for c in conditions):
            return None
        if spec.get("logical_operator", "AND") == "OR":
            return f"after:{upstream_run}"
        # AND: every upstream's latest outcome matches, and each has finished since this job last fired
        last_fired = self._store.latest_run_time(job_id, "trigger") or 0.0
        completing = []
        for condition in conditions:
            latest = self._store.latest_finished(condition.job_id)
            if latest is None or latest.status != condition.on or (latest.finished_at or 0.0) <= last_fired:
                return None
            completing.append(latest.id)
        return "after:" + ",".join(str(run_id) for run_id in sorted(set(completing)))


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
