"""Nothing a run starts outlives it (unless the job says so), and failures name their cause.

Real runs of a real server; escaped processes (``setsid`` children, double-forked daemons) write
their pid to a file, and psutil checks they are gone, as an administrator would.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import psutil
import pytest

from conftest import wait_for

ESCAPES = """
import os, subprocess, sys, time
here = os.path.dirname(os.path.abspath(__file__))
sleeper = subprocess.Popen(['setsid', sys.executable, '-c', 'import time; time.sleep(300)'])  # leaves the session
open(os.path.join(here, 'sleeper.pid'), 'w').write(str(sleeper.pid))
if os.fork() == 0:                                       # a classic double-forked daemon
    os.setsid()
    if os.fork() == 0:
        open(os.path.join(here, 'daemon.pid'), 'w').write(str(os.getpid()))
        time.sleep(300)
    os._exit(0)
while not os.path.exists(os.path.join(here, 'daemon.pid')):
    time.sleep(0.05)
print('started', flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""


def escaped(root: Path) -> list[psutil.Process]:
    """The setsid sleeper and the daemon the script started, from the pids it wrote."""
    return [psutil.Process(int((root / name).read_text())) for name in ("sleeper.pid", "daemon.pid")]


async def job_with_escapes(api, write_script, **options) -> dict:
    write_script("escapes.py", ESCAPES)
    status, job = await api("POST", "jobs", {"pipeline_path": "escapes.py", "schedule_type": "manual", **options})
    assert status == 200, job
    return job


async def until_gone(processes: list[psutil.Process], timeout: float = 15.0) -> list[int]:
    """The pids still alive after ``timeout`` (or as soon as none is)."""
    try:
        await wait_for(lambda: _none_left(processes), timeout)
    except AssertionError:
        pass
    return [p.pid for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


async def _none_left(processes: list[psutil.Process]) -> bool:
    return not [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.parametrize("ending", ["success", "timed_out", "cancelled"])
async def test_escaped_processes_end_with_their_run(api, write_script, jp_root_dir: Path, ending: str) -> None:
    job = await job_with_escapes(api, write_script, **({"timeout": 2} if ending == "timed_out" else {}),
                                 arguments=["0" if ending == "success" else "60"])
    status, run = await api("POST", f"jobs/{job['id']}/runs")
    await wait_for(lambda: _logged(api, run["id"], "started"))
    started = escaped(jp_root_dir)
    assert all(process.is_running() for process in started)
    assert all(process.ppid() in (1, 0) or process.ppid() != run.get("pid") for process in started)
    if ending == "cancelled":
        await api("POST", f"runs/{run['id']}/cancel")
    done = await wait_for(lambda: _finished(api, run["id"]), 30)
    assert done["status"] == ending, done
    left = await until_gone(started)
    assert left == [], [(p.pid, p.cmdline(), p.environ().get("PIPELINE_SCHEDULER_RUN")) for p in started if p.pid in left]


async def test_a_job_may_keep_its_daemons(api, write_script, jp_root_dir: Path) -> None:
    job = await job_with_escapes(api, write_script, kill_leftovers=False)
    assert job["kill_leftovers"] is False
    _, result = await api("POST", f"run/{job['id']}")
    assert result["status"] == "success"
    survivors = escaped(jp_root_dir)
    try:
        await asyncio.sleep(4)  # longer than a leftover sweep takes
        assert all(process.is_running() for process in survivors)
    finally:
        for process in survivors:
            process.kill()


async def _logged(api, run_id: int, text: str) -> bool:
    _, log = await api("GET", f"runs/{run_id}/log")
    return text in log


async def _finished(api, run_id: int) -> dict | None:
    _, run = await api("GET", f"runs/{run_id}")
    return run if run["status"] not in ("queued", "running") else None


async def test_a_log_that_cannot_be_written_is_named(api, write_script, jp_root_dir: Path) -> None:
    write_script("ok.py", "print('ok')\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "ok.py", "schedule_type": "manual"})
    blocker = jp_root_dir / ".amphi" / "logs" / job["id"]
    shutil.rmtree(blocker, ignore_errors=True)
    blocker.write_text("a file where the job's log folder should be")  # even root cannot write there
    _, result = await api("POST", f"run/{job['id']}")
    assert result["status"] == "failure"
    assert result["error"].startswith("cannot write the run's log ") and str(blocker) in result["error"]


class TestABarePythonExecutable:
    @pytest.fixture
    def scheduler_config(self) -> dict:
        return {"timezone": "UTC", "max_concurrent_runs": 4, "python_executable": "python3",
                "prestarted_interpreters": 0}

    async def test_is_resolved_at_start_up(self, api, write_script) -> None:
        _, config = await api("GET", "config")
        assert Path(config["python_executable"]).is_absolute()
        assert Path(config["python_executable"]).name.startswith("python3")
        write_script("ok.py", "print('ok')\n")
        _, job = await api("POST", "jobs", {"pipeline_path": "ok.py", "schedule_type": "manual"})
        _, result = await api("POST", f"run/{job['id']}")
        assert result["status"] == "success" and result["output"] == "ok\n"
