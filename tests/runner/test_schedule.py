"""The ``[schedule]`` section, including every example of the MXX server seed (002)."""

from __future__ import annotations

from pathlib import Path

import pytest
from .runner_helpers import write

from pipeline_scheduler.runner import ConfigError, parse_schedule, validate_config


def test_seed_quick_start_daily_backup_cron(jobs: Path) -> None:
    job = write(jobs / "daily_backup.toml", """
        [lifetime]
        lifetime = 60  # Run for 60 seconds

        [os]
        cmd = "echo Daily backup started"

        [schedule]
        trigger = "cron"
        hour = 10
        minute = 30
    """)
    config = validate_config(job, jobs)
    assert config.job_id == "daily_backup" and config.job_type == "scheduled"
    assert config.schedule.to_trigger_payload() == {"schedule_type": "cron", "hour": "10", "minute": "30"}
    assert [plugin.name for plugin in config.plugins] == ["lifetime", "os"]


def test_seed_quick_start_manual_task_is_on_demand(jobs: Path) -> None:
    job = write(jobs / "manual_task.toml", """
        [lifetime]
        lifetime = 30

        [os]
        cmd = "echo Manual task executed"

        # No [schedule] section = on-demand only
    """)
    config = validate_config(job, jobs)
    assert config.schedule is None and config.job_type == "on_demand" and config.to_dict()["trigger"] is None


def test_seed_example_1_scheduled_daily_backup(jobs: Path) -> None:
    job = write(jobs / "daily_backup.toml", """
        [lifetime]
        lifetime = 300  # 5 minutes

        [os]
        cmd = "python backup_script.py"

        [schedule]
        trigger = "cron"
        hour = 2
        minute = 0  # Run at 2:00 AM daily
    """)
    config = validate_config(job, jobs)
    assert config.schedule.trigger == "cron"
    assert config.schedule.to_trigger_payload() == {"schedule_type": "cron", "hour": "2", "minute": "0"}


def test_seed_example_2_periodic_health_check(jobs: Path) -> None:
    job = write(jobs / "health_check.toml", """
        [lifetime]
        lifetime = 10

        [os]
        cmd = "curl https://example.com/health"

        [schedule]
        trigger = "interval"
        minutes = 5  # Run every 5 minutes
    """)
    config = validate_config(job, jobs)
    assert config.schedule.to_trigger_payload() == {"schedule_type": "interval", "interval_minutes": 5}
    assert config.plugins[1].params.cmd == "curl https://example.com/health"


def test_seed_example_3_on_demand_report(jobs: Path) -> None:
    job = write(jobs / "generate_report.toml", """
        [lifetime]
        lifetime = 120

        [os]
        cmd = "python generate_report.py"

        # No schedule - trigger manually
    """)
    config = validate_config(job, jobs)
    assert config.job_id == "generate_report" and config.job_type == "on_demand"


def test_seed_api_payload_configs_validate_as_dicts() -> None:
    config = validate_config({"lifetime": {"lifetime": 3600}, "os": {"cmd": "echo test"}}, job_id="my_job_1")
    assert config.job_id == "my_job_1" and config.schedule is None
    schedule = parse_schedule({"trigger": "cron", "hour": 10, "minute": 30})
    assert schedule.to_trigger_payload() == {"schedule_type": "cron", "hour": "10", "minute": "30"}
    schedule = parse_schedule({"trigger": "interval", "minutes": 10})
    assert schedule.to_trigger_payload() == {"schedule_type": "interval", "interval_minutes": 10}


def test_seed_schedule_configuration_section_forms() -> None:
    cron = parse_schedule({"trigger": "cron", "hour": 10, "minute": 30, "second": 0, "day_of_week": 1})
    assert cron.cron_fields == {"second": "0", "minute": "30", "hour": "10", "day_of_week": "1"}
    for unit in ("seconds", "minutes", "hours"):
        interval = parse_schedule({"trigger": "interval", unit: 60 if unit == "seconds" else 2})
        assert interval.to_trigger_payload()["schedule_type"] == "interval"
        assert f"interval_{unit}" in interval.to_trigger_payload()


def test_crontab_string_and_inferred_triggers() -> None:
    assert parse_schedule({"cron": "30 10 * * *"}).to_trigger_payload() == {
        "schedule_type": "cron", "cron_expression": "30 10 * * *"}
    assert parse_schedule({"trigger": "cron", "cron": "0 30 10 * * mon-fri"}).cron == "0 30 10 * * mon-fri"
    assert parse_schedule({"hours": 2, "minutes": 30}).interval == {"hours": 2, "minutes": 30}
    assert parse_schedule({"hour": "*/2"}).cron_fields == {"hour": "*/2"}
    tz = parse_schedule({"cron": "0 3 * * *", "timezone": "Europe/Paris"})
    assert tz.to_trigger_payload()["timezone"] == "Europe/Paris"


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"trigger": "weekly"}, "trigger", "cron"),
    ({}, "trigger", "empty"),
    ({"trigger": "cron"}, "trigger", "needs"),
    ({"trigger": "cron", "hour": 24}, "hour", "between 0 and 23"),
    ({"trigger": "cron", "minute": "*/75"}, "minute", "out of range"),
    ({"trigger": "cron", "day": "1; rm -rf /"}, "day", "crontab field"),
    ({"trigger": "cron", "hour": True}, "hour", "number"),
    ({"cron": "30 10 * *"}, "cron", "4 fields"),
    ({"cron": "61 10 * * *"}, "cron", "minute"),
    ({"cron": "* * * * *", "hour": 1}, "hour", "not both"),
    ({"trigger": "interval"}, "trigger", "at least one"),
    ({"trigger": "interval", "minutes": 0}, "minutes", "above 0"),
    ({"trigger": "interval", "minutes": -5}, "minutes", "negative"),
    ({"trigger": "interval", "minutes": 1.5}, "minutes", "whole number"),
    ({"trigger": "interval", "minutes": "5"}, "minutes", "whole number"),
    ({"trigger": "interval", "minutes": 5, "hour": 1}, "hour", "cron field"),
    ({"minutes": 5, "hour": 1}, "trigger", "mixes"),
    ({"trigger": "cron", "hour": 1, "every": 3}, "every", "unknown"),
    ({"cron": "* * * * *", "timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
])
def test_bad_schedules_name_the_field(data: dict, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_schedule(data)
    assert (error.value.section, error.value.field) == ("schedule", field)
    assert words in error.value.message


def test_bad_schedule_in_a_file_has_file_and_line(jobs: Path) -> None:
    job = write(jobs / "job.toml", '[os]\ncmd = "true"\n\n[schedule]\ntrigger = "interval"\nminutes = "5"\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert (error.value.file, error.value.section, error.value.field, error.value.line) == (
        str(job), "schedule", "minutes", 6)
