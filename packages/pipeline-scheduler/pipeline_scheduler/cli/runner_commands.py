"""Commands on runner-config jobs (the MXX registry): trigger, register, registry, unregister, plugins."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from .app import State, app, examples, json_option, use_json
from .client import ClientError
from .output import console, errors, job_label, job_summary, run_label, say, show_json
from .parse import PROG, find_job

command = partial(app.command, rich_help_panel="Runner configs")


@command(epilog=examples(f"{PROG} trigger daily_backup", f"{PROG} trigger daily_backup --json"))
def trigger(job: str = typer.Argument(..., metavar="JOB", help="The runner-config job's id or name."),
            as_json: bool = json_option()) -> None:
    """Trigger a registered runner-config job now; prints the run with its execution id."""
    use_json(as_json)
    client = State.client()
    started = client.request("POST", f"registry/{find_job(client, job)['id']}/trigger")
    if State.as_json:
        return show_json(started)
    say(f"✓ Started {run_label(started)} ({started.get('execution_id')})")
    say(f"  Follow it: {PROG} logs {started['id']} --follow")


@command(epilog=examples(f"{PROG} register backup.toml --job-id backup",
                             f"{PROG} register backup.toml --job-id backup --replace"))
def register(config: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="CONFIG",
                                           help="Runner config file (TOML, YAML or JSON) on this machine."),
             job_id: str = typer.Option(..., "--job-id", metavar="ID", help="The job's id."),
             replace: bool = typer.Option(False, "--replace", help="Replace a job of that id."),
             as_json: bool = json_option()) -> None:
    """Register a runner config as a job (its \\[schedule] section makes it scheduled)."""
    use_json(as_json)
    from ..runner.config import read_source

    try:
        data = read_source(config).data
    except Exception as error:  # the runner names the file and line
        raise ClientError(str(error)) from None
    job = State.client().request("POST", "registry", {"job_id": job_id, "config": data, "replace_existing": replace})
    if State.as_json:
        return show_json(job)
    say(f"✓ Registered job {job_label(job)}")
    say(job_summary(job))


@command(epilog=examples(f"{PROG} registry", f"{PROG} registry --type on_demand"))
def registry(type: str = typer.Option("all", "--type", metavar="TYPE", help="all, scheduled or on_demand."),
             as_json: bool = json_option()) -> None:
    """Runner-config jobs, and the config files that failed to load."""
    use_json(as_json)
    found = State.client().request("GET", "registry", type=type)
    if State.as_json:
        return show_json(found)
    table = Table("JOB", "TYPE", "ORIGIN", "SCHEDULE", "PAUSED", box=None, header_style="bold")
    for entry in found["jobs"]:
        table.add_row(entry["job_id"], entry["type"], entry["origin"], escape(str(entry.get("trigger") or "-")),
                      "yes" if entry["paused"] else "no")
    console.print(table)
    for error in found["errors"]:
        errors.print(f"[red]{escape(str(error['file']))}[/]: {escape(str(error['error']))}")


@command(epilog=examples(f"{PROG} unregister backup"))
def unregister(job: str = typer.Argument(..., metavar="JOB", help="The runner-config job's id or name."),
               as_json: bool = json_option()) -> None:
    """Remove a registered runner-config job."""
    use_json(as_json)
    client = State.client()
    found = find_job(client, job)
    answer = client.request("DELETE", f"registry/{found['id']}")
    if State.as_json:
        return show_json(answer)
    say(f"✓ Unregistered job {job_label(found)}")


@command(epilog=examples(f"{PROG} plugins", f"{PROG} plugins --custom", f"{PROG} plugins --json"))
def plugins(builtin: bool = typer.Option(False, "--builtin", help="Only the built-in plugins."),
            custom: bool = typer.Option(False, "--custom", help="Only custom plugins (plugin files, entry points), "
                                                                "and the plugin files that failed to load."),
            as_json: bool = json_option()) -> None:
    """Runner plugins (built-in and custom), and plugin files that failed to load."""
    use_json(as_json)
    found = State.client().request("GET", "plugins")
    if builtin != custom:
        found = {"plugins": [plugin for plugin in found["plugins"] if (plugin["source"] == "builtin") == builtin],
                 "errors": [] if builtin else found["errors"]}
    if State.as_json:
        return show_json(found)
    table = Table("PLUGIN", "SOURCE", "DESCRIPTION", box=None, header_style="bold")
    for plugin in found["plugins"]:
        table.add_row(plugin["name"], plugin["source"], escape((plugin.get("doc") or "").split("\n")[0]))
    console.print(table)
    for error in found["errors"]:
        errors.print(f"[red]{escape(str(error.get('origin')))}[/]: {escape(str(error.get('error')))}")
