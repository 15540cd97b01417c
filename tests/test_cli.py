"""The ``pipeline-scheduler`` command against a real server, run as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import typer

from pipeline_scheduler.api.payloads import TriggerSpec, parse_payload
from pipeline_scheduler.cli.app import app
from pipeline_scheduler.cli.job_options import option_fields
from pipeline_scheduler.cli.main import main  # noqa: F401  (registers every command on the app)
from pipeline_scheduler.cli.output import duration_text, exit_text, relative
from pipeline_scheduler.cli.parse import interval_fields, parse_duration, parse_when
from pipeline_scheduler.scheduling.triggers import build_trigger, next_fire_times

BASE_ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "TZ": "UTC"}  # the CLI's default zone is the local one


@pytest.fixture
def cli(http_server, jp_http_port, jp_base_url):
    """``await cli(*args)`` → (exit status, stdout, stderr); ``http_server`` makes the test server listen."""
    async def run(*args: str, env: dict[str, str] | None = None, token: str = "secret-test-token"
                  ) -> tuple[int, str, str]:
        """The command in a thread, so that this test's server keeps answering meanwhile."""
        argv = [sys.executable, "-m", "pipeline_scheduler.cli", "--url", f"http://localhost:{jp_http_port}{jp_base_url}",
                "--token", token, *args]
        done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=60,
                                       env={**BASE_ENV, **(env or {})})
        return done.returncode, done.stdout, done.stderr
    return run


async def add_json(cli, *args: str, env: dict[str, str] | None = None) -> dict:
    code, out, err = await cli("--json", "add", *args, env=env)
    assert code == 0, err
    return json.loads(out)


async def test_add_run_wait_list_and_logs(cli, api, write_script) -> None:
    write_script("hello.py", "print('hello from the cli')\n")
    code, out, _ = await cli("--json", "add", "hello.py", "--name", "greeter", "--cron", "0 6 * * *")
    assert code == 0
    job = json.loads(out)
    assert job["trigger"].startswith("At 06:00 (")  # the server's words, in the job's zone
    code, out, _ = await cli("run", "greeter", "--wait")  # by name
    assert code == 0 and "hello from the cli" in out and "success" in out
    code, out, _ = await cli("list")
    assert code == 0 and "greeter" in out and "success" in out and "At 06:00" in out
    assert re.search(r"success +(just now|\d+ s ago)", out), out
    assert "T0" not in out and "+00:00" not in out  # relative times, not ISO
    code, out, _ = await cli("--json", "runs", "--job", "greeter")
    run = json.loads(out)[0]
    code, out, _ = await cli("logs", str(run["id"]))
    assert out == "hello from the cli\n"
    code, out, _ = await cli("runs", "--job", "greeter")
    assert code == 0 and "success" in out and "manual" in out
    assert (await cli("pause", "greeter"))[0] == 0
    assert (await api("GET", f"jobs/{job['id']}"))[1]["paused"] is True
    assert (await cli("resume", job["id"]))[0] == 0
    assert (await api("GET", f"jobs/{job['id']}"))[1]["paused"] is False


async def test_failing_run_and_errors_set_the_exit_status(cli, write_script) -> None:
    write_script("fail.py", "raise SystemExit(4)\n")
    job = await add_json(cli, "fail.py")
    assert job["schedule_type"] == "manual"
    code, out, _ = await cli("run", job["id"], "--wait")
    assert code == 1 and "failure" in out
    code, _, err = await cli("add", "../outside.py")
    assert code == 2 and "pipeline_path" in err and "outside the server root" in err
    code, _, err = await cli("add", "missing.py")
    assert code == 2 and err.count("pipeline_path") == 1 and "error: pipeline_path: " in err  # said once
    code, _, err = await cli("info", "nope")
    assert code == 2 and "no job with the name or id 'nope'" in err and "pipeline-scheduler list" in err


