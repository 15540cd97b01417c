"""Triggers that count in the job's wall clock and handle daylight-saving changes the way cron does.

APScheduler 3's own ``CronTrigger`` loses fires after a spring-forward change, fires late in the
skipped hour and twice or backwards around a fall-back change. These triggers keep APScheduler as
the engine but compute fire times themselves:

* :class:`CrontabTrigger` asks `cronsim <https://github.com/cuu508/cronsim>`_, which follows
  Debian cron: a job at fixed times (minute and hour fields not starting with ``*``, 5 fields)
  runs at a time skipped by a spring-forward change at the first valid minute after it, and at a
  repeated time once, at its first occurrence; other jobs follow real time (a skipped time does
  not exist, a repeated one happens twice).
* :class:`EveryDaysTrigger` fires every N days at the same wall-clock time, with the fixed-time
  rules above.

Every fire time is returned in UTC: Python compares two datetimes of the same zone by their
wall-clock reading and ignores ``fold``, which would put 01:30 EST before 01:40 EDT.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from cronsim import CronSim, CronSimError

UTC = timezone.utc
ONE_MICROSECOND = timedelta(microseconds=1)
STATE_VERSION = 1

__all__ = ["CronSimError", "CrontabTrigger", "EveryDaysTrigger", "resolve_wall_time"]


def _timestamp(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _moment(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def _start_after(previous: datetime | None, now: datetime, start: datetime | None) -> datetime:
    """The instant after which the next fire is searched: after the previous fire, else from ``now``
    (inclusive), never before ``start`` (inclusive)."""
    after = previous if previous is not None else now - ONE_MICROSECOND
    if start is not None and start - ONE_MICROSECOND > after:
        after = start - ONE_MICROSECOND
    return after


class CrontabTrigger(BaseTrigger):
    """A crontab expression (5 fields, or 6 with seconds first) in an IANA zone, from ``start`` to ``end``."""

    __slots__ = ("expression", "timezone", "start", "end")

    def __init__(self, expression: str, zone: ZoneInfo, start: datetime | None = None,
                 end: datetime | None = None) -> None:
        CronSim(expression, datetime.now(zone))  # raises CronSimError when the expression is invalid
        self.expression, self.timezone, self.start, self.end = expression, zone, start, end

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        after = _start_after(previous_fire_time, now, self.start)
        moment = self.next_after(after)
        if moment is None or (self.end is not None and moment > self.end):
            return None
        return moment

    def next_after(self, after: datetime) -> datetime | None:
        """The first fire strictly after ``after``; ``None`` when none comes within cronsim's 50 years."""
        try:
            # cronsim reads a fixed-time job in naive wall time, so a start inside the repeated hour
            # can give back an instant before it: those are skipped
            for moment in CronSim(self.expression, after.astimezone(self.timezone)):
                if moment.timestamp() > after.timestamp():
                    return moment.astimezone(UTC)
        except (OverflowError, ValueError):  # past year 9999
            return None
        return None

    def __getstate__(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "expression": self.expression, "timezone": self.timezone.key,
                "start": _timestamp(self.start), "end": _timestamp(self.end)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported {type(self).__name__} state version {state.get('version')!r}")
        self.__init__(state["expression"], ZoneInfo(state["timezone"]), _moment(state["start"]),
                      _moment(state["end"]))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.__getstate__() == other.__getstate__()

    def __str__(self) -> str:
        return f"cron[{self.expression}] ({self.timezone.key})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ({self.expression!r}, timezone={self.timezone.key!r})>"


class EveryDaysTrigger(BaseTrigger):
    """Every ``days`` days at the wall-clock time ``first`` (naive, in ``zone``), from ``first``'s date."""

    __slots__ = ("days", "first", "timezone")

    def __init__(self, days: int, first: datetime, zone: ZoneInfo) -> None:
        if days < 1:
            raise ValueError("days must be at least 1")
        if first.tzinfo is not None:
            raise ValueError("first must be a naive wall-clock time")
        self.days, self.first, self.timezone = days, first, zone

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        after = _start_after(previous_fire_time, now, None)
        local = after.astimezone(self.timezone).date()
        step = max(0, (local - self.first.date()).days // self.days - 1)
        try:
            while True:
                day = self.first.date() + timedelta(days=step * self.days)
                moment = resolve_wall_time(datetime.combine(day, self.first.time()), self.timezone)
                if moment.timestamp() > after.timestamp():
                    return moment
                step += 1
        except OverflowError:  # past year 9999
            return None

    def __getstate__(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "days": self.days, "first": self.first.isoformat(),
                "timezone": self.timezone.key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported {type(self).__name__} state version {state.get('version')!r}")
        self.__init__(state["days"], datetime.fromisoformat(state["first"]), ZoneInfo(state["timezone"]))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.__getstate__() == other.__getstate__()

    def __str__(self) -> str:
        return f"every {self.days} day(s) at {self.first.time()} ({self.timezone.key})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (days={self.days}, first={self.first.isoformat()!r}, " \
               f"timezone={self.timezone.key!r})>"


def resolve_wall_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a naive wall-clock time stands for in ``zone``, as cron reads fixed times.

    A time repeated by a fall-back change is its first occurrence; a time skipped by a
    spring-forward change is the first valid instant after it (the change itself).
    """
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)
    # Skipped: fold=1 reads the wall time with the offset after the change, fold=0 with the one
    # before, and the change lies between those two instants.
    low, high = wall.replace(tzinfo=zone, fold=1).timestamp(), first.timestamp()
    offset_before = datetime.fromtimestamp(low, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)
