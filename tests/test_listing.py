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