async def test_jobs_are_named_by_name_or_id_and_ambiguous_names_are_listed(cli, api, write_script) -> None:
    write_script("hello.py", "print('hi')\n")
    solo = await add_json(cli, "hello.py", "--name", "cli-hello")
    first = await add_json(cli, "hello.py", "--name", "twin")
    second = await add_json(cli, "hello.py", "--name", "twin", "--every", "1h")
    code, out, err = await cli("run", "cli-hello", "--wait")
    assert code == 0, err
    assert "run " in out and "cli-hello" in out and "success" in out
    code, out, _ = await cli("info", "CLI-HELLO", "--json")  # a name regardless of case, when unique
    assert code == 0 and json.loads(out)["id"] == solo["id"]
    for command in (["info"], ["run"], ["pause"], ["delete"], ["edit", "--every", "5m"]):
        code, out, err = await cli(command[0], "twin", *command[1:])
        assert code == 2, (command, out)
        assert "2 jobs are named 'twin'" in err and first["id"] in err and second["id"] in err, err
    code, out, _ = await cli("info", second["id"], "--json")
    assert json.loads(out)["trigger"] == "Every hour (UTC)"
    code, out, _ = await cli("delete", first["id"])
    assert code == 0 and "Deleted job twin" in out
    code, out, _ = await cli("run", "twin", "--json")  # no longer ambiguous
    assert code == 0 and json.loads(out)["job_id"] == second["id"]
    # names in --after and --job too
    after = await add_json(cli, "hello.py", "--name", "downstream", "--after", "cli-hello:failure", "--after", "twin",
                           "--any")
    assert after["trigger_conditions"] == [{"job_id": solo["id"], "on": "failure"},
                                           {"job_id": second["id"], "on": "success"}]
    assert after["logical_operator"] == "OR" and after["trigger"] == "After cli-hello fails or twin succeeds"
    code, out, _ = await cli("runs", "--job", "cli-hello", "--json")
    assert code == 0 and [run["job_id"] for run in json.loads(out)] == [solo["id"]]


async def test_adding_a_job_under_a_name_already_taken_says_so_and_offers_its_id(cli, write_script) -> None:
    write_script("hello.py", "print('hi')\n")
    code, out, _ = await cli("add", "hello.py", "--name", "nightly")
    assert code == 0 and "note:" not in out and "Run it now: pipeline-scheduler run nightly" in out, out
    code, out, _ = await cli("add", "hello.py", "--name", "nightly")
    second = re.search(r"Created job nightly \((\w+)\)", out).group(1)
    text = " ".join(out.split())
    assert code == 0 and "note: 2 jobs are now named 'nightly'" in text and f"edit {second} --name NEW" in text, out
    assert f"Run it now: pipeline-scheduler run {second}" in text, out


async def test_names_that_read_as_paths_or_routes_still_name_their_job(cli, api, write_script) -> None:
    """A job is found by id with one request and by name from the list of names: a name such as
    ``active`` (the path of MXX's list of running jobs), ``a/b`` or ``..`` must not be taken for a path."""
    write_script("hello.py", "print('hi')\n")
    jobs = {name: await add_json(cli, "hello.py", "--name", name) for name in ("active", "a/b", "..", "50% & more?")}
    for name, job in jobs.items():
        code, out, err = await cli("info", name, "--json")
        assert code == 0 and json.loads(out)["id"] == job["id"], (name, err)
        assert json.loads(out)["pipeline_path"] == "hello.py"  # the whole job, not its entry in the list of names
    named_as_an_id = await add_json(cli, "hello.py", "--name", jobs["active"]["id"])
    code, out, _ = await cli("info", jobs["active"]["id"], "--json")  # an id before a name, as always
    assert json.loads(out)["id"] == jobs["active"]["id"] != named_as_an_id["id"]
    code, _, err = await cli("info", "a")
    assert code == 2 and "no job with the name or id 'a'" in err


