"""Scale-out: runs per second through 1, 2 and 4 Dask workers; dispatch delay of two servers on
PostgreSQL against one server on SQLite. Both parts in the same run, on this machine.

Dask: a real ``dask scheduler`` and workers (processes, one thread each) and one real server with
``executor = "dask"`` on them. Workers are added between measurements (1, then 2, then 4), the same
server throughout. Each measurement queues N runs of one job through ``POST jobs/{id}/runs``
(overlap ``parallel``), after one untimed run of it, and takes runs per second from the runs' own
timestamps: N / (last ``finished_at`` − first ``queued_at``). Two jobs: trivial (``print``) and 1 s (``time.sleep(1)``).
Reference: the same jobs on a server with the local executor (subprocesses, ``max_concurrent_runs`` 4
and ``short_run_slots`` 0: strictly 4 at once, as 4 one-thread workers).

Dispatch delay: the burst of ``fire_burst.py`` (N jobs due at one instant T, created through the API,
``queued_at − scheduled_for`` per run) on one server with its SQLite file, then on two servers
sharing one database of a throwaway PostgreSQL cluster (``tests/postgres.py``; Debian's
``postgresql`` binaries). Counted: duplicates and missed runs (exit status 1 if any).

    .venv/bin/python bench/scale.py            # 40 trivial + 8 per worker 1-s runs; 1,000-job bursts
    .venv/bin/python bench/scale.py --quick    # CI smoke: 6 trivial + 1 per worker 1-s runs; 50-job bursts
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from common import (  # noqa: E402
    PYTHON,
    Server,
    footer,
    machine_line,
    ms,
    parse_args,
    parse_iso,
    percentile,
    print_table,
    ratio,
    verdict,
)
from fire_burst import burst, wait_for_pair  # noqa: E402
from postgres import PostgresCluster  # noqa: E402

WORKER_COUNTS = (1, 2, 4)
TRIVIAL = "print('ok')"
ONE_SECOND = "import time\ntime.sleep(1)"
TARGET_P99_RATIO = 2.0  # two servers on PostgreSQL: dispatch p99 at most twice one server's on SQLite


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DaskProcesses:
    """A ``dask scheduler`` and its workers as processes of this machine, killed on exit."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.processes: list[subprocess.Popen] = []
        self.workers = 0

    def __enter__(self) -> DaskProcesses:
        self._spawn([PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                     self.address.rsplit(":", 1)[1], "--dashboard-address", ":0"], "scheduler")
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def grow_to(self, count: int) -> None:
        """Start workers until ``count`` are connected."""
        from distributed import Client

        while self.workers < count:
            self.workers += 1
            self._spawn([PYTHON, "-m", "distributed.cli.dask_worker", self.address, "--no-nanny", "--nthreads", "1",
                         "--host", "127.0.0.1", "--dashboard-address", ":0", "--name", f"worker-{self.workers}"],
                        f"worker-{self.workers}")
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(count, timeout=60)

    def _spawn(self, argv: list[str], name: str) -> None:
        log = open(self.base / f"{name}.log", "ab")  # noqa: SIM115 (lives as long as the process)
        self.processes.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                               start_new_session=True))


# -- runs per second -----------------------------------------------------------------------------------
def throughput(server: Server, code: str, count: int) -> float:
    """Runs per second of ``count`` runs of ``code`` queued at once, from the runs' own timestamps."""
    job = server.client.post("jobs", {"python_code": code, "schedule_type": "manual", "overlap_policy": "parallel",
                                      "max_parallel": 1000})
    server.client.post(f"run/{job['id']}")  # warm-up, not timed: the job's code file is written by its first run
    ids = [server.client.post(f"jobs/{job['id']}/runs", expect=(200, 202))["id"] for _ in range(count)]
    deadline = time.monotonic() + 300
    while True:
        runs = [run for run in server.client.get(f"runs?job_id={job['id']}&limit=1000")["runs"] if run["id"] in ids]
        if len(runs) == count and all(run["finished_at"] for run in runs):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} runs did not finish within 300 s")
        time.sleep(0.2)
    failed = [run for run in runs if run["status"] != "success"]
    if failed:
        raise RuntimeError(f"{len(failed)} runs did not succeed: {failed[0]}")
    span = max(parse_iso(run["finished_at"]) for run in runs) - min(parse_iso(run["queued_at"]) for run in runs)
    server.client.call("DELETE", f"jobs/{job['id']}")
    return count / span


