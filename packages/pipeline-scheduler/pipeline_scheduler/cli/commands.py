"""``pipeline-scheduler``: the scheduler from a terminal or a script (every command speaks the REST API).

In the manner of ``gh``: jobs are named by name or id, every command prints words and tables for
people and takes ``--json`` (before or after the command) for scripts, times are relative ("in 5
min", "2 h ago"), durations read like ``10m``, ``2h``, ``1d``, and an error is said once, with
what to do about it. Exit status: 0 done, 1 a run that did not succeed (``run --wait``,
``logs --follow``), 2 an error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..zones import canonical_zone
from .client import ClientError, SchedulerClient
from .mxx import EXECUTION_ID, active_runs, cancel_job, job_status, remove_job, run_by_execution_id
from .output import (absolute, console, duration_text, errors, exit_text, job_label, job_summary, job_target,
                     key_values, last_text, next_text, relative, run_label, run_notes, say, show_json,
                     status_text)
from .parse import (PROG, Ambiguous, find_job, interval_fields, local_zone, parse_after,
                    parse_duration, parse_env, parse_params, parse_when)

app = typer.Typer(help="Schedule and run jobs of an amphi-scheduler server (JupyterLab's Pipeline Scheduler).",
                  no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
                  epilog=f"Jobs are named by name or id. Add --json to any command for JSON.\n"
                         f"Run [bold]{PROG} COMMAND --help[/] for a command's options and examples.")
SCHEDULE_KEYS = ("schedule_type", "date_type", "run_date", "last_day_of_month", "interval_days", "interval_seconds",
                 "interval_minutes", "interval_hours", "cron_expression", "second", "minute", "hour", "day", "month",
                 "day_of_week", "trigger_conditions", "logical_operator")


def _tidy_help() -> None:
    """Newer Typer writes a type placeholder after every parameter (``<str>``, ``<bool>``): show the
    option's metavar instead (``DURATION``, ``JOB``), nothing after flags and arguments, and arguments
    in the usage line as ``PATH`` / ``[ARGS]...``."""
    from typer import core

    for kind in (core.TyperOption, core.TyperArgument):
        original = getattr(kind, "display_type_rich", None)
        if original is None:
            continue

        def display(self: Any, ctx: Any, _original: Any = original) -> Optional[str]:
            if isinstance(self, core.TyperArgument) or getattr(self, "is_flag", False):
                return None
            return self.metavar if self.metavar else _original(self, ctx)

        kind.display_type_rich = display  # type: ignore[method-assign]
    if hasattr(core.TyperArgument, "_usage_display_name"):
        def usage(self: Any) -> str:
            name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
            return name + ("..." if self.nargs != 1 else "")

        core.TyperArgument._usage_display_name = usage  # type: ignore[method-assign]


_tidy_help()


def examples(*lines: str) -> str:
    """A command's examples, for the end of its --help."""
    return "[bold]Examples[/]\n\n" + "\n".join(f"  $ {escape(line)}" for line in lines)


def json_option() -> Any:
    return typer.Option(False, "--json", help="Print JSON (the API's documents) instead of text and tables.")


class State:
    url: Optional[str] = None
    token: Optional[str] = None
    as_json: bool = False
    _client: Optional[SchedulerClient] = None

    @classmethod
    def client(cls) -> SchedulerClient:
        if cls._client is None:
            cls._client = SchedulerClient(cls.url, cls.token)
        return cls._client


def use_json(flag: bool) -> None:
    State.as_json = State.as_json or flag


@app.callback()
def options(url: Optional[str] = typer.Option(None, "--url", "--server", metavar="URL",
                                              help="Jupyter server URL, e.g. http://localhost:8888/ (a URL with "
                                                   "?token= works). Default: $PIPELINE_SCHEDULER_URL, else the "
                                                   "Jupyter server running on this machine."),
            token: Optional[str] = typer.Option(None, metavar="TOKEN",
                                                help="Jupyter token. Default: $PIPELINE_SCHEDULER_TOKEN, else the "
                                                     "running server's own, else $JUPYTER_TOKEN."),
            as_json: bool = json_option()) -> None:
    State.url, State.token, State.as_json, State._client = url, token, as_json, None


# -- commands ----------------------------------------------------------------------------------------
@app.command(epilog=examples(f"{PROG} health", f"{PROG} health --json"))
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


@app.command("list", epilog=examples(f"{PROG} list", f"{PROG} list --type scheduled", f"{PROG} list --type active",
                                     f"{PROG} list --json | jq '.[].name'"))
