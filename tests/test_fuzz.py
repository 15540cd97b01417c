"""Fuzzing every route that takes a body: 2xx or a clean 4xx, never a 500, and a refused request
changes nothing.

Two complementary sweeps against a real Jupyter Server in its own process:

* **every field × every hostile value**, one at a time over a valid payload (control characters,
  NUL, huge numbers, number-like strings such as "Infinity", paths out of the root, odd time
  zones, wrong types): exhaustive, so a regression on any one of them is caught every time;
* **property-based** (Hypothesis, fixed seed: ``derandomize``): random structures of known and
  unknown fields, values of any type and depth, and raw bodies that are not JSON.

After each refused request the stored jobs are compared with those before (read from the
database file), and the database is checked to hold only valid JSON.
"""

from __future__ import annotations

import json
import sqlite3
import string
import urllib.error
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline_scheduler.api.payloads import JobSpec, PreviewRequest
from server_process import ServerProcess

FUZZ = settings(max_examples=120, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
VALID_JOB = {"name": "fuzzed", "pipeline_path": "ok.py", "schedule_type": "interval", "interval_seconds": 3600}
HOSTILE_VALUES = [None, True, 0, -1, 1.5, 10**30, -(10**30), 1e308, [], [None], {}, {"a": 1}, [["x"]]]
HOSTILE_TEXT = ["", " ", "Infinity", "-Infinity", "NaN", "1e400", "9" * 40, "Europe", "America/Argentina",
                "Z" * 300, "../x.py", "/etc/passwd", "~/x.py", "a\x00b", "x\x00INJECTED=1", "\x1b[31m", "line\nbreak",
                "ok.py", "folder", "link.py", "61 * * * *", "*/0 * * * *", "0 0 31 2 *", "0 0 * * 8", "L", "5#9",
                "2026-13-01T00:00:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "a" * 5000,
                "base", "trigger", "cron", "date", "interval", "manual", "weekly", "every_x_days", "skip", "queue"]
TEXT = st.one_of(st.sampled_from(HOSTILE_TEXT),
                 st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60),
                 st.text(alphabet=string.printable + "\x00\x01\x7f", max_size=30))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                   st.floats(allow_nan=False, allow_infinity=False), TEXT)
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(TEXT, inner, max_size=4)), max_leaves=8)
JOB_FIELDS = sorted(JobSpec.model_fields) + ["colour", "kind", "next_run_time"]
PREVIEW_FIELDS = sorted(PreviewRequest.model_fields) + ["colour"]


