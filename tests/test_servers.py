"""Several servers on one root and database: one dispatcher, takeover when it dies, no orphans.

Every server here is a real Jupyter Server in its own process, killed with SIGKILL where the
scenario says so; processes are found with psutil, as an administrator would look for them.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import psutil

from pipeline_scheduler.execution.orphans import START_TIME_TOLERANCE
from server_process import ServerProcess

LEASE = 4  # seconds: short, so that a takeover fits a test


def schedule_runs(server: ServerProcess) -> list[dict]:
    runs, before = [], ""
    while True:
        page = server.request("GET", f"runs?limit=1000{before}")["runs"]
        runs += page
        if len(page) < 1000:
            return [run for run in runs if run["triggered_by"] == "schedule"]
        before = f"&before={page[-1]['id']}"


def per_job_instants(runs: list[dict]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        found[run["job_id"]].append(datetime.fromisoformat(run["scheduled_for"]).timestamp())
    return {job_id: sorted(moments) for job_id, moments in found.items()}


def duplicates_and_gaps(runs: list[dict], step: float) -> tuple[list, list]:
    duplicates, gaps = [], []
    for job_id, moments in per_job_instants(runs).items():
        duplicates += [(job_id, moment) for moment, count in Counter(moments).items() if count > 1]
        gaps += [(job_id, a, b) for a, b in zip(moments, moments[1:]) if round(b - a, 3) not in (0.0, step)]
    return duplicates, gaps


def dispatcher_of(*servers: ServerProcess) -> ServerProcess:
    dispatching = [server for server in servers if server.request("GET", "health")["dispatching"]]
    assert len(dispatching) == 1, [server.request("GET", "health") for server in servers]
    return dispatching[0]


def test_two_servers_fire_each_instant_once_and_take_over(servers, tmp_path: Path) -> None:
    (tmp_path / "tick.py").write_text("print('tick')\n")
    first, second = servers(lease_seconds=LEASE), servers(lease_seconds=LEASE)
    health = first.wait_for(lambda: (found := first.request("GET", "health"))["servers"] == 2 and found)
    assert health["dispatcher"]["this_server"] is True
    assert second.request("GET", "health")["dispatcher"]["server_id"] == health["server_id"]

    jobs = [(first, second)[index % 2].request("POST", "jobs", {
        "name": f"tick {index}", "pipeline_path": "tick.py", "schedule_type": "interval", "interval_seconds": 2,
        "overlap_policy": "parallel", "max_parallel": 5}) for index in range(10)]
    time.sleep(30)  # the scenario: both servers up for 30 s

    runs = schedule_runs(second)
    duplicates, gaps = duplicates_and_gaps(runs, 2.0)
    assert not duplicates and not gaps, (duplicates, gaps)
    counts = {job_id: len(moments) for job_id, moments in per_job_instants(runs).items()}
    assert set(counts) == {job["id"] for job in jobs} and min(counts.values()) >= 13, counts

    dispatcher = dispatcher_of(first, second)
    standby = second if dispatcher is first else first
    killed_at = time.time()
    dispatcher.crash()
    standby.wait_for(lambda: standby.request("GET", "health")["dispatching"], timeout=LEASE + 5)
    took_over_after = time.time() - killed_at
    assert took_over_after <= LEASE + 2, took_over_after
    time.sleep(8)

    runs = schedule_runs(standby)
    duplicates, gaps = duplicates_and_gaps(runs, 2.0)
    assert not duplicates and not gaps, (duplicates, gaps)
    for job_id, moments in per_job_instants(runs).items():
        assert moments[-1] > time.time() - 4, (job_id, "stopped firing")
    missed = [run for run in runs if run["status"] == "skipped"]
    assert all("missed while no server was dispatching" in run["error"] for run in missed), missed
    orphaned = [run for run in runs if run["status"] == "interrupted"]
    assert all("stopped while it was active" in run["error"] for run in orphaned)
    assert standby.request("GET", "health")["servers"] == 1  # the dead one was buried


def test_a_server_never_interrupts_the_runs_of_a_live_server(servers, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text("import time\nprint('working', flush=True)\ntime.sleep(30)\n")
    first = servers(lease_seconds=LEASE)
    job = first.request("POST", "jobs", {"pipeline_path": "slow.py", "schedule_type": "manual"})
    run = first.request("POST", f"jobs/{job['id']}/runs")
    first.wait_for(lambda: first.request("GET", f"runs/{run['id']}")["status"] == "running")

    second = servers(lease_seconds=LEASE)  # starts while the run goes on
    time.sleep(LEASE * 2)  # several dead-server checks of the second server (pids, every second)
    assert second.request("GET", f"runs/{run['id']}")["status"] == "running"
    assert second.request("GET", "health")["servers"] == 2


def test_run_now_on_a_standby_uses_the_definition_saved_through_the_dispatcher(servers, tmp_path: Path) -> None:
    """Servers sharing a database do not serve each other stale job definitions."""
    first, second = servers(lease_seconds=LEASE), servers(lease_seconds=LEASE)
    time.sleep(2)  # both see each other (a registration wakes the other server's loop)
    job = second.request("POST", "jobs", {"python_code": "print('version 1')", "schedule_type": "manual"})
    assert second.request("POST", f"run/{job['id']}")["output"] == "version 1\n"
    first.request("PUT", f"jobs/{job['id']}", {"python_code": "print('version 2')"})
    assert second.request("POST", f"run/{job['id']}")["output"] == "version 2\n"
    listed = {entry["id"]: entry for entry in second.request("GET", "jobs")["jobs"]}
    assert listed[job["id"]]["python_code"] == "print('version 2')"


def test_kill_9_leaves_no_process_behind(servers, tmp_path: Path) -> None:
    """A run with a child and a grandchild that left the session survives the kill -9 of its server;
    the next server ends all three and says so on the run."""
    (tmp_path / "tree.py").write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        "daemon = subprocess.Popen(['setsid', sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        "print(child.pid, daemon.pid, flush=True)\n"
        "time.sleep(300)\n")
    first = servers()
    job = first.request("POST", "jobs", {"pipeline_path": "tree.py", "schedule_type": "manual"})
    run = first.request("POST", f"jobs/{job['id']}/runs")
    logged = first.wait_for(lambda: first.text(f"runs/{run['id']}/log").strip())
    child_pid, daemon_pid = (int(pid) for pid in logged.split())
    main_pid = first.request("GET", f"runs/{run['id']}")["pid"]
    tree = [psutil.Process(pid) for pid in (main_pid, child_pid, daemon_pid)]
    assert psutil.Process(daemon_pid).ppid() != 0 and all(process.is_running() for process in tree)
    first.crash()
    assert all(process.is_running() for process in tree)  # orphans now

    second = servers()
    after = second.request("GET", f"runs/{run['id']}")
    assert after["status"] == "interrupted" and "its processes were ended" in after["error"]
    gone = psutil.wait_procs(tree, timeout=10)[0]
    assert len(gone) == 3, [process.pid for process in tree if process.is_running()]


def test_a_recycled_pid_is_never_killed(servers, tmp_path: Path) -> None:
    """A run recorded with the pid of a process started after it (the pid was reused) is not touched."""
    import sqlite3
    import subprocess
    import sys

    (tmp_path / "slow.py").write_text("import time\ntime.sleep(300)\n")
    first = servers()
    job = first.request("POST", "jobs", {"pipeline_path": "slow.py", "schedule_type": "manual"})
    run = first.request("POST", f"jobs/{job['id']}/runs")
    running = first.wait_for(lambda: (r := first.request("GET", f"runs/{run['id']}"))["status"] == "running" and r)
    first.crash()
    psutil.Process(running["pid"]).kill()
    # A recycled pid comes after the system went through all the others (32768 here), never within a
    # clock tick or two of the run's start; started at once, the bystander would share its start time.
    time.sleep(START_TIME_TOLERANCE + 1)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with sqlite3.connect(tmp_path / ".amphi" / "scheduler.sqlite") as database:  # the pid now names another process
            database.execute("UPDATE ps_runs SET pid = ? WHERE id = ?", (bystander.pid, run["id"]))
        second = servers()
        assert second.request("GET", f"runs/{run['id']}")["status"] == "interrupted"
        assert bystander.poll() is None, "a process that merely reused the pid was killed"
    finally:
        bystander.kill()
        bystander.wait()
