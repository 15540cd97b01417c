"""Each trigger type gives the right fire times, in the job's time zone (APScheduler does the maths)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from croniter import CroniterBadDateError, croniter

from pipeline_scheduler.errors import Invalid
from pipeline_scheduler.api.payloads import TriggerSpec, parse_payload
from pipeline_scheduler.scheduling.triggers import build_trigger, next_fire_times

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # a Wednesday; Paris is UTC+1 in winter


def fires(payload: dict, count: int = 3, zone: str = "Europe/Paris") -> list[str]:
    built = build_trigger(parse_payload(TriggerSpec, payload), zone, now=NOW)
    return [moment.astimezone(ZoneInfo(built.timezone)).isoformat()
            for moment in next_fire_times(built.trigger, count, NOW)]


@pytest.mark.parametrize("payload, expected", [
    ({"schedule_type": "date", "run_date": "2026-11-26T08:00:00Z"}, ["2026-11-26T09:00:00+01:00"]),
    ({"schedule_type": "date", "run_date": "2026-11-26T08:00:00"}, ["2026-11-26T08:00:00+01:00"]),
    ({"schedule_type": "date", "date_type": "daily", "run_date": "2026-11-20T17:30:00Z"},
     ["2026-11-25T18:30:00+01:00", "2026-11-26T18:30:00+01:00", "2026-11-27T18:30:00+01:00"]),
    ({"schedule_type": "date", "date_type": "weekly", "run_date": "2026-11-23T07:00:00Z"},  # a Monday
     ["2026-11-30T08:00:00+01:00", "2026-12-07T08:00:00+01:00", "2026-12-14T08:00:00+01:00"]),
    ({"schedule_type": "date", "date_type": "monthly", "run_date": "2026-01-05T06:15:00+01:00"},
     ["2026-12-05T06:15:00+01:00", "2027-01-05T06:15:00+01:00", "2027-02-05T06:15:00+01:00"]),
    ({"schedule_type": "date", "date_type": "every_x_days", "interval_days": 3, "run_date": "2026-11-26T00:00:00"},
     ["2026-11-26T00:00:00+01:00", "2026-11-29T00:00:00+01:00", "2026-12-02T00:00:00+01:00"]),
    ({"schedule_type": "interval", "interval_minutes": 90, "run_date": "2026-11-25T12:00:00Z"},
     ["2026-11-25T13:00:00+01:00", "2026-11-25T14:30:00+01:00", "2026-11-25T16:00:00+01:00"]),
    ({"schedule_type": "cron", "cron_expression": "0 9 * * 1-5"},
     ["2026-11-26T09:00:00+01:00", "2026-11-27T09:00:00+01:00", "2026-11-30T09:00:00+01:00"]),
    # crontab day-of-week: 0 and 7 are Sunday (APScheduler alone would read 0 as Monday)
    ({"schedule_type": "cron", "cron_expression": "30 6 * * 0"},
     ["2026-11-29T06:30:00+01:00", "2026-12-06T06:30:00+01:00", "2026-12-13T06:30:00+01:00"]),
    ({"schedule_type": "cron", "cron_expression": "30 6 * * 7"},
     ["2026-11-29T06:30:00+01:00", "2026-12-06T06:30:00+01:00", "2026-12-13T06:30:00+01:00"]),
    # crontab: restricted day-of-month OR day-of-week
    ({"schedule_type": "cron", "cron_expression": "0 0 1 * 1"},
     ["2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00", "2026-12-07T00:00:00+01:00"]),
    ({"schedule_type": "cron", "cron_expression": "15 */20 * * * *"},  # 6 fields: seconds first
     ["2026-11-25T13:00:15+01:00", "2026-11-25T13:20:15+01:00", "2026-11-25T13:40:15+01:00"]),
    ({"schedule_type": "cron", "cron_expression": "0 0 * * 5#2"},
     ["2026-12-11T00:00:00+01:00", "2027-01-08T00:00:00+01:00", "2027-02-12T00:00:00+01:00"]),
    ({"schedule_type": "cron", "cron_expression": "0 12 L * *"},
     ["2026-11-30T12:00:00+01:00", "2026-12-31T12:00:00+01:00", "2027-01-31T12:00:00+01:00"]),
    # separate fields (MXX style): finer fields default to 0, coarser to '*'
    ({"schedule_type": "cron", "hour": "3", "day_of_week": "sun"},
     ["2026-11-29T03:00:00+01:00", "2026-12-06T03:00:00+01:00", "2026-12-13T03:00:00+01:00"]),
    # ... and as numbers, as the README writes them
    ({"schedule_type": "cron", "hour": 3, "day_of_week": "sun"},
     ["2026-11-29T03:00:00+01:00", "2026-12-06T03:00:00+01:00", "2026-12-13T03:00:00+01:00"]),
])
def test_fire_times(payload: dict, expected: list[str]) -> None:
    assert fires(payload, count=len(expected)) == expected


def test_zone_changes_the_instant() -> None:
    payload = {"schedule_type": "cron", "cron_expression": "0 9 * * *", "timezone": "America/New_York"}
    assert fires(payload, 1) == ["2026-11-25T09:00:00-05:00"]


def test_daylight_saving_is_followed() -> None:
    moments = build_trigger(parse_payload(TriggerSpec, {"schedule_type": "cron", "cron_expression": "0 9 * * *"}),
                            "Europe/Paris", now=NOW).trigger
    march = next_fire_times(moments, 2, datetime(2027, 3, 27, 12, 0, tzinfo=timezone.utc))
    assert [m.astimezone(ZoneInfo("Europe/Paris")).isoformat() for m in march] == [
        "2027-03-28T09:00:00+02:00", "2027-03-29T09:00:00+02:00"]


def test_trigger_jobs_have_no_clock() -> None:
    built = build_trigger(parse_payload(TriggerSpec, {"schedule_type": "trigger", "trigger_conditions": [
        {"job_id": "a", "on": "success"}, {"job_id": "b", "on": "failure"}], "logical_operator": "or"}),
        "UTC", now=NOW)
    assert built.trigger is None
    assert built.description == "After a succeeds or b fails"


@pytest.mark.parametrize("payload, field", [
    ({"schedule_type": "cron", "cron_expression": "61 * * * *"}, "cron_expression"),
    ({"schedule_type": "cron", "cron_expression": "* * *"}, "cron_expression"),
    ({"schedule_type": "cron"}, "cron_expression"),
    ({"schedule_type": "interval"}, "interval_seconds"),
    ({"schedule_type": "date", "run_date": "2020-01-01T00:00:00Z"}, "run_date"),
    ({"schedule_type": "date", "run_date": "soon"}, "run_date"),
    ({"schedule_type": "date", "date_type": "every_x_days"}, "interval_days"),
    ({"schedule_type": "cron", "cron_expression": "0 0 * * *", "timezone": "Mars/Olympus"}, "timezone"),
    ({"schedule_type": "trigger"}, "trigger_conditions"),
    ({"schedule_type": "cron", "cron_expression": "0 0 31 2 *"}, "cron_expression"),  # 31 February never comes
    ({"schedule_type": "cron", "hour": "1 2"}, "hour"),
])
def test_invalid_schedules_name_their_field(payload: dict, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        build_trigger(parse_payload(TriggerSpec, payload), "UTC", now=NOW)
    assert caught.value.field == field


@pytest.mark.parametrize("expression, reason", [
    ("0 0 31 2 *", "day-of-month '31' never occurs in month '2' (no such date)"),
    ("0 0 31 4,6,9,11 *", "day-of-month '31' never occurs in month '4,6,9,11' (no such date)"),
    ("0 0 32 * *", "the day-of-month field '32' is not valid (values 1-31 or L"),
    ("0 0 x 2 *", "the day-of-month field 'x' is not valid"),
])
def test_a_cron_day_is_refused_for_what_is_wrong_with_it(expression: str, reason: str) -> None:
    """A day that exists in no month it is combined with is not a "value out of 1-31"; that such a line
    never fires is croniter's finding too, an implementation independent of ours (cronsim)."""
    if "never occurs" in reason:
        with pytest.raises(CroniterBadDateError):
            croniter(expression, NOW).get_next(datetime)
    assert croniter("0 0 31 1-2 *", NOW).get_next(datetime).day == 31
    with pytest.raises(Invalid) as caught:
        build_trigger(parse_payload(TriggerSpec, {"schedule_type": "cron", "cron_expression": expression}), "UTC",
                      now=NOW)
    assert reason in caught.value.message
    assert build_trigger(parse_payload(TriggerSpec, {"schedule_type": "cron", "cron_expression": "0 0 31 1-2 *"}),
                         "UTC", now=NOW).trigger is not None  # January has a 31st


async def test_api_reports_next_run_time_in_the_job_zone(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    status, job = await api("POST", "jobs", {"pipeline_path": "job.py", "schedule_type": "cron",
                                             "cron_expression": "0 9 * * *", "timezone": "Asia/Tokyo"})
    assert status == 200
    next_run = datetime.fromisoformat(job["next_run_time"])
    assert next_run.utcoffset().total_seconds() == 9 * 3600
    assert (next_run.hour, next_run.minute) == (9, 0)
    assert job["trigger"] == "At 09:00 (Asia/Tokyo)"


async def test_preview_lists_upcoming_fires(api) -> None:
    status, preview = await api("POST", "triggers/preview", {"schedule_type": "cron", "cron_expression": "*/5 * * * *",
                                                             "timezone": "UTC", "count": 4})
    assert status == 200
    moments = [datetime.fromisoformat(m) for m in preview["next_run_times"]]
    assert len(moments) == 4
    assert all(m.minute % 5 == 0 and m.second == 0 for m in moments)
    assert all((b - a).total_seconds() == 300 for a, b in zip(moments, moments[1:]))
