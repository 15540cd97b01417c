"""``pipeline-scheduler``: the scheduler from a terminal or a script (every command speaks the REST API).

Add ``--json`` to any listing for machine-readable output.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from .client import ClientError, SchedulerClient

app = typer.Typer(help="Schedule and run jobs of an amphi-scheduler server.", no_args_is_help=True,
                  add_completion=False)
console = Console()
STATUS_STYLES = {"success": "green", "failure": "red", "timed_out": "red", "running": "cyan", "queued": "blue",
                 "cancelled": "yellow", "interrupted": "yellow", "skipped": "dim"}


def exit_text(code: Optional[int]) -> str:
    """An exit code, with the signal named when it is negative (ended by that signal)."""
    if code is None:
        return "-"
    if code < 0:
        try:
            return f"{code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"{code} (signal {-code})"
    return str(code)


class State:
    url: Optional[str] = None
    token: Optional[str] = None
    as_json: bool = False

    @classmethod
    def client(cls) -> SchedulerClient:
        return SchedulerClient(cls.url, cls.token)


@app.callback()
def options(url: Optional[str] = typer.Option(None, help="Jupyter server URL (default: $PIPELINE_SCHEDULER_URL, "
                                                           "else the running server)"),
            token: Optional[str] = typer.Option(None, help="Jupyter token (default: $PIPELINE_SCHEDULER_TOKEN)"),
            as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables")) -> None:
    State.url, State.token, State.as_json = url, token, as_json


def show(data: Any, table: Optional[Table] = None) -> None:
    if State.as_json or table is None:
        print(json.dumps(data, indent=2))
    else:
        console.print(table)


def status_text(status: Optional[str]) -> str:
    return f"[{STATUS_STYLES.get(status or '', 'white')}]{status or '-'}[/]"


@app.command()
def health() -> None:
    """Is the scheduler running; how many jobs and runs."""
    show(State.client().request("GET", "health"))


@app.command("list")
def list_jobs(type: str = typer.Option("all", help="all, scheduled or on_demand")) -> None:
    """The jobs, with their trigger, next run and last run."""
    jobs = State.client().request("GET", "jobs", type=type)["jobs"]
    table = Table("id", "name", "trigger", "next run", "last run")
    for job in jobs:
        last = job.get("last_run") or {}
        upcoming = "paused" if job["paused"] else job["next_run_time"] or "-"
        table.add_row(job["id"], job["name"], job["trigger"], upcoming, status_text(last.get("status")))
    show(jobs, table)
    for job in [] if State.as_json else jobs:
        if job.get("broken"):
            console.print(f"[red]broken[/] {job['id']}: {job['broken']}", highlight=False)


@app.command()
def info(job_id: str) -> None:
    """One job, as the server stores it."""
    show(State.client().request("GET", f"jobs/{job_id}"))


@app.command()
def add(path: str = typer.Argument(..., help="file to run, relative to the server root"),
        name: Optional[str] = typer.Option(None), cron: Optional[str] = typer.Option(None, help="crontab line"),
        every: Optional[int] = typer.Option(None, help="interval in seconds"),
        at: Optional[str] = typer.Option(None, help="run once at this ISO date-time"),
        timezone: Optional[str] = typer.Option(None), timeout: Optional[float] = typer.Option(None)) -> None:
    """Create a job (on demand unless --cron, --every or --at is given)."""
    schedule: dict[str, Any] = {"schedule_type": "manual"}
    if cron:
        schedule = {"schedule_type": "cron", "cron_expression": cron}
    elif every:
        schedule = {"schedule_type": "interval", "interval_seconds": every}
    elif at:
        schedule = {"schedule_type": "date", "date_type": "once", "run_date": at}
    payload = {"pipeline_path": path, "name": name, "timezone": timezone, "timeout": timeout, **schedule}
    show(State.client().request("POST", "jobs", {k: v for k, v in payload.items() if v is not None}))


@app.command()
def run(job_id: str, wait: bool = typer.Option(False, "--wait", help="wait for the end and print the log")) -> None:
    """Run a job now; with --wait, exit with the run's outcome."""
    client = State.client()
    started = client.request("POST", f"jobs/{job_id}/runs", {"triggered_by": "manual"})
    if not wait:
        show(started)
        return
    raise typer.Exit(follow(client, started["id"]))


@app.command()
def trigger(job_id: str) -> None:
    """Trigger a registered runner-config job; prints the run with its execution id."""
    show(State.client().request("POST", f"registry/{job_id}/trigger"))


