"""Commands on jobs: list, info, add, edit, pause, resume, delete, remove."""

from __future__ import annotations

import json
import shlex
from functools import partial
from typing import Annotated, Any, List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..zones import canonical_zone
from .app import State, app, examples, json_option, use_json
from .job_options import (HELP, JOB_HELP, RETRY_HELP, SCHEDULE_HELP, After, AnyOf, At, CatchUp, Coalesce, Cron, Cwd,
                          Daily, Every, EveryDays, KillLeftovers, LastDay, MaxParallel, Monthly, NotifyOn, Once,
                          OnStale, Overlap, Param, Retries, RetryBackoff, RetryDelay, RetryOn, Weekly, flag, option,
                          option_fields, schedule_options)
from .mxx import active_runs, remove_job
from .output import (absolute, console, duration_text, job_label, job_summary, job_target, key_values, last_text,
                     next_text, relative, say, show_json, status_text)
from .parse import PROG, find_job, local_zone, named_jobs

command = partial(app.command, rich_help_panel="Jobs")  # listed under "Jobs" in --help
# a job's schedule fields: a schedule option given to edit replaces all of them
SCHEDULE_KEYS = ("schedule_type", "date_type", "run_date", "last_day_of_month", "interval_days", "interval_seconds",
                 "interval_minutes", "interval_hours", "cron_expression", "second", "minute", "hour", "day", "month",
                 "day_of_week", "trigger_conditions", "logical_operator")


