"""Runs on a real Dask cluster: a ``dask scheduler`` and two workers (one with a GPU resource) started
as processes by the test, and a real server with ``executor = "dask"`` on the same machine (so
that the root is a filesystem the workers share)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

WHERE = "import os, psutil\nprint('on', ' '.join(psutil.Process(os.getppid()).cmdline()).split('--name ')[1].split()[0])\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DaskCluster:
    def __init__(self, base: Path) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.base = base
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self) -> DaskCluster:
        env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
        port = self.address.rsplit(":", 1)[1]
        self._spawn("scheduler", [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", port, "--dashboard-address", ":0"], env)
        for name, resources in (("gpu-worker", ["--resources", "GPU=1"]), ("cpu-worker", [])):
            self._spawn(name, [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--no-nanny",
                               "--name", name, "--nthreads", "2", "--host", "127.0.0.1", "--dashboard-address", ":0",
                               *resources], env)
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        return self

    def _spawn(self, name: str, argv: list[str], env: dict) -> None:
        log = open(self.base / f"{name}.log", "ab")  # noqa: SIM115 (lives as long as the process)
        self.processes[name] = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)
        if name == "scheduler":
            time.sleep(2)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.fixture
def dask_cluster(tmp_path: Path):
    cluster = DaskCluster(tmp_path).start()
    yield cluster
    cluster.stop()


def finished(server, run_id: int) -> dict | None:
    run = server.request("GET", f"runs/{run_id}")
    return run if run["status"] not in ("queued", "running") else None


def test_runs_land_on_workers_with_the_resources_they_ask_for(servers, dask_cluster, tmp_path: Path) -> None:
    (tmp_path / "where.py").write_text(WHERE)
    server = servers(executor="dask", dask_scheduler_address=dask_cluster.address)
    assert server.request("GET", "config")["executor"] == "dask"
    gpu = server.request("POST", "jobs", {"pipeline_path": "where.py", "schedule_type": "manual",
                                          "resources": {"GPU": 1}})
    for _ in range(4):
        result = server.request("POST", f"run/{gpu['id']}")
        assert result["status"] == "success" and result["output"] == "on gpu-worker\n", result
    anywhere = server.request("POST", "jobs", {"pipeline_path": "where.py", "schedule_type": "manual"})
    places = {server.request("POST", f"run/{anywhere['id']}")["output"] for _ in range(6)}
    assert places <= {"on gpu-worker\n", "on cpu-worker\n"} and places


def test_the_log_streams_while_it_runs_and_a_cancel_ends_the_worker_side_tree(servers, dask_cluster,
                                                                                 tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        "print('child', child.pid, flush=True)\n"
        "for i in range(300):\n    print('tick', i, flush=True)\n    time.sleep(0.2)\n")
    server = servers(executor="dask", dask_scheduler_address=dask_cluster.address)
    job = server.request("POST", "jobs", {"pipeline_path": "slow.py", "schedule_type": "manual"})
    run = server.request("POST", f"jobs/{job['id']}/runs")
    log = server.wait_for(lambda: (text := server.text(f"runs/{run['id']}/log")).count("tick") >= 3 and text)
    assert server.request("GET", f"runs/{run['id']}")["status"] == "running"  # seen live, from the worker
    child = psutil.Process(int(log.split("child ")[1].split()[0]))
    cancelled = server.request("POST", f"runs/{run['id']}/cancel")
    assert cancelled["status"] == "cancelled"
    assert psutil.wait_procs([child], timeout=10)[0], "the worker-side child survived the cancel"


def test_a_timeout_reaches_the_worker(servers, dask_cluster, tmp_path: Path) -> None:
    (tmp_path / "forever.py").write_text("import time\ntime.sleep(300)\n")
    server = servers(executor="dask", dask_scheduler_address=dask_cluster.address)
    job = server.request("POST", "jobs", {"pipeline_path": "forever.py", "schedule_type": "manual", "timeout": 2})
    result = server.request("POST", f"run/{job['id']}")
    assert result["status"] == "timed_out" and result["exit_code"] == -15, result


def test_a_worker_killed_mid_run_interrupts_it_and_the_retry_runs_elsewhere(servers, dask_cluster,
                                                                            tmp_path: Path) -> None:
    (tmp_path / "long.py").write_text(WHERE.replace("[0])", "[0], flush=True)") + "import time\ntime.sleep(8)\n")
    server = servers(executor="dask", dask_scheduler_address=dask_cluster.address)
    job = server.request("POST", "jobs", {"pipeline_path": "long.py", "schedule_type": "manual", "retries": 1,
                                          "retry_delay": 0, "retry_on": ["interrupted"]})
    run = server.request("POST", f"jobs/{job['id']}/runs")
    log = server.wait_for(lambda: (text := server.text(f"runs/{run['id']}/log")).startswith("on ") and text)
    victim = log.split()[1]
    dask_cluster.processes[victim].send_signal(signal.SIGKILL)
    first = server.wait_for(lambda: finished(server, run["id"]), timeout=60)
    assert first["status"] == "interrupted" and "worker" in first["error"], first
    retried = server.wait_for(lambda: [r for r in server.request("GET", f"runs?job_id={job['id']}")["runs"]
                                       if r["attempt"] == 2 and r["status"] == "success"], timeout=60)
    assert retried[0]["output"].startswith("on ") and victim not in retried[0]["output"]
