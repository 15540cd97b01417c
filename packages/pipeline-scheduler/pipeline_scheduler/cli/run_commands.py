"""Commands on runs: status, run, runs, logs (live with ``--follow``), cancel."""

from __future__ import annotations

import json
import sys
from functools import partial
from typing import Annotated, Any, List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from .app import State, app, examples, json_option, use_json
from .client import ClientError, SchedulerClient
from .job_options import option
from .mxx import EXECUTION_ID, cancel_job, job_status, run_by_execution_id
from .output import (absolute, console, duration_text, errors, exit_text, job_label, key_values, relative, run_label,
                     run_notes, say, show_json, status_text)
from .parse import PROG, Ambiguous, find_job, parse_params

command = partial(app.command, rich_help_panel="Runs")


@command(epilog=examples(f"{PROG} status nightly", f"{PROG} status daily_backup_20260105_020000_1a2b3c4d",
                             f"{PROG} status nightly --json"))
def status(target: str = typer.Argument(..., metavar="JOB|EXECUTION_ID",
                                        help="A job's name or id, or a run's execution id."),
           as_json: bool = json_option()) -> None:
    """What a job is doing now, and its last run; or a run's status by its execution id.

    A job is running, queued, paused, scheduled, on demand or broken."""
    use_json(as_json)
    client = State.client()
    if EXECUTION_ID.match(target):
        found = run_by_execution_id(client, target)
        if State.as_json:
            return show_json(found)
        return key_values([("Run", str(found["id"])), ("Job", f"{escape(str(found['job_name']))} ({found['job_id']})"),
                           ("Execution id", found["execution_id"]), ("Status", status_text(found["status"])),
                           ("Started", absolute(found["started_at"]) if found.get("started_at") else "-"),
                           ("Duration", duration_text(found.get("duration"))), ("Exit", exit_text(found.get("exit_code"))),
                           *([("Error", escape(str(found["error"])))] if found.get("error") else [])])
    found = job_status(client, target)
    if State.as_json:
        return show_json(found)
    last, zone = found.get("last_run") or {}, found.get("timezone")
    rows = [("Job", f"[bold]{escape(str(found['name']))}[/] ({found['job_id']})"),
            ("Status", status_text(found["status"]) if found["status"] in ("running", "queued") else found["status"]),
            ("Schedule", escape(str(found.get("trigger") or "-"))),
            ("Next run", "paused" if found["paused"] else absolute(found["next_run_time"], zone)
             if found.get("next_run_time") else "-")]
    for item in found["active_runs"]:
        rows.append(("Now", f"run {item['id']} {status_text(item['status'])} since "
                            f"{relative(item.get('started_at') or item.get('queued_at'))} ({item.get('execution_id')})"))
    rows.append(("Last run", f"{status_text(last.get('status'))} {relative(last.get('finished_at') or last.get('started_at'))}"
                             f", run {last.get('id')} ({last.get('execution_id')}), exit {exit_text(last.get('exit_code'))}"
                 if last else "-"))
    key_values(rows)


@command(epilog=examples(f"{PROG} run nightly", f"{PROG} run nightly --wait", f"{PROG} run 3f2a9c81d0b4 --json",
                             f"{PROG} run report --param region=us --param rows=100"))
def run(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
        wait: bool = typer.Option(False, "--wait", help="Stream the log and exit with the run's outcome "
                                                        "(0 success, 1 otherwise)."),
        param: Annotated[Optional[List[str]], option("--param", metavar="NAME=VALUE",
                                                 help="A notebook parameter for this run only (over the job's "
                                                      "own); repeat for more.")] = None,
        as_json: bool = json_option()) -> None:
    """Run a job now."""
    use_json(as_json)
    client = State.client()
    found = find_job(client, job)
    body: dict[str, Any] = {"triggered_by": "manual", **({"parameters": parse_params(param)} if param else {})}
    started = client.request("POST", f"jobs/{found['id']}/runs", body)
    if wait:
        raise typer.Exit(follow(client, started["id"]))
    if State.as_json:
        return show_json(started)
    say(f"✓ Started {run_label(started)} ({status_text(started.get('status'))})")
    say(f"  Follow it: {PROG} logs {started['id']} --follow")


@command(epilog=examples(f"{PROG} runs", f"{PROG} runs --job nightly --status failure",
                             f"{PROG} runs --limit 100 --json"))