async def test_every_command_prints_json_with_json_before_or_after_it(cli, api, write_script, jp_root_dir) -> None:
    write_script("hello.py", "print('hi')\n")
    write_script("slow.py", "import time\ntime.sleep(60)\n")
    (jp_root_dir / "report.toml").write_text('[os]\ncmd = "echo on-demand report"\n')

    async def as_json(*args: str) -> object:
        for where in ("before", "after"):
            argv = ("--json", *args) if where == "before" else (*args, "--json")
            code, out, err = await cli(*argv)
            assert code == 0, (argv, err)
            try:
                parsed = json.loads(out)
            except ValueError:
                raise AssertionError(f"{argv} did not print JSON: {out!r}") from None
            if args[0] in ("add", "run", "register", "trigger"):  # each makes something: once is enough
                return parsed
        return parsed

    assert (await as_json("health"))["scheduler_running"] is True
    job = await as_json("add", "hello.py", "--name", "hello")
    assert job["name"] == "hello"
    assert [j["name"] for j in await as_json("list")] == ["hello"]
    assert (await as_json("info", "hello"))["id"] == job["id"]
    assert (await as_json("edit", "hello", "--every", "10m"))["trigger"] == "Every 10 minutes (UTC)"
    started = await as_json("run", "hello")
    assert started["job_id"] == job["id"]
    code, out, err = await cli("run", "hello", "--wait", "--json")  # the log on stderr, the final run on stdout
    assert code == 0 and json.loads(out)["status"] == "success" and "hi" in err
    assert all(run["job_id"] == job["id"] for run in await as_json("runs", "--job", "hello"))
    assert (await as_json("logs", str(started["id"])))["run_id"] == started["id"]
    assert (await as_json("pause", "hello"))["paused"] is True
    assert (await as_json("resume", "hello"))["paused"] is False
    slow = await add_json(cli, "slow.py", "--name", "slow")
    running = await as_json("run", "slow")
    code, out, err = await cli("cancel", str(running["id"]), "--json")
    assert code == 0 and json.loads(out)["status"] in ("cancelled", "running", "queued"), err
    registered = await as_json("register", str(jp_root_dir / "report.toml"), "--job-id", "report")
    assert registered["id"] == "report"
    assert (await as_json("trigger", "report"))["execution_id"].startswith("report_")
    assert [entry["job_id"] for entry in (await as_json("registry"))["jobs"]] == ["report"]
    assert any(plugin["name"] == "lifetime" for plugin in (await as_json("plugins"))["plugins"])
    code, out, err = await cli("unregister", "report", "--json")
    assert code == 0 and json.loads(out)["success"] is True, err
    code, out, err = await cli("delete", slow["id"], "--json")
    assert code == 0 and json.loads(out) == {"success": True}, err


async def test_people_get_words_not_json(cli, api, write_script) -> None:
    write_script("hello.py", "print('hi')\n")
    code, out, _ = await cli("add", "hello.py", "--name", "words", "--cron", "*/5 * * * *", "--timezone", "Europe/Paris")
    assert code == 0 and "{" not in out
    assert "Created job words" in out and "Every 5 minutes (Europe/Paris)" in out and "next run" in out
    assert "pipeline-scheduler run words" in out
    code, out, _ = await cli("info", "words")
    assert code == 0 and "{" not in out
    for expected in ("Name", "words", "Schedule", "Every 5 minutes (Europe/Paris)", "Next run", "CET", "in ",
                     "Time zone", "Europe/Paris"):
        assert expected in out, (expected, out)
    code, out, _ = await cli("health")
    assert code == 0 and "{" not in out and "running" in out and "Jobs" in out and "1" in out
    code, out, _ = await cli("run", "words")
    assert code == 0 and "Started run" in out and "logs" in out and "--follow" in out
    code, out, _ = await cli("delete", "words")
    assert code == 0 and "{" not in out and "Deleted job words" in out and "success" not in out
    code, out, _ = await cli("list")
    assert code == 0 and "No jobs yet" in out


