"""GET jobs (read from the database) and the kept compact list (refreshed job by job) must always match the database."""

from __future__ import annotations

from conftest import wait_for


async def listed(api) -> list[dict]:
    status, body = await api("GET", "jobs")
    assert status == 200
    return body["jobs"]


async def test_the_list_follows_every_change(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    ids = []
    for name in ("first", "second", "third"):
        _, job = await api("POST", "jobs", {"name": name, "pipeline_path": "job.py", "schedule_type": "cron",
                                            "cron_expression": "0 9 * * *"})
        ids.append(job["id"])
    assert [job["name"] for job in await listed(api)] == ["first", "second", "third"]

    await api("PUT", f"jobs/{ids[1]}", {"name": "second, renamed"})
    assert [job["name"] for job in await listed(api)] == ["first", "second, renamed", "third"]

    await api("POST", f"jobs/{ids[0]}/pause")
    jobs = await listed(api)
    assert jobs[0]["paused"] is True and jobs[0]["next_run_time"] is None

    _, result = await api("POST", f"run/{ids[2]}")
    assert (await listed(api))[2]["last_run"]["id"] == result["run_id"]

    await api("DELETE", f"jobs/{ids[1]}")
    assert [job["id"] for job in await listed(api)] == [ids[0], ids[2]]
    for job in await listed(api):
        assert job == (await api("GET", f"jobs/{job['id']}"))[1]


async def test_fires_move_next_run_time_in_the_list(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "job.py", "schedule_type": "interval",
                                        "interval_seconds": 1})
    first = (await listed(api))[0]["next_run_time"]

    async def moved():
        current = (await listed(api))[0]
        return current["next_run_time"] != first and current["last_run"] is not None
    await wait_for(moved, 10)
    await api("POST", f"jobs/{job['id']}/pause")


async def test_the_list_stays_right_through_rewrites_of_its_file(api, write_script, jp_root_dir) -> None:
    """A job with 200 KB of code renamed again and again: its stale copies soon outweigh the live list,
    the kept list's file is rewritten, and the list still matches every job, in order."""
    write_script("job.py", "print('x')\n")
    code = "x = 1\n" + "# filler\n" * 22_000
    _, big = await api("POST", "jobs", {"name": "big", "python_code": code, "schedule_type": "manual"})
    _, small = await api("POST", "jobs", {"name": "small", "pipeline_path": "job.py", "schedule_type": "manual"})
    before = set((jp_root_dir / ".amphi").iterdir())
    for round_ in range(12):
        await api("PUT", f"jobs/{big['id']}", {"name": f"big {round_}"})
        await api("PUT", f"jobs/{small['id']}", {"name": f"small {round_}"})
        jobs = await listed(api)
        assert [job["name"] for job in jobs] == [f"big {round_}", f"small {round_}"]
        assert jobs[0]["python_code"] == code
        compact = (await api("GET", "jobs", fields="id,name"))[1]["jobs"]
        assert compact == [{"id": big["id"], "name": f"big {round_}"}, {"id": small["id"], "name": f"small {round_}"}]
    for job in await listed(api):
        assert job == (await api("GET", f"jobs/{job['id']}"))[1]
    assert set((jp_root_dir / ".amphi").iterdir()) == before  # the kept lists' file has no name
