"""Jobs triggered by other jobs finishing (schedule_type "trigger")."""

from __future__ import annotations

import asyncio

from conftest import wait_for


async def make(api, write_script, name: str, exit_code: int = 0, **schedule) -> dict:
    write_script(f"{name}.py", f"print('{name}')\nraise SystemExit({exit_code})\n")
    payload = {"name": name, "pipeline_path": f"{name}.py", **(schedule or {"schedule_type": "interval",
                                                                           "interval_seconds": 86400})}
    status, job = await api("POST", "jobs", payload)
    assert status == 200, job
    return job


async def runs_of(api, job_id: str) -> list[dict]:
    _, runs = await api("GET", "runs", job_id=job_id)
    return runs["runs"]


async def test_success_triggers_the_dependent_job(api, write_script) -> None:
    upstream = await make(api, write_script, "extract")
    downstream = await make(api, write_script, "load", schedule_type="trigger",
                            trigger_conditions=[{"job_id": upstream["id"], "on": "success"}])
    assert downstream["next_run_time"] is None and downstream["trigger"] == "After extract succeeds"
    await api("POST", f"run/{upstream['id']}")
    runs = await wait_for(lambda: runs_of(api, downstream["id"]), 10)
    assert runs[0]["triggered_by"] == "trigger"


async def test_a_job_made_to_wait_after_its_upstream_ran_is_triggered_by_the_next_run(api, write_script) -> None:
    """The jobs others wait for are kept between runs: a job that starts waiting later still fires."""
    upstream = await make(api, write_script, "extract")
    await api("POST", f"run/{upstream['id']}")  # nobody waits for it yet
    await asyncio.sleep(0.5)
    downstream = await make(api, write_script, "load", schedule_type="trigger",
                            trigger_conditions=[{"job_id": upstream["id"], "on": "success"}])
    await api("POST", f"run/{upstream['id']}")
    runs = await wait_for(lambda: runs_of(api, downstream["id"]), 10)
    assert len(runs) == 1 and runs[0]["triggered_by"] == "trigger"
    other = await make(api, write_script, "other")
    status, _ = await api("PUT", f"jobs/{downstream['id']}", {"trigger_conditions": [{"job_id": other["id"]}]})
    assert status == 200
    await api("POST", f"run/{upstream['id']}")  # no longer waited for
    await asyncio.sleep(1)
    assert len(await runs_of(api, downstream["id"])) == 1


async def test_failure_condition_and_no_fire_on_the_other_outcome(api, write_script) -> None:
    flaky = await make(api, write_script, "flaky", exit_code=1)
    alert = await make(api, write_script, "alert", schedule_type="trigger",
                       trigger_conditions=[{"job_id": flaky["id"], "on": "failure"}])
    cleanup = await make(api, write_script, "cleanup", schedule_type="trigger",
                         trigger_conditions=[{"job_id": flaky["id"], "on": "success"}])
    await api("POST", f"run/{flaky['id']}")
    await wait_for(lambda: runs_of(api, alert["id"]), 10)
    await asyncio.sleep(1)
    assert await runs_of(api, cleanup["id"]) == []


async def test_and_waits_for_every_upstream_or_does_not(api, write_script) -> None:
    first = await make(api, write_script, "first")
    second = await make(api, write_script, "second")
    conditions = [{"job_id": first["id"], "on": "success"}, {"job_id": second["id"], "on": "success"}]
    both = await make(api, write_script, "both", schedule_type="trigger", trigger_conditions=conditions,
                      logical_operator="AND")
    either = await make(api, write_script, "either", schedule_type="trigger", trigger_conditions=conditions,
                        logical_operator="OR")
    await api("POST", f"run/{first['id']}")
    await wait_for(lambda: runs_of(api, either["id"]), 10)
    await asyncio.sleep(1)
    assert await runs_of(api, both["id"]) == []
    await api("POST", f"run/{second['id']}")
    await wait_for(lambda: runs_of(api, both["id"]), 10)
    await asyncio.sleep(1)
    assert len(await runs_of(api, both["id"])) == 1
    assert len(await runs_of(api, either["id"])) == 2


async def test_chains_run_in_order(api, write_script) -> None:
    a = await make(api, write_script, "a")
    b = await make(api, write_script, "b", schedule_type="trigger", trigger_conditions=[{"job_id": a["id"]}])
    c = await make(api, write_script, "c", schedule_type="trigger", trigger_conditions=[{"job_id": b["id"]}])
    await api("POST", f"run/{a['id']}")
    c_runs = await wait_for(lambda: runs_of(api, c["id"]), 15)
    b_runs = await runs_of(api, b["id"])
    assert b_runs[0]["finished_at"] <= c_runs[0]["queued_at"]
