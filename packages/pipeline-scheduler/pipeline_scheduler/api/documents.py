"""JSON documents the API serves for jobs and runs.

A job's static fields are rendered once, when the job is written, and stored; listing then only
splices in the two fields that change without a write to the job (next fire time, last run), so
``GET jobs`` stays a string join even with thousands of jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import orjson

from ..errors import Invalid
from ..scheduling.triggers import zone
from .payloads import JobSpec

UTC = timezone.utc

# Every field a job document may hold: what a job is sent with, and what the server adds to it.
JOB_FIELDS = frozenset(JobSpec.model_fields) | {"kind", "trigger", "created_at", "updated_at", "next_run_time",
                                                "last_run", "broken", "code_stale"}


def iso(timestamp: float | None, tz_name: str | None = None) -> str | None:
    """Epoch seconds as ISO-8601 with offset (UTC unless a zone is given)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, zone(tz_name) if tz_name else UTC).isoformat()


def job_document(spec: Mapping[str, Any], *, job_id: str, name: str, kind: str, description: str,
                 timezone_name: str, paused: bool, created_at: float, updated_at: float) -> str:
    """The static part of a job's JSON: everything but ``next_run_time`` and ``last_run``.

    Fields left unset are omitted (a cron job has no ``interval_seconds``), which halves the list's size."""
    document = {key: value for key, value in spec.items() if key not in ("id", "name") and value is not None}
    document.update(id=job_id, name=name, kind=kind, trigger=description, timezone=timezone_name, paused=paused,
                    created_at=iso(created_at), updated_at=iso(updated_at))
    return orjson.dumps(document).decode()


def splice_job(document: str, last_run: str | None, tz_name: str, next_run_time: float | None,
               broken: str | None = None, *, code_stale: bool | None = None) -> str:
    """Complete a stored job document with its live fields (``broken`` only when the job is,
    ``code_stale`` only for jobs whose code was generated from a pipeline)."""
    upcoming = iso(next_run_time, tz_name)
    tail = f',"broken":{orjson.dumps(broken).decode()}' if broken else ""
    if code_stale is not None:
        tail += f',"code_stale":{"true" if code_stale else "false"}'
    return (f'{document[:-1]},"next_run_time":{"null" if upcoming is None else chr(34) + upcoming + chr(34)},'
            f'"last_run":{last_run or "null"}{tail}}}')


def job_fields(query: str | None) -> tuple[str, ...] | None:
    """The ``fields`` of ``GET jobs?fields=id,name,...``: known job fields, in the order asked, each once
    (``None``: the whole documents)."""
    if query is None:
        return None
    fields = tuple(dict.fromkeys(name.strip() for name in query.split(",") if name.strip()))
    if not fields:
        raise Invalid("fields: name at least one job field, e.g. fields=id,name", "fields")
    unknown = [name for name in fields if name not in JOB_FIELDS]
    if unknown:
        raise Invalid(f"fields: no job field is named {', '.join(map(repr, unknown))}", "fields")
    return fields


def project_job(document: str, fields: tuple[str, ...]) -> str:
    """A complete job document cut down to ``fields``, leaving out those that are empty (``null``,
    ``false``, ``0``, ``""``, ``[]``, ``{}``) as the whole document leaves out unset ones: a client
    reads a missing field as empty, and a list of never-run, unpaused jobs is a third smaller."""
    job = orjson.loads(document)
    return orjson.dumps({name: job[name] for name in fields if job.get(name)}).decode()


def jobs_list(rows: Iterable[tuple[str, str | None, str, float | None, str | None]],
              code_stale: Callable[[str], bool | None], fields: tuple[str, ...] | None = None) -> bytes:
    """``{"jobs": [...]}`` from :meth:`Store.job_documents` rows; ``code_stale`` of a stored document;
    ``fields``: only those of each job."""
    documents = (splice_job(*row, code_stale=code_stale(row[0])) for row in rows)
    if fields is not None:
        documents = (project_job(document, fields) for document in documents)
    return ('{"jobs":[' + ",".join(documents) + "]}").encode()


def run_document(run: Mapping[str, Any]) -> dict[str, Any]:
    """A run as the API shows it: the 0.9.7 fields first, then ours."""
    started, finished = run["started_at"], run["finished_at"]
    return {
        "id": run["id"],
        "job_id": run["job_id"],
        "job_name": run["job_name"],
        "status": run["status"],
        "triggered_by": run["triggered_by"],
        "started_at": iso(started),
        "finished_at": iso(finished),
        "exit_code": run["exit_code"],
        "output": run["output_tail"] or "",
        "error": run["reason"],
        "execution_id": run["execution_id"],
        "scheduled_for": iso(run["scheduled_for"]),
        "queued_at": iso(run["queued_at"]),
        "duration": round(finished - started, 3) if started is not None and finished is not None else None,
        "pid": run["pid"],
        "log_path": run["log_path"],
        "attempt": run.get("attempt") or 1,
        "retry_of": run.get("retry_of"),
        "retry_at": iso(run.get("retry_at")),
        "log_truncated": run.get("log_truncated"),
        "notification_error": run.get("notification_error"),
        "warning": run.get("warning"),
    }


def last_run_summary(run: Mapping[str, Any]) -> str:
    """The compact last-run object kept on the job row."""
    document = run_document(run)
    return orjson.dumps({key: document[key] for key in
                         ("id", "execution_id", "status", "triggered_by", "started_at", "finished_at", "duration",
                          "exit_code")}).decode()
