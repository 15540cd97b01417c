"""Turn a validated :class:`TriggerSpec` into an APScheduler trigger, words, and a preview.

The words are the one description of a schedule that the API, the UI and the CLI show ("Every 5
minutes", "At 09:00, Monday through Friday (Europe/Paris)"): cron through ``cron-descriptor`` with
crontab's meaning, the other schedules in the same style, times on a 24-hour clock.

Cron expressions and the daily/weekly/monthly/every-N-days dates count in the job's wall clock
(:mod:`.wallclock`, cron's rules across daylight-saving changes); intervals count real time
(APScheduler's ``IntervalTrigger``). Every trigger gives its fire times in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from cron_descriptor import ExpressionDescriptor, Options as CronWordsOptions

from ..api.payloads import TriggerSpec
from ..errors import Invalid
from .wallclock import UTC, CronSimError, CrontabTrigger, EveryDaysTrigger, resolve_wall_time

WEEKDAY_WORDS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")
PAST_DATE_TOLERANCE = timedelta(seconds=60)


@dataclass(frozen=True)
class BuiltTrigger:
    """An APScheduler trigger (``None`` for dependency-only jobs) and its description in words."""

    trigger: BaseTrigger | None
    description: str
    timezone: str


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """An IANA zone by name, as a 400 naming ``timezone`` when the name is unknown (a folder of the
    zone database such as ``Europe``, or a name too long for a file, included)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        shown = name if len(name) <= 80 else name[:80] + "…"
        raise Invalid(f"timezone: unknown time zone {shown!r} (use an IANA name such as 'Europe/Paris')",
                      "timezone") from None


def parse_datetime(text: str, tz: ZoneInfo, field: str = "run_date") -> datetime:
    """ISO-8601 with or without offset, as an instant in UTC. A naive time is read in the job's zone:
    in a repeated hour its first occurrence, in a skipped hour the first valid instant after it."""
    value = _parse_iso(text, field)
    try:
        return resolve_wall_time(value, tz) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise Invalid(f"{field}: {text!r} is out of the supported range of dates", field) from None


def parse_wall_time(text: str, tz: ZoneInfo, field: str = "run_date") -> datetime:
    """ISO-8601 as a naive wall-clock time of the job's zone: a naive time as written, a time with an
    offset as the zone's clocks showed it then."""
    value = _parse_iso(text, field)
    try:
        return value if value.tzinfo is None else value.astimezone(tz).replace(tzinfo=None)
    except OverflowError:
        raise Invalid(f"{field}: {text!r} is out of the supported range of dates", field) from None