def runs(job: Optional[str] = typer.Option(None, "--job", metavar="JOB", help="Only this job's runs (name or id)."),
         status: Optional[str] = typer.Option(None, "--status", metavar="STATUS",
                                              help="Only runs in this state: queued, running, success, failure, "
                                                   "timed_out, cancelled, skipped or interrupted."),
         limit: int = typer.Option(20, "--limit", metavar="N", help="How many, newest first."),
         as_json: bool = json_option()) -> None:
    """Recent runs, newest first."""
    use_json(as_json)
    client = State.client()
    job_id = None
    if job:
        try:
            job_id = find_job(client, job)["id"]
        except Ambiguous:
            raise
        except ClientError:
            job_id = job  # the runs of a deleted job keep its id
    found = client.request("GET", "runs", job_id=job_id, status=status, limit=limit)["runs"]
    if State.as_json:
        return show_json(found)
    if not found:
        say("No runs" + (f" of {escape(job)}" if job else "") + (f" with status {status}" if status else "") + ".")
        return
    table = Table("RUN", "JOB", "STATUS", "BY", "STARTED", "DURATION", "EXIT", box=None, header_style="bold")
    for item in found:
        by = item["triggered_by"] + (f" (try {item['attempt']})" if (item.get("attempt") or 1) > 1 else "")
        table.add_row(str(item["id"]), escape(str(item["job_name"])), status_text(item["status"]), by,
                      relative(item.get("started_at") or item.get("queued_at")), duration_text(item.get("duration")),
                      exit_text(item.get("exit_code")))
    console.print(table)


@command(epilog=examples(f"{PROG} logs 42", f"{PROG} logs 42 --follow", f"{PROG} logs 42 --json"))
def logs(run_id: int = typer.Argument(..., metavar="RUN", help="The run's number (see `runs`)."),
         follow_: bool = typer.Option(False, "--follow", "-f", help="Stream until the run ends; exit 0 if it "
                                                                    "succeeded, 1 otherwise."),
         as_json: bool = json_option()) -> None:
    """A run's log (stdout and stderr interleaved)."""
    use_json(as_json)
    client = State.client()
    if follow_:
        raise typer.Exit(follow(client, run_id))
    if State.as_json:
        text = b"".join(client.log(run_id)).decode("utf-8", errors="replace")
        return show_json({"run_id": run_id, "log": text})
    for chunk in client.log(run_id):
        sys.stdout.buffer.write(chunk)
    sys.stdout.flush()
    for note in run_notes(client.request("GET", f"runs/{run_id}")):
        errors.print(f"[dim]note:[/] {escape(note)}")


def follow(client: SchedulerClient, run_id: int) -> int:
    """Print a run's log live; the exit status says how it ended (0 success, 1 otherwise). With
    --json the log goes to stderr and the final run, as JSON, to stdout."""
    lines = []
    for event, data in client.stream(f"runs/{run_id}/stream"):
        if event == "log":
            lines.append(data)
            print(data, flush=True, file=sys.stderr if State.as_json else sys.stdout)
        elif event == "status":
            final = json.loads(data)
            if State.as_json:
                show_json(final)
            else:
                line = f"{run_label(final)}: {status_text(final['status'])}"
                if final.get("duration") is not None:
                    line += f" in {duration_text(final['duration'])}"
                if final.get("error"):
                    line += f" — {escape(str(final['error']))}"
                say(line)
                for note in run_notes(final):
                    say(f"  [dim]{escape(note)}[/]")
            return 0 if final["status"] == "success" else 1
    return 1


@command(epilog=examples(f"{PROG} cancel 42", f"{PROG} cancel nightly"))
def cancel(target: str = typer.Argument(..., metavar="RUN|JOB",
                                        help="A run's number (see `runs`), or a job's name or id."),
           as_json: bool = json_option()) -> None:
    """Cancel a run, or a job's scheduled fires and its runs.

    A run (queued or running) ends with its process tree.

    A job is paused (`resume` undoes it) and its queued and running runs are cancelled.

    A number is a run when such a run exists."""
    use_json(as_json)
    client = State.client()
    if target.isdigit():
        try:
            cancelled = client.request("POST", f"runs/{target}/cancel")
        except ClientError as error:
            if error.status != 404:
                raise
        else:
            if State.as_json:
                return show_json(cancelled)
            return say(f"✓ Cancelled {run_label(cancelled)} ({status_text(cancelled.get('status'))})")
    try:
        done = cancel_job(client, target)
    except ClientError as error:
        if error.status == 404 and target.isdigit():
            raise ClientError(f"no run {target}, and no job with the name or id {target!r}", 404, "job",
                              hint=f"`{PROG} runs` lists the runs, `{PROG} list` the jobs") from None
        raise
    if State.as_json:
        return show_json(done)
    job = done["job"]
    if done["paused"]:
        say(f"✓ Cancelled job {job_label(job)}: no more scheduled runs (undo: {PROG} resume {job['id']})")
    for item in done["cancelled_runs"]:
        say(f"✓ Cancelled {run_label(item)} ({status_text(item.get('status'))})")