def list_jobs(type: str = typer.Option("all", "--type", metavar="TYPE",
                                       help="all, scheduled (has a clock), on_demand, or active (running or "
                                            "queued now: its runs are listed)."),
              as_json: bool = json_option()) -> None:
    """The jobs: name, id, schedule, next run and last run."""
    use_json(as_json)
    if type == "active":
        return show_active(active_runs(State.client()))
    jobs = State.client().request("GET", "jobs", type=type)["jobs"]
    if State.as_json:
        return show_json(jobs)
    if not jobs:
        say(f"No jobs yet. Add one: {PROG} add FILE --every 10m")
        return
    table = Table("NAME", "ID", "SCHEDULE", "NEXT RUN", "LAST RUN", box=None, header_style="bold")
    for job in jobs:
        table.add_row(escape(str(job["name"])), job["id"], escape(str(job.get("trigger") or "")), next_text(job),
                      last_text(job), style="dim" if job.get("paused") else None)
    console.print(table)
    for job in jobs:  # after the table, one line each: why (the table says "broken")
        if job.get("broken"):
            say(f"[red]broken[/] {job['id']}: {escape(str(job['broken']))}")


def show_active(active: list[dict[str, Any]]) -> None:
    if State.as_json:
        return show_json(active)
    if not active:
        say("No job is running or queued.")
        return
    table = Table("NAME", "JOB ID", "RUN", "STATUS", "STARTED", "EXECUTION ID", box=None, header_style="bold")
    for item in active:
        table.add_row(escape(str(item["job_name"])), item["job_id"], str(item["id"]), status_text(item["status"]),
                      relative(item.get("started_at") or item.get("queued_at")), item.get("execution_id") or "-")
    console.print(table)


