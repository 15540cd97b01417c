"""``GET jobs?fields=...``: the job list cut down to the fields a client reads (the sidebar's).

It must hold, for every job, exactly the asked fields that are not empty in the job's whole document
(``null``, ``false``, ``0``, ``""``, ``[]`` and ``{}`` are left out), with the same values, follow every
change as the whole list does (it is kept in memory the same way), and be read from the database when
other servers share it. Plain ``GET jobs`` stays the whole documents.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

from test_stale_code import write_pipeline

TOKENS_TS = Path(__file__).resolve().parents[1] / "packages" / "pipeline-scheduler" / "src" / "tokens.ts"


def sidebar_fields() -> tuple[str, ...]:
    """The fields the panel asks for (``JOB_SUMMARY_FIELDS``): the server must know every one."""
    listed = re.search(r"JOB_SUMMARY_FIELDS = \[(.*?)\] as const", TOKENS_TS.read_text(encoding="utf-8"), re.S)
    return tuple(re.findall(r"'([a-z_]+)'", listed.group(1)))


SIDEBAR = sidebar_fields()
FIELDS = ",".join(SIDEBAR)


def cut(job: dict, fields: tuple[str, ...] = SIDEBAR) -> dict:
    """What the compact list must say of a whole job document: the asked fields that are not empty."""
    return {name: job[name] for name in fields if job.get(name) not in (None, False, 0, "", [], {})}


async def both_lists(api, fields: str = FIELDS) -> tuple[list[dict], list[dict]]:
    """The compact list first (so that it is refreshed on its own, not after the whole list), then the whole."""
    status, compact = await api("GET", "jobs", fields=fields)
    assert status == 200, compact
    status, full = await api("GET", "jobs")
    assert status == 200, full
    return compact["jobs"], full["jobs"]


async def assert_compact_matches(api, fields: tuple[str, ...] = SIDEBAR) -> list[dict]:
    compact, full = await both_lists(api, ",".join(fields))
    assert len(compact) == len(full)
    for small, whole in zip(compact, full):
        assert small == cut(whole, fields)
        assert list(small) == [name for name in fields if name in small]  # in the order asked
    return compact


async def create(api, payload: dict) -> dict:
    status, job = await api("POST", "jobs", payload)
    assert status == 200, job
    return job


async def test_every_job_holds_exactly_the_asked_fields(api, write_script, jp_root_dir: Path) -> None:
    write_script("job.py", "print('x')\n")
    script = await create(api, {"name": "script", "pipeline_path": "job.py", "schedule_type": "cron",
                                "cron_expression": "0 9 * * *", "retries": 2, "env": {"A": "1"}})
    await create(api, {"name": "inline", "python_code": "print(1)\n" * 200, "schedule_type": "manual"})
    await create(api, {"name": "after", "pipeline_path": "job.py", "schedule_type": "trigger",
                       "trigger_conditions": [{"job_id": script["id"], "on": "success"}]})
    pipeline = write_pipeline(jp_root_dir, "etl/sales.ampln", "v1")
    await create(api, {"name": "pipeline", "pipeline_path": pipeline, "python_code": "print(2)\n",
                       "schedule_type": "interval", "interval_minutes": 5})

    compact = await assert_compact_matches(api)
    by_name = {job["name"]: job for job in compact}
    assert set(by_name) == {"script", "inline", "after", "pipeline"}
    assert "python_code" not in by_name["inline"] and "env" not in by_name["script"]
    assert by_name["after"]["trigger_conditions"] == [{"job_id": script["id"], "on": "success"}]
    assert by_name["script"]["retries"] == 2 and "broken" not in by_name["script"]
    # Empty values are left out: not paused, never run, no retries, code up to date (false).
    assert not {"paused", "last_run", "retries", "code_stale"} & set(by_name["pipeline"])
    assert by_name["pipeline"]["code_generated_at"] and "next_run_time" not in by_name["inline"]

    write_pipeline(jp_root_dir, pipeline, "v2")  # its code is now older than the pipeline
    compact = await assert_compact_matches(api)
    assert next(job for job in compact if job["name"] == "pipeline")["code_stale"] is True

    assert await assert_compact_matches(api, ("name",))  # another field list, kept beside the first
    for name in SIDEBAR[1:11]:  # more field lists than are kept at once: the least recently asked are made again
        await assert_compact_matches(api, (name, "id"))
    await assert_compact_matches(api)
    compact, full = await both_lists(api, "id,id, name ")
    assert compact == [{"id": job["id"], "name": job["name"]} for job in full]  # each once, spaces ignored


async def test_the_compact_list_follows_every_change(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    ids = [(await create(api, {"name": name, "pipeline_path": "job.py", "schedule_type": "cron",
                               "cron_expression": "0 9 * * *"}))["id"] for name in ("first", "second", "third")]
    await assert_compact_matches(api)

    await api("PUT", f"jobs/{ids[1]}", {"name": "second, renamed"})
    assert [job["name"] for job in await assert_compact_matches(api)] == ["first", "second, renamed", "third"]

    await api("POST", f"jobs/{ids[0]}/pause")
    first = (await assert_compact_matches(api))[0]
    assert first["paused"] is True and "next_run_time" not in first
    await api("POST", f"jobs/{ids[0]}/resume")
    assert "paused" not in (await assert_compact_matches(api))[0]

    _, result = await api("POST", f"run/{ids[2]}")
    assert (await assert_compact_matches(api))[2]["last_run"]["id"] == result["run_id"]

    await api("DELETE", f"jobs/{ids[1]}")
    assert [job["id"] for job in await assert_compact_matches(api)] == [ids[0], ids[2]]
    added = await create(api, {"name": "fourth", "python_code": "print(4)", "schedule_type": "manual"})
    assert [job["id"] for job in await assert_compact_matches(api)] == [ids[0], ids[2], added["id"]]


async def test_jobs_created_together_or_out_of_order_keep_the_lists_order(api, write_script,
                                                                           jp_root_dir: Path) -> None:
    """The kept list adds a new job at its end: several new ones go in creation order, and one created
    with an older clock (the list is oldest first) makes the whole list be read again."""
    write_script("job.py", "print('x')\n")
    ids = [(await create(api, {"name": "first", "pipeline_path": "job.py", "schedule_type": "manual"}))["id"]]
    await assert_compact_matches(api)
    for name in ("second", "third", "fourth"):  # three changes between two lists
        ids.append((await create(api, {"name": name, "pipeline_path": "job.py", "schedule_type": "manual"}))["id"])
    assert [job["id"] for job in await assert_compact_matches(api)] == ids

    late = await create(api, {"name": "clock behind", "pipeline_path": "job.py", "schedule_type": "manual"})
    with sqlite3.connect(jp_root_dir / ".amphi" / "scheduler.sqlite", isolation_level=None) as database:
        database.execute("UPDATE ps_jobs SET created_at = created_at - 3600 WHERE id = ?", (late["id"],))
    assert [job["id"] for job in await assert_compact_matches(api)] == [late["id"], *ids]


async def test_pages_and_type_filters_are_cut_down_too(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    for index in range(3):
        await create(api, {"name": f"scheduled {index}", "pipeline_path": "job.py", "schedule_type": "cron",
                           "cron_expression": "0 9 * * *"})
    await create(api, {"name": "on demand", "pipeline_path": "job.py", "schedule_type": "manual"})
    for params in ({"limit": 2, "offset": 1}, {"type": "on_demand"}, {"type": "scheduled"}):
        _, full = await api("GET", "jobs", **params)
        _, compact = await api("GET", "jobs", fields="name,paused", **params)
        assert compact["jobs"] == [cut(job, ("name", "paused")) for job in full["jobs"]]


async def test_a_bad_field_list_is_a_400_naming_fields(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    await create(api, {"pipeline_path": "job.py", "schedule_type": "manual"})
    status, body = await api("GET", "jobs", fields="id,colour,name,secrets")
    assert status == 400 and body["field"] == "fields"
    assert "'colour'" in body["error"] and "'secrets'" in body["error"]
    for empty in ("", " , "):
        status, body = await api("GET", "jobs", fields=empty)
        assert status == 400 and body["field"] == "fields", body
    status, body = await api("GET", "jobs", fields="nope", limit=1)
    assert status == 400 and body["field"] == "fields"


async def test_the_whole_list_is_unchanged(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    job = await create(api, {"name": "whole", "pipeline_path": "job.py", "schedule_type": "cron",
                             "cron_expression": "0 9 * * *", "env": {"A": "1"}})
    await api("GET", "jobs", fields=FIELDS)  # a compact list served first changes nothing of the whole one
    _, listed = await api("GET", "jobs")
    assert listed == {"jobs": [(await api("GET", f"jobs/{job['id']}"))[1]]}
    assert listed["jobs"][0]["env"] == {"A": "1"} and "created_at" in listed["jobs"][0]


def test_servers_sharing_a_database_list_each_others_changes(servers, tmp_path: Path) -> None:
    """In ``shared`` mode the compact list is read from the database, like the whole one."""
    first, second = servers(lease_seconds=1.0), servers(lease_seconds=1.0)
    time.sleep(2)  # both see each other (one heartbeat each)
    (tmp_path / "job.py").write_text("print('x')\n")
    job = first.request("POST", "jobs", {"name": "shared", "pipeline_path": "job.py", "schedule_type": "cron",
                                         "cron_expression": "0 9 * * *"})

    def compact(server) -> list[dict]:
        return server.request("GET", f"jobs?fields={FIELDS}")["jobs"]

    assert compact(second) == [cut(second.request("GET", f"jobs/{job['id']}"))]
    first.request("POST", f"jobs/{job['id']}/pause")
    assert compact(second)[0]["paused"] is True
    first.request("PUT", f"jobs/{job['id']}", {"name": "renamed"})
    assert compact(second)[0]["name"] == "renamed"
    first.request("DELETE", f"jobs/{job['id']}")
    assert compact(second) == []
    assert json.loads(second.raw("GET", "jobs")) == {"jobs": []}
