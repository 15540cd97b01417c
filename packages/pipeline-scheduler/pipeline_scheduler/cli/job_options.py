"""The options ``add`` and ``edit`` share (schedule, job settings, retries and notifications), said
once, and the job fields they stand for."""

from __future__ import annotations

from typing import Annotated, Any, List, Optional

import typer

from .client import SchedulerClient
from .parse import interval_fields, parse_after, parse_duration, parse_env, parse_params, parse_when


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


def _choices(value: Optional[str], allowed: tuple[str, ...], name: str) -> Optional[str]:
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"{value!r}: use {', '.join(allowed[:-1])} or {allowed[-1]}", param_hint=name)
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


def option(*names: str, metavar: Optional[str] = None, help: str, panel: str = JOB_HELP) -> Any:
    """An option for ``Annotated`` (its default, ``None``, is the parameter's), in a panel of the help."""
    return typer.Option(*names, metavar=metavar, help=help, rich_help_panel=panel)


def flag(*names: str, help: str, panel: str = SCHEDULE_HELP) -> Any:
    """A flag for ``Annotated`` (its default, ``False``, is the parameter's), in a panel of the help."""
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
Cron = Annotated[Optional[str], option("--cron", metavar="EXPR", panel=SCHEDULE_HELP, help=HELP["cron"])]
Every = Annotated[Optional[str], option("--every", metavar="DURATION", panel=SCHEDULE_HELP, help=HELP["every"])]
EveryDays = Annotated[Optional[int], option("--every-days", metavar="N", panel=SCHEDULE_HELP, help=HELP["every_days"])]
At = Annotated[Optional[str], option("--at", metavar="WHEN", panel=SCHEDULE_HELP, help=HELP["at"])]
Once = Annotated[bool, flag("--once", help=HELP["once"])]
Daily = Annotated[bool, flag("--daily", help=HELP["daily"])]
Weekly = Annotated[bool, flag("--weekly", help=HELP["weekly"])]
Monthly = Annotated[bool, flag("--monthly", help=HELP["monthly"])]
LastDay = Annotated[bool, flag("--last-day", help=HELP["last_day"])]
After = Annotated[Optional[List[str]], option("--after", metavar="JOB[:success|failure]", panel=SCHEDULE_HELP,
                                          help=HELP["after"])]
AnyOf = Annotated[bool, flag("--any", help=HELP["any"])]
Cwd = Annotated[Optional[str], option("--cwd", metavar="DIR", help=HELP["cwd"])]
Overlap = Annotated[Optional[str], option("--overlap", metavar="POLICY", help=HELP["overlap"])]
MaxParallel = Annotated[Optional[int], option("--max-parallel", metavar="N", help=HELP["max_parallel"])]
CatchUp = Annotated[Optional[str], option("--catch-up", metavar="POLICY", help=HELP["catch_up"])]
OnStale = Annotated[Optional[str], option("--on-stale", metavar="POLICY", help=HELP["on_stale"])]
Coalesce = Annotated[Optional[bool], typer.Option("--coalesce/--no-coalesce", rich_help_panel=JOB_HELP,
                                                  help=HELP["coalesce"])]
KillLeftovers = Annotated[Optional[bool], typer.Option("--kill-leftovers/--keep-leftovers", rich_help_panel=JOB_HELP,
                                                       help=HELP["kill_leftovers"])]
Retries = Annotated[Optional[int], option("--retries", metavar="N", panel=RETRY_HELP, help=HELP["retries"])]
RetryDelay = Annotated[Optional[str], option("--retry-delay", metavar="DURATION", panel=RETRY_HELP,
                                         help=HELP["retry_delay"])]
RetryBackoff = Annotated[Optional[float], option("--retry-backoff", metavar="FACTOR", panel=RETRY_HELP,
                                             help=HELP["retry_backoff"])]
RetryOn = Annotated[Optional[List[str]], option("--retry-on", metavar="ENDING", panel=RETRY_HELP, help=HELP["retry_on"])]
Param = Annotated[Optional[List[str]], option("--param", metavar="NAME=VALUE", help=HELP["param"])]
NotifyOn = Annotated[Optional[List[str]], option("--notify-on", metavar="ENDING", panel=RETRY_HELP,
                                             help=HELP["notify_on"])]