async def test_durations_and_every_job_option(cli, api, write_script) -> None:
    write_script("hello.py", "print('hi')\n")
    write_script("work/keep.txt", "")
    for every, fields, words in (("10m", {"interval_minutes": 10}, "Every 10 minutes"),
                                 ("2h", {"interval_hours": 2}, "Every 2 hours"),
                                 ("1d", {"interval_days": 1}, "Every day"),
                                 ("90s", {"interval_minutes": 1, "interval_seconds": 30}, "Every 1 minute 30 seconds"),
                                 ("1h30m", {"interval_hours": 1, "interval_minutes": 30}, "Every 1 hour 30 minutes")):
        job = await add_json(cli, "hello.py", "--every", every, "--timezone", "UTC")
        assert {key: job.get(key) for key in fields} == fields and job["trigger"] == f"{words} (UTC)"
    job = await add_json(cli, "hello.py", "--name", "full", "--cron", "30 2 * * 1-5", "--timezone", "Europe/Paris",
                         "--arg", "--date", "--env", "A=1", "--env", "B=x=y", "--cwd", "work", "--timeout", "2m",
                         "--overlap", "parallel", "--max-parallel", "3", "--catch-up", "skip", "--coalesce",
                         "--on-stale", "fail",
                         "--keep-leftovers", "--paused", "--retries", "2", "--retry-delay", "30s", "--retry-backoff",
                         "3", "--retry-on", "failure", "--retry-on", "interrupted", "--notify", "json://localhost:9/hook",
                         "--notify-on", "failure", "--", "today")
    assert job["retries"] == 2 and job["retry_delay"] == 30 and job["retry_backoff"] == 3
    assert job["retry_on"] == ["failure", "interrupted"]
    assert job["notify"] == [{"url": "json://localhost:9/hook", "on": ["failure"]}]
    code, out, _ = await cli("info", "full")
    assert re.search(r"Arguments\s+--date today\s*$", out, re.MULTILINE), out
    assert code == 0 and "Retries" in out and "2 on failure, interrupted" in out and "json://localhost:9/hook" in out
    assert job["arguments"] == ["--date", "today"] and job["env"] == {"A": "1", "B": "x=y"} and job["cwd"] == "work"
    assert job["timeout"] == 120 and job["overlap_policy"] == "parallel" and job["max_parallel"] == 3
    assert job["catch_up"] == "skip" and job["on_stale"] == "fail"
    assert job["coalesce"] is True and job["kill_leftovers"] is False
    assert job["paused"] is True and job["trigger"] == "At 02:30, Monday through Friday (Europe/Paris)"
    code, out, err = await cli("edit", "full", "--monthly", "--last-day", "--at", "2026-12-01T18:00", "--timeout",
                               "1h", "--no-args", "--env", "C=3", "--active", "--name", "month-end", "--no-notify",
                               "--retries", "0", "--json")
    assert code == 0, err
    edited = json.loads(out)
    assert edited["schedule_type"] == "date" and edited["date_type"] == "monthly" and edited["last_day_of_month"]
    assert "cron_expression" not in edited and edited["trigger"] == "Every month on the last day at 18:00 (Europe/Paris)"
    assert edited["timeout"] == 3600 and edited["arguments"] == [] and edited["env"] == {"C": "3"}
    assert edited["paused"] is False and edited["name"] == "month-end" and edited["timezone"] == "Europe/Paris"
    assert edited["notify"] == [] and edited["retries"] == 0 and edited["max_parallel"] == 3  # the rest kept
    assert edited["on_stale"] == "fail"
    code, out, _ = await cli("edit", "month-end", "--on-stale", "warn", "--json")
    assert code == 0 and json.loads(out)["on_stale"] == "warn"
    code, out, _ = await cli("edit", "month-end", "--weekly", "--at", "2026-12-07 09:00", "--json")
    assert json.loads(out)["trigger"] == "Every Monday at 09:00 (Europe/Paris)"
    code, out, _ = await cli("edit", "month-end", "--every-days", "3", "--at", "2026-12-07 06:00", "--json")
    assert json.loads(out)["trigger"] == "Every 3 days at 06:00, starting 2026-12-07 (Europe/Paris)"
    code, out, _ = await cli("edit", "month-end", "--daily", "--at", "07:15", "--json")
    assert json.loads(out)["trigger"] == "Every day at 07:15 (Europe/Paris)"
    code, out, _ = await cli("edit", "month-end", "--manual", "--timeout", "none", "--json")
    manual = json.loads(out)
    assert manual["schedule_type"] == "manual" and manual["trigger"] == "On demand" and manual.get("timeout") is None
    for args, message in ((["--every", "10x"], "'10x' is not a duration"), (["--every", "0m"], "positive"),
                          (["--timeout", "soon"], "'soon' is not a duration"),
                          (["--at", "someday"], "'someday' is not a date-time"),
                          (["--cron", "0 9 * * *", "--every", "1h"], "choose one schedule"),
                          (["--daily"], "--daily needs --at"), (["--env", "NOEQUALS"], "expected KEY=VALUE"),
                          (["--retry-on", "sometimes"], "use failure, timed_out or interrupted"),
                          (["--notify-on", "failure"], "--notify-on goes with --notify"),
                          (["--overlap", "maybe"], "use skip, queue or parallel"),
                          (["--on-stale", "never"], "use warn or fail")):
        code, out, err = await cli("add", "hello.py", *args)
        assert code == 2 and message in " ".join(err.split()), (args, err)