def _parse_iso(text: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Invalid(f"{field}: {text!r} is not an ISO-8601 date-time (e.g. 2026-01-31T09:30:00Z)", field) from None


def build_trigger(spec: TriggerSpec, default_timezone: str, *, now: datetime | None = None,
                  allow_past: bool = False, job_names: Mapping[str, str] | None = None) -> BuiltTrigger:
    """Validate the schedule fields of ``spec`` and build its trigger (``job_names`` words dependencies)."""
    tz_name = spec.timezone or default_timezone
    tz = zone(tz_name)
    now = now or datetime.now(dt_timezone.utc)
    if spec.schedule_type == "date":
        trigger, words = _date_trigger(spec, tz, now, allow_past)
        field = "run_date"
    elif spec.schedule_type == "interval":
        trigger, words = _interval_trigger(spec, tz)
        field = "run_date"
    elif spec.schedule_type == "cron":
        trigger, words = _cron_trigger(spec, tz)
        field = "cron_expression" if spec.cron_expression else next(n for n in CRON_FIELDS if getattr(spec, n))
    elif spec.schedule_type == "manual":
        return BuiltTrigger(None, "On demand", tz_name)
    else:
        if not spec.trigger_conditions:
            raise Invalid("trigger_conditions: at least one condition is required for schedule_type 'trigger'",
                          "trigger_conditions")
        joiner = " and " if spec.logical_operator == "AND" else " or "
        words = "After " + joiner.join(
            f"{(job_names or {}).get(condition.job_id, condition.job_id)} "
            f"{'succeeds' if condition.on == 'success' else 'fails'}"
            for condition in spec.trigger_conditions)
        return BuiltTrigger(None, words, tz_name)
    if not allow_past and not next_fire_times(trigger, 1, now):
        raise Invalid(f"{field}: this schedule never fires", field)
    return BuiltTrigger(trigger, f"{words} ({tz_name})", tz_name)


def _date_trigger(spec: TriggerSpec, tz: ZoneInfo, now: datetime, allow_past: bool) -> tuple[BaseTrigger, str]:
    if spec.date_type == "every_x_days":
        if not spec.interval_days:
            raise Invalid("interval_days: required (a positive integer) for date_type 'every_x_days'", "interval_days")
        first = (parse_wall_time(spec.run_date, tz) if spec.run_date
                 else (now + timedelta(days=spec.interval_days)).astimezone(tz).replace(tzinfo=None))
        unit = "day" if spec.interval_days == 1 else f"{spec.interval_days} days"
        return (EveryDaysTrigger(spec.interval_days, first, tz),
                f"Every {unit} at {_clock(first)}, starting {first:%Y-%m-%d}")
    if not spec.run_date:
        raise Invalid(f"run_date: required for date_type '{spec.date_type}'", "run_date")
    when = parse_datetime(spec.run_date, tz)
    if spec.date_type == "once":
        if not allow_past and when < now - PAST_DATE_TOLERANCE:
            raise Invalid(f"run_date: {spec.run_date} is in the past", "run_date")
        local = when.astimezone(tz)
        return DateTrigger(run_date=when, timezone=UTC), f"Once, on {local:%Y-%m-%d} at {_clock(local)}"
    local = parse_wall_time(spec.run_date, tz)  # the time of day as the job's zone reads it
    at = _clock(local)
    if spec.date_type == "daily":
        expression, words = f"{local.minute} {local.hour} * * *", f"Every day at {at}"
    elif spec.date_type == "weekly":
        weekday = (local.weekday() + 1) % 7  # Python: Monday = 0; crontab: Sunday = 0
        expression, words = f"{local.minute} {local.hour} * * {weekday}", f"Every {WEEKDAY_WORDS[weekday]} at {at}"
    elif spec.last_day_of_month:
        expression, words = f"{local.minute} {local.hour} L * *", f"Every month on the last day at {at}"
    else:
        expression, words = f"{local.minute} {local.hour} {local.day} * *", f"Every month on day {local.day} at {at}"
    return CrontabTrigger(expression, tz, start=when), words


def _interval_trigger(spec: TriggerSpec, tz: ZoneInfo) -> tuple[BaseTrigger, str]:
    parts = {"days": spec.interval_days, "hours": spec.interval_hours,
             "minutes": spec.interval_minutes, "seconds": spec.interval_seconds}
    given = {unit: amount for unit, amount in parts.items() if amount}
    if not given:
        raise Invalid("interval_seconds: a positive interval is required for schedule_type 'interval'",
                      "interval_seconds")
    start = parse_datetime(spec.run_date, tz) if spec.run_date else None
    trigger = _interval(given, start, tz, f"interval_{next(iter(given))}")
    return trigger, every_words(trigger.interval)


def _interval(amounts: dict[str, int], start: datetime | None, tz: ZoneInfo, field: str) -> IntervalTrigger:
    """Real-time intervals (APScheduler counts in timestamps); fire times in UTC."""
    try:
        return IntervalTrigger(**amounts, start_date=start, timezone=UTC)
    except (OverflowError, ValueError):
        raise Invalid(f"{field}: the interval is too large", field) from None


def every_words(interval: timedelta) -> str:
    """``Every minute``, ``Every 5 minutes``, ``Every 1 hour 30 minutes`` (as cron's words say them)."""
    words = duration_words(interval)
    return "Every " + (words[2:] if words.startswith("1 ") and " " not in words[2:] else words)


def duration_words(interval: timedelta) -> str:
    """``1 day 2 hours``, ``90 minutes`` stays ``1 hour 30 minutes``: the largest units first."""
    remaining = int(interval.total_seconds())
    words = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        amount, remaining = divmod(remaining, size)
        if amount:
            words.append(f"{amount} {unit}" + ("" if amount == 1 else "s"))
    return " ".join(words) or "0 seconds"


def _cron_trigger(spec: TriggerSpec, tz: ZoneInfo) -> tuple[BaseTrigger, str]:
    separate = {name: getattr(spec, name) for name in CRON_FIELDS if getattr(spec, name) is not None}
    if spec.cron_expression and separate:
        raise Invalid("cron_expression: give either a cron expression or separate cron fields, not both",
                      "cron_expression")
    if spec.cron_expression:
        expression, field = " ".join(spec.cron_expression.split()), "cron_expression"
    elif separate:
        expression, field = _expression_from_fields(separate), next(iter(separate))
    else:
        raise Invalid("cron_expression: required for schedule_type 'cron'", "cron_expression")
    return crontab_trigger(expression, tz, field), cron_words(expression)


def _expression_from_fields(fields: dict[str, str]) -> str:
    """Separate fields (MXX style) with APScheduler's defaults: '*' above the finest field given, 0 below.

    Without a second other than 0 it is a 5-field crontab line, so that cron's fixed-time rules apply."""
    significance = ("month", "day", "day_of_week", "hour", "minute", "second")
    finest = max(significance.index(name) for name in fields)
    values = {}
    for index, name in enumerate(significance):
        default = "0" if index > finest and name in ("hour", "minute", "second") else "*"
        value = re.sub(r"\s*,\s*", ",", str(fields.get(name, default)).strip())
        if not value or any(char.isspace() for char in value):
            raise Invalid(f"{name}: {fields[name]!r} is not a cron field (no spaces inside a field)", name)
        values[name] = value
    names = CRON_FIELDS if values["second"] != "0" else CRON_FIELDS[1:]
    return " ".join(values[name] for name in names)


def crontab_trigger(expression: str, tz: ZoneInfo, field: str = "cron_expression") -> CrontabTrigger:
    """A crontab line (5 fields ``m h dom mon dow``, or 6 with seconds first) with crontab's meaning:
    day-of-week 0 and 7 are Sunday, and when day-of-month and day-of-week are both restricted (neither
    starts with ``*``) a day matching either one fires."""
    count = len(expression.split())
    if count not in (5, 6):
        raise Invalid(f"{field}: expected 5 fields 'minute hour day month day_of_week' (or 6 with seconds first), "
                      f"got {count}", field)
    try:
        return CrontabTrigger(expression, tz)
    except CronSimError as error:
        raise Invalid(f"{field}: invalid cron expression {expression!r}: {_cron_problem(expression, error)}",
                      field) from None


CRON_FIELD_RULES = {"second": "0-59", "minute": "0-59", "hour": "0-23", "day-of-month": "1-31 or L",
                    "month": "1-12 or jan-dec", "day-of-week": "0-7 or sun-sat (0 and 7 are Sunday), 5#2, 5L"}


def _cron_problem(expression: str, error: CronSimError) -> str:
    """Which field is wrong, its text, and what it accepts (cronsim says only "Bad minute")."""
    name = str(error).removeprefix("Bad ").strip()
    if name not in CRON_FIELD_RULES:
        return str(error).lower() or "not a cron expression"
    names = list(CRON_FIELD_RULES) if len(expression.split()) == 6 else list(CRON_FIELD_RULES)[1:]
    fields = expression.split()
    text = fields[names.index(name)]
    if name == "day-of-month" and _valid_cron(" ".join("*" if field == "month" else value
                                                       for field, value in zip(names, fields))):
        month = fields[names.index("month")]
        return (f"day-of-month {text!r} never occurs in month {month!r} (no such date), so the schedule would "
                "never fire")
    return f"the {name} field {text!r} is not valid (values {CRON_FIELD_RULES[name]}, with lists, ranges and */n steps)"


def _valid_cron(expression: str) -> bool:
    try:
        CrontabTrigger(expression, UTC)
    except CronSimError:
        return False
    return True


def _clock(moment: datetime) -> str:
    """A time of day on a 24-hour clock, with seconds only when there are some."""
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


DAY_NUMBERS = {name: str(number) for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
CRON_WORDS_OPTIONS = CronWordsOptions()
CRON_WORDS_OPTIONS.use_24hour_time_format = True
CRON_WORDS_OPTIONS.day_of_week_start_index_zero = True
CRON_WORDS_OPTIONS.verbose = False


class _CrontabWords(ExpressionDescriptor):
    """cron-descriptor's words with crontab's (Vixie cron's) day rule: when day-of-month and
    day-of-week are both restricted and neither starts with ``*``, a day matching *either* fires
    ("or"); when one of them starts with ``*`` (``*/2``), a day must match both."""

    def get_day_of_week_description(self) -> str:
        day, weekday = self._expression_parts[3], self._expression_parts[5]
        if weekday == "*" or day == "*":
            return super().get_day_of_week_description()
        if day.startswith("*") or weekday.startswith("*"):  # both must match: cron-descriptor's "only on"
            self._expression_parts[3] = "*"
            try:
                return super().get_day_of_week_description()
            finally:
                self._expression_parts[3] = day
        words = super().get_day_of_week_description()  # either may match: say "or" whatever the form
        return words if words.startswith(", or ") else ", or " + words.removeprefix(", ").removeprefix("only ")


def _crontab_weekdays(field: str) -> str:
    """Day-of-week as cron-descriptor reads it right: names as numbers, 7 (Sunday) as 0 where it
    stands alone, ``0-7`` as every day, repeated items once (``0,7`` is Sunday, once)."""
    items: list[str] = []
    numbered = re.sub(r"[a-z]{3}", lambda match: DAY_NUMBERS.get(match.group(), match.group()), field.lower())
    for item in numbered.split(","):
        item = {"7": "0", "0-7": "0-6", "7-7": "0"}.get(item, item)
        item = re.sub(r"^(\d)-\1$", r"\1", item)
        if item not in items:
            items.append(item)
    return ",".join(items)


@lru_cache(maxsize=1024)
def cron_words(expression: str) -> str:
    """A valid crontab line (5 fields, or 6 with seconds first) in words: ``Every 5 minutes``,
    ``At 09:00, Monday through Friday``, ``At 00:00, on day 1 of the month, or on Monday``."""
    fields = expression.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    fields[5] = _crontab_weekdays(fields[5])
    try:  # seven fields (a year of '*'), so that cron-descriptor never takes a field for a year
        return _CrontabWords(" ".join([*fields, "*"]), CRON_WORDS_OPTIONS).get_description()
    except Exception:  # a form cron-descriptor does not know: the expression itself
        return f"Cron {expression}"


def next_fire_times(trigger: BaseTrigger | None, count: int, now: datetime | None = None) -> list[datetime]:
    """The next ``count`` fire times (UTC, strictly increasing) of ``trigger`` from ``now`` on."""
    if trigger is None:
        return []
    now = now or datetime.now(dt_timezone.utc)
    times: list[datetime] = []
    previous = None
    while len(times) < count:
        try:
            upcoming = trigger.get_next_fire_time(previous, now)
        except (OverflowError, ValueError):  # past year 9999
            break
        if upcoming is None:
            break
        times.append(upcoming)
        previous = upcoming
    return times