@app.command(epilog=examples(f"{PROG} status nightly", f"{PROG} status daily_backup_20260105_020000_1a2b3c4d",
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


@app.command(epilog=examples(f"{PROG} info nightly", f"{PROG} info 3f2a9c81d0b4 --json"))
def info(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
         as_json: bool = json_option()) -> None:
    """One job: what it runs, when, and every option."""
    use_json(as_json)
    found = find_job(State.client(), job)
    if State.as_json:
        return show_json(found)
    zone = found.get("timezone")
    last = found.get("last_run") or {}
    rows = [("Name", escape(str(found["name"]))), ("ID", found["id"]), ("Runs", escape(job_target(found))),
            ("Kind", str(found.get("kind", "-"))), ("Schedule", escape(str(found.get("trigger") or "-"))),
            ("Time zone", str(zone or "-")),
            ("Next run", "paused" if found.get("paused") else absolute(found.get("next_run_time"), zone)
             if found.get("next_run_time") else "-"),
            ("Last run", f"{status_text(last.get('status'))} {absolute(last.get('started_at'), zone)}, "
                         f"run {last.get('id')}, {duration_text(last.get('duration'))}" if last else "-")]
    if found.get("arguments"):
        rows.append(("Arguments", escape(" ".join(found["arguments"]))))
    for name, value in (found.get("env") or {}).items():
        rows.append(("Env", escape(f"{name}={value}")))
    if found.get("cwd"):
        rows.append(("Working dir", escape(str(found["cwd"]))))
    for resource, amount in (found.get("resources") or {}).items():
        rows.append(("Resource", escape(f"{resource}={amount:g}")))
    rows += [("Timeout", duration_text(found["timeout"]) if found.get("timeout") else "server default"),
             ("If still running", str(found.get("overlap_policy", "skip"))
              + (f" (up to {found.get('max_parallel')})" if found.get("overlap_policy") == "parallel" else "")),
             ("Missed runs", str(found.get("catch_up", "run_once")))]
    if "code_stale" in found:  # its code was generated from a pipeline
        rows.append(("Stale code", f"{found.get('on_stale', 'warn')}"
                                   + (" ([yellow]out of date now[/])" if found["code_stale"] else "")))
    if found.get("retries"):
        rows.append(("Retries", f"{found['retries']} on {', '.join(found.get('retry_on') or [])}, first after "
                                f"{duration_text(found.get('retry_delay'))}, "
                                f"each wait × {found.get('retry_backoff') or 1:g}"))
    for target in found.get("notify") or []:
        rows.append(("Notify", f"{escape(str(target.get('url')))} on {', '.join(target.get('on') or [])}"))
    rows += [("Created", absolute(found.get("created_at"), zone)), ("Updated", absolute(found.get("updated_at"), zone))]
    if found.get("broken"):
        rows.append(("Broken", f"[red]{escape(str(found['broken']))}[/]"))
    key_values(rows)


SCHEDULE_HELP = "Schedule (one of)"
JOB_HELP = "Job options"
RETRY_HELP = "Retries and notifications"


def schedule_options(cron: Optional[str], every: Optional[str], every_days: Optional[int], at: Optional[str],
                     once: bool, daily: bool, weekly: bool, monthly: bool, last_day: bool, after: List[str],
                     any_: bool, manual: bool, zone_name: str, client: Optional[SchedulerClient]
                     ) -> Optional[dict[str, Any]]:
    """The schedule fields the options describe, or None when they name no schedule."""
    repeats = [name for name, given in (("--once", once), ("--daily", daily), ("--weekly", weekly),
                                        ("--monthly", monthly)) if given]
    kinds = [name for name, given in (("--cron", cron), ("--every", every), ("--every-days", every_days),
                                      ("--after", after), ("--manual", manual),
                                      ("--at", at and not every and not every_days)) if given]
    if len(kinds) > 1:
        raise typer.BadParameter(f"choose one schedule, not {' and '.join(kinds)}", param_hint=kinds[1])
    if len(repeats) > 1:
        raise typer.BadParameter(f"choose one of {', '.join(repeats)}", param_hint=repeats[1])
    if repeats and not at:
        raise typer.BadParameter(f"{repeats[0]} needs --at WHEN (e.g. --at 07:15, or --at 'mon 09:00')",
                                 param_hint=repeats[0])
    if repeats and kinds and kinds[0] != "--at":
        raise typer.BadParameter(f"{repeats[0]} goes with --at, not with {kinds[0]}", param_hint=repeats[0])
    if last_day and not monthly:
        raise typer.BadParameter("--last-day goes with --monthly", param_hint="--last-day")
    if any_ and not after:
        raise typer.BadParameter("--any goes with --after", param_hint="--any")
    if cron:
        return {"schedule_type": "cron", "cron_expression": cron}
    if every:
        return {"schedule_type": "interval", **interval_fields(every),
                **({"run_date": parse_when(at, zone_name)} if at else {})}
    if every_days:
        if every_days < 1:
            raise typer.BadParameter("a positive number of days", param_hint="--every-days")
        return {"schedule_type": "date", "date_type": "every_x_days", "interval_days": every_days,
                **({"run_date": parse_when(at, zone_name)} if at else {})}
    if after:
        assert client is not None
        return {"schedule_type": "trigger", "trigger_conditions": parse_after(after, client),
                "logical_operator": "OR" if any_ else "AND"}
    if manual:
        return {"schedule_type": "manual"}
    if at:
        date_type = repeats[0][2:] if repeats else "once"
        return {"schedule_type": "date", "date_type": date_type, "run_date": parse_when(at, zone_name),
                **({"last_day_of_month": True} if last_day else {})}
    return None


def _choices(value: Optional[str], allowed: tuple[str, ...], option: str) -> Optional[str]:
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"{value!r}: use {', '.join(allowed[:-1])} or {allowed[-1]}", param_hint=option)
    return value


def option_fields(*, arguments: Optional[List[str]] = None, env: Optional[List[str]] = None,
                  cwd: Optional[str] = None, timeout: Optional[str] = None, overlap: Optional[str] = None,
                  max_parallel: Optional[int] = None, catch_up: Optional[str] = None,
                  coalesce: Optional[bool] = None, kill_leftovers: Optional[bool] = None,
                  paused: Optional[bool] = None, retries: Optional[int] = None, retry_delay: Optional[str] = None,
                  retry_backoff: Optional[float] = None, retry_on: Optional[List[str]] = None,
                  notify: Optional[List[str]] = None, notify_on: Optional[List[str]] = None,
                  resource: Optional[List[str]] = None, param: Optional[List[str]] = None,
                  on_stale: Optional[str] = None) -> dict[str, Any]:
    """The job fields the options give (an option not given is left out)."""
    fields: dict[str, Any] = {}
    if arguments:
        fields["arguments"] = list(arguments)
    if env:
        fields["env"] = parse_env(env)
    if cwd is not None:
        fields["cwd"] = cwd
    if timeout is not None:
        seconds = 0.0 if timeout.strip().lower() in ("none", "off", "default") else parse_duration(timeout, "--timeout")
        fields["timeout"] = seconds or None
    if max_parallel is not None:
        if max_parallel < 1:
            raise typer.BadParameter("at least 1", param_hint="--max-parallel")
        fields["max_parallel"] = max_parallel
        fields["overlap_policy"] = overlap or "parallel"
    if _choices(overlap, ("skip", "queue", "parallel"), "--overlap") is not None:
        fields["overlap_policy"] = overlap
    if _choices(catch_up, ("run_once", "skip"), "--catch-up") is not None:
        fields["catch_up"] = catch_up
    if _choices(on_stale, ("warn", "fail"), "--on-stale") is not None:
        fields["on_stale"] = on_stale
    for key, value in (("coalesce", coalesce), ("kill_leftovers", kill_leftovers), ("paused", paused),
                       ("retries", retries), ("retry_backoff", retry_backoff)):
        if value is not None:
            fields[key] = value
    if retry_delay is not None:
        fields["retry_delay"] = parse_duration(retry_delay, "--retry-delay")
    if retry_on:
        for outcome in retry_on:
            _choices(outcome, ("failure", "timed_out", "interrupted"), "--retry-on")
        fields["retry_on"] = list(dict.fromkeys(retry_on))
    if notify_on and not notify:
        raise typer.BadParameter("--notify-on goes with --notify URL", param_hint="--notify-on")
    if notify:
        for event in notify_on or []:
            _choices(event, ("failure", "timed_out", "success", "recovery"), "--notify-on")
        fields["notify"] = [{"url": url, **({"on": list(dict.fromkeys(notify_on))} if notify_on else {})}
                            for url in notify]
    if resource:
        amounts = {}
        for pair in resource:
            name, equals, amount = pair.partition("=")
            try:
                amounts[name] = float(amount) if equals and name else float("nan")
            except ValueError:
                amounts[name] = float("nan")
            if amounts[name] != amounts[name]:
                raise typer.BadParameter(f"{pair!r}: expected NAME=AMOUNT (e.g. GPU=1)", param_hint="--resource")
        fields["resources"] = amounts
    if param:
        fields["parameters"] = parse_params(param)
    return fields


def _o(*names: str, metavar: Optional[str] = None, help: str, panel: str = JOB_HELP) -> Any:
    """An option of add/edit, for ``Annotated`` (its default, ``None``, is the parameter's)."""
    return typer.Option(*names, metavar=metavar, help=help, rich_help_panel=panel)


def _flag(*names: str, help: str, panel: str = SCHEDULE_HELP) -> Any:
    """A flag of add/edit, for ``Annotated`` (its default, ``False``, is the parameter's)."""
    return typer.Option(*names, help=help, rich_help_panel=panel)


HELP = {
    "cron": "Crontab line: 'm h dom mon dow' (or seconds first); day-of-week 0 and 7 are Sunday.",
    "every": "Every so often in real time: 90s, 10m, 2h, 1d, 1h30m (--at: from when).",
    "every_days": "Every N days at --at's wall-clock time.",
    "at": "Once at WHEN (2026-12-01T07:00, 07:00, 'tomorrow 07:00', 'mon 09:00', +10m); with --daily, "
          "--weekly or --monthly, from WHEN on at its time.",
    "once": "With --at: once (the default).", "daily": "With --at: every day at its time.",
    "weekly": "With --at: every week on its weekday.", "monthly": "With --at: every month on its day of month.",
    "last_day": "With --monthly: on the last day of each month.",
    "after": "Run when that job (name or id) finishes so (default success); repeat for several.",
    "any": "With several --after: when any of them is met (default: all).",
    "cwd": "Working directory, inside the server root (default: the folder of the file it runs; . = the root).",
    "overlap": "When a run is due while one is going: skip (the default), queue or parallel.",
    "max_parallel": "Runs at once with --overlap parallel (implies it).",
    "on_stale": "When the code is older than its .ampln pipeline: warn (the default; run it and say so) or "
                "fail (do not start it).",
    "catch_up": "Runs missed while no server ran: run_once (the default) or skip.",
    "coalesce": "Of instants due together, run only the latest.",
    "kill_leftovers": "End what a run leaves running (the default), or keep it.",
    "retries": "Run a run that ended badly again, up to N times (default 0).",
    "retry_delay": "Wait before the first retry (90s, 10m; default 1m).",
    "retry_backoff": "Each further wait is the previous one times this (default 2).",
    "retry_on": "Which endings are retried: failure, timed_out, interrupted; repeat (default failure and "
                "timed_out).",
    "notify": "Apprise URL told how runs end (mailto://…, slack://…, json://…); repeat for more.",
    "notify_on": "Which endings --notify hears of: failure, timed_out, success, recovery; repeat "
                 "(default failure, timed_out, recovery).",
    "resource": "Dask worker resource a run needs, NAME=AMOUNT (e.g. GPU=1); repeat for more.",
    "param": "Notebook parameter NAME=VALUE (the value read as JSON when it is: 10, true, [1, 2]); repeat for more.",
}

# Options add and edit share, said once.
Cron = Annotated[Optional[str], _o("--cron", metavar="EXPR", panel=SCHEDULE_HELP, help=HELP["cron"])]
Every = Annotated[Optional[str], _o("--every", metavar="DURATION", panel=SCHEDULE_HELP, help=HELP["every"])]
EveryDays = Annotated[Optional[int], _o("--every-days", metavar="N", panel=SCHEDULE_HELP, help=HELP["every_days"])]
At = Annotated[Optional[str], _o("--at", metavar="WHEN", panel=SCHEDULE_HELP, help=HELP["at"])]
Once = Annotated[bool, _flag("--once", help=HELP["once"])]
Daily = Annotated[bool, _flag("--daily", help=HELP["daily"])]
Weekly = Annotated[bool, _flag("--weekly", help=HELP["weekly"])]
Monthly = Annotated[bool, _flag("--monthly", help=HELP["monthly"])]
LastDay = Annotated[bool, _flag("--last-day", help=HELP["last_day"])]
After = Annotated[Optional[List[str]], _o("--after", metavar="JOB[:success|failure]", panel=SCHEDULE_HELP,
                                          help=HELP["after"])]
AnyOf = Annotated[bool, _flag("--any", help=HELP["any"])]
Cwd = Annotated[Optional[str], _o("--cwd", metavar="DIR", help=HELP["cwd"])]
Overlap = Annotated[Optional[str], _o("--overlap", metavar="POLICY", help=HELP["overlap"])]
MaxParallel = Annotated[Optional[int], _o("--max-parallel", metavar="N", help=HELP["max_parallel"])]
CatchUp = Annotated[Optional[str], _o("--catch-up", metavar="POLICY", help=HELP["catch_up"])]
OnStale = Annotated[Optional[str], _o("--on-stale", metavar="POLICY", help=HELP["on_stale"])]
Coalesce = Annotated[Optional[bool], typer.Option("--coalesce/--no-coalesce", rich_help_panel=JOB_HELP,
                                                  help=HELP["coalesce"])]
KillLeftovers = Annotated[Optional[bool], typer.Option("--kill-leftovers/--keep-leftovers", rich_help_panel=JOB_HELP,
                                                       help=HELP["kill_leftovers"])]
Retries = Annotated[Optional[int], _o("--retries", metavar="N", panel=RETRY_HELP, help=HELP["retries"])]
RetryDelay = Annotated[Optional[str], _o("--retry-delay", metavar="DURATION", panel=RETRY_HELP,
                                         help=HELP["retry_delay"])]
RetryBackoff = Annotated[Optional[float], _o("--retry-backoff", metavar="FACTOR", panel=RETRY_HELP,
                                             help=HELP["retry_backoff"])]
RetryOn = Annotated[Optional[List[str]], _o("--retry-on", metavar="ENDING", panel=RETRY_HELP, help=HELP["retry_on"])]
Param = Annotated[Optional[List[str]], _o("--param", metavar="NAME=VALUE", help=HELP["param"])]
NotifyOn = Annotated[Optional[List[str]], _o("--notify-on", metavar="ENDING", panel=RETRY_HELP,
                                             help=HELP["notify_on"])]

ADD_EXAMPLES = examples(
    f"{PROG} add etl/load.py --name nightly --cron '30 2 * * 1-5' --timezone Europe/Paris",
    f"{PROG} add report.ipynb --daily --at 07:15",
    f"{PROG} add sync.py --every 10m --timeout 2m --overlap queue",
    f"{PROG} add backup.py --weekly --at 'sun 03:00' --env TARGET=s3 --env DRY_RUN=0",
    f"{PROG} add close.py --monthly --last-day --at 18:00 --retries 3 --retry-delay 5m",
    f"{PROG} add notify.py --after nightly:failure --after backup:failure --any",
    f"{PROG} add etl/load.py --at 'tomorrow 06:00' -- --date yesterday --full")


@app.command(epilog=ADD_EXAMPLES)
def add(path: str = typer.Argument(..., metavar="PATH",
                                   help="The file to run, relative to the server root: a Python script, a notebook "
                                        "(.ipynb) or a runner config (.toml, .yaml, .json)."),
        arguments: Optional[List[str]] = typer.Argument(None, metavar="-- ARGS",
                                                        help="Arguments for the script, after `--`."),
        name: Optional[str] = typer.Option(None, "--name", metavar="NAME",
                                           help="Display name (default job_YYYYmmddHHMMSS)."),
        job_id: Optional[str] = typer.Option(None, "--id", metavar="ID", help="The job's id (default: generated)."),
        cron: Cron = None,
        every: Every = None,
        every_days: EveryDays = None,
        at: At = None,
        once: Once = False,
        daily: Daily = False,
        weekly: Weekly = False,
        monthly: Monthly = False,
        last_day: LastDay = False,
        after: After = None,
        any_: AnyOf = False,
        timezone: Annotated[Optional[str], _o("--timezone", metavar="ZONE", panel=SCHEDULE_HELP,
                                              help="IANA zone of the schedule, e.g. Europe/Paris (default: this "
                                                   "machine's).")] = None,
        arg: Annotated[Optional[List[str]], _o("--arg", metavar="ARG",
                                               help="One argument for the script; repeat for more.")] = None,
        env: Annotated[Optional[List[str]], _o("--env", metavar="KEY=VALUE",
                                               help="An environment variable; repeat for more.")] = None,
        cwd: Cwd = None,
        timeout: Annotated[Optional[str], _o("--timeout", metavar="DURATION",
                                             help="Kill the run after this long (90s, 10m, 2h; default: the "
                                                  "server's).")] = None,
        overlap: Overlap = None,
        max_parallel: MaxParallel = None,
        catch_up: CatchUp = None,
        on_stale: OnStale = None,
        coalesce: Coalesce = None,
        kill_leftovers: KillLeftovers = None,
        resource: Annotated[Optional[List[str]], _o("--resource", metavar="NAME=AMOUNT",
                                                    help=HELP["resource"])] = None,
        paused: bool = typer.Option(False, "--paused", rich_help_panel=JOB_HELP, help="Create the job paused."),
        retries: Retries = None,
        retry_delay: RetryDelay = None,
        retry_backoff: RetryBackoff = None,
        retry_on: RetryOn = None,
        notify: Annotated[Optional[List[str]], _o("--notify", metavar="URL", panel=RETRY_HELP,
                                                  help=HELP["notify"])] = None,
        notify_on: NotifyOn = None,
        param: Param = None,
        as_json: bool = json_option()) -> None:
    """Create a job: on demand unless a schedule is given (--cron, --every, --at, --after…)."""
    use_json(as_json)
    client = State.client()
    zone_name = canonical_zone(timezone) if timezone else local_zone()
    schedule = schedule_options(cron, every, every_days, at, once, daily, weekly, monthly, last_day, after or [],
                                any_, False, zone_name, client) or {"schedule_type": "manual"}
    fields = option_fields(arguments=[*(arg or []), *(arguments or [])], env=env, cwd=cwd, timeout=timeout,
                           overlap=overlap, max_parallel=max_parallel, catch_up=catch_up, coalesce=coalesce,
                           kill_leftovers=kill_leftovers, paused=paused or None, retries=retries,
                           retry_delay=retry_delay, retry_backoff=retry_backoff, retry_on=retry_on, notify=notify,
                           notify_on=notify_on, resource=resource, param=param, on_stale=on_stale)
    payload = {"pipeline_path": path, "name": name, "id": job_id, "timezone": zone_name, **schedule, **fields}
    if job_id:
        payload["replace_existing"] = False
    job = client.request("POST", "jobs", {key: value for key, value in payload.items() if value is not None})
    if State.as_json:
        return show_json(job)
    say(f"✓ Created job {job_label(job)}")
    say(job_summary(job))
    say(f"  Run it now: {PROG} run {escape(job['name'] if ' ' not in job['name'] else job['id'])}")


@app.command(epilog=examples(f"{PROG} edit nightly --cron '0 3 * * *'", f"{PROG} edit nightly --every 2h",
                             f"{PROG} edit sync --timeout 5m --overlap queue --name sync-queue",
                             f"{PROG} edit report --daily --at 08:00 --timezone America/New_York",
                             f"{PROG} edit nightly --retries 2 --notify mailto://ops@example.com --notify-on failure",
                             f"{PROG} edit notify --after nightly:failure", f"{PROG} edit cleanup --manual"))
def edit(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
         name: Optional[str] = typer.Option(None, "--name", metavar="NAME", help="New display name."),
         path: Optional[str] = typer.Option(None, "--path", metavar="PATH",
                                            help="Another file to run, relative to the server root."),
         cron: Cron = None,
         every: Every = None,
         every_days: EveryDays = None,
         at: At = None,
         once: Once = False,
         daily: Daily = False,
         weekly: Weekly = False,
         monthly: Monthly = False,
         last_day: LastDay = False,
         after: After = None,
         any_: AnyOf = False,
         manual: Annotated[bool, _flag("--manual", help="No schedule: on demand only.")] = False,
         timezone: Annotated[Optional[str], _o("--timezone", metavar="ZONE", panel=SCHEDULE_HELP,
                                               help="IANA zone of the schedule, e.g. Europe/Paris.")] = None,
         arg: Annotated[Optional[List[str]], _o("--arg", metavar="ARG",
                                                help="Replace the script's arguments: one per --arg.")] = None,
         no_args: Annotated[bool, _flag("--no-args", panel=JOB_HELP, help="Remove all arguments.")] = False,
         env: Annotated[Optional[List[str]], _o("--env", metavar="KEY=VALUE",
                                                help="Replace the environment variables: one per --env.")] = None,
         no_env: Annotated[bool, _flag("--no-env", panel=JOB_HELP, help="Remove all environment variables.")] = False,
         cwd: Cwd = None,
         timeout: Annotated[Optional[str], _o("--timeout", metavar="DURATION",
                                              help="Kill the run after this long (90s, 10m, 2h); 'none': the "
                                                   "server's.")] = None,
         overlap: Overlap = None,
         max_parallel: MaxParallel = None,
         catch_up: CatchUp = None,
         on_stale: OnStale = None,
         coalesce: Coalesce = None,
         kill_leftovers: KillLeftovers = None,
         resource: Annotated[Optional[List[str]], _o("--resource", metavar="NAME=AMOUNT",
                                                     help="Replace the Dask worker resources a run needs: NAME=AMOUNT, "
                                                     "one per --resource.")] = None,
         paused: Optional[bool] = typer.Option(None, "--paused/--active", rich_help_panel=JOB_HELP,
                                               help="Pause the job, or let it fire again."),
         retries: Retries = None,
         retry_delay: RetryDelay = None,
         retry_backoff: RetryBackoff = None,
         retry_on: RetryOn = None,
         notify: Annotated[Optional[List[str]], _o("--notify", metavar="URL", panel=RETRY_HELP,
                                                   help="Replace where the job tells how runs end: an Apprise URL per "
                                                        "--notify.")] = None,
         notify_on: NotifyOn = None,
         no_notify: Annotated[bool, _flag("--no-notify", panel=RETRY_HELP,
                                          help="Tell no one (the server's own list stays).")] = False,
         param: Annotated[Optional[List[str]], _o("--param", metavar="NAME=VALUE",
                                                  help="Replace the notebook's parameters: NAME=VALUE, one per "
                                                       "--param.")] = None,
         as_json: bool = json_option()) -> None:
    """Change a job (PUT jobs/{id}): only the options given; a schedule option replaces the schedule."""
    use_json(as_json)
    client = State.client()
    found = find_job(client, job)
    zone_name = canonical_zone(timezone) if timezone else str(found.get("timezone") or local_zone())
    schedule = schedule_options(cron, every, every_days, at, once, daily, weekly, monthly, last_day, after or [],
                                any_, manual, zone_name, client)
    changes = option_fields(arguments=arg, env=env, cwd=cwd, timeout=timeout, overlap=overlap,
                            max_parallel=max_parallel, catch_up=catch_up, coalesce=coalesce,
                            kill_leftovers=kill_leftovers, paused=paused, retries=retries, retry_delay=retry_delay,
                            retry_backoff=retry_backoff, retry_on=retry_on, notify=notify, notify_on=notify_on,
                            resource=resource, param=param, on_stale=on_stale)
    for flag, key, empty in ((no_args, "arguments", []), (no_env, "env", {}), (no_notify, "notify", [])):
        if flag:
            changes[key] = empty
    if schedule is not None:
        changes.update({key: None for key in SCHEDULE_KEYS}, **schedule)
    if timezone:
        changes["timezone"] = zone_name
    if name is not None:
        changes["name"] = name
    if path is not None:
        changes["pipeline_path"] = path
    if not changes:
        raise typer.BadParameter("nothing to change: give at least one option (see --help)", param_hint="JOB")
    updated = client.request("PUT", f"jobs/{found['id']}", changes)
    if State.as_json:
        return show_json(updated)
    say(f"✓ Updated job {job_label(updated)}")
    say(job_summary(updated))


@app.command(epilog=examples(f"{PROG} run nightly", f"{PROG} run nightly --wait", f"{PROG} run 3f2a9c81d0b4 --json",
                             f"{PROG} run report --param region=us --param rows=100"))
def run(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
        wait: bool = typer.Option(False, "--wait", help="Stream the log and exit with the run's outcome "
                                                        "(0 success, 1 otherwise)."),
        param: Annotated[Optional[List[str]], _o("--param", metavar="NAME=VALUE",
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


@app.command(epilog=examples(f"{PROG} trigger daily_backup", f"{PROG} trigger daily_backup --json"))
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


@app.command(epilog=examples(f"{PROG} runs", f"{PROG} runs --job nightly --status failure",
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


@app.command(epilog=examples(f"{PROG} logs 42", f"{PROG} logs 42 --follow", f"{PROG} logs 42 --json"))
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


@app.command(epilog=examples(f"{PROG} serve --root /srv/pipelines --port 8890",
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
    """Run the scheduler as a service of its own, without JupyterLab: schedules keep firing when
    JupyterLab servers stop. Options after `--` go to the server (traits of ServerApp and
    PipelineSchedulerApp)."""
    from ..headless import serve as start

    root.mkdir(parents=True, exist_ok=True)
    start(root, port, ip, token, db_url, list(ctx.args))


@app.command(epilog=examples(f"{PROG} cancel 42", f"{PROG} cancel nightly"))
def cancel(target: str = typer.Argument(..., metavar="RUN|JOB",
                                        help="A run's number (see `runs`), or a job's name or id."),
           as_json: bool = json_option()) -> None:
    """Cancel a run, or a job's scheduled fires and its runs.

    A run (queued or running) ends with its process tree. A job is paused (`resume` undoes it) and
    its queued and running runs are cancelled. A number is a run when such a run exists."""
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


@app.command(epilog=examples(f"{PROG} pause nightly"))
def pause(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
          as_json: bool = json_option()) -> None:
    """Stop a job's future fires (the job and its schedule stay)."""
    _pause(job, True, as_json)


@app.command(epilog=examples(f"{PROG} resume nightly"))
def resume(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
           as_json: bool = json_option()) -> None:
    """Let a paused job fire again."""
    _pause(job, False, as_json)


def _pause(job: str, paused: bool, as_json: bool) -> None:
    use_json(as_json)
    client = State.client()
    changed = client.request("POST", f"jobs/{find_job(client, job)['id']}/{'pause' if paused else 'resume'}")
    if State.as_json:
        return show_json(changed)
    say(f"✓ {'Paused' if paused else 'Resumed'} job {job_label(changed)}")
    say(job_summary(changed))


@app.command(epilog=examples(f"{PROG} delete nightly", f"{PROG} delete 3f2a9c81d0b4 --json"))
def delete(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
           as_json: bool = json_option()) -> None:
    """Delete a job (its past runs stay in the history)."""
    use_json(as_json)
    client = State.client()
    found = find_job(client, job)
    answer = client.request("DELETE", f"jobs/{found['id']}")
    if State.as_json:
        return show_json(answer)
    say(f"✓ Deleted job {job_label(found)}; its past runs stay in the history ({PROG} runs --job {found['id']}).")


@app.command(epilog=examples(f"{PROG} remove nightly", f"{PROG} remove my_job_1 --json"))
def remove(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
           as_json: bool = json_option()) -> None:
    """Remove a job that has finished (nothing queued or running); its past runs stay in the history."""
    use_json(as_json)
    removed = remove_job(State.client(), job)
    if State.as_json:
        return show_json({"success": True, "job": removed})
    say(f"✓ Removed job {job_label(removed)}; its past runs stay in the history ({PROG} runs --job {removed['id']}).")


@app.command(epilog=examples(f"{PROG} register backup.toml --job-id backup",
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


@app.command(epilog=examples(f"{PROG} registry", f"{PROG} registry --type on_demand"))
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


@app.command(epilog=examples(f"{PROG} unregister backup"))
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


@app.command(epilog=examples(f"{PROG} plugins", f"{PROG} plugins --custom", f"{PROG} plugins --json"))
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


def error_text(error: ClientError) -> str:
    """The message once: the server's already starts with its field (``pipeline_path: no such file``)."""
    message = str(error)
    if error.field and error.status not in (404, None) and not message.startswith(error.field) \
            and error.field not in ("job", "job_id"):
        message = f"{error.field}: {message}"
    return message


def main() -> None:
    try:
        app(prog_name=PROG)
    except ClientError as error:
        errors.print(f"[red]error:[/] {escape(error_text(error))}")
        if error.hint:
            errors.print(escape(error.hint[:1].upper() + error.hint[1:]) + ".")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