async def test_cli_time_zone_is_the_browsers_name_for_utc(cli, write_script) -> None:
    write_script("hello.py", "print('hi')\n")
    for local, expected in (("Etc/UTC", "UTC"), ("Zulu", "UTC"), ("UCT", "UTC"), ("Etc/GMT", "UTC"),
                            ("Europe/Paris", "Europe/Paris")):
        job = await add_json(cli, "hello.py", "--every", "1h", env={"TZ": local})
        assert job["timezone"] == expected, local
    job = await add_json(cli, "hello.py", "--every", "1h", "--timezone", "Etc/UTC")
    assert job["timezone"] == "UTC" and job["trigger"] == "Every hour (UTC)"


async def test_a_wrong_or_missing_token_says_how_to_pass_one(cli) -> None:
    for token in ("wrong", ""):
        code, out, err = await cli("health", token=token)
        text = " ".join(err.split())
        assert code == 2 and out == ""
        assert "token" in text and "--token" in text and "$PIPELINE_SCHEDULER_TOKEN" in text and "$JUPYTER_TOKEN" in text
        assert text.count("error") == 1


def test_help_has_examples_help_for_every_option_and_no_type_placeholders() -> None:
    command = typer.main.get_command(app)
    names = sorted(command.commands)
    assert {"add", "edit", "run", "list", "info", "delete", "health", "runs", "logs"} <= set(names)
    for name in [None, *names]:
        argv = [sys.executable, "-m", "pipeline_scheduler.cli", *([name] if name else []), "--help"]
        text = subprocess.run(argv, capture_output=True, text=True, env=BASE_ENV, timeout=30).stdout
        assert "<str>" not in text and "<bool>" not in text and "<int>" not in text, (name, text)
        if name:
            assert "Examples" in text and f"pipeline-scheduler {name}" in text, name
            for param in command.commands[name].params:
                assert param.help, (name, param.name)
    assert all(param.help for param in command.params)


def test_resources_option() -> None:
    assert option_fields(resource=["GPU=1", "memory=2.5e9"]) == {"resources": {"GPU": 1.0, "memory": 2.5e9}}
    for bad in ("GPU", "GPU=many", "=1"):
        with pytest.raises(typer.BadParameter):
            option_fields(resource=[bad])


def test_durations() -> None:
    assert [parse_duration(text) for text in ("90s", "10m", "2h", "1d", "1h30m", "1.5h", "600", "2 h", "1w")] == [
        90, 600, 7200, 86400, 5400, 5400, 600, 7200, 604800]
    assert interval_fields("90m") == {"interval_hours": 1, "interval_minutes": 30}
    for bad in ("", "10x", "-5m", "m", "1h-", "ten minutes"):
        with pytest.raises(typer.BadParameter):
            parse_duration(bad)


