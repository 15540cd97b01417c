"""Run-now overhead: ``POST run/{id}`` end to end, warm and cold, each against its like-for-like floor.

Four sides run the same trivial script with the same interpreter, iterations alternating so that
machine noise hits all alike:

- **bare**: ``python hello.py`` started cold by this process (the cold floor);
- **fork floor**: the same script forked from a fork server driven by this process, without any
  HTTP, store or scheduler (the warm floor: what a warm start costs with no server around it);
- **ours, warm**: ``POST run/{id}`` against a server with the defaults (``prestarted_interpreters=1``:
  runs forked from its fork server);
- **ours, cold**: the same against a server with ``prestarted_interpreters=0`` (every run starts a
  new interpreter, as notebooks, runner configs and hooked interpreters do).

Headline ratios: warm ours / fork floor and cold ours / bare (the server's own cost on each path),
and warm ours / bare (what a user sees). Also the server's CPU time per run (user + system of the
server process over the alternating runs and a pause after them, less what it uses idle over as
long, divided by the runs it served): less noisy than latency on a shared machine, and it counts
the work a run leaves behind (leftover sweep, pruning, listeners). Then 10,000 other jobs are
created through the API (concurrently, 8 clients) and the warm comparison is repeated: a run of one job must not get slower
because many other jobs exist. Also timed: ``POST jobs/{id}/runs`` (202 once the run is recorded).

    .venv/bin/python bench/run_now.py            # full: N=30, 10,000 seeded jobs
    .venv/bin/python bench/run_now.py --quick    # CI smoke: N=8, 500 seeded jobs
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_scheduler.execution.zygote import ForkServer  # noqa: E402

from common import (  # noqa: E402
    PYTHON,
    Client,
    Server,
    create_jobs,
    footer,
    idle_job,
    machine_line,
    median,
    ms,
    parse_args,
    parse_iso,
    percentile,
    print_table,
    ratio,
    verdict,
)

TARGET_COLD = 1.10  # ours cold / bare
TARGET_WARM = 0.50  # ours warm / bare
SCRIPT = 'print("ok")\n'
FLOOR_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
WARMUP = 3
AFTERMATH = 0.5  # s: the server's work left after a run (gathered sweeps and pruning) is done within this


def bare_run(script: Path) -> float:
    start = time.perf_counter()
    completed = subprocess.run([PYTHON, str(script)], cwd=script.parent, stdin=subprocess.DEVNULL,
                               capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0 or completed.stdout != b"ok\n":
        raise RuntimeError(f"bare run failed: {completed.returncode} {completed.stdout!r} {completed.stderr!r}")
    return elapsed


def fork_floor_run(fork_server: ForkServer, script: Path) -> float:
    """The warm floor: the script forked from a fork server of this process, its output in a log file."""
    log_path = script.with_suffix(".floor.log")
    log_path.write_bytes(b"")
    start = time.perf_counter()
    run = fork_server.launch([PYTHON, str(script)], str(script.parent), str(log_path), FLOOR_ENV)
    if run is None:
        raise RuntimeError("the fork server did not take the run")
    code = run.wait(60)
    elapsed = time.perf_counter() - start
    if code != 0 or log_path.read_bytes() != b"ok\n":
        raise RuntimeError(f"fork floor run failed: {code} {log_path.read_bytes()!r}")
    return elapsed


def api_run(client: Client, job_id: str, phases: dict[str, list[float]]) -> float:
    """One synchronous run; adds where its time went (server timestamps, same clock) to ``phases``."""
    sent = time.time()
    elapsed, body = client.timed("POST", f"run/{job_id}", {})
    received = time.time()
    answer = json.loads(body)
    if not answer["success"]:
        raise RuntimeError(f"run failed: {body[:500]!r}")
    run = answer["run"]
    queued, started, finished = (parse_iso(run[key]) for key in ("queued_at", "started_at", "finished_at"))
    for name, value in (("request -> queued_at", queued - sent),
                        ("queued_at -> started_at", started - queued),
                        ("started_at -> finished_at", finished - started),
                        ("finished_at -> response", received - finished)):
        phases.setdefault(name, []).append(value)
    return elapsed


def wait_finished(client: Client, run_id: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(f"runs/{run_id}")["status"] not in ("queued", "starting", "running"):
            return
        time.sleep(0.01)
    raise RuntimeError(f"run {run_id} did not finish within {timeout} s")


def submit_latencies(client: Client, job_id: str, count: int) -> list[float]:
    """``POST jobs/{id}/runs`` latency; each run is awaited before the next request (idle server)."""
    latencies = []
    for _ in range(count):
        elapsed, body = client.timed("POST", f"jobs/{job_id}/runs", {}, expect=(202,))
        latencies.append(elapsed)
        wait_finished(client, json.loads(body)["id"])
    return latencies


def measure(server: Server, job_id: str, script: Path, count: int,
            fork_server: ForkServer | None) -> dict[str, list[float]]:
    """Alternating runs: bare, then the fork floor (when given), then ours."""
    sides: dict[str, list[float]] = {"bare": [], "floor": [], "ours": []}
    phases: dict[str, list[float]] = {}
    idle = cpu_seconds_over(server, AFTERMATH)
    cpu_before = server.cpu_seconds()
    for n in range(WARMUP + count):
        timings = {"bare": bare_run(script), "ours": api_run(server.client, job_id, phases if n >= WARMUP else {})}
        if fork_server is not None:
            timings["floor"] = fork_floor_run(fork_server, script)
        if n >= WARMUP:
            for side, value in timings.items():
                sides[side].append(value)
    time.sleep(AFTERMATH)
    cpu_after = server.cpu_seconds()
    cpu = (None if None in (idle, cpu_before, cpu_after)
           else (cpu_after - cpu_before - idle) / (WARMUP + count))
    return {**sides, "server cpu": [cpu], "submit": submit_latencies(server.client, job_id, count), **phases}


def cpu_seconds_over(server: Server, seconds: float) -> float | None:
    """The CPU time the server uses over ``seconds`` while nothing is asked of it."""
    before = server.cpu_seconds()
    time.sleep(seconds)
    after = server.cpu_seconds()
    return None if before is None or after is None else after - before


def start_job(server: Server) -> tuple[str, Path]:
    relative = server.write("hello.py", SCRIPT)
    job = server.client.post("jobs", {"name": "hello", "pipeline_path": relative, "schedule_type": "interval",
                                      "interval_seconds": 86400})
    return job["id"], server.root / relative


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    count, seeded = (8, 500) if args.quick else (30, 10_000)
    print(f"run_now: {machine_line()}")
    print(f"  N={count} alternating runs per side (after {WARMUP} warm-up runs each); then {seeded:,} other jobs")
    print("  settings: ours warm = defaults (prestarted_interpreters=1, max_concurrent_runs=4); ours cold ="
          " prestarted_interpreters=0; bare = subprocess.run([python, hello.py]) capturing stdout;"
          " fork floor = a fork server of this process, output to a log file, no server")
    started = time.perf_counter()
    phases: dict[str, dict[str, list[float]]] = {}
    with Server(keep=args.keep, verbose=args.verbose, max_concurrent_runs=4, prestarted_interpreters=0) as server:
        job_id, script = start_job(server)
        phases["cold, 1 job"] = measure(server, job_id, script, count, None)
    with Server(keep=args.keep, verbose=args.verbose, max_concurrent_runs=4, prestarted_interpreters=1) as server:
        job_id, script = start_job(server)
        fork_server = ForkServer(PYTHON, script.parent, FLOOR_ENV)
        try:
            if not fork_server.wait_ready(30):
                raise RuntimeError(f"the fork floor cannot run: {fork_server.unusable}")
            phases["warm, 1 job"] = measure(server, job_id, script, count, fork_server)
            print(f"  creating {seeded:,} other jobs through POST jobs (8 concurrent clients) ...", flush=True)
            seconds, _ = create_jobs(server.client, [idle_job(script.name, i) for i in range(seeded)], workers=8,
                                     progress_label="created")
            health = server.client.get("health")
            assert health["jobs"] == seeded + 1, health
            server.settle()
            phases[f"warm, {seeded + 1:,} jobs"] = measure(server, job_id, script, count, fork_server)
        finally:
            fork_server.close()

    rows = []
    for name, data in phases.items():
        bare, floor, ours, submit = data["bare"], data["floor"], data["ours"], data["submit"]
        floor_cells = [ms(median(floor)), ratio(median(ours), median(floor))] if floor else ["-", "-"]
        rows.append([name, ms(median(bare)), *floor_cells[:1], ms(median(ours)), ms(percentile(ours, 90)),
                     ratio(median(ours), median(bare)), floor_cells[1], ms(data["server cpu"][0]),
                     ms(median(submit)), ms(percentile(submit, 90))])
    print_table("Run now: POST run/{id} (synchronous, answers when the run ends) against bare python and the fork floor",
                ["side", "bare p50", "fork floor p50", "ours p50", "ours p90", "ours/bare", "ours/floor",
                 "server CPU/run", "jobs/{id}/runs 202 p50", "202 p90"], rows)
    print_table("Where POST run/{id} spends its time (medians; server timestamps, same clock as the client)",
                ["phase", *phases], [[name, *(ms(median(data[name])) for data in phases.values())]
                                     for name in next(iter(phases.values())) if "->" in name])
    print("  (started_at is taken once the process is started or forked; a cold interpreter's start-up falls in"
          " started_at -> finished_at, as it does in bare p50)")
    print(f"\n  creation of {seeded:,} jobs via POST jobs (8 clients): {seconds:.1f} s = "
          f"{seeded / seconds:,.0f} jobs/s")
    cold, warm = phases["cold, 1 job"], phases["warm, 1 job"]
    many = phases[f"warm, {seeded + 1:,} jobs"]
    cold_ratio = median(cold["ours"]) / median(cold["bare"])
    warm_ratio = median(warm["ours"]) / median(warm["bare"])
    print("\nRATIOS (medians, same run)")
    print(f"  cold ours / bare python:        {cold_ratio:.2f}x   target <= {TARGET_COLD}x  "
          f"{verdict(cold_ratio <= TARGET_COLD)}   server's own cost per cold run: "
          f"{ms(median(cold['ours']) - median(cold['bare']))}")
    print(f"  warm ours / fork floor:         {median(warm['ours']) / median(warm['floor']):.2f}x   "
          f"server's own cost per warm run: {ms(median(warm['ours']) - median(warm['floor']))}")
    print(f"  warm ours / bare python:        {warm_ratio:.2f}x   target <= {TARGET_WARM}x  "
          f"{verdict(warm_ratio <= TARGET_WARM)}")
    print(f"  fork floor / bare python:       {median(warm['floor']) / median(warm['bare']):.2f}x")
    print(f"  warm with {seeded + 1:,} jobs / bare: {median(many['ours']) / median(many['bare']):.2f}x   "
          f"(slowdown from 1 job: {median(many['ours']) / median(warm['ours']):.2f}x)")
    footer(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