def runs_per_second(args: Any) -> list[list[Any]]:
    trivial, per_worker = (6, 1) if args.quick else (40, 8)
    rows = []
    with Server(keep=args.keep, verbose=args.verbose, label="local server", max_concurrent_runs=4,
                short_run_slots=0) as server:  # strictly 4 at once, as 4 one-thread workers
        slots = server.client.get("config")["max_concurrent_runs"]
        rows.append([f"local executor ({slots} slots)", throughput(server, TRIVIAL, trivial),
                     throughput(server, ONE_SECOND, 4 * per_worker)])
        print(f"  local executor: {rows[-1][1]:.1f} trivial runs/s, {rows[-1][2]:.2f} 1-s runs/s", flush=True)
    with tempfile.TemporaryDirectory(prefix="amphi-bench-dask-") as base, DaskProcesses(Path(base)) as dask:
        dask.grow_to(1)
        with Server(keep=args.keep, verbose=args.verbose, label="dask server", executor="dask",
                    dask_scheduler_address=dask.address, max_concurrent_runs=16) as server:
            for workers in WORKER_COUNTS:
                dask.grow_to(workers)
                rows.append([f"dask, {workers} worker{'s' * (workers > 1)}", throughput(server, TRIVIAL, trivial),
                             throughput(server, ONE_SECOND, workers * per_worker)])
                print(f"  {workers} Dask worker(s): {rows[-1][1]:.1f} trivial runs/s, {rows[-1][2]:.2f} 1-s runs/s",
                      flush=True)
    return rows


# -- dispatch delay ------------------------------------------------------------------------------------
def delays(args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    count = 50 if args.quick else 1000
    with Server(keep=args.keep, verbose=args.verbose, label="SQLite server", max_concurrent_runs=4) as server:
        alone = burst([server], count, "1 server, SQLite", args.quick)
    cluster = PostgresCluster().start()
    try:
        url = cluster.create_database()
        with contextlib.ExitStack() as stack:
            first = stack.enter_context(Server(keep=args.keep, verbose=args.verbose, label="server A", db_url=url,
                                               max_concurrent_runs=4))
            second = stack.enter_context(Server(keep=args.keep, verbose=args.verbose, label="server B", db_url=url,
                                                root=first.root, max_concurrent_runs=4))
            wait_for_pair([first, second])
            pair = burst([first, second], count, "2 servers, PostgreSQL", args.quick)
    finally:
        cluster.stop()
    return alone, pair


# -- report --------------------------------------------------------------------------------------------
def report_runs(rows: list[list[Any]]) -> None:
    one_worker = next(row for row in rows if row[0] == "dask, 1 worker")
    print_table("Runs per second (N runs queued at once; N / (last finished - first queued))",
                ["executor", "trivial runs/s", "vs 1 worker", "1-s runs/s", "vs 1 worker", "1-s ideal"],
                [[name, f"{fast:.1f}", ratio(fast, one_worker[1]), f"{slow:.2f}", ratio(slow, one_worker[2]),
                  "4.00" if name.startswith("local") else f"{int(name.split()[1]):.2f}"]
                 for name, fast, slow in rows])


def report_delays(alone: dict[str, Any], pair: dict[str, Any]) -> bool:
    p99_alone, p99_pair = percentile(alone["dispatch"], 99), percentile(pair["dispatch"], 99)
    print_table(f"{len(alone['dispatch']):,}-job burst: dispatch delay (queued_at - scheduled_for)",
                ["", "1 server, SQLite", "2 servers, PostgreSQL", "target"],
                [["runs recorded", alone["executed"], pair["executed"], ""],
                 ["duplicates", alone["duplicates"], pair["duplicates"], "0"],
                 ["missed", alone["missed"], pair["missed"], "0"],
                 ["dispatch p50", ms(percentile(alone["dispatch"], 50)), ms(percentile(pair["dispatch"], 50)), ""],
                 ["dispatch p99", ms(p99_alone), ms(p99_pair), f"<= {TARGET_P99_RATIO:g}x SQLite"],
                 ["last run finished after T", f"{alone['finished']:.1f} s", f"{pair['finished']:.1f} s", ""]])
    print("\nRATIOS")
    print(f"  dispatch p99, 2 servers on PostgreSQL / 1 server on SQLite: {ratio(p99_pair, p99_alone)} "
          f"(target <= {TARGET_P99_RATIO:g}x: {verdict(p99_pair <= TARGET_P99_RATIO * p99_alone)})")
    return all(result["duplicates"] == 0 and result["missed"] == 0 for result in (alone, pair))


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    print(f"scale: {machine_line()}")
    started = time.perf_counter()
    rows = runs_per_second(args)
    alone, pair = delays(args)
    report_runs(rows)
    correct = report_delays(alone, pair)
    by_workers = {row[0]: row for row in rows}
    for workers in WORKER_COUNTS[1:]:
        row = by_workers[f"dask, {workers} workers"]
        print(f"  1-s runs/s, {workers} workers / 1 worker: {ratio(row[2], by_workers['dask, 1 worker'][2])} "
              f"(ideal {workers}.00x); trivial: {ratio(row[1], by_workers['dask, 1 worker'][1])}")
    print(f"  1-s runs/s, 4 Dask workers / local executor (4 slots): {ratio(by_workers['dask, 4 workers'][2], rows[0][2])}"
          f" (target about 1x: the same parallelism; MET if >= 0.8x: "
          f"{verdict(by_workers['dask, 4 workers'][2] >= 0.8 * rows[0][2])})")
    footer(started)
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
