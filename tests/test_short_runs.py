"""Extra run slots while runs are short: more runs at once after quick ones, the strict limit otherwise.

A real server (``max_concurrent_runs=1``, ``short_run_slots=3``) and real runs; about 6 s.
"""

from __future__ import annotations

import asyncio

import pytest

from conftest import wait_for
from pipeline_scheduler.execution.short_runs import SHORT_SECONDS, WINDOW, ShortRuns

SLOW = "import time\ntime.sleep(1.5)\n"


def test_the_gate_opens_after_short_runs_and_closes_when_runs_get_long() -> None:
    runs = ShortRuns()
    for _ in range(WINDOW - 1):
        runs.ended(0.01)
    assert not runs.gate.is_set()  # not before a whole window of evidence
    runs.ended(0.01)
    assert runs.gate.is_set()
    for _ in range(WINDOW // 4):
        runs.ended(SHORT_SECONDS * 5)
    assert runs.gate.is_set()  # a quarter of long runs is still a stream of short ones
    runs.ended(SHORT_SECONDS * 5)
    assert not runs.gate.is_set()


@pytest.mark.parametrize("scheduler_config", [{"timezone": "UTC", "max_concurrent_runs": 1, "short_run_slots": 3}])
async def test_extra_slots_take_runs_only_after_short_runs(api, write_script, scheduler_config) -> None:
    quick = (await api("POST", "jobs", {"name": "quick", "pipeline_path": write_script("quick.py", "print(1)\n"),
                                        "schedule_type": "interval", "interval_seconds": 86400}))[1]
    slow = [(await api("POST", "jobs", {"name": f"slow{n}", "pipeline_path": write_script("slow.py", SLOW),
                                        "schedule_type": "interval", "interval_seconds": 86400}))[1]
            for n in range(3)]

    async def running() -> int:
        return (await api("GET", "health"))[1]["running_runs"]

    for job in slow[:2]:  # before any short run: the limit holds
        assert (await api("POST", f"jobs/{job['id']}/runs"))[0] == 202
    await wait_for(lambda: _positive(running))
    await asyncio.sleep(0.5)
    assert await running() == 1
    await wait_for(lambda: _zero(api), timeout=20)
    for _ in range(WINDOW):
        status, answer = await api("POST", f"run/{quick['id']}")
        assert status == 200 and answer["success"], answer
    for job in slow:
        assert (await api("POST", f"jobs/{job['id']}/runs"))[0] == 202
    await wait_for(lambda: _equals(running, 3), timeout=10)  # all three at once: the extra slots took them


async def _positive(running) -> bool:
    return await running() > 0


async def _equals(running, count: int) -> bool:
    return await running() == count


async def _zero(api) -> bool:
    health = (await api("GET", "health"))[1]
    return health["running_runs"] == 0 and health["queued_runs"] == 0