def test_when() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # a Wednesday, 13:00 in Paris
    paris = "Europe/Paris"
    assert parse_when("2026-12-01T07:00", paris, now=now) == "2026-12-01T07:00:00"
    assert parse_when("2026-12-01 07:00+01:00", paris, now=now) == "2026-12-01T07:00:00+01:00"
    assert parse_when("14:30", paris, now=now) == "2026-11-25T14:30:00"
    assert parse_when("07:15", paris, now=now) == "2026-11-26T07:15:00"
    assert parse_when("tomorrow 07:15", paris, now=now) == "2026-11-26T07:15:00"
    assert parse_when("mon 09:00", paris, now=now) == "2026-11-30T09:00:00"
    assert parse_when("wednesday 09:00", paris, now=now) == "2026-12-02T09:00:00"
    assert parse_when("+10m", paris, now=now) == "2026-11-25T13:10:00+01:00"
    for bad in ("someday", "25:00", "m 09:00", "in ages"):
        with pytest.raises(typer.BadParameter):
            parse_when(bad, paris, now=now)


def test_relative_times() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    assert relative("2026-11-25T12:05:00+00:00", now) == "in 5 min"
    assert relative("2026-11-25T10:00:00Z", now) == "2 h ago"
    assert relative("2026-11-25T13:00:00+01:00", now) == "just now"
    assert relative("2026-11-28T12:00:00+00:00", now) == "in 3 d"
    assert relative("2026-11-25T11:59:30+00:00", now) == "30 s ago"
    assert relative(None, now) == "-"


def test_durations_read_as_the_panel_writes_them() -> None:
    assert [duration_text(seconds) for seconds in (None, 0.0004, 0.004, 0.25, 2.34, 12.4, 125, 3 * 3600 + 120)] == [
        "-", "0 ms", "4 ms", "250 ms", "2.3 s", "12 s", "2 min 5 s", "3 h 2 min"]


def test_exit_codes_name_the_signal_that_ended_a_run() -> None:
    assert [exit_text(code) for code in (None, 0, 4, -15, -9, -200)] == [
        "-", "0", "4", "-15 (SIGTERM)", "-9 (SIGKILL)", "-200 (signal 200)"]


# -- the server's schedule words mean what crontab means ------------------------------------------------
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # a Wednesday


