"""``Scheduler``: the scheduler of a Jupyter server from Python — a notebook, a script, a REPL.

Jobs and runs are the API's JSON documents (dicts), as the REST API and ``pipeline-scheduler --json``
show them; errors are :class:`SchedulerError` with the server's message and the field it names.
"""

from __future__ import annotations

import json
from typing import Any

from ..zones import canonical_zone
from .http import REQUEST_TIMEOUT, SchedulerClient, SchedulerError
from .lookup import Ambiguous, find_job, named_jobs
from .targets import target_fields
from .words import SCHEDULE_KEYS, local_zone, schedule_fields

JobRef = str | dict
RunRef = int | dict
TARGET_KEYS = ("pipeline_path", "python_code", "runner_config")


class Scheduler:
    """Schedule and run jobs of the scheduler that serves this machine's Jupyter.

    ``Scheduler()`` finds the server: ``$PIPELINE_SCHEDULER_URL`` (and ``…_TOKEN``) when set, else
    the running Jupyter servers' runtime files — in a kernel, the server that started it. Give
    ``url=`` (a browser URL with ``?token=`` works) and ``token=`` to use another."""

    def __init__(self, url: str | None = None, token: str | None = None,
                 timeout: float = REQUEST_TIMEOUT) -> None:
        self.client = SchedulerClient(url, token, timeout)

    def __repr__(self) -> str:
        return f"Scheduler({self.client.url!r})"

    # -- jobs --------------------------------------------------------------------------------------------
    def schedule(self, target: Any, *, name: str | None = None, cron: str | None = None,
                 every: str | None = None, at: str | None = None, tz: str | None = None,
                 parameters: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
        """Create a job, or update the job called ``name`` when there is one (the same name, the same job).

        ``target``: a file to run (``"report.ipynb"``, relative to the current directory when it lies
        in the server's root, else to the root), Python code as a string, or a function without
        arguments (its source runs alone: what it imports or calls must be inside it). When:
        ``cron="0 7 * * 1-5"``, ``every="10m"`` (from ``at`` when given), ``at="tomorrow 07:00"``, or
        none of them (on demand); ``tz`` the zone of the schedule (default: this machine's). Any other
        job field of the API goes in ``options`` (``timeout=600``, ``env={...}``, ``retries=2``).
        An update keeps the job's zone unless ``tz`` is given, and the fields not given."""
        existing = self.named(name)
        zone = canonical_zone(tz) if tz else str(existing["timezone"]) if existing else local_zone()
        fields = {**target_fields(target, self.client.root_dir), **schedule_fields(cron, every, at, zone),
                  "timezone": zone, **options}
        if parameters is not None:
            fields["parameters"] = json_object(parameters, "parameters")
        if not existing:
            return self.client.request("POST", "jobs", {**fields, **({"name": name} if name else {})})
        # a new target and schedule replace the old ones whole (no cron left behind an interval)
        changes = {**{key: None for key in (*TARGET_KEYS, *SCHEDULE_KEYS)}, **fields}
        return self.client.request("PUT", f"jobs/{existing['id']}", changes)

    def named(self, name: str | None) -> dict[str, Any] | None:
        """The one job called exactly ``name``, or None; several of that name are an error."""
        found = named_jobs(self.client, name) if name else []
        if len(found) > 1:
            raise Ambiguous(f"{len(found)} jobs are named {name!r} ({', '.join(job['id'] for job in found)}): "
                            "give a name of its own, or change one with client.request('PUT', 'jobs/ID', ...)",
                            field="name")
        return self.client.request("GET", f"jobs/{found[0]['id']}") if found else None  # the whole job

    def jobs(self) -> list[dict[str, Any]]:
        """Every job, as ``GET jobs`` lists them."""
        return self.client.request("GET", "jobs")["jobs"]

    def job(self, job: JobRef) -> dict[str, Any]:
        """One job, by its name or id."""
        return find_job(self.client, job_id(job))

    def delete(self, job: JobRef) -> None:
        """Delete a job (its past runs stay in the history)."""
        self.client.request("DELETE", f"jobs/{self.job(job)['id']}")

    def next_fire_times(self, job: JobRef, count: int = 3) -> list[str]:
        """When the job fires next (ISO-8601 in its zone); none for a job without a clock."""
        found = job if isinstance(job, dict) else self.job(job)
        if found.get("schedule_type") in (None, "manual", "trigger") or found.get("paused"):
            return []
        schedule = {key: found[key] for key in SCHEDULE_KEYS if found.get(key) is not None}
        preview = self.client.request("POST", "triggers/preview",
                                      {**schedule, "timezone": found.get("timezone"), "count": count})
        return preview["next_run_times"]

    # -- runs --------------------------------------------------------------------------------------------
    def run_now(self, job: JobRef, wait: bool = False) -> dict[str, Any]:
        """Start a run of the job; with ``wait``, follow it to its end and return it finished."""
        started = self.client.request("POST", f"jobs/{self.job(job)['id']}/runs", {"triggered_by": "api"})
        return self.wait(started) if wait else started

    def wait(self, run: RunRef) -> dict[str, Any]:
        """The run once it has ended (its stream's final status)."""
        for event, data in self.client.stream(f"runs/{run_id(run)}/stream"):
            if event == "status":
                return json.loads(data)
        return self.client.request("GET", f"runs/{run_id(run)}")

    def runs(self, job: JobRef | None = None, status: str | None = None, limit: int = 20
             ) -> list[dict[str, Any]]:
        """Recent runs, newest first: of one job (name or id) or of all."""
        found = self.job(job)["id"] if job is not None else None
        return self.client.request("GET", "runs", job_id=found, status=status, limit=limit)["runs"]

    def logs(self, run: RunRef) -> str:
        """A run's whole log (stdout and stderr interleaved)."""
        return b"".join(self.client.log(run_id(run))).decode("utf-8", errors="replace")


def job_id(job: JobRef) -> str:
    return str(job["id"]) if isinstance(job, dict) else str(job)


def run_id(run: RunRef) -> int:
    return int(run["id"]) if isinstance(run, dict) else int(run)


def json_object(value: Any, field: str) -> dict[str, Any]:
    """``value`` as it will travel (a JSON object), or an error naming ``field`` before anything is sent."""
    if not isinstance(value, dict):
        raise SchedulerError(f"{field}: expected a dict of names to values, not {type(value).__name__}", field=field)
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise SchedulerError(f"{field}: not JSON-serialisable ({error})", field=field) from None