def payloads(fields: list[str], base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Objects of known and unknown fields with any values, alone or over ``base``; sometimes not an object."""
    changes = st.dictionaries(st.one_of(st.sampled_from(fields), TEXT), VALUE, max_size=6)
    objects = st.builds(lambda start, extra: {**start, **extra}, st.sampled_from([{}, base]), changes)
    return st.one_of(objects, objects, objects, VALUE)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "ok.py").write_text("print('ok')\n")
    (root / "folder").mkdir()
    outside = root.parent / "outside.py"
    outside.write_text("print('outside')\n")
    (root / "link.py").symlink_to(outside)
    process = ServerProcess(root, timezone="UTC", prestarted_interpreters=0).start()
    process.request("POST", "jobs", {**VALID_JOB, "id": "base", "name": "base"})
    yield process
    process.crash()


def send(server: ServerProcess, method: str, path: str, body: Any) -> tuple[int, Any]:
    try:
        return 200, json.loads(server.raw(method, path, body) or b"null")
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def jobs(server: ServerProcess) -> dict[str, tuple]:
    """The stored jobs, read from the database file: what a refused request must leave alone."""
    with sqlite3.connect(server.root / ".amphi" / "scheduler.sqlite") as database:
        return {row[0]: row[1:] for row in database.execute("SELECT id, spec, document, paused, broken FROM ps_jobs")}


def assert_answer(code: int, body: Any, before: dict, server: ServerProcess) -> None:
    assert code < 500, body
    if code >= 400:
        assert isinstance(body, dict) and body.get("error") and "field" in body, body
        assert "Traceback" not in body["error"]
        assert jobs(server) == before, f"a refused request ({body}) changed the jobs"
    with sqlite3.connect(server.root / ".amphi" / "scheduler.sqlite") as database:
        assert database.execute("SELECT count(*) FROM ps_jobs WHERE json_valid(spec) = 0").fetchone()[0] == 0


def clean_up(server: ServerProcess, before: dict) -> None:
    for job_id in set(jobs(server)) - set(before):
        server.request("DELETE", f"jobs/{job_id}")


SWEEPS = [  # (method, path, a valid payload, the fields it knows)
    ("POST", "jobs", VALID_JOB, JOB_FIELDS),
    ("PUT", "jobs/target", {}, JOB_FIELDS),
    ("POST", "triggers/preview", {"schedule_type": "cron", "cron_expression": "0 3 * * *"}, PREVIEW_FIELDS),
    ("POST", "registry", {"job_id": "registered", "config": {"os": {"cmd": "echo hi"}}},
     ["job_id", "config", "schedule", "replace_existing"]),
]


@pytest.mark.parametrize(("method", "path", "valid", "fields"), SWEEPS, ids=[f"{m} {p}" for m, p, _, _ in SWEEPS])
def test_every_field_with_every_hostile_value(server: ServerProcess, method: str, path: str, valid: dict,
                                              fields: list[str]) -> None:
    refused = 0
    for field in fields:
        for value in HOSTILE_VALUES + HOSTILE_TEXT:
            if method == "PUT":  # a fresh target: an accepted PUT changed the last one
                server.request("POST", "jobs", {**VALID_JOB, "id": "target", "name": "target"})
            before = jobs(server)
            code, answer = send(server, method, path, {**valid, field: value})
            try:
                assert_answer(code, answer, before, server)
            except AssertionError as error:
                raise AssertionError(f"{method} {path} with {field} = {value!r}: {error}") from None
            refused += code >= 400
            clean_up(server, before)
    assert refused > len(fields) * 10  # most of them are refused: the sweep reaches the validation


@FUZZ
@given(body=payloads(JOB_FIELDS, VALID_JOB))
def test_post_jobs(server: ServerProcess, body: Any) -> None:
    before = jobs(server)
    assert_answer(*send(server, "POST", "jobs", body), before, server)
    clean_up(server, before)


@FUZZ
@given(body=payloads(JOB_FIELDS, {}))
def test_put_job(server: ServerProcess, body: Any) -> None:
    server.request("POST", "jobs", {**VALID_JOB, "id": "target", "name": "target"})
    before = jobs(server)
    assert_answer(*send(server, "PUT", "jobs/target", body), before, server)
    server.request("DELETE", "jobs/target")


@FUZZ
@given(body=payloads(PREVIEW_FIELDS, {"schedule_type": "cron", "cron_expression": "0 3 * * *"}))
def test_preview(server: ServerProcess, body: Any) -> None:
    before = jobs(server)
    assert_answer(*send(server, "POST", "triggers/preview", body), before, server)


@FUZZ
@given(body=payloads(["job_id", "config", "schedule", "replace_existing", "colour"],
                     {"job_id": "registered", "config": {"os": {"cmd": "echo hi"}}}))
def test_register(server: ServerProcess, body: Any) -> None:
    before = jobs(server)
    assert_answer(*send(server, "POST", "registry", body), before, server)
    clean_up(server, before)


@FUZZ
@given(body=payloads(["triggered_by", "colour"], {"triggered_by": "manual"}))
def test_run_request(server: ServerProcess, body: Any) -> None:
    before = jobs(server)
    code, answer = send(server, "POST", "jobs/base/runs", body)
    assert code in (202, 200) or code >= 400, answer
    assert_answer(code, answer, before, server)


@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_bodies_that_are_not_json(server: ServerProcess, raw: bytes) -> None:
    for method, path in (("POST", "jobs"), ("PUT", "jobs/base"), ("POST", "triggers/preview")):
        before = jobs(server)
        try:
            code, answer = 200, json.loads(server.raw_bytes(method, path, raw) or b"null")
        except urllib.error.HTTPError as error:
            code, answer = error.code, json.loads(error.read() or b"null")
        assert_answer(code, answer, before, server)
        clean_up(server, before)
