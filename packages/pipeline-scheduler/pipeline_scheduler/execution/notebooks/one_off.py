"""A one-off run of a notebook job with other parameters ("Run with other parameters…"), the job unchanged."""

from __future__ import annotations

from typing import Any

from ...api.payloads import JobSpec, parse_payload
from ...errors import Invalid, NotFound
from ...storage.store import Store
from ..executors import ExecutionContext, ExecutorRegistry


def run_overrides(store: Store, executors: ExecutorRegistry, context: ExecutionContext, job_id: str,
                  parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    """The fields this run replaces (``{"parameters": job's, updated by these}``), checked as the job's
    own would be (notebook, kernel, types of the ``parameters`` cell); ``None`` without parameters."""
    if parameters is None:
        return None
    row = store.get_job(job_id)
    if row is None:
        raise NotFound("Job not found", "job_id")
    if not isinstance(row.spec, dict) or row.kind != "notebook":
        raise Invalid("parameters: only notebook jobs take parameters", "parameters")
    merged = {**(row.spec.get("parameters") or {}), **parameters}
    spec = parse_payload(JobSpec, {**row.spec, "parameters": merged})
    executors.get("notebook").validate(spec, context)
    return {"parameters": merged}
