"""Run-now overhead: ``POST run/{id}`` end to end against a bare ``python file.py``.

Both sides run the same trivial script with the same interpreter; the iterations alternate
(bare, ours, bare, ours, ...) so that machine noise hits both alike. Then 10,000 other jobs are
created through the API (concurrently, 8 clients) and the comparison is repeated: a run of one job
must not get slower because many other jobs exist.

Also timed: ``POST jobs/{id}/runs`` (202 as soon as the run is recorded), idle server each time.

    .venv/bin/python bench/run_now.py            # full: N=30, 10,000 seeded jobs
    .venv/bin/python bench/run_now.py --quick    # CI smoke: N=8, 500 seeded jobs
    .venv/bin/python bench/run_now.py --prestarted 0   # every run starts a cold interpreter

By default the server keeps one interpreter started ahead of runs (``prestarted_interpreters``);
between two runs of this benchmark the replacement spare has time to start, as it would between
a user's clicks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

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

TARGET_RATIO = 1.15
OLD_RATIO, OLD_RATIO_MANY = 1.44, 16.7
SCRIPT = 'print("ok")\n'
WARMUP = 3


def bare_run(script: Path) -> float:
    start = time.perf_counter()
    completed = subprocess.run([PYTHON, str(script)], cwd=script.parent, stdin=subprocess.DEVNULL,
                               capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0 or completed.stdout != b"ok\n":
        raise RuntimeError(f"bare run failed: {completed.returncode} {completed.stdout!r} {completed.stderr!r}")
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


def measure(server: Server, job_id: str, script: Path, count: int) -> dict[str, list[float]]:
    for _ in range(WARMUP):
        bare_run(script)
        api_run(server.client, job_id, {})
    bare, ours, phases = [], [], {}
    for _ in range(count):
        bare.append(bare_run(script))
        ours.append(api_run(server.client, job_id, phases))
    return {"bare": bare, "ours": ours, "submit": submit_latencies(server.client, job_id, count), **phases}


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], lambda parser: parser.add_argument(
        "--prestarted", type=int, default=1, help="the server's prestarted_interpreters (default 1, as shipped)"))
    count, seeded = (8, 500) if args.quick else (30, 10_000)
    print(f"run_now: {machine_line()}")
    print(f"  N={count} alternating runs per side (after {WARMUP} warm-up runs each), then {seeded:,} other jobs;"
          f" prestarted_interpreters={args.prestarted}")
    started = time.perf_counter()
    with Server(keep=args.keep, verbose=args.verbose, max_concurrent_runs=4,
                prestarted_interpreters=args.prestarted) as server:
        relative = server.write("hello.py", SCRIPT)
        script = server.root / relative
        job = server.client.post("jobs", {"name": "hello", "pipeline_path": relative, "schedule_type": "interval",
                                          "interval_seconds": 86400})
        phases = {"1 job": measure(server, job["id"], script, count)}

        print(f"  creating {seeded:,} other jobs through POST jobs (8 concurrent clients) ...", flush=True)
        seconds, _ = create_jobs(server.client, [idle_job(relative, i) for i in range(seeded)], workers=8,
                                 progress_label="created")
        health = server.client.get("health")
        assert health["jobs"] == seeded + 1, health
        server.settle()
        phases[f"{seeded + 1:,} jobs"] = measure(server, job["id"], script, count)

    rows, ratios = [], {}
    for name, data in phases.items():
        bare, ours, submit = data["bare"], data["ours"], data["submit"]
        ratios[name] = median(ours) / median(bare)
        rows.append([name, ms(median(bare)), ms(percentile(bare, 90)), ms(median(ours)), ms(percentile(ours, 90)),
                     ratio(median(ours), median(bare)), ratio(percentile(ours, 90), percentile(bare, 90)),
                     ms(median(submit)), ms(percentile(submit, 90))])
    print_table("Run now: bare `python hello.py` vs POST run/{id} (synchronous, answers when the run ends)",
                ["jobs in store", "bare p50", "bare p90", "run/{id} p50", "run/{id} p90", "ratio p50", "ratio p90",
                 "jobs/{id}/runs 202 p50", "202 p90"], rows)
    print_table("Where POST run/{id} spends its time (medians; server timestamps, same clock as the client)",
                ["phase", *phases], [[name, *(ms(median(data[name])) for data in phases.values())]
                                     for name in next(iter(phases.values())) if "->" in name])
    print("  (started_at is taken once the process is started or a prestarted interpreter has the run; a cold"
          " interpreter's start-up falls in started_at -> finished_at, as it does in bare p50)")
    print(f"\n  creation of {seeded:,} jobs via POST jobs (8 clients): {seconds:.1f} s = "
          f"{seeded / seconds:,.0f} jobs/s")
    (first, few), (second, many) = list(ratios.items())
    print("\nRATIOS (ours / bare, medians, same run)")
    print(f"  {first:>14}: {few:.2f}x   target <= {TARGET_RATIO}x  {verdict(few <= TARGET_RATIO)}"
          f"   (amphi-scheduler 0.9.7: {OLD_RATIO}x)")
    print(f"  {second:>14}: {many:.2f}x   target <= {TARGET_RATIO}x  {verdict(many <= TARGET_RATIO)}"
          f"   (0.9.7 with 10,000 jobs: {OLD_RATIO_MANY}x)")
    print(f"  slowdown from {first} to {second}: {many / few:.2f}x")
    footer(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
