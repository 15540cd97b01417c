"""Bad requests are refused with the right status and a JSON error naming the field, and change nothing.

Every case checks four things: the status; a JSON body ``{"error": <readable message>, "field": ...}``
without a traceback; the field at fault (when there is one); and that the jobs (and runs) the
server holds are exactly what they were before the request.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import wait_for

BASE_ID = "base-job"
VALID_JOB = {"name": "valid", "pipeline_path": "ok.py", "schedule_type": "interval", "interval_seconds": 3600}
DROP = object()  # in a case's changes: remove this key from VALID_JOB
ANY_FIELD = object()  # do not check the ``field`` of the error
HUGE = "99999999999999999999999"  # a valid Python int, too big for SQLite's 64-bit INTEGER


def assert_error(response: tuple[int, Any], status: int, field: Any = ANY_FIELD, mention: str | None = None) -> dict:
    """``response`` (from the ``api`` fixture) is a JSON error with ``status`` naming ``field``."""
    code, body = response
    assert "Traceback" not in str(body), f"the response leaks a traceback: {body}"
    assert code == status, f"expected {status}, got {code}: {body!r}"
    # ``api`` decodes the body only when the Content-Type says JSON; anything else comes back as text.
    assert isinstance(body, dict), f"the error is not a JSON object: {body!r}"
    assert isinstance(body.get("error"), str) and body["error"].strip(), f"no readable error message: {body}"
    assert "field" in body, f"the error does not say which field is at fault: {body}"
    if field is not ANY_FIELD:
        assert body["field"] == field, f"expected field {field!r}, got {body['field']!r} ({body['error']})"
    if mention is not None:
        assert mention.lower() in body["error"].lower(), f"the message does not mention {mention!r}: {body['error']}"
    return body


@pytest.fixture
def root_files(write_script: Callable, jp_root_dir: Path, tmp_path: Path) -> Path:
    """Files under the server root the cases refer to, plus a Python file outside it."""
    write_script("ok.py", "print('ok')\n")
    write_script("sleepy.py", "import time\nprint('sleeping', flush=True)\ntime.sleep(30)\n")
    write_script("data.csv", "a,b\n1,2\n")
    write_script("pipeline.ampln", "{}\n")
    (jp_root_dir / "folder").mkdir()
    outside = tmp_path / "outside" / "evil.py"
    outside.parent.mkdir()
    outside.write_text("print('outside the root')\n")
    os.symlink(outside, jp_root_dir / "link.py")
    return outside


async def create_job(api: Callable, job_id: str = BASE_ID, **changes: Any) -> dict:
    code, job = await api("POST", "jobs", {**VALID_JOB, "id": job_id, "name": job_id, **changes})
    assert code == 200, job
    return job


async def jobs_state(api: Callable) -> list[dict]:
    code, body = await api("GET", "jobs")
    assert code == 200, body
    return sorted(body["jobs"], key=lambda job: job["id"])


async def runs_state(api: Callable) -> list[dict]:
    code, body = await api("GET", "runs")
    assert code == 200, body
    return body["runs"]


async def finished_run(api: Callable, job_id: str = BASE_ID) -> dict:
    code, result = await api("POST", f"run/{job_id}")
    assert code == 200 and result["status"] == "success", result
    code, run = await api("GET", f"runs/{result['run_id']}")
    assert code == 200, run
    return run


# -- POST jobs: invalid payloads ---------------------------------------------------------------

BAD_JOBS = [
    # (changes to VALID_JOB, field, a word the message must contain)
    pytest.param({"pipeline_path": DROP}, "pipeline_path", "pipeline_path", id="no-pipeline_path-nor-python_code"),
    pytest.param({"colour": "red"}, "colour", "unknown field", id="unknown-field"),
    pytest.param({"interval_seconds": "abc"}, "interval_seconds", "integer", id="interval-not-a-number"),
    pytest.param({"interval_seconds": 1.5}, "interval_seconds", "integer", id="interval-fractional"),
    pytest.param({"arguments": 5}, "arguments", "list", id="arguments-not-a-list"),
    pytest.param({"arguments": "'unclosed"}, "arguments", "quotation", id="arguments-unsplittable"),
    # pydantic v2 does not coerce numbers or booleans to str, even in lax mode
    pytest.param({"env": {"A": 1}}, "env.A", "string", id="env-value-number"),
    pytest.param({"env": {"A": True}}, "env.A", "string", id="env-value-bool"),
    pytest.param({"env": {"1A": "x"}}, "env", "1A", id="env-bad-name"),
    pytest.param({"paused": "maybe"}, "paused", "boolean", id="paused-not-bool"),
    pytest.param({"name": "n" * 201}, "name", "200", id="name-too-long"),
    pytest.param({"id": "../escape"}, "id", "letters", id="id-bad-characters"),
    pytest.param({"schedule_type": "sometimes"}, "schedule_type", "cron", id="unknown-schedule-type"),
    pytest.param({"schedule_type": "cron", "cron_expression": "61 * * * *"}, "cron_expression", "61 * * * *",
                 id="cron-minute-out-of-range"),
    pytest.param({"schedule_type": "cron", "cron_expression": "* * *"}, "cron_expression", "5 fields",
                 id="cron-three-fields"),
    pytest.param({"schedule_type": "cron", "cron_expression": "not a cron"}, "cron_expression", "5 fields",
                 id="cron-words"),
    pytest.param({"schedule_type": "cron", "cron_expression": "*/0 * * * *"}, "cron_expression", "minute field",
                 id="cron-zero-step"),
    pytest.param({"schedule_type": "cron", "cron_expression": "0 0 * * 8"}, "cron_expression", "0 0 * * 8",
                 id="cron-weekday-8"),
    pytest.param({"schedule_type": "cron"}, "cron_expression", "required", id="cron-without-expression"),
    pytest.param({"schedule_type": "cron", "cron_expression": "* * * * *", "minute": "5"}, "cron_expression",
                 "not both", id="cron-expression-and-fields"),
    pytest.param({"schedule_type": "cron", "minute": "99"}, "minute", "99", id="cron-field-out-of-range"),
    # "1 2" is not an hour expression; the server must not read it as hour 12
    pytest.param({"schedule_type": "cron", "hour": "1 2"}, "hour", "1 2", id="cron-field-with-space"),
    pytest.param({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus", id="unknown-timezone"),
    pytest.param({"timezone": 5}, "timezone", "string", id="timezone-not-a-string"),
    pytest.param({"interval_seconds": 0}, "interval_seconds", "greater than 0", id="interval-zero"),
    pytest.param({"interval_seconds": -5}, "interval_seconds", "greater than 0", id="interval-negative"),
    pytest.param({"interval_seconds": DROP}, "interval_seconds", "interval", id="interval-missing"),
    pytest.param({"interval_seconds": 10**15}, "interval_seconds", "interval_seconds", id="interval-overflows"),
    pytest.param({"interval_seconds": DROP, "interval_days": 10**8}, "interval_days", "interval_days",
                 id="interval-days-overflows"),
    pytest.param({"schedule_type": "date", "run_date": "tomorrow-ish"}, "run_date", "tomorrow-ish",
                 id="run-date-unparsable"),
    pytest.param({"schedule_type": "date", "run_date": "2026-13-01T00:00:00"}, "run_date", "ISO-8601",
                 id="run-date-month-13"),
    pytest.param({"schedule_type": "date", "run_date": "2000-01-01T00:00:00Z"}, "run_date", "past",
                 id="once-in-the-past"),
    pytest.param({"schedule_type": "date"}, "run_date", "required", id="once-without-run-date"),
    pytest.param({"schedule_type": "date", "run_date": "9999-12-31T23:59:59-12:00"}, "run_date", "run_date",
                 id="run-date-beyond-year-9999-in-utc"),
    pytest.param({"schedule_type": "date", "date_type": "daily", "run_date": "0001-01-01T00:00:00+14:00"},
                 "run_date", "run_date", id="daily-run-date-before-year-1-in-utc"),
    pytest.param({"schedule_type": "date", "date_type": "every_x_days"}, "interval_days", "required",
                 id="every-x-days-without-days"),
    pytest.param({"timeout": 0}, "timeout", "greater than 0", id="timeout-zero"),
    pytest.param({"max_parallel": 0}, "max_parallel", "1", id="max-parallel-zero"),
    pytest.param({"pipeline_path": "../x.py"}, "pipeline_path", "outside", id="path-dotdot"),
    pytest.param({"pipeline_path": "folder/../../x.py"}, "pipeline_path", "outside", id="path-dotdot-nested"),
    pytest.param({"pipeline_path": "/etc/passwd"}, "pipeline_path", "pipeline_path", id="path-absolute-etc-passwd"),
    pytest.param({"pipeline_path": "link.py"}, "pipeline_path", "outside", id="path-symlink-out-of-root"),
    pytest.param({"pipeline_path": "~/x.py"}, "pipeline_path", "relative", id="path-home"),
    pytest.param({"pipeline_path": "a\x00.py"}, "pipeline_path", "NUL", id="path-nul"),
    pytest.param({"pipeline_path": "nope.py"}, "pipeline_path", "nope.py", id="path-missing-file"),
    pytest.param({"pipeline_path": "data.csv"}, "pipeline_path", ".csv", id="path-wrong-kind"),
    pytest.param({"pipeline_path": "folder"}, "pipeline_path", "pipeline_path", id="path-directory"),
    pytest.param({"pipeline_path": "pipeline.ampln"}, "pipeline_path", "python_code", id="ampln-without-code"),
    pytest.param({"python_code": "def broken(:\n"}, "python_code", "compile", id="code-does-not-compile"),
    pytest.param({"python_code": "print(1)", "pipeline_path": "../generated.ampln"}, "pipeline_path", "outside",
                 id="code-with-source-outside-root"),
    pytest.param({"cwd": "../"}, "cwd", "outside", id="cwd-outside-root"),
    pytest.param({"cwd": "ok.py"}, "cwd", "directory", id="cwd-not-a-directory"),
    pytest.param({"schedule_type": "trigger"}, "trigger_conditions", "at least one", id="trigger-without-conditions"),
    pytest.param({"schedule_type": "trigger", "trigger_conditions": [{"job_id": "ghost"}]},
                 "trigger_conditions.0.job_id", "ghost", id="trigger-unknown-upstream"),
    pytest.param({"schedule_type": "trigger", "trigger_conditions": [{"job_id": BASE_ID}, {"job_id": "ghost"}]},
                 "trigger_conditions.1.job_id", "ghost", id="trigger-second-upstream-unknown"),
    pytest.param({"schedule_type": "trigger", "trigger_conditions": [{"job_id": BASE_ID, "on": "maybe"}]},
                 "trigger_conditions.0.on", "success", id="trigger-bad-outcome"),
    pytest.param({"schedule_type": "trigger", "trigger_conditions": [{"job_id": BASE_ID}], "logical_operator": "XOR"},
                 "logical_operator", "AND", id="trigger-bad-operator"),
    pytest.param({"id": "selfish", "schedule_type": "trigger", "trigger_conditions": [{"job_id": "selfish"}]},
                 "trigger_conditions.0.job_id", "itself", id="trigger-self-dependency"),
    # odd time zones, over-long paths, control characters, non-finite numbers (none may reach a 500)
    pytest.param({"timezone": "Europe"}, "timezone", "Europe", id="timezone-a-tzdata-folder"),
    pytest.param({"timezone": "America/Argentina"}, "timezone", "Argentina", id="timezone-a-nested-folder"),
    pytest.param({"timezone": "Z" * 300}, "timezone", "unknown time zone", id="timezone-longer-than-a-file-name"),
    pytest.param({"timezone": "UTC\n"}, "timezone", "control character", id="timezone-with-newline"),
    pytest.param({"pipeline_path": "a" * 5000 + ".py"}, "pipeline_path", "pipeline_path", id="path-5000-chars"),
    pytest.param({"pipeline_path": "a/" * 3000 + "x.py"}, "pipeline_path", "pipeline_path", id="path-deep"),
    pytest.param({"arguments": ["--in", "a\x00b"]}, "arguments", "NUL", id="argument-nul"),
    pytest.param({"arguments": ["\x1b[31m"]}, "arguments", "control character", id="argument-escape"),
    pytest.param({"env": {"A": "x\x00INJECTED=1"}}, "env", "NUL", id="env-value-nul"),
    pytest.param({"pipeline_path": DROP, "runner_config": {"os": {"cmd": "echo\x00hi"}}}, "runner_config", "os.cmd",
                 id="runner-config-nul"),
    pytest.param({"python_code": "print(1)\x00", "pipeline_path": DROP}, "python_code", "NUL", id="code-nul"),
    pytest.param({"name": "bell\x07"}, "name", "control character", id="name-control-character"),
    pytest.param({"schedule_type": "cron", "cron_expression": "0 3 * * *\n0 4 * * *"}, "cron_expression",
                 "control character", id="cron-two-lines"),
    pytest.param({"timeout": "Infinity"}, "timeout", "finite", id="timeout-infinity-string"),
    pytest.param({"timeout": "1e400"}, "timeout", "finite", id="timeout-overflowing-string"),
    pytest.param({"timeout": "NaN"}, "timeout", "finite", id="timeout-nan"),
    # an upsert of the existing job (0.9.7's edit path) that fails must leave that job as it was
    pytest.param({"id": BASE_ID, "pipeline_path": "nope.py"}, "pipeline_path", "nope.py", id="upsert-existing-invalid"),
]


@pytest.mark.parametrize(("changes", "field", "mention"), BAD_JOBS)
async def test_post_job_with_invalid_payload_is_refused(api: Callable, root_files: Path, changes: dict, field: str,
                                                        mention: str) -> None:
    await create_job(api)
    before = await jobs_state(api)
    payload = {key: value for key, value in {**VALID_JOB, **changes}.items() if value is not DROP}

    assert_error(await api("POST", "jobs", payload), 400, field, mention)

    assert await jobs_state(api) == before


async def test_absolute_path_to_an_existing_python_file_is_refused(api: Callable, root_files: Path) -> None:
    before = await jobs_state(api)
    assert_error(await api("POST", "jobs", {**VALID_JOB, "pipeline_path": str(root_files)}), 400, "pipeline_path",
                 "absolute")
    assert await jobs_state(api) == before


# -- malformed bodies --------------------------------------------------------------------------

BAD_BODIES = [
    pytest.param(b"{not json", 400, "not valid JSON", id="not-json"),
    pytest.param(b'{"name": NaN}', 400, "not valid JSON", id="nan"),
    pytest.param(b"\xff\xfe{}", 400, "not valid JSON", id="not-utf8"),
    pytest.param(b"[" * 2000 + b"]" * 2000, 400, "not valid JSON", id="too-deep"),
    pytest.param(b"[]", 400, "JSON object", id="array"),
    pytest.param(b'[{"pipeline_path": "ok.py"}]', 400, "JSON object", id="array-of-job"),
    pytest.param(b"null", 400, "JSON object", id="null"),
    pytest.param(b'"ok.py"', 400, "JSON object", id="string"),
    pytest.param(b"", 400, "empty", id="empty"),
    pytest.param(b"  \n ", 400, "empty", id="whitespace"),
    pytest.param(b'{"name": "' + b"x" * (1 << 20) + b'"}', 413, "limit", id="over-1-MiB"),
]


@pytest.mark.parametrize(("raw", "status", "mention"), BAD_BODIES)
async def test_post_job_with_malformed_body_is_refused(api: Callable, root_files: Path, raw: bytes, status: int,
                                                       mention: str) -> None:
    await create_job(api)
    before = await jobs_state(api)
    assert_error(await api("POST", "jobs", raw=raw), status, None, mention)
    assert await jobs_state(api) == before


@pytest.mark.parametrize(("raw", "status", "mention"), [
    pytest.param(b"{not json", 400, "not valid JSON", id="not-json"),
    pytest.param(b'["name"]', 400, "JSON object", id="array"),
    pytest.param(b"", 400, "empty", id="empty"),
    pytest.param(b'{"name": "' + b"x" * (1 << 20) + b'"}', 413, "limit", id="over-1-MiB"),
])
async def test_put_job_with_malformed_body_is_refused(api: Callable, root_files: Path, raw: bytes, status: int,
                                                      mention: str) -> None:
    await create_job(api)
    before = await jobs_state(api)
    assert_error(await api("PUT", f"jobs/{BASE_ID}", raw=raw), status, None, mention)
    assert await jobs_state(api) == before


async def test_unsupported_method_is_a_json_405(api: Callable) -> None:
    assert_error(await api("PATCH", "jobs", {"name": "x"}), 405, None)
    assert_error(await api("POST", "config", {}), 405, None)


# -- PUT jobs/{id}: invalid changes leave the job as it was ------------------------------------

BAD_UPDATES = [
    pytest.param({"schedule_type": "cron"}, "cron_expression", "required", id="cron-without-expression"),
    pytest.param({"schedule_type": "cron", "cron_expression": "61 * * * *"}, "cron_expression", "61",
                 id="bad-cron"),
    pytest.param({"interval_seconds": 0}, "interval_seconds", "greater than 0", id="interval-zero"),
    pytest.param({"interval_seconds": "abc"}, "interval_seconds", "integer", id="interval-not-a-number"),
    pytest.param({"interval_seconds": 10**15}, "interval_seconds", "interval_seconds", id="interval-overflows"),
    pytest.param({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus", id="unknown-timezone"),
    pytest.param({"schedule_type": "date", "run_date": "tomorrow-ish"}, "run_date", "tomorrow-ish",
                 id="run-date-unparsable"),
    pytest.param({"pipeline_path": "../x.py"}, "pipeline_path", "outside", id="path-outside-root"),
    pytest.param({"pipeline_path": "link.py"}, "pipeline_path", "outside", id="path-symlink-out-of-root"),
    pytest.param({"pipeline_path": "nope.py"}, "pipeline_path", "nope.py", id="path-missing-file"),
    pytest.param({"python_code": "def broken(:"}, "python_code", "compile", id="code-does-not-compile"),
    pytest.param({"colour": "red"}, "colour", "unknown field", id="unknown-field"),
    pytest.param({"id": "another-id"}, "id", "cannot be changed", id="change-id"),
    pytest.param({"env": {"A": 1}}, "env.A", "string", id="env-value-number"),
    pytest.param({"schedule_type": "trigger", "trigger_conditions": [{"job_id": "ghost"}]},
                 "trigger_conditions.0.job_id", "ghost", id="trigger-unknown-upstream"),
    pytest.param({"schedule_type": "trigger", "trigger_conditions": [{"job_id": BASE_ID}]},
                 "trigger_conditions.0.job_id", "itself", id="self-dependency"),
]


@pytest.mark.parametrize(("changes", "field", "mention"), BAD_UPDATES)
async def test_put_job_with_invalid_changes_leaves_it_unchanged(api: Callable, root_files: Path, changes: dict,
                                                                field: str, mention: str) -> None:
    await create_job(api)
    before = await jobs_state(api)
    code, job_before = await api("GET", f"jobs/{BASE_ID}")
    assert code == 200

    assert_error(await api("PUT", f"jobs/{BASE_ID}", changes), 400, field, mention)

    assert await api("GET", f"jobs/{BASE_ID}") == (200, job_before)
    assert await jobs_state(api) == before


async def test_put_cron_without_expression_keeps_the_old_schedule(api: Callable, root_files: Path) -> None:
    await create_job(api)
    _, before = await api("GET", f"jobs/{BASE_ID}")

    assert_error(await api("PUT", f"jobs/{BASE_ID}", {"schedule_type": "cron"}), 400, "cron_expression")

    _, after = await api("GET", f"jobs/{BASE_ID}")
    assert after["schedule_type"] == "interval" and after["interval_seconds"] == 3600
    assert after["trigger"] == before["trigger"] and after["next_run_time"] == before["next_run_time"]
    assert after == before


# -- dependencies ------------------------------------------------------------------------------

async def test_update_creating_a_two_job_cycle_is_refused(api: Callable, root_files: Path) -> None:
    await create_job(api, "job-b")
    await create_job(api, "job-a", schedule_type="trigger", trigger_conditions=[{"job_id": "job-b"}])
    before = await jobs_state(api)

    body = assert_error(await api("PUT", "jobs/job-b", {"schedule_type": "trigger",
                                                        "trigger_conditions": [{"job_id": "job-a"}]}), 400,
                        mention="cycle")
    assert (body["field"] or "").startswith("trigger_conditions"), body

    assert await jobs_state(api) == before


async def test_upsert_creating_a_three_job_cycle_is_refused(api: Callable, root_files: Path) -> None:
    await create_job(api, "job-c")
    await create_job(api, "job-b", schedule_type="trigger", trigger_conditions=[{"job_id": "job-c"}])
    await create_job(api, "job-a", schedule_type="trigger", trigger_conditions=[{"job_id": "job-b"}])
    before = await jobs_state(api)

    payload = {**VALID_JOB, "id": "job-c", "schedule_type": "trigger", "trigger_conditions": [{"job_id": "job-a"}]}
    body = assert_error(await api("POST", "jobs", payload), 400, mention="cycle")
    assert (body["field"] or "").startswith("trigger_conditions"), body

    assert await jobs_state(api) == before


async def test_deleting_a_job_another_depends_on_is_a_conflict(api: Callable, root_files: Path) -> None:
    await create_job(api)
    await create_job(api, "downstream", schedule_type="trigger", trigger_conditions=[{"job_id": BASE_ID}])
    before = await jobs_state(api)

    assert_error(await api("DELETE", f"jobs/{BASE_ID}"), 409, "job_id", "downstream")

    assert await jobs_state(api) == before


async def test_creating_an_existing_id_without_replace_is_a_conflict(api: Callable, root_files: Path) -> None:
    await create_job(api)
    before = await jobs_state(api)

    payload = {**VALID_JOB, "id": BASE_ID, "name": "impostor", "interval_seconds": 60, "replace_existing": False}
    assert_error(await api("POST", "jobs", payload), 409, "id", BASE_ID)

    assert await jobs_state(api) == before


# -- unknown jobs ------------------------------------------------------------------------------

UNKNOWN_JOB_ROUTES = [
    ("GET", "jobs/{}", None),
    ("PUT", "jobs/{}", {"name": "renamed"}),
    ("DELETE", "jobs/{}", None),
    ("POST", "jobs/{}/pause", None),
    ("POST", "jobs/{}/resume", None),
    ("GET", "jobs/{}/runs", None),
    ("POST", "jobs/{}/runs", None),
    ("POST", "run/{}", None),
]


@pytest.mark.parametrize(("method", "route", "body"), UNKNOWN_JOB_ROUTES,
                         ids=[f"{method} {route}" for method, route, _ in UNKNOWN_JOB_ROUTES])
async def test_unknown_job_is_404(api: Callable, root_files: Path, method: str, route: str, body: Any) -> None:
    await create_job(api)
    jobs_before, runs_before = await jobs_state(api), await runs_state(api)

    for job_id in ("no-such-job", "Base-Job"):  # ids are case-sensitive
        assert_error(await api(method, route.format(job_id), body), 404, "job_id", "not found")

    assert await jobs_state(api) == jobs_before
    assert await runs_state(api) == runs_before


# -- unknown runs ------------------------------------------------------------------------------

UNKNOWN_RUN_ROUTES = [
    ("GET", "runs/{}"),
    ("DELETE", "runs/{}"),
    ("GET", "runs/{}/log"),
    ("POST", "runs/{}/cancel"),
    ("GET", "runs/{}/stream"),
]


@pytest.mark.parametrize("run_id", ["424242", "abc", "1.5", "-1", HUGE])
async def test_unknown_run_is_404(api: Callable, root_files: Path, run_id: str) -> None:
    await create_job(api)
    await finished_run(api)
    jobs_before, runs_before = await jobs_state(api), await runs_state(api)

    answers = {f"{method} {route.format(run_id)}": await api(method, route.format(run_id))
               for method, route in UNKNOWN_RUN_ROUTES}
    wrong = {request: code for request, (code, _) in answers.items() if code != 404}
    assert not wrong, f"expected 404 for every route, got {wrong}"
    for response in answers.values():
        assert_error(response, 404, "run_id", "not found")

    assert await jobs_state(api) == jobs_before
    assert await runs_state(api) == runs_before


# -- query parameters --------------------------------------------------------------------------

BAD_QUERIES = [
    pytest.param("runs", {"limit": "abc"}, "limit", id="runs-limit-not-a-number"),
    pytest.param("runs", {"limit": "0"}, "limit", id="runs-limit-zero"),
    pytest.param("runs", {"limit": "-3"}, "limit", id="runs-limit-negative"),
    pytest.param("runs", {"status": "exploded"}, "status", id="runs-unknown-status"),
    pytest.param("runs", {"before": "yesterday"}, "before", id="runs-before-not-a-number"),
    pytest.param(f"jobs/{BASE_ID}/runs", {"status": "exploded"}, "status", id="job-runs-unknown-status"),
    pytest.param(f"jobs/{BASE_ID}/runs", {"limit": "abc"}, "limit", id="job-runs-limit-not-a-number"),
    pytest.param("jobs", {"limit": "many"}, "limit", id="jobs-limit-not-a-number"),
    pytest.param("jobs", {"offset": "-1"}, "offset", id="jobs-offset-negative"),
]


@pytest.mark.parametrize(("route", "params", "field"), BAD_QUERIES)
async def test_invalid_query_parameter_is_refused(api: Callable, root_files: Path, route: str, params: dict,
                                                  field: str) -> None:
    await create_job(api)
    assert_error(await api("GET", route, **params), 400, field, field)


async def test_log_offset_must_be_a_non_negative_integer(api: Callable, root_files: Path) -> None:
    await create_job(api)
    run = await finished_run(api)
    assert_error(await api("GET", f"runs/{run['id']}/log", offset="-1"), 400, "offset", "offset")
    assert_error(await api("GET", f"runs/{run['id']}/log", offset="abc"), 400, "offset", "offset")


@pytest.mark.parametrize("offset", ["1000000", str(2**62), HUGE])
async def test_log_offset_past_the_end_reads_nothing(api: Callable, root_files: Path, offset: str) -> None:
    """Polling from beyond the end of a log is not an error: there is just nothing (yet) to read."""
    await create_job(api)
    run = await finished_run(api)
    assert await api("GET", f"runs/{run['id']}/log", offset=offset) == (200, "")


async def test_large_runs_limit_is_capped_not_refused(api: Callable, root_files: Path) -> None:
    await create_job(api)
    run = await finished_run(api)
    for limit in ("5000", HUGE):
        code, body = await api("GET", "runs", limit=limit)
        assert code == 200, body
        assert [r["id"] for r in body["runs"]] == [run["id"]]


@pytest.mark.parametrize(("route", "params"), [
    pytest.param("runs", {"before": HUGE}, id="runs-before"),
    pytest.param("jobs", {"limit": HUGE}, id="jobs-limit"),
    pytest.param("jobs", {"offset": HUGE}, id="jobs-offset"),
])
async def test_huge_paging_numbers_are_not_a_server_error(api: Callable, root_files: Path, route: str,
                                                          params: dict) -> None:
    """Numbers beyond 64 bits page like any large number: everything before, all of it, nothing after."""
    await create_job(api)
    run = await finished_run(api)
    code, body = await api("GET", route, **params)
    assert code == 200, body
    if route == "runs":
        assert [r["id"] for r in body["runs"]] == [run["id"]]
    elif "limit" in params:
        assert [job["id"] for job in body["jobs"]] == [BASE_ID]
    else:
        assert body["jobs"] == []


# -- run requests and run state ----------------------------------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    pytest.param({"triggered_by": "schedule"}, "triggered_by", id="triggered-by-schedule"),
    pytest.param({"colour": "red"}, "colour", id="unknown-field"),
    pytest.param([1], None, id="array"),
])
async def test_start_run_with_invalid_body_is_refused(api: Callable, root_files: Path, body: Any, field: Any) -> None:
    await create_job(api)
    runs_before = await runs_state(api)
    assert_error(await api("POST", f"jobs/{BASE_ID}/runs", body), 400, field)
    assert await runs_state(api) == runs_before


async def test_cancelling_a_finished_run_is_a_conflict(api: Callable, root_files: Path) -> None:
    await create_job(api)
    run = await finished_run(api)

    assert_error(await api("POST", f"runs/{run['id']}/cancel"), 409, "run_id", "success")

    assert await api("GET", f"runs/{run['id']}") == (200, run)


async def test_deleting_a_running_run_is_a_conflict(api: Callable, root_files: Path) -> None:
    await create_job(api, pipeline_path="sleepy.py")
    code, run = await api("POST", f"jobs/{BASE_ID}/runs")
    assert code == 202, run

    async def running() -> bool:
        return (await api("GET", f"runs/{run['id']}"))[1]["status"] == "running"

    try:
        await wait_for(running, timeout=15)
        assert_error(await api("DELETE", f"runs/{run['id']}"), 409, "run_id", "cancel")
        code, still = await api("GET", f"runs/{run['id']}")
        assert code == 200 and still["status"] == "running", still
    finally:
        code, cancelled = await api("POST", f"runs/{run['id']}/cancel")
    assert code == 200 and cancelled["status"] == "cancelled", cancelled


# -- trigger preview ---------------------------------------------------------------------------

@pytest.mark.parametrize(("payload", "field"), [
    pytest.param({"schedule_type": "cron", "cron_expression": "61 * * * *"}, "cron_expression", id="bad-cron"),
    pytest.param({"schedule_type": "interval"}, "interval_seconds", id="no-interval"),
    pytest.param({"schedule_type": "interval", "interval_seconds": 60, "count": 0}, "count", id="count-zero"),
    pytest.param({"schedule_type": "interval", "interval_seconds": 60, "count": 101}, "count", id="count-too-big"),
    pytest.param({"timezone": "Mars/Olympus", "schedule_type": "interval", "interval_seconds": 60}, "timezone",
                 id="unknown-timezone"),
    pytest.param({"schedule_type": "interval", "interval_seconds": 10**15}, "interval_seconds",
                 id="interval-overflows"),
])
async def test_trigger_preview_with_invalid_payload_is_refused(api: Callable, payload: dict, field: str) -> None:
    assert_error(await api("POST", "triggers/preview", payload), 400, field)


async def test_trigger_preview_stops_at_the_end_of_the_calendar(api: Callable) -> None:
    """A schedule accepted for a job must preview too: the fire times that exist, not a 500."""
    payload = {"schedule_type": "date", "date_type": "every_x_days", "interval_days": 1,
               "run_date": "9999-12-01T00:00:00Z", "timezone": "UTC", "count": 100}
    code, body = await api("POST", "triggers/preview", payload)
    assert code == 200, body
    assert 0 < len(body["next_run_times"]) < 100
    assert body["next_run_times"][-1].startswith("9999-12-31")
