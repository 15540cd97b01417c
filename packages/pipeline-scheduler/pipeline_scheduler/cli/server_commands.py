"""Commands on the server: health, and serve (the scheduler as a service of its own)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from .app import State, app, examples, json_option, use_json
from .output import key_values, relative, show_json
from .parse import PROG

command = partial(app.command, rich_help_panel="Server")


@command(epilog=examples(f"{PROG} health", f"{PROG} health --json"))
def health(as_json: bool = json_option()) -> None:
    """Is the scheduler running here: which server fires jobs, how many jobs and runs."""
    use_json(as_json)
    client = State.client()
    found = client.request("GET", "health")
    if State.as_json:
        return show_json(found)
    dispatcher = found.get("dispatcher") or {}
    if dispatcher:
        who = ("this server" if dispatcher.get("this_server")
               else f"server {dispatcher.get('server_id')} (pid {dispatcher.get('pid')} on {dispatcher.get('host')})")
        since = f", since {relative(dispatcher['since'])}" if dispatcher.get("since") is not None else ""
        state = f"[green]running[/] — {who} fires the jobs{since}"
    else:
        state = "[red]not running[/] — no server holds the dispatcher lease"
    broken = found.get("broken_jobs") or 0
    jobs = f"{found.get('jobs', 0)}" + (f" ([red]{broken} broken[/])" if broken else "")
    rows = [("Server", escape(client.url)), ("Scheduler", state), ("Jobs", jobs),
            ("Runs", f"{found.get('running_runs', 0)} running, {found.get('queued_runs', 0)} queued"),
            ("Servers", str(found.get("servers", 1))), ("Version", str(found.get("version", "-")))]
    if found.get("started_at"):
        rows.append(("Started", relative(found["started_at"])))
    for repaired in found.get("repaired_jobs") or []:
        rows.append(("Repaired", f"{repaired.get('id')}: {escape(str(repaired.get('problem')))}"))
    key_values(rows)


@command(epilog=examples(f"{PROG} serve --root /srv/pipelines --port 8890",
                             f"{PROG} serve --root . --db-url postgresql+psycopg://scheduler@db/scheduler",
                             f"{PROG} serve --root . -- --PipelineSchedulerApp.max_concurrent_runs=8"),
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def serve(ctx: typer.Context,
          root: Path = typer.Option(Path("."), "--root", metavar="DIR", file_okay=False,
                                    help="The folder jobs' paths are relative to (its .amphi/ holds the data)."),
          port: int = typer.Option(8890, "--port", metavar="PORT", help="Port to listen on."),
          ip: str = typer.Option("127.0.0.1", "--ip", metavar="ADDRESS", help="Address to listen on."),
          token: Optional[str] = typer.Option(None, "--token", metavar="TOKEN",
                                              help="Token clients must send (default: one is generated and printed)."),
          db_url: Optional[str] = typer.Option(None, "--db-url", metavar="URL",
                                               help="Database shared with other servers (default: SQLite under the "
                                                    "root).")) -> None:
    """Run the scheduler as a service of its own, without JupyterLab.

    Schedules keep firing when JupyterLab servers stop.

    Options after `--` go to the server (traits of ServerApp and PipelineSchedulerApp)."""
    from ..headless import serve as start

    root.mkdir(parents=True, exist_ok=True)
    start(root, port, ip, token, db_url, list(ctx.args))
