"""What people type on the command line: durations (``10m``), dates and times (``tomorrow 07:00``),
zones, ``KEY=VALUE`` pairs, and jobs by name or id."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone as dt_timezone
from typing import Any, List, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ..zones import canonical_zone
from .client import ClientError, SchedulerClient

PROG = "pipeline-scheduler"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def local_zone() -> str:
    """This machine's IANA zone, with UTC's aliases (``Etc/UTC``, ``UCT``, ``Zulu``…) said ``UTC`` as the
    browser says it."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name() or "UTC"
    except Exception:
        name = "UTC"
    return canonical_zone(name)



DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1, "sec": 1, "": 1}
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|min|m|sec|s)?", re.IGNORECASE)


def parse_duration(text: str, option: str = "--every") -> float:
    """``90s``, ``10m``, ``2h``, ``1d``, ``1h30m``, ``1.5h``, or plain seconds (``600``), in seconds."""
    compact = text.strip().lower().replace(" ", "")
    parts, position = [], 0
    while position < len(compact):
        found = DURATION_PART.match(compact, position)
        if not found:
            break
        parts.append(float(found.group(1)) * DURATION_UNITS[found.group(2) or ""])
        position = found.end()
    if not compact or position != len(compact) or not parts:
        raise typer.BadParameter(f"{text!r} is not a duration: use e.g. 90s, 10m, 2h, 1d or 1h30m", param_hint=option)
    return sum(parts)


def interval_fields(text: str) -> dict[str, int]:
    """An ``--every`` duration as the API's interval fields, largest units first (``90m`` → 1 h 30 min)."""
    seconds = parse_duration(text, "--every")
    if seconds <= 0 or seconds != int(seconds):
        raise typer.BadParameter(f"{text!r}: an interval is a positive whole number of seconds (e.g. 90s, 10m, 2h)",
                                 param_hint="--every")
    remaining, fields = int(seconds), {}
    for unit, size in (("interval_days", 86400), ("interval_hours", 3600), ("interval_minutes", 60),
                       ("interval_seconds", 1)):
        amount, remaining = divmod(remaining, size)
        if amount:
            fields[unit] = amount
    return fields


def parse_when(text: str, zone_name: str, option: str = "--at", now: Optional[datetime] = None) -> str:
    """A date-time for the API: ISO-8601 (``2026-12-01T07:00``, ``2026-12-01 07:00``, with or without
    offset), a time (``07:00``: its next occurrence), ``today 07:00``, ``tomorrow 07:00``, a weekday
    (``mon 09:00``: the next one), or ``+10m`` / ``in 10m`` (from now). Wall-clock times are read in
    the job's zone by the server."""
    raw = text.strip()
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00")).isoformat()
    except ValueError:
        pass
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    now = (now or datetime.now(dt_timezone.utc)).astimezone(zone)
    lowered = raw.lower()
    ahead = re.fullmatch(r"(?:\+|in\s+)(.+)", lowered)
    if ahead:
        return (now + timedelta(seconds=parse_duration(ahead.group(1), option))).isoformat(timespec="seconds")
    found = re.fullmatch(r"(?:(today|tomorrow|[a-z]+)\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?", lowered)
    if found:
        day, hour, minute, second = found.group(1), int(found.group(2)), int(found.group(3)), int(found.group(4) or 0)
        if hour < 24 and minute < 60 and second < 60:
            start = now.replace(hour=hour, minute=minute, second=second, microsecond=0, tzinfo=None)
            wall_now = now.replace(tzinfo=None)
            if day is None:
                when = start if start > wall_now else start + timedelta(days=1)
            elif day == "today":
                when = start
            elif day == "tomorrow":
                when = start + timedelta(days=1)
            else:
                matches = [index for index, name in enumerate(WEEKDAYS) if len(day) >= 2 and name.startswith(day)]
                if len(matches) != 1:
                    when = None
                else:
                    when = start + timedelta(days=(matches[0] - start.weekday()) % 7)
                    if when <= wall_now:
                        when += timedelta(days=7)
            if when is not None:
                return when.isoformat(timespec="seconds")
    raise typer.BadParameter(f"{text!r} is not a date-time: use e.g. 2026-12-01T07:00, 07:00, tomorrow 07:00, "
                             "mon 09:00 or +10m", param_hint=option)


def parse_env(pairs: List[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise typer.BadParameter(f"{pair!r}: expected KEY=VALUE", param_hint="--env")
        env[name] = value
    return env


def parse_after(refs: List[str], client: SchedulerClient) -> list[dict[str, str]]:
    conditions = []
    for ref in refs:
        name, _, outcome = ref.rpartition(":") if ref.rsplit(":", 1)[-1] in ("success", "failure") else (ref, "", "")
        conditions.append({"job_id": find_job(client, name)["id"], "on": outcome or "success"})
    return conditions


class Ambiguous(ClientError):
    pass


def find_job(client: SchedulerClient, ref: str) -> dict[str, Any]:
    """The job whose id is ``ref``, else the one named ``ref`` (exactly, then ignoring case); several
    of the same name are an error that lists them."""
    jobs = client.request("GET", "jobs")["jobs"]
    for job in jobs:
        if job["id"] == ref:
            return job
    named = [job for job in jobs if job["name"] == ref] or [job for job in jobs
                                                              if str(job["name"]).casefold() == ref.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        listing = "\n".join(f"  {job['id']}  {job['name']}  {job.get('trigger') or ''}" for job in named)
        raise Ambiguous(f"{len(named)} jobs are named {ref!r}:\n{listing}", field="job",
                        hint=f"name the one you mean by its id, e.g. {PROG} info {named[0]['id']}")
    raise ClientError(f"no job with the name or id {ref!r}", 404, "job", hint=f"`{PROG} list` shows the jobs")
