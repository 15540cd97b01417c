"""Runs through a real server: schedules fire, outcomes are recorded, timeouts and cancels end process trees."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import wait_for
from pipeline_scheduler.execution.processes import wait_for_exit

SLEEPER = """
import sys, time
print("started", flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 30)
print("done", flush=True)
"""

SPAWNER = """
import subprocess, sys, time
from pathlib import Path
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
escaped = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
Path("pids.txt").write_text(f"{child.pid} {escaped.pid}")
print("spawned", flush=True)
time.sleep(120)
"""


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def create(api, **payload) -> dict:
    payload.setdefault("schedule_type", "interval")
    payload.setdefault("interval_seconds", 86400)
    status, job = await api("POST", "jobs", payload)
    assert status == 200, job
    return job


async def start_run(api, job_id: str) -> dict:
    status, run = await api("POST", f"jobs/{job_id}/runs")
    assert status == 202, run
    return run


async def run_state(api, run_id: int, wanted: tuple[str, ...], timeout: float = 20.0) -> dict:
    async def check():
        _, run = await api("GET", f"runs/{run_id}")
        return run if run["status"] in wanted else None
    return await wait_for(check, timeout)


async def test_scheduled_job_fires_and_records_its_output(api, write_script) -> None:
    write_script("hello.py", "import sys\nprint('hello from', sys.argv[1])\n")
    job = await create(api, name="every second", pipeline_path="hello.py", arguments=["schedule"],
                       schedule_type="cron", cron_expression="* * * * * *")

    async def a_run():
        _, runs = await api("GET", "runs", job_id=job["id"], status="success")
        return runs["runs"]
    run = (await wait_for(a_run, 15))[0]
    assert run["triggered_by"] == "schedule"
    assert run["exit_code"] == 0
    assert "hello from schedule" in run["output"]
    assert run["scheduled_for"] is not None and run["duration"] >= 0
    assert run["execution_id"].startswith("every-second_")
    _, listed = await api("GET", "jobs")
    summary = next(j for j in listed["jobs"] if j["id"] == job["id"])["last_run"]
    assert summary is not None and summary["status"] in ("success", "running")


async def test_failing_script_records_failure_and_exit_code(api, write_script) -> None:
    write_script("fail.py", "import sys\nprint('about to fail')\nsys.exit(3)\n")
    job = await create(api, pipeline_path="fail.py")
    status, result = await api("POST", f"run/{job['id']}")
    assert status == 200
    assert result["success"] is False and result["exit_code"] == 3
    assert "about to fail" in result["output"]
    _, run = await api("GET", f"runs/{result['run_id']}")
    assert run["status"] == "failure" and run["exit_code"] == 3 and "code 3" in run["error"]


async def test_log_interleaves_stdout_and_stderr(api, write_script) -> None:
    write_script("both.py", "import sys\nprint('out-1', flush=True)\nprint('err-1', file=sys.stderr, flush=True)\n"
                            "print('out-2', flush=True)\n")
    job = await create(api, pipeline_path="both.py")
    _, result = await api("POST", f"run/{job['id']}")
    assert result["output"].split() == ["out-1", "err-1", "out-2"]
    status, log = await api("GET", f"runs/{result['run_id']}/log", offset=6)
    assert status == 200 and log.split() == ["err-1", "out-2"]


async def test_env_arguments_and_cwd_reach_the_process(api, write_script) -> None:
    write_script("data/show.py", "import os, sys\nprint(os.environ['GREETING'], sys.argv[1:], os.getcwd())\n")
    job = await create(api, pipeline_path="data/show.py", env={"GREETING": "bonjour"}, arguments="a 'b c'",
                       cwd="data")
    _, result = await api("POST", f"run/{job['id']}")
    assert result["success"], result
    assert "bonjour ['a', 'b c']" in result["output"]
    assert result["output"].strip().endswith("/data")


async def test_inline_python_code_runs_from_a_file(api) -> None:
    job = await create(api, python_code="import sys\nprint('generated', __file__.endswith('.py'))\nraise SystemExit(0)\n",
                       pipeline_path="pipelines/etl.ampln")
    assert job["kind"] == "python_code"
    _, result = await api("POST", f"run/{job['id']}")
    assert result["success"] and "generated True" in result["output"]


async def test_timeout_kills_the_whole_process_tree(api, write_script, jp_root_dir: Path) -> None:
    write_script("spawner.py", SPAWNER)
    job = await create(api, pipeline_path="spawner.py", timeout=2)
    run = await start_run(api, job["id"])
    pids_file = jp_root_dir / "pids.txt"
    await wait_for(lambda: asyncio.sleep(0, pids_file.exists()), 15)
    child, escaped = (int(pid) for pid in pids_file.read_text().split())
    assert not gone(child) and not gone(escaped)
    finished = await run_state(api, run["id"], ("timed_out",), 20)
    assert "timed out after 2 s" in finished["error"]
    assert finished["exit_code"] == -15  # SIGTERM ended it
    assert "spawned" in finished["output"]
    await wait_for(lambda: asyncio.sleep(0, gone(child) and gone(escaped)), 10)


async def test_cancel_ends_a_running_run(api, write_script) -> None:
    write_script("sleeper.py", SLEEPER)
    job = await create(api, pipeline_path="sleeper.py")
    run = await start_run(api, job["id"])
    running = await run_state(api, run["id"], ("running",))
    status, cancelled = await api("POST", f"runs/{run['id']}/cancel")
    assert status == 200
    assert cancelled["status"] == "cancelled" and cancelled["error"] == "cancelled by the user"
    assert gone(running["pid"])
    status, again = await api("POST", f"runs/{run['id']}/cancel")
    assert status == 409


async def test_overlap_skip_records_a_skipped_run(api, write_script) -> None:
    write_script("sleeper.py", SLEEPER)
    job = await create(api, pipeline_path="sleeper.py", arguments=["5"], overlap_policy="skip")
    first = await start_run(api, job["id"])
    second = await start_run(api, job["id"])
    assert second["status"] == "skipped" and "still active" in second["error"]
    _, first_now = await api("GET", f"runs/{first['id']}")
    assert first_now["status"] in ("queued", "running")
    await api("POST", f"runs/{first['id']}/cancel")


async def test_overlap_queue_runs_one_after_the_other(api, write_script) -> None:
    write_script("short.py", "import time\nprint('tick', time.time(), flush=True)\ntime.sleep(1)\n")
    job = await create(api, pipeline_path="short.py", overlap_policy="queue")
    runs = [await start_run(api, job["id"]) for _ in range(3)]
    assert [run["status"] for run in runs] == ["queued"] * 3
    finished = [await run_state(api, run["id"], ("success",), 30) for run in runs]
    for earlier, later in zip(finished, finished[1:]):
        assert later["started_at"] >= earlier["finished_at"]


async def test_overlap_parallel_respects_its_maximum(api, write_script) -> None:
    write_script("sleeper.py", SLEEPER)
    job = await create(api, pipeline_path="sleeper.py", overlap_policy="parallel", max_parallel=2)
    runs = [await start_run(api, job["id"]) for _ in range(3)]
    assert [run["status"] for run in runs] == ["queued", "queued", "skipped"]
    await run_state(api, runs[0]["id"], ("running",))
    await run_state(api, runs[1]["id"], ("running",))
    for run in runs[:2]:
        await api("POST", f"runs/{run['id']}/cancel")


@pytest.mark.parametrize("scheduler_config", [{"max_concurrent_runs": 1, "timezone": "UTC"}])
async def test_runs_beyond_the_concurrency_limit_wait_queued(api, write_script, scheduler_config) -> None:
    write_script("sleeper.py", SLEEPER)
    first = await create(api, pipeline_path="sleeper.py")
    second = await create(api, pipeline_path="sleeper.py")
    running = await start_run(api, first["id"])
    waiting = await start_run(api, second["id"])
    await run_state(api, running["id"], ("running",))
    await asyncio.sleep(0.5)
    _, still = await api("GET", f"runs/{waiting['id']}")
    assert still["status"] == "queued"
    _, health = await api("GET", "health")
    assert health["running_runs"] == 1 and health["queued_runs"] == 1
    status, cancelled = await api("POST", f"runs/{waiting['id']}/cancel")
    assert cancelled["status"] == "cancelled" and cancelled["started_at"] is None
    await api("POST", f"runs/{running['id']}/cancel")


async def test_run_now_does_not_block_the_server(api, write_script) -> None:
    write_script("sleeper.py", SLEEPER)
    job = await create(api, pipeline_path="sleeper.py", arguments=["2"])
    slow = asyncio.ensure_future(api("POST", f"run/{job['id']}"))
    await asyncio.sleep(0.3)
    started = asyncio.get_running_loop().time()
    status, _ = await api("GET", "health")
    assert status == 200 and asyncio.get_running_loop().time() - started < 1.0
    assert not slow.done()
    status, result = await slow
    assert result["success"] and "done" in result["output"]


async def test_pause_and_resume(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    job = await create(api, pipeline_path="job.py", schedule_type="cron", cron_expression="0 9 * * *")
    status, paused = await api("POST", f"jobs/{job['id']}/pause")
    assert status == 200 and paused["paused"] is True and paused["next_run_time"] is None
    status, resumed = await api("POST", f"jobs/{job['id']}/resume")
    assert resumed["paused"] is False and resumed["next_run_time"] == job["next_run_time"]


async def test_delete_runs_and_retention(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    job = await create(api, pipeline_path="job.py")
    results = [(await api("POST", f"run/{job['id']}"))[1] for _ in range(3)]
    log_path = Path(results[0]["run"]["log_path"])
    assert log_path.exists()
    status, one = await api("DELETE", f"runs/{results[0]['run_id']}")
    assert status == 200 and one == {"success": True} and not log_path.exists()
    status, everything = await api("DELETE", "runs")
    assert everything == {"success": True, "deleted": 2}
    _, runs = await api("GET", "runs")
    assert runs["runs"] == []


@pytest.mark.parametrize("scheduler_config", [{"runs_retention": 2, "timezone": "UTC"}])
async def test_old_runs_are_pruned(api, write_script, scheduler_config) -> None:
    write_script("job.py", "print('x')\n")
    job = await create(api, pipeline_path="job.py")
    ids = [(await api("POST", f"run/{job['id']}"))[1]["run_id"] for _ in range(4)]

    async def pruned():
        _, runs = await api("GET", "runs", job_id=job["id"])
        return [run["id"] for run in runs["runs"]] == ids[:1:-1]
    await wait_for(pruned, 10)


@pytest.mark.parametrize("scheduler_config", [{"runs_retention": 2, "max_concurrent_runs": 4, "timezone": "UTC"}])
async def test_runs_of_several_jobs_ending_together_are_all_pruned(api, write_script, jp_root_dir: Path,
                                                                    scheduler_config) -> None:
    """Runs that end close together are tidied in one pass: every job of the batch keeps its newest runs, and the
    logs of the pruned runs are removed."""
    write_script("job.py", "print('x')\n")
    jobs = [await create(api, pipeline_path="job.py", overlap_policy="parallel", max_parallel=4) for _ in range(2)]
    runs = {job["id"]: [await start_run(api, job["id"]) for _ in range(4)] for job in jobs}
    finished = {job_id: [await run_state(api, run["id"], ("success",)) for run in started]
                for job_id, started in runs.items()}

    async def pruned():
        kept = {job_id: [run["id"] for run in (await api("GET", "runs", job_id=job_id))[1]["runs"]] for job_id in runs}
        return kept == {job_id: sorted((run["id"] for run in started), reverse=True)[:2]
                        for job_id, started in runs.items()}
    await wait_for(pruned, 10)
    removed = [run for done in finished.values() for run in sorted(done, key=lambda run: run["id"])[:2]]
    assert all(run["log_path"] and not Path(run["log_path"]).exists() for run in removed)


async def test_deleted_job_stops_firing(api, write_script) -> None:
    write_script("job.py", "print('x')\n")
    job = await create(api, pipeline_path="job.py", schedule_type="interval", interval_seconds=1)
    status, _ = await api("DELETE", f"jobs/{job['id']}")
    assert status == 200
    await asyncio.sleep(2.5)
    _, runs = await api("GET", "runs", job_id=job["id"])
    assert runs["runs"] == []
    assert (await api("GET", f"jobs/{job['id']}"))[0] == 404


def test_sys_executable_is_the_default_interpreter(jp_serverapp) -> None:
    scheduler = jp_serverapp.web_app.settings["pipeline_scheduler"]
    assert scheduler.config.python_executable == sys.executable


def test_waiting_with_a_timeout_returns_the_exit_code_or_times_out() -> None:
    """``wait_for_exit`` (a pidfd instead of ``Popen.wait``'s polling) keeps ``Popen.wait``'s meaning."""
    ended = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    while psutil.Process(ended.pid).status() != psutil.STATUS_ZOMBIE:  # already over before the wait
        time.sleep(0.01)
    assert wait_for_exit(ended, 30) == 3
    assert wait_for_exit(ended, 30) == 3  # reaped: the status is kept
    reader = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(len(sys.stdin.read()))"],
                              stdin=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired):
        wait_for_exit(reader, 0.2)
    assert reader.poll() is None
    reader.stdin.write(b"four")
    reader.stdin.close()
    assert wait_for_exit(reader, 30) == 4
