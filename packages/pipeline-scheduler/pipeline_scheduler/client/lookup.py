"""Jobs named by name or id, the way people name them in the CLI, the Python API and the magic."""

from __future__ import annotations

import urllib.parse
from typing import Any

from .http import SchedulerClient, SchedulerError

PROG = "pipeline-scheduler"


class Ambiguous(SchedulerError):
    """Several jobs have the name asked for."""


NAME_FIELDS = "id,name,trigger"  # what finding a job by name reads of each job: not the whole list


def named_jobs(client: SchedulerClient, name: str) -> list[dict[str, Any]]:
    """The jobs named exactly ``name`` (their id, name and schedule words)."""
    return [job for job in _names(client) if job.get("name") == name]


def find_job(client: SchedulerClient, ref: str) -> dict[str, Any]:
    """The job whose id is ``ref``, else the one named ``ref`` (exactly, then ignoring case); several
    of the same name are an error that lists them.

    An id costs one small request; a name, the list of names and one request for the job found (the
    whole list is megabytes at 10,000 jobs)."""
    job = _job_with_id(client, ref)
    if job is not None:
        return job
    jobs = _names(client)
    named = [job for job in jobs if job.get("name") == ref] or [
        job for job in jobs if str(job.get("name", "")).casefold() == ref.casefold()]
    if len(named) == 1:
        return client.request("GET", f"jobs/{named[0]['id']}")
    if named:
        listing = "\n".join(f"  {job['id']}  {job.get('name', '')}  {job.get('trigger') or ''}" for job in named)
        raise Ambiguous(f"{len(named)} jobs are named {ref!r}:\n{listing}", field="job",
                        hint=f"name the one you mean by its id, e.g. {PROG} info {named[0]['id']}")
    raise SchedulerError(f"no job with the name or id {ref!r}", 404, "job", hint=f"`{PROG} list` shows the jobs")


def _job_with_id(client: SchedulerClient, ref: str) -> dict[str, Any] | None:
    """The job whose id is ``ref``, or None. A path that is another route (``jobs/active``, MXX's list
    of running jobs) answers with something else than that job, so the answer is checked."""
    if not ref or ref in (".", ".."):
        return None
    try:
        job = client.request("GET", f"jobs/{urllib.parse.quote(ref, safe='')}")
    except SchedulerError as error:
        if error.status in (400, 404):
            return None
        raise
    return job if isinstance(job, dict) and job.get("id") == ref else None


def _names(client: SchedulerClient) -> list[dict[str, Any]]:
    return client.request("GET", "jobs", fields=NAME_FIELDS)["jobs"]
