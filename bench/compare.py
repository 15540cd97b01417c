"""Ours against the peers, measured in the same run on the same machine: one table.

Sides: our server (warm: the default prestarted interpreter; cold: ``prestarted_interpreters=0``),
amphi-scheduler 0.9.7 and jupyter-scheduler (each in a venv of its own, ``bench/peers.py``), and the
floor (a bare ``python file.py``, ``jupyter execute``, a bare Jupyter Server without any scheduler).
Every side gets the same requests over loopback HTTP; the settings of each side are printed.

Rows: idle RSS and idle CPU, run-now of a trivial script, a 3-cell notebook run, create rate and
``GET jobs`` at N jobs (latency, body size, RSS), and a burst of M trivial jobs due at the same
instant (start delay p50/p99 after the due instant, all runs finished).

    .venv/bin/python bench/compare.py            # full: N=10,000 jobs, M=1,000 burst
    .venv/bin/python bench/compare.py --quick    # CI smoke: N=300, M=60, short idle windows
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PYTHON,
    Server,
    create_jobs,
    footer,
    idle_job,
    machine_line,
    median,
    parse_args,
    parse_iso,
    percentile,
    print_table,
)
from peers import AMPHI_097, BARE, JUPYTER_SCHEDULER, ensure, version  # noqa: E402

SCRIPT = 'print("ok")\n'
NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
               "source": source} for i, source in enumerate(["x = 21", "y = x * 2", "print(y)"])],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}

Row = dict[str, str]


def rss_mb(server: Server) -> tuple[float, float]:
    """Resident memory of the server process alone and with its children (spare interpreters, kernels)."""
    process = psutil.Process(server.process.pid)
    own = process.memory_info().rss
    tree = own + sum(child.memory_info().rss for child in process.children(recursive=True))
    return own / 2**20, tree / 2**20


def idle_cpu_per_minute(server: Server, seconds: float) -> float:
    server.settle()
    before = server.cpu_seconds()
    time.sleep(seconds)
    return (server.cpu_seconds() - before) * 60 / seconds


def timed_runs(count: int, once: Callable[[], None]) -> float:
    """Median seconds of ``count`` calls after one warm-up."""
    once()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        once()
        samples.append(time.perf_counter() - start)
    return median(samples)


def bare_python(script: Path) -> None:
    completed = subprocess.run([PYTHON, str(script)], cwd=script.parent, capture_output=True, check=False)
    if completed.stdout != b"ok\n":
        raise RuntimeError(f"bare run failed: {completed!r}")


def amphi_run_now(server: Server, job_id: str) -> None:
    """``POST run/{id}`` answers when the run ends, on 0.9.7 and on ours alike."""
    answer = server.client.post(f"run/{job_id}")
    if not answer.get("success"):
        raise RuntimeError(f"run failed: {json.dumps(answer)[:400]}")


def jupyter_scheduler_run(server: Server, notebook: str) -> None:
    job = server.client.post("jobs", {"input_uri": notebook, "runtime_environment_name": "python3",
                                      "name": "bench", "output_formats": ["ipynb"]})
    while True:
        status = server.client.get(f"jobs/{job['job_id']}")["status"]
        if status == "COMPLETED":
            return
        if status in ("FAILED", "STOPPED"):
            raise RuntimeError(f"jupyter-scheduler job ended {status}")
        time.sleep(0.02)


def jupyter_execute(notebook: Path) -> None:
    subprocess.run([PYTHON, "-m", "jupyter", "execute", "--inplace", str(notebook)], cwd=notebook.parent,
                   capture_output=True, check=True)


def list_at(server: Server, count: int) -> dict[str, float]:
    """Create ``count`` idle jobs through the API, then time ``GET jobs``."""
    seconds, _ = create_jobs(server.client, [idle_job("trivial.py", i) for i in range(count)])
    server.settle()
    samples, size = [], 0
    for _ in range(5):
        elapsed, body = server.client.timed("GET", "jobs")
        samples.append(elapsed)
        size = len(body)
    return {"create_rate": count / seconds, "list_s": median(samples), "body_mb": size / 2**20,
            "rss_mb": rss_mb(server)[0]}


def burst(server: Server, count: int, lead: float) -> dict[str, float]:
    """``count`` trivial jobs all due ``lead`` s from now; start delay after the due instant."""
    due = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=lead)
    payload = {"pipeline_path": "trivial.py", "schedule_type": "date", "date_type": "once",
               "run_date": due.isoformat().replace("+00:00", "Z")}
    create_jobs(server.client, [{**payload, "name": f"burst_{i:04d}"} for i in range(count)])
    if datetime.now(timezone.utc) >= due:
        raise RuntimeError(f"creating {count} jobs took longer than the {lead} s lead: raise it")
    deadline = time.monotonic() + lead + 600
    while time.monotonic() < deadline:
        runs = [run for run in server.client.get(f"runs?limit={min(1000, count + 50)}")["runs"]
                if str(run.get("job_name", "")).startswith("burst_") and run.get("finished_at")]
        if len(runs) >= count:
            break
        time.sleep(1)
    delays = [parse_iso(run["started_at"]) - due.timestamp() for run in runs]
    return {"p50": percentile(delays, 50), "p99": percentile(delays, 99), "finished": len(runs)}


def fmt(value: float | None, unit: str, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def measure_amphi_like(label: str, server: Server, args: Any, count: int, burst_size: int) -> Row:
    row: Row = {"side": label}
    server.write("trivial.py", SCRIPT)
    server.write("nb.ipynb", json.dumps(NOTEBOOK))
    own, tree = rss_mb(server)
    row["idle RSS"] = f"{own:.0f} MB ({tree:.0f} with children)"
    row["idle CPU"] = fmt(idle_cpu_per_minute(server, args.idle), " s/min", 2)
    job = server.client.post("jobs", idle_job("trivial.py", 0))["id"]
    row["run-now"] = fmt(timed_runs(args.runs, lambda: amphi_run_now(server, job)) * 1000, " ms", 0)
    try:
        notebook_job = server.client.post("jobs", {**idle_job("nb.ipynb", 1), "name": "notebook"})["id"]
        row["notebook run"] = fmt(timed_runs(max(2, args.runs // 3), lambda: amphi_run_now(server, notebook_job)),
                                  " s", 2)
    except Exception as error:  # 0.9.7 runs a notebook path as Python source: it fails, which is its answer
        row["notebook run"] = f"fails ({str(error)[:40]}...)"
    at = list_at(server, count)
    row["create"] = f"{at['create_rate']:.0f} jobs/s"
    row[f"GET jobs @{count}"] = f"{at['list_s'] * 1000:.0f} ms, {at['body_mb']:.1f} MB"
    row[f"RSS @{count}"] = f"{at['rss_mb']:.0f} MB"
    started = burst(server, burst_size, lead=max(10.0, burst_size / 40))
    row[f"burst {burst_size} start p50/p99"] = (f"{started['p50']:.2f} / {started['p99']:.2f} s"
                                               f" ({started['finished']:.0f} ran)")
    return row


def measure_jupyter_scheduler(server: Server, args: Any) -> Row:
    row: Row = {"side": f"jupyter-scheduler {version(JUPYTER_SCHEDULER)}"}
    server.write("nb.ipynb", json.dumps(NOTEBOOK))
    own, tree = rss_mb(server)
    row["idle RSS"] = f"{own:.0f} MB ({tree:.0f} with children)"
    row["idle CPU"] = fmt(idle_cpu_per_minute(server, args.idle), " s/min", 2)
    row["run-now"] = "n/a (notebooks only)"
    try:
        row["notebook run"] = fmt(timed_runs(max(2, args.runs // 3),
                                             lambda: jupyter_scheduler_run(server, "nb.ipynb")), " s", 2)
    except RuntimeError as error:  # reported as measured, not hidden
        row["notebook run"] = f"fails: {error}"
    return row


def measure_floor(args: Any, workdir: Path) -> Row:
    script = workdir / "trivial.py"
    script.write_text(SCRIPT)
    notebook = workdir / "nb.ipynb"
    notebook.write_text(json.dumps(NOTEBOOK))
    row: Row = {"side": "floor (bare python / jupyter execute / same server without ours)"}
    with Server(peer=BARE, label="bare server") as server:
        own, tree = rss_mb(server)
        row["idle RSS"] = f"{own:.0f} MB ({tree:.0f} with children)"
        row["idle CPU"] = fmt(idle_cpu_per_minute(server, args.idle), " s/min", 2)
    row["run-now"] = fmt(timed_runs(args.runs, lambda: bare_python(script)) * 1000, " ms", 0)
    row["notebook run"] = fmt(timed_runs(max(2, args.runs // 3), lambda: jupyter_execute(notebook)), " s", 2)
    return row


def main() -> None:
    args = parse_args(__doc__, lambda parser: parser.add_argument(
        "--no-peers", action="store_true", help="measure ours and the floor only (no peer venvs)"))
    args.runs = 5 if args.quick else 20
    args.idle = 5.0 if args.quick else 60.0
    count, burst_size = (300, 60) if args.quick else (10_000, 1_000)
    started = time.time()
    print(machine_line())
    print(f"settings: ours = defaults (prestarted_interpreters=1, max_concurrent_runs default) and "
          f"prestarted_interpreters=0 for cold; 0.9.7 = its defaults (ThreadPoolExecutor 10, coalesce, "
          f"misfire_grace_time 60 from POST jobs); jupyter-scheduler = its defaults; same Python {sys.version.split()[0]}")
    rows: list[Row] = []
    with Server(label="ours (warm)", keep=args.keep, verbose=args.verbose) as server:
        rows.append(measure_amphi_like("ours, warm (prestarted)", server, args, count, burst_size))
    with tempfile.TemporaryDirectory(prefix="amphi-bench-floor-") as floor_dir:
        rows.append(measure_floor(args, Path(floor_dir)))
    with Server(label="ours (cold)", prestarted_interpreters=0) as server:
        server.write("trivial.py", SCRIPT)
        job = server.client.post("jobs", idle_job("trivial.py", 0))["id"]
        rows.append({"side": "ours, cold (prestarted_interpreters=0)",
                     "run-now": fmt(timed_runs(args.runs, lambda: amphi_run_now(server, job)) * 1000, " ms", 0)})
    if not args.no_peers:
        ensure(AMPHI_097)
        with Server(peer=AMPHI_097.server(), label="amphi-scheduler 0.9.7") as server:
            rows.append(measure_amphi_like(f"amphi-scheduler {version(AMPHI_097)}", server, args, count, burst_size))
        ensure(JUPYTER_SCHEDULER)
        with Server(peer=JUPYTER_SCHEDULER.server(), label="jupyter-scheduler") as server:
            rows.append(measure_jupyter_scheduler(server, args))
    columns = ["side", "idle RSS", "idle CPU", "run-now", "notebook run", "create", f"GET jobs @{count}",
               f"RSS @{count}", f"burst {burst_size} start p50/p99"]
    print_table("same run, same machine (medians; run-now and notebook run end to end over HTTP)", columns,
                [[row.get(column, "-") for column in columns] for row in rows])
    footer(started)


if __name__ == "__main__":
    main()
