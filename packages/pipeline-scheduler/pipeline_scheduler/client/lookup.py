"""Jobs named by name or id, the way people name them in the CLI, the Python API and the magic."""

from __future__ import annotations

from typing import Any

from .http import SchedulerClient, SchedulerError

PROG = "pipeline-scheduler"


class Ambiguous(SchedulerError):
    """Several jobs have the name asked for."""


def named_jobs(client: SchedulerClient, name: str) -> list[dict[str, Any]]:
    """The jobs named exactly ``name``."""
    return [job for job in client.request("GET", "jobs")["jobs"] if job["name"] == name]


def find_job(client: SchedulerClient, ref: str) -> dict[str, Any]:
    """The job whose id is ``ref``, else the one named ``ref`` (exactly, then ignoring case); several
    of the same name are an error that lists them."""
    jobs = client.request("GET", "jobs")["jobs"]
    for job in jobs:
        if job["id"] == ref:
            return job
    named = [job for job in jobs if job["name"] == ref] or [job for job in jobs
                                                              if str(job["name"]).casefold() == ref.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        listing = "\n".join(f"  {job['id']}  {job['name']}  {job.get('trigger') or ''}" for job in named)
        raise Ambiguous(f"{len(named)} jobs are named {ref!r}:\n{listing}", field="job",
                        hint=f"name the one you mean by its id, e.g. {PROG} info {named[0]['id']}")
    raise SchedulerError(f"no job with the name or id {ref!r}", 404, "job", hint=f"`{PROG} list` shows the jobs")