@command("list", epilog=examples(f"{PROG} list", f"{PROG} list --type scheduled", f"{PROG} list --type active",
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


@command(epilog=examples(f"{PROG} info nightly", f"{PROG} info 3f2a9c81d0b4 --json"))
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
        rows.append(("Arguments", escape(shlex.join(found["arguments"]))))  # quoted as a shell would need them
    for name, value in (found.get("env") or {}).items():
        rows.append(("Env", escape(f"{name}={value}")))
    for name, value in (found.get("parameters") or {}).items():  # as --param takes them: the value as JSON
        rows.append(("Parameter", escape(f"{name}={json.dumps(value, ensure_ascii=False)}")))
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


ADD_EXAMPLES = examples(
    f"{PROG} add etl/load.py --name nightly --cron '30 2 * * 1-5' --timezone Europe/Paris",
    f"{PROG} add report.ipynb --daily --at 07:15",
    f"{PROG} add sync.py --every 10m --timeout 2m --overlap queue",
    f"{PROG} add backup.py --weekly --at 'sun 03:00' --env TARGET=s3 --env DRY_RUN=0",
    f"{PROG} add close.py --monthly --last-day --at 18:00 --retries 3 --retry-delay 5m",
    f"{PROG} add notify.py --after nightly:failure --after backup:failure --any",
    f"{PROG} add etl/load.py --at 'tomorrow 06:00' -- --date yesterday --full")


@command(epilog=ADD_EXAMPLES)
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
        timezone: Annotated[Optional[str], option("--timezone", metavar="ZONE", panel=SCHEDULE_HELP,
                                              help="IANA zone of the schedule, e.g. Europe/Paris (default: this "
                                                   "machine's).")] = None,
        arg: Annotated[Optional[List[str]], option("--arg", metavar="ARG",
                                               help="One argument for the script; repeat for more.")] = None,
        env: Annotated[Optional[List[str]], option("--env", metavar="KEY=VALUE",
                                               help="An environment variable; repeat for more.")] = None,
        cwd: Cwd = None,
        timeout: Annotated[Optional[str], option("--timeout", metavar="DURATION",
                                             help="Kill the run after this long (90s, 10m, 2h; default: the "
                                                  "server's).")] = None,
        overlap: Overlap = None,
        max_parallel: MaxParallel = None,
        catch_up: CatchUp = None,
        on_stale: OnStale = None,
        coalesce: Coalesce = None,
        kill_leftovers: KillLeftovers = None,
        resource: Annotated[Optional[List[str]], option("--resource", metavar="NAME=AMOUNT",
                                                    help=HELP["resource"])] = None,
        paused: bool = typer.Option(False, "--paused", rich_help_panel=JOB_HELP, help="Create the job paused."),
        retries: Retries = None,
        retry_delay: RetryDelay = None,
        retry_backoff: RetryBackoff = None,
        retry_on: RetryOn = None,
        notify: Annotated[Optional[List[str]], option("--notify", metavar="URL", panel=RETRY_HELP,
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
    namesakes = [other for other in named_jobs(client, job["name"]) if other["id"] != job["id"]]
    say(f"✓ Created job {job_label(job)}")
    say(job_summary(job))
    if namesakes:  # the API allows it (0.9.7 did), but the name no longer names one job
        say(f"  [yellow]note:[/] {len(namesakes) + 1} jobs are now named '{escape(job['name'])}': name this one by "
            f"its id, or give it a name of its own ({PROG} edit {job['id']} --name NEW)")
    say(f"  Run it now: {PROG} run {job['id'] if namesakes or ' ' in job['name'] else escape(job['name'])}")


@command(epilog=examples(f"{PROG} edit nightly --cron '0 3 * * *'", f"{PROG} edit nightly --every 2h",
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
         manual: Annotated[bool, flag("--manual", help="No schedule: on demand only.")] = False,
         timezone: Annotated[Optional[str], option("--timezone", metavar="ZONE", panel=SCHEDULE_HELP,
                                               help="IANA zone of the schedule, e.g. Europe/Paris.")] = None,
         arg: Annotated[Optional[List[str]], option("--arg", metavar="ARG",
                                                help="Replace the script's arguments: one per --arg.")] = None,
         no_args: Annotated[bool, flag("--no-args", panel=JOB_HELP, help="Remove all arguments.")] = False,
         env: Annotated[Optional[List[str]], option("--env", metavar="KEY=VALUE",
                                                help="Replace the environment variables: one per --env.")] = None,
         no_env: Annotated[bool, flag("--no-env", panel=JOB_HELP, help="Remove all environment variables.")] = False,
         cwd: Cwd = None,
         timeout: Annotated[Optional[str], option("--timeout", metavar="DURATION",
                                              help="Kill the run after this long (90s, 10m, 2h); 'none': the "
                                                   "server's.")] = None,
         overlap: Overlap = None,
         max_parallel: MaxParallel = None,
         catch_up: CatchUp = None,
         on_stale: OnStale = None,
         coalesce: Coalesce = None,
         kill_leftovers: KillLeftovers = None,
         resource: Annotated[Optional[List[str]], option("--resource", metavar="NAME=AMOUNT",
                                                     help="Replace the Dask worker resources a run needs: NAME=AMOUNT, "
                                                     "one per --resource.")] = None,
         paused: Optional[bool] = typer.Option(None, "--paused/--active", rich_help_panel=JOB_HELP,
                                               help="Pause the job, or let it fire again."),
         retries: Retries = None,
         retry_delay: RetryDelay = None,
         retry_backoff: RetryBackoff = None,
         retry_on: RetryOn = None,
         notify: Annotated[Optional[List[str]], option("--notify", metavar="URL", panel=RETRY_HELP,
                                                   help="Replace where the job tells how runs end: an Apprise URL per "
                                                        "--notify.")] = None,
         notify_on: NotifyOn = None,
         no_notify: Annotated[bool, flag("--no-notify", panel=RETRY_HELP,
                                          help="Tell no one (the server's own list stays).")] = False,
         param: Annotated[Optional[List[str]], option("--param", metavar="NAME=VALUE",
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
    for given, key, empty in ((no_args, "arguments", []), (no_env, "env", {}), (no_notify, "notify", [])):
        if given:
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


@command(epilog=examples(f"{PROG} pause nightly"))
def pause(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
          as_json: bool = json_option()) -> None:
    """Stop a job's future fires (the job and its schedule stay)."""
    _pause(job, True, as_json)


@command(epilog=examples(f"{PROG} resume nightly"))
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


@command(epilog=examples(f"{PROG} delete nightly", f"{PROG} delete 3f2a9c81d0b4 --json"))
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


@command(epilog=examples(f"{PROG} remove nightly", f"{PROG} remove my_job_1 --json"))
def remove(job: str = typer.Argument(..., metavar="JOB", help="The job's name or id."),
           as_json: bool = json_option()) -> None:
    """Remove a job that has finished (nothing queued or running); its past runs stay in the history."""
    use_json(as_json)
    removed = remove_job(State.client(), job)
    if State.as_json:
        return show_json({"success": True, "job": removed})
    say(f"✓ Removed job {job_label(removed)}; its past runs stay in the history ({PROG} runs --job {removed['id']}).")
