"""Schedule words as people type them — durations (``10m``), dates and times (``tomorrow 07:00``), the
machine's zone — and the API's schedule fields they stand for. One home for the CLI, the Python API
and the magic; a word that cannot be read raises :class:`SchedulerError` naming the option."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..zones import canonical_zone
from .http import SchedulerError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1, "sec": 1, "": 1}
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|min|m|sec|s)?", re.IGNORECASE)
# Every field that says when a job fires: a new schedule clears them all, so none of the old one lingers.
SCHEDULE_KEYS = ("schedule_type", "date_type", "run_date", "last_day_of_month", "interval_days", "interval_seconds",
                 "interval_minutes", "interval_hours", "cron_expression", "second", "minute", "hour", "day", "month",
                 "day_of_week", "trigger_conditions", "logical_operator")


def local_zone() -> str:
    """This machine's IANA zone, with UTC's aliases (``Etc/UTC``, ``UCT``, ``Zulu``…) said ``UTC`` as the
    browser says it."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name() or "UTC"
    except Exception:
        name = "UTC"
    return canonical_zone(name)


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
        raise SchedulerError(f"{text!r} is not a duration: use e.g. 90s, 10m, 2h, 1d or 1h30m", field=option)
    return sum(parts)


def interval_fields(text: str, option: str = "--every") -> dict[str, int]:
    """An ``--every`` duration as the API's interval fields, largest units first (``90m`` → 1 h 30 min)."""
    seconds = parse_duration(text, option)
    if seconds <= 0 or seconds != int(seconds):
        raise SchedulerError(f"{text!r}: an interval is a positive whole number of seconds (e.g. 90s, 10m, 2h)",
                             field=option)
    remaining, fields = int(seconds), {}
    for unit, size in (("interval_days", 86400), ("interval_hours", 3600), ("interval_minutes", 60),
                       ("interval_seconds", 1)):
        amount, remaining = divmod(remaining, size)
        if amount:
            fields[unit] = amount
    return fields


def parse_when(text: str, zone_name: str, option: str = "--at", now: datetime | None = None) -> str:
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
    raise SchedulerError(f"{text!r} is not a date-time: use e.g. 2026-12-01T07:00, 07:00, tomorrow 07:00, "
                         "mon 09:00 or +10m", field=option)


def schedule_fields(cron: str | None, every: str | None, at: str | None, zone_name: str) -> dict[str, Any]:
    """The API's schedule fields for a crontab line, an interval (from ``at`` when given) or one date;
    none of them: on demand. Errors name the field as the Python API and the magic spell it, and say
    it first (the server's own errors do too)."""
    try:
        if cron and every:
            raise SchedulerError("choose one schedule, not cron and every", field="every")
        if cron and at:
            raise SchedulerError("at goes with every or alone, not with cron", field="at")
        if cron:
            return {"schedule_type": "cron", "cron_expression": cron}
        if every:
            return {"schedule_type": "interval", **interval_fields(every, "every"),
                    **({"run_date": parse_when(at, zone_name, "at")} if at else {})}
        if at:
            return {"schedule_type": "date", "date_type": "once", "run_date": parse_when(at, zone_name, "at")}
        return {"schedule_type": "manual"}
    except SchedulerError as error:
        raise SchedulerError(f"{error.field}: {error}", field=error.field) from None