@app.command()
def runs(job: Optional[str] = typer.Option(None, help="only this job"),
         status: Optional[str] = typer.Option(None), limit: int = typer.Option(20)) -> None:
    """Recent runs, newest first."""
    found = State.client().request("GET", "runs", job_id=job, status=status, limit=limit)["runs"]
    table = Table("run", "job", "status", "by", "started", "duration", "exit")
    for item in found:
        table.add_row(str(item["id"]), item["job_name"], status_text(item["status"]), item["triggered_by"],
                      item["started_at"] or "-", f"{item['duration']:.2f}s" if item["duration"] is not None else "-",
                      exit_text(item["exit_code"]))
    show(found, table)


@app.command()
def logs(run_id: int, follow_: bool = typer.Option(False, "--follow", "-f", help="stream until the run ends")) -> None:
    """A run's log (stdout and stderr interleaved)."""
    client = State.client()
    if follow_:
        raise typer.Exit(follow(client, run_id))
    sys.stdout.write(client.request("GET", f"runs/{run_id}/log"))


def follow(client: SchedulerClient, run_id: int) -> int:
    """Print a run's log live; the exit status says how it ended (0 success, 1 otherwise)."""
    for event, data in client.stream(f"runs/{run_id}/stream"):
        if event == "log":
            print(data, flush=True)
        elif event == "status":
            final = json.loads(data)
            console.print(f"run {final['id']}: {status_text(final['status'])}"
                          + (f" — {final['error']}" if final.get("error") else ""), highlight=False)
            return 0 if final["status"] == "success" else 1
    return 1


@app.command()
def cancel(run_id: int) -> None:
    """Cancel a queued or running run."""
    show(State.client().request("POST", f"runs/{run_id}/cancel"))


@app.command()
def pause(job_id: str) -> None:
    """Stop a job's future fires (keep the job)."""
    show(State.client().request("POST", f"jobs/{job_id}/pause"))


@app.command()
def resume(job_id: str) -> None:
    """Let a paused job fire again."""
    show(State.client().request("POST", f"jobs/{job_id}/resume"))


@app.command()
def delete(job_id: str) -> None:
    """Delete a job (its runs stay in the history)."""
    show(State.client().request("DELETE", f"jobs/{job_id}"))


@app.command()
def register(config: Path = typer.Argument(..., exists=True, dir_okay=False, help="runner config (TOML/YAML/JSON)"),
             job_id: str = typer.Option(..., "--job-id"), replace: bool = typer.Option(False, "--replace")) -> None:
    """Register a runner config under a job id (its \\[schedule] section makes it scheduled)."""
    from ..runner.config import read_source

    try:
        data = read_source(config).data
    except Exception as error:  # the runner names the file and line
        raise ClientError(str(error)) from None
    show(State.client().request("POST", "registry", {"job_id": job_id, "config": data, "replace_existing": replace}))


@app.command()
def registry(type: str = typer.Option("all", help="all, scheduled or on_demand")) -> None:
    """Runner-config jobs and the config files that failed to load."""
    found = State.client().request("GET", "registry", type=type)
    table = Table("job", "type", "origin", "trigger", "paused")
    for entry in found["jobs"]:
        table.add_row(entry["job_id"], entry["type"], entry["origin"], entry["trigger"], str(entry["paused"]))
    show(found, table)
    for error in found["errors"]:
        console.print(f"[red]{error['file']}[/]: {error['error']}", highlight=False)


@app.command()
def unregister(job_id: str) -> None:
    """Remove a registered runner-config job."""
    show(State.client().request("DELETE", f"registry/{job_id}"))


@app.command()
def plugins() -> None:
    """Runner plugins (built-in and custom) and plugin files that failed to load."""
    found = State.client().request("GET", "plugins")
    table = Table("plugin", "source", "description")
    for plugin in found["plugins"]:
        table.add_row(plugin["name"], plugin["source"], (plugin.get("doc") or "").split("\n")[0])
    show(found, table)
    for error in found["errors"]:
        console.print(f"[red]{error.get('origin')}[/]: {error.get('error')}", highlight=False)


def main() -> None:
    try:
        app()
    except ClientError as error:
        where = f" ({error.field})" if error.field else ""
        Console(stderr=True).print(f"[red]error{where}:[/] {error}", highlight=False)
        sys.exit(2)

