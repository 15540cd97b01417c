"""Warm kernels: a notebook run in a prestarted kernel behaves as in a kernel started for it, and a
timeout leaves no kernel behind, warm or cold (real kernels, real processes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import wait_for
from test_notebook import executed, write_notebook

PROBE = ("import os, sys\nprint(os.getcwd())",
         "print(sorted(name for name in globals() if not name.startswith('_')))",
         "print(os.environ.get('PIPELINE_SCHEDULER_RUN', '').strip() != '', os.environ.get('GREETING'))")


@pytest.fixture
def scheduler_config() -> dict[str, Any]:
    return {"timezone": "UTC", "max_concurrent_runs": 2, "kernel_pool_size": 1, "kernel_idle_seconds": 120}


def outputs(notebook: Any) -> list[Any]:
    return [[{key: value for key, value in output.items()} for output in cell.outputs] for cell in notebook.cells]


async def spare_ready(jp_serverapp: Any) -> None:
    pool = jp_serverapp.web_app.settings["pipeline_scheduler"].kernel_pool

    async def waiting() -> bool:
        return pool.waiting().get("python3", 0) > 0

    await wait_for(waiting, timeout=60)


async def test_a_warm_run_behaves_as_a_cold_one(api, jp_root_dir: Path, jp_serverapp: Any) -> None:
    path = write_notebook(jp_root_dir, "reports/probe.ipynb", *PROBE)
    _, job = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "manual"})
    _, cold = await api("POST", f"run/{job['id']}")  # the first notebook run starts cold, then spares come
    assert cold["success"] and "prestarted" not in cold["output"], cold
    await spare_ready(jp_serverapp)
    _, warm = await api("POST", f"run/{job['id']}")
    assert warm["success"] and "[kernel python3, prestarted]" in warm["output"], warm
    first = executed(jp_root_dir, job["id"], cold["execution_id"], "probe.ipynb")
    second = executed(jp_root_dir, job["id"], warm["execution_id"], "probe.ipynb")
    assert outputs(first) == outputs(second)  # same directory, same clean namespace, the run's marker
    assert [cell.execution_count for cell in second.cells] == [1, 2, 3]
    assert str(jp_root_dir / "reports") in second.cells[0].outputs[0]["text"]
    assert second.cells[2].outputs[0]["text"] == "True None\n"

    # a job with an environment of its own starts cold, and gets it
    _, other = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "manual", "env": {"GREETING": "hi"}})
    _, run = await api("POST", f"run/{other['id']}")
    assert run["success"] and "prestarted" not in run["output"] and "True hi" in run["output"], run


def kernel_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("warm", [False, True])
async def test_a_notebook_timeout_kills_its_kernel(api, jp_root_dir: Path, jp_serverapp: Any, warm: bool) -> None:
    path = write_notebook(jp_root_dir, "slow.ipynb", "import os, time\nopen('kernel.pid', 'w').write(str(os.getpid()))",
                          "time.sleep(120)")
    options = {} if warm else {"env": {"COLD": "1"}}
    _, job = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "manual", "timeout": 6, **options})
    if warm:
        _, first = await api("POST", "jobs", {"pipeline_path": write_notebook(jp_root_dir, "one.ipynb", "1"),
                                              "schedule_type": "manual"})
        await api("POST", f"run/{first['id']}")
        await spare_ready(jp_serverapp)
    _, result = await api("POST", f"run/{job['id']}")
    assert result["status"] == "timed_out", result
    assert ("prestarted" in result["output"]) == warm, result["output"]
    pid = int((jp_root_dir / "kernel.pid").read_text())

    async def gone() -> bool:
        return kernel_gone(pid)

    await wait_for(gone, timeout=10)