@pytest.mark.parametrize("expression, words, weekdays", [
    ("0 9 * * 0", "At 09:00, only on Sunday", {"Sunday"}),
    ("0 9 * * 7", "At 09:00, only on Sunday", {"Sunday"}),
    ("0 9 * * 0,7", "At 09:00, only on Sunday", {"Sunday"}),
    ("0 9 * * 1-5", "At 09:00, Monday through Friday", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
    ("0 9 * * 5-7", "At 09:00, Friday through Sunday", {"Friday", "Saturday", "Sunday"}),
    ("0 9 * * sat,sun", "At 09:00, only on Saturday and Sunday", {"Saturday", "Sunday"}),
    ("*/5 * * * *", "Every 5 minutes", None),
    ("0 0 1 * 1", "At 00:00, on day 1 of the month, or on Monday", None),  # crontab: either day fires
    ("30 1 1,15 * 1-5", "At 01:30, on day 1 and 15 of the month, or Monday through Friday", None),
    ("0 0 */2 * 1", "At 00:00, every 2 days, only on Monday", {"Monday"}),  # '*' first: both must match
    ("30 6 L * *", "At 06:30, on the last day of the month", None),
    ("0 0 * * 5#2", "At 00:00, on the second Friday of the month", {"Friday"}),
    ("0 0 * * 5L", "At 00:00, on the last Friday of the month", {"Friday"}),
    ("15 30 2 * * *", "At 02:30:15", None),  # 6 fields: seconds first
    ("*/10 * * * * *", "Every 10 seconds", None),
    ("0 18 * * *", "At 18:00", None),  # a 24-hour clock
])
def test_cron_words_mean_what_crontab_means(expression: str, words: str, weekdays: set[str] | None) -> None:
    built = build_trigger(parse_payload(TriggerSpec, {"schedule_type": "cron", "cron_expression": expression}),
                          "UTC", now=NOW)
    assert built.description == f"{words} (UTC)"
    fires = next_fire_times(built.trigger, 12, NOW)
    if weekdays is not None:  # the days the words name are the days it fires
        assert {moment.strftime("%A") for moment in fires} == weekdays
    if expression == "0 0 1 * 1":
        assert {(m.day == 1 or m.strftime("%A") == "Monday") for m in fires} == {True}
        assert any(m.day == 1 and m.strftime("%A") != "Monday" for m in fires)


@pytest.mark.parametrize("payload, words", [
    ({"schedule_type": "date", "run_date": "2030-12-01T07:00:00"}, "Once, on 2030-12-01 at 07:00 (Europe/Paris)"),
    ({"schedule_type": "date", "date_type": "daily", "run_date": "2030-12-01T07:15:00"},
     "Every day at 07:15 (Europe/Paris)"),
    ({"schedule_type": "date", "date_type": "weekly", "run_date": "2030-12-02T09:00:00"},
     "Every Monday at 09:00 (Europe/Paris)"),
    ({"schedule_type": "date", "date_type": "monthly", "run_date": "2030-12-05T06:15:00"},
     "Every month on day 5 at 06:15 (Europe/Paris)"),
    ({"schedule_type": "date", "date_type": "every_x_days", "interval_days": 2, "run_date": "2030-12-05T06:15:00"},
     "Every 2 days at 06:15, starting 2030-12-05 (Europe/Paris)"),
    ({"schedule_type": "interval", "interval_minutes": 1}, "Every minute (Europe/Paris)"),
    ({"schedule_type": "cron", "cron_expression": "0 9 * * 1-5"}, "At 09:00, Monday through Friday (Europe/Paris)"),
    ({"schedule_type": "cron", "hour": 3, "day_of_week": "sun"}, "At 03:00, only on Sunday (Europe/Paris)"),
])
async def test_jobs_and_previews_carry_the_same_server_words(api, write_script, payload: dict, words: str) -> None:
    write_script("hello.py", "print('hi')\n")
    status, preview = await api("POST", "triggers/preview", {**payload, "timezone": "Europe/Paris"})
    assert status == 200 and preview["trigger"] == words
    status, job = await api("POST", "jobs", {"pipeline_path": "hello.py", **payload, "timezone": "Europe/Paris"})
    assert status == 200 and job["trigger"] == words


# -- discovery --------------------------------------------------------------------------------------------
def test_discovery_finds_the_running_server_in_under_a_second(servers, tmp_path: Path, monkeypatch) -> None:
    """No --url: the server is found through Jupyter's runtime files (an isolated runtime directory),
    past a dead server's file and a live process that never answers, in under a second."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    server = servers()
    assert list(runtime.glob("jpserver-*.json")), "the server wrote no runtime file"
    dead = subprocess.Popen(["true"])
    dead.wait()
    (runtime / f"jpserver-{dead.pid}.json").write_text(json.dumps(
        {"url": "http://127.0.0.1:9/", "token": "x", "pid": dead.pid, "root_dir": "/nowhere"}))
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    hanging = runtime / f"jpserver-{os.getpid()}.json"
    hanging.write_text(json.dumps({"url": f"http://127.0.0.1:{silent.getsockname()[1]}/", "token": "x",
                                   "pid": os.getpid(), "root_dir": "/nowhere"}))
    os.utime(hanging, (time.time() + 60, time.time() + 60))  # the newest file
    env = {**BASE_ENV, "JUPYTER_RUNTIME_DIR": str(runtime)}
    try:
        timings = []
        for _ in range(3):
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "pipeline_scheduler.cli", "health", "--json"],
                                  capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
            timings.append(time.monotonic() - started)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["scheduler_running"] is True
        print(f"discovery + health: {[round(t, 2) for t in timings]} s")
        assert min(timings) < 1.0, timings
        # the token of the runtime file is used; a wrong one given says how to pass the right one
        done = subprocess.run([sys.executable, "-m", "pipeline_scheduler.cli", "--token", "wrong", "health"],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
        assert done.returncode == 2 and "refused the token" in done.stderr and "--token" in done.stderr
        # $PIPELINE_SCHEDULER_URL wins over discovery
        done = subprocess.run([sys.executable, "-m", "pipeline_scheduler.cli", "health", "--json"],
                              capture_output=True, text=True, cwd=tmp_path, timeout=60,
                              env={**env, "JUPYTER_RUNTIME_DIR": str(tmp_path / "none"),
                                   "PIPELINE_SCHEDULER_URL": f"http://127.0.0.1:{server.port}/lab?token={server.token}"})
        assert done.returncode == 0, done.stderr
    finally:
        silent.close()
    empty = subprocess.run([sys.executable, "-m", "pipeline_scheduler.cli", "list"], capture_output=True, text=True,
                           env={**BASE_ENV, "JUPYTER_RUNTIME_DIR": str(tmp_path / "none")}, timeout=60)
    assert empty.returncode == 2 and "no running Jupyter server" in empty.stderr and "--url" in empty.stderr


async def test_notebook_parameters_from_the_command_line(cli, api, jp_root_dir: Path) -> None:
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "p", "metadata": {"tags": ["parameters"]},
                           "outputs": [], "source": "region = 'eu'\nrows = 1"},
                          {"cell_type": "code", "execution_count": None, "id": "s", "metadata": {}, "outputs": [],
                           "source": "print(f'{region}:{rows}')"}],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (jp_root_dir / "report.ipynb").write_text(json.dumps(notebook))
    job = await add_json(cli, "report.ipynb", "--name", "report", "--param", "region=us", "--param", "rows=10")
    assert job["parameters"] == {"region": "us", "rows": 10}  # 10 read as JSON: an int, like the default
    code, out, _ = await cli("info", "report")  # said back as --param takes them
    assert code == 0 and re.search(r'Parameter\s+region="us"', out) and re.search(r"Parameter\s+rows=10", out), out
    code, out, _ = await cli("run", "report", "--wait")
    assert code == 0 and "us:10" in out, out
    code, out, _ = await cli("run", "report", "--wait", "--param", "rows=3")  # this run only
    assert code == 0 and "us:3" in out, out
    assert (await api("GET", f"jobs/{job['id']}"))[1]["parameters"] == {"region": "us", "rows": 10}
    code, _, err = await cli("run", "report", "--param", "rows=many")  # a str where the default is an int
    assert code == 2 and "parameters.rows" in err, err
    code, _, err = await cli("edit", "report", "--param", "oops")
    assert code == 2 and "NAME=VALUE" in err, err


async def test_on_stale_is_set_and_shown_for_pipeline_code(cli, api, jp_root_dir: Path) -> None:
    pipeline = jp_root_dir / "etl" / "sales.ampln"
    pipeline.parent.mkdir()
    pipeline.write_text(json.dumps({"doc_type": "Amphi Pipeline", "pipeline": {"nodes": [{"label": "v1"}]}}))
    _, job = await api("POST", "jobs", {"name": "sales", "schedule_type": "manual", "python_code": "print('v1')",
                                        "pipeline_path": "etl/sales.ampln"})
    code, out, _ = await cli("info", "sales")
    assert code == 0 and re.search(r"Stale code\s+warn\s*$", out, re.MULTILINE), out
    pipeline.write_text(json.dumps({"doc_type": "Amphi Pipeline", "pipeline": {"nodes": [{"label": "v2"}]}}))
    code, out, err = await cli("edit", "sales", "--on-stale", "fail")
    assert code == 0, err
    code, out, _ = await cli("info", "sales")
    assert re.search(r"Stale code\s+fail \(out of date now\)", out), out
    code, out, _ = await cli("run", "sales", "--wait")
    assert code != 0 and "on_stale 'fail'" in " ".join(out.split()), out
