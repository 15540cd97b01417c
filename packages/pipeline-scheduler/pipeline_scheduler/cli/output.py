"""How the command line shows things: times (relative and in the job's zone), durations, statuses,
exit codes, jobs and runs, tables."""

from __future__ import annotations

import json
import signal
from datetime import datetime, timezone as dt_timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)
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


def status_text(status: Optional[str]) -> str:
    return f"[{STATUS_STYLES.get(status or '', 'white')}]{status or '-'}[/]"


def moment(value: Any) -> Optional[datetime]:
    """An instant from the API (ISO-8601, or seconds since the epoch), aware."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, dt_timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt_timezone.utc)


def span(seconds: float) -> str:
    """``45 s``, ``5 min``, ``3 h``, ``2 d``: one unit, rounded."""
    seconds = abs(seconds)
    if seconds < 59.5:
        return f"{round(seconds)} s"
    if seconds < 59.5 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 47.5 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"


def relative(value: Any, now: Optional[datetime] = None) -> str:
    """``in 5 min``, ``2 h ago``, ``just now``; ``-`` without a time."""
    when = moment(value)
    if when is None:
        return "-"
    delta = (when - (now or datetime.now(dt_timezone.utc))).total_seconds()
    if abs(delta) < 1:
        return "just now"
    return f"in {span(delta)}" if delta > 0 else f"{span(delta)} ago"


def absolute(value: Any, zone_name: Optional[str] = None) -> str:
    """``2026-12-01 07:00 CET (in 5 h)``: the wall clock of the job's zone, and how far."""
    when = moment(value)
    if when is None:
        return "-"
    try:
        when = when.astimezone(ZoneInfo(zone_name)) if zone_name else when
    except (ZoneInfoNotFoundError, ValueError):
        pass
    clock = f"{when:%Y-%m-%d %H:%M:%S}".removesuffix(":00") if when.second else f"{when:%Y-%m-%d %H:%M}"
    return f"{clock} {when.tzname() or ''}".rstrip() + f" ({relative(when)})"


def duration_text(seconds: Optional[float]) -> str:
    """``4 ms``, ``2.3 s``, ``12 s``, ``3 min 4 s``, ``1 h 2 min``, as the panel writes them (a warm run of a
    short script takes a few milliseconds: ``0.00 s`` said nothing)."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def show_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def say(text: str) -> None:
    console.print(text, soft_wrap=True)


def job_target(job: dict[str, Any]) -> str:
    if job.get("python_code"):
        return f"generated code of {job['pipeline_path']}" if job.get("pipeline_path") else "inline Python code"
    if job.get("runner_config") and not job.get("pipeline_path"):
        return "runner config"
    return str(job.get("pipeline_path") or "-")


def next_text(job: dict[str, Any]) -> str:
    if job.get("broken"):
        return "[red]broken[/]"
    if job.get("paused"):
        return "paused"
    if job.get("next_run_time"):
        return relative(job["next_run_time"])
    return "on demand" if job.get("schedule_type") in ("manual", "trigger") else "-"


def last_text(job: dict[str, Any]) -> str:
    last = job.get("last_run") or {}
    if not last:
        return "-"
    return f"{status_text(last.get('status'))} {relative(last.get('finished_at') or last.get('started_at'))}"


def job_summary(job: dict[str, Any]) -> str:
    """Two lines under a job's name: what it runs, when, and when next."""
    line = f"  {escape(job_target(job))} · {escape(str(job.get('trigger') or ''))}"
    if job.get("paused"):
        line += " · paused"
    elif job.get("next_run_time"):
        line += f" · next run {escape(absolute(job['next_run_time'], job.get('timezone')))}"
    if job.get("broken"):
        line += f"\n  [red]broken:[/] {escape(str(job['broken']))}"
    return line


def job_label(job: dict[str, Any]) -> str:
    return f"[bold]{escape(str(job['name']))}[/] ({job['id']})"


def run_label(run: dict[str, Any]) -> str:
    return f"run {run['id']} of [bold]{escape(str(run.get('job_name') or run.get('job_id')))}[/]"


def key_values(rows: list[tuple[str, str]]) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def run_notes(run: dict[str, Any]) -> list[str]:
    """What else a run says about itself: its attempt, a retry to come, a shortened log, a failed notification."""
    notes = []
    if (run.get("attempt") or 1) > 1:
        notes.append(f"attempt {run['attempt']} (the first was run {run.get('retry_of')})")
    if run.get("retry_at"):
        notes.append(f"attempt {(run.get('attempt') or 1) + 1} is due {relative(run['retry_at'])}")
    if run.get("log_truncated") and run.get("log_path"):
        notes.append(f"{run['log_truncated']:,} bytes were dropped from the middle of its log (max_log_bytes)")
    elif run.get("log_truncated"):
        notes.append(f"its log ({run['log_truncated']:,} bytes) was removed to make room (max_log_space)")
    if run.get("notification_error"):
        notes.append(f"notifying failed: {run['notification_error']}")
    return notes
