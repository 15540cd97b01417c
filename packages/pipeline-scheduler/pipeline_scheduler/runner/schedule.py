"""The optional ``[schedule]`` section of a runner config: *when* a job runs, not *what* it does.

It is metadata for the scheduler, never a plugin, and the runner itself ignores it (running a
config by hand runs it now). Three spellings are accepted::

    [schedule]                  [schedule]                   [schedule]
    trigger = "cron"            cron = "30 10 * * *"         trigger = "interval"
    hour = 10                   # trigger = "cron" implied   minutes = 5
    minute = 30

* ``trigger = "cron"`` with any of ``second minute hour day month day_of_week`` (integers or
  field text such as ``"*/15"``, ``"1,15"``), as the MXX server read them: with APScheduler's
  ``CronTrigger`` meaning, so ``day_of_week`` counts **0 = Monday … 6 = Sunday** (or names,
  ``"mon-fri"``), and ``day`` with ``day_of_week`` means days matching both (a crontab says so only
  when ``day`` starts with ``*``, as ``"*/2"``: any other ``day`` with a ``day_of_week`` is refused);
* or ``cron`` = a crontab string of 5 fields (``m h dom mon dow``) or 6 (seconds first), with
  crontab's meaning: **0 and 7 = Sunday**. Fields and ``cron`` cannot be mixed.
* ``trigger = "interval"`` with any of ``seconds minutes hours days`` (non-negative integers, at
  least one of them positive; they add up).
* ``timezone`` (optional, IANA name) for either.

Without ``trigger`` the kind is inferred from the fields given. Anything else is a
:class:`~pipeline_scheduler.runner.errors.ConfigError` naming section ``schedule`` and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron.expressions import RangeExpression
from apscheduler.triggers.cron.fields import DayOfWeekField

from .errors import ConfigError

CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")
INTERVAL_FIELDS = ("seconds", "minutes", "hours", "days")
_RANGES = {"second": (0, 59), "minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12),
           "day_of_week": (0, 7)}  # crontab's day of week, in ``cron`` strings
_CRON_TEXT = re.compile(r"^[0-9A-Za-z*/,\-#?]+$")
_KNOWN = {"trigger", "cron", "timezone", *CRON_FIELDS, *INTERVAL_FIELDS}


@dataclass(frozen=True)
class Schedule:
    """A validated schedule. ``cron_fields`` keeps only the fields given, as the config wrote them
    (``day_of_week`` in APScheduler's numbering); :meth:`to_trigger_payload` says them as crontab."""

    trigger: Literal["cron", "interval"]
    cron: str | None = None
    cron_fields: dict[str, str] = field(default_factory=dict)
    interval: dict[str, int] = field(default_factory=dict)
    timezone: str | None = None

    def to_trigger_payload(self) -> dict[str, Any]:
        """The schedule as the server's job payload fields (``schedule_type`` + its fields).

        ``{"schedule_type": "cron", "cron_expression": ...}``, or ``{"schedule_type": "cron",
        "hour": "10", ...}`` with the separate fields given (``day_of_week`` renumbered for crontab),
        or ``{"schedule_type": "interval", "interval_minutes": 5, ...}``; ``timezone`` when set.
        """
        payload: dict[str, Any]
        if self.trigger == "cron":
            payload = {"schedule_type": "cron"}
            if self.cron is not None:
                payload["cron_expression"] = self.cron
            else:
                payload.update(self.cron_fields)
                if "day_of_week" in self.cron_fields:
                    payload["day_of_week"] = crontab_weekdays(self.cron_fields["day_of_week"])
        else:
            payload = {"schedule_type": "interval"}
            payload.update({f"interval_{unit}": value for unit, value in self.interval.items() if value})
        if self.timezone:
            payload["timezone"] = self.timezone
        return payload

    def to_dict(self) -> dict[str, Any]:
        """The schedule in config spelling (what ``[schedule]`` would say), for the API."""
        data: dict[str, Any] = {"trigger": self.trigger}
        if self.cron is not None:
            data["cron"] = self.cron
        data.update(self.cron_fields)
        data.update(self.interval)
        if self.timezone:
            data["timezone"] = self.timezone
        return data


def parse_schedule(data: Any, *, file: str | None = None) -> Schedule:
    """Validate a ``[schedule]`` section (see the module docstring); errors name the field."""

    def fail(message: str, field_name: str | None = None) -> ConfigError:
        return ConfigError(message, file=file, section="schedule", field=field_name)

    if not isinstance(data, dict):
        raise fail(f"must be a table of schedule fields, got {type(data).__name__}")
    for key in data:
        if key not in _KNOWN:
            raise fail(f"unknown schedule field (known: {', '.join(sorted(_KNOWN))})", str(key))
    given_cron = [name for name in CRON_FIELDS if name in data]
    given_interval = [name for name in INTERVAL_FIELDS if name in data]
    trigger = data.get("trigger")
    if trigger is None:
        if given_interval and (given_cron or "cron" in data):
            raise fail("mixes cron and interval fields; set trigger = \"cron\" or \"interval\"", "trigger")
        if given_interval:
            trigger = "interval"
        elif given_cron or "cron" in data:
            trigger = "cron"
        else:
            raise fail("is empty: set trigger = \"cron\" (with cron fields or cron = \"m h dom mon dow\") "
                       "or trigger = \"interval\" (with seconds/minutes/hours/days)", "trigger")
    if trigger not in ("cron", "interval"):
        raise fail(f"must be \"cron\" or \"interval\", got {trigger!r}", "trigger")

    timezone = data.get("timezone")
    if timezone is not None:
        if not isinstance(timezone, str) or not timezone.strip():
            raise fail("must be an IANA time zone name such as \"Europe/Paris\"", "timezone")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise fail(f"unknown time zone {timezone!r}", "timezone") from None

    if trigger == "interval":
        if given_cron or "cron" in data:
            wrong = given_cron[0] if given_cron else "cron"
            raise fail("is a cron field but trigger = \"interval\"", wrong)
        interval: dict[str, int] = {}
        for name in given_interval:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail(f"must be a whole number, got {value!r}", name)
            if value < 0:
                raise fail("must not be negative", name)
            interval[name] = value
        if not any(interval.values()):
            raise fail("an interval needs at least one of seconds, minutes, hours, days above 0",
                       given_interval[0] if given_interval else "trigger")
        return Schedule("interval", interval=interval, timezone=timezone)

    if given_interval:
        raise fail("is an interval field but trigger = \"cron\"", given_interval[0])
    if "cron" in data:
        if given_cron:
            raise fail("give either cron = \"...\" or separate cron fields, not both", given_cron[0])
        return Schedule("cron", cron=_check_crontab(data["cron"], fail), timezone=timezone)
    if not given_cron:
        raise fail("a cron trigger needs cron = \"m h dom mon dow\" or at least one of "
                   + ", ".join(CRON_FIELDS), "trigger")
    fields = {name: _check_cron_field(name, data[name], fail) for name in given_cron if name != "day_of_week"}
    if "day_of_week" in data:
        fields["day_of_week"] = _check_weekdays(data["day_of_week"], fail)
        if not fields.get("day", "*").startswith("*") and fields["day_of_week"] != "*":
            raise fail("day and day_of_week together fire, in APScheduler (MXX), only on days matching both, "
                       "but in a crontab on days matching either: keep one of them, or write "
                       "cron = \"m h dom mon dow\" for crontab's meaning", "day_of_week")
    return Schedule("cron", cron_fields=fields, timezone=timezone)


def _check_weekdays(value: Any, fail: Any) -> str:
    """``day_of_week`` as APScheduler reads it (0 = Monday … 6 = Sunday, names, ranges, steps)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise fail(f"must be a number 0-6 (0 = Monday) or names such as \"mon-fri\", got {value!r}", "day_of_week")
    text = str(value).strip()
    try:
        crontab_weekdays(text)
    except ValueError as error:
        raise fail(f"{text!r}: {error} (0 = Monday … 6 = Sunday as in APScheduler, or mon … sun; "
                   "a cron = \"...\" string counts like crontab, 0 = Sunday)", "day_of_week") from None
    return text


def crontab_weekdays(text: str) -> str:
    """An APScheduler ``day_of_week`` (0 = Monday) as crontab's field (1 = Monday … 7 = Sunday).

    APScheduler parses it (its validation and messages); each of its expressions moves up by one:
    ``"1"`` (Tuesday) → ``"2"``, ``"mon-fri"`` → ``"1-5"``, ``"*/2"`` (Mon, Wed, Fri, Sun) → ``"1-7/2"``.
    Raises ``ValueError`` for what APScheduler refuses."""
    parts = []
    for expression in DayOfWeekField("day_of_week", text).expressions:
        step = f"/{expression.step}" if expression.step else ""
        if not isinstance(expression, RangeExpression):  # "*" or "*/n"
            parts.append(f"1-7{step}" if step else "*")
            continue
        first = expression.first + 1
        last = 7 if expression.last is None else expression.last + 1
        parts.append(f"{first}{step}" if first == last and not step else f"{first}-{last}{step}")
    return ",".join(parts)


def _check_cron_field(name: str, value: Any, fail: Any) -> str:
    low, high = _RANGES[name]
    if isinstance(value, bool):
        raise fail(f"must be a number or crontab text, got {value!r}", name)
    if isinstance(value, int):
        if not low <= value <= high:
            raise fail(f"must be between {low} and {high}, got {value}", name)
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise fail(f"must be a number or crontab text such as \"*/5\", got {value!r}", name)
    text = value.strip()
    if not _CRON_TEXT.match(text):
        raise fail(f"{text!r} is not crontab field text", name)
    for number in re.findall(r"\d+", text):
        if int(number) > high:
            raise fail(f"{text!r}: {number} is out of range {low}-{high}", name)
    if text.isdigit() and int(text) < low:
        raise fail(f"must be between {low} and {high}, got {text}", name)
    return text


def _check_crontab(value: Any, fail: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail("must be a crontab string such as \"30 10 * * *\"", "cron")
    parts = value.split()
    if len(parts) not in (5, 6):
        raise fail(f"{value!r} has {len(parts)} fields; a crontab has 5 (m h dom mon dow) "
                   "or 6 (seconds first)", "cron")
    names = CRON_FIELDS if len(parts) == 6 else CRON_FIELDS[1:]
    for name, part in zip(names, parts):
        try:
            _check_cron_field(name, part, fail)
        except ConfigError as error:
            raise fail(f"{value!r}: {name} field: {error.message}", "cron") from None
    return " ".join(parts)
