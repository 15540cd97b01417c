"""MXX ``[schedule]`` fields mean what APScheduler's own ``CronTrigger`` makes of them.

Each schedule goes the way a runner config's schedule goes on the server (``parse_schedule`` →
job payload → ``build_trigger``) and its next fire times are compared with those of APScheduler's
``CronTrigger`` built from the same fields: an independent implementation of the MXX numbering
(``day_of_week`` 0 = Monday). ``cron = "..."`` strings keep crontab's numbering (0 = Sunday).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from apscheduler.triggers.cron import CronTrigger

from pipeline_scheduler.api.payloads import TriggerSpec, parse_payload
from pipeline_scheduler.runner import ConfigError, parse_schedule
from pipeline_scheduler.scheduling.triggers import build_trigger, next_fire_times

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)  # a Monday, no daylight-saving change near
FIRES = 30


def ours(section: dict, zone: str = "UTC") -> list[datetime]:
    payload = parse_schedule(section).to_trigger_payload()
    built = build_trigger(parse_payload(TriggerSpec, payload), zone, now=NOW)
    return next_fire_times(built.trigger, FIRES, NOW)


def apschedulers(fields: dict, zone: str = "UTC") -> list[datetime]:
    trigger = CronTrigger(**fields, timezone=zone)
    times, previous = [], None
    while len(times) < FIRES:
        previous = trigger.get_next_fire_time(previous, previous or NOW)
        times.append(previous.astimezone(timezone.utc))
    return times


@pytest.mark.parametrize("fields", [
    {"hour": 10, "minute": 30, "second": 0, "day_of_week": 1},  # the seed's own example: Tuesdays
    {"hour": 10, "minute": 30, "day_of_week": 0},
    {"hour": 23, "day_of_week": 6},
    {"minute": 5, "day_of_week": "mon-fri"},
    {"hour": 8, "day_of_week": "0-4"},
    {"hour": 8, "day_of_week": "sat,sun"},
    {"hour": 8, "day_of_week": "FRI-sun"},
    {"hour": 8, "day_of_week": "*/2"},
    {"hour": 8, "day_of_week": "3/2"},
    {"hour": 8, "day_of_week": "0-4/2"},
    {"hour": 8, "day_of_week": "mon,3-4"},
    {"hour": 8, "minute": 15, "day_of_week": "5-6"},
    {"day_of_week": 2},  # only a weekday: midnight, as APScheduler fills finer fields with their minimum
    {"hour": "*/6", "day_of_week": "tue,thu", "month": "3-4"},
    {"hour": 9, "day": "*/2"},
    {"hour": 9, "day": "*/2", "day_of_week": 0},  # a day field starting with * : both, in crontab too
    {"hour": 9, "day": "*/3", "day_of_week": "sat,sun"},
    {"second": "*/20", "minute": 1, "day_of_week": 3},
])
@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
def test_cron_fields_fire_when_apscheduler_fires(fields: dict, zone: str) -> None:
    assert ours({"trigger": "cron", **fields}, zone) == apschedulers(fields, zone)


def test_day_of_week_1_is_tuesday_in_fields_and_monday_in_a_cron_string() -> None:
    assert {moment.strftime("%A") for moment in ours({"trigger": "cron", "hour": 10, "day_of_week": 1})} == {
        "Tuesday"}
    assert {moment.strftime("%A") for moment in ours({"cron": "0 10 * * 1"})} == {"Monday"}
    assert {moment.strftime("%A") for moment in ours({"cron": "0 10 * * 0"})} == {"Sunday"}
    assert {moment.strftime("%A") for moment in ours({"cron": "0 10 * * 7"})} == {"Sunday"}
    payload = parse_schedule({"trigger": "cron", "hour": 10, "day_of_week": 1}).to_trigger_payload()
    words = build_trigger(parse_payload(TriggerSpec, payload), "UTC", now=NOW).description
    assert "Tuesday" in words and "Monday" not in words
    # the config's own spelling is kept for the API (what [schedule] says)
    assert parse_schedule({"trigger": "cron", "day_of_week": 1}).to_dict()["day_of_week"] == "1"


@pytest.mark.parametrize(("value", "words"), [
    (7, "higher than the maximum value (6)"),
    ("sun-mon", "must not be higher"),
    ("1#2", "Unrecognized expression"),
    ("funday", "Invalid weekday name"),
    (True, "0 = Monday"),
    (1.5, "0 = Monday"),
])
def test_bad_day_of_week_names_the_field_and_the_numbering(value: object, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_schedule({"trigger": "cron", "day_of_week": value})
    assert (error.value.section, error.value.field) == ("schedule", "day_of_week")
    assert words in error.value.message
    with pytest.raises(ValueError):  # APScheduler refuses it too: the same rule
        CronTrigger(day_of_week=value if not isinstance(value, (bool, float)) else "x")


def test_day_and_day_of_week_together_are_refused_not_silently_widened() -> None:
    with pytest.raises(ConfigError) as error:
        parse_schedule({"trigger": "cron", "day": 13, "day_of_week": 4})
    assert error.value.field == "day_of_week" and "both" in error.value.message
    assert ours({"trigger": "cron", "day": "*", "day_of_week": 4, "hour": 1}) == apschedulers(
        {"day": "*", "day_of_week": 4, "hour": 1})
