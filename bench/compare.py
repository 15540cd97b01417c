"""Ours against the peers, measured in the same run on the same machine: one table.

Sides: our server (warm: the default prestarted interpreter; cold: ``prestarted_interpreters=0``),
amphi-scheduler 0.9.7 and jupyter-scheduler (each in a venv of its own, ``bench/peers.py``), and the
floor (a bare ``python file.py``, ``jupyter execute``, a bare Jupyter Server without any scheduler).
Every side gets the same requests over loopback HTTP; the settings of each side are printed.

Rows: idle RSS and idle CPU, run-now of a trivial script (every side's servers up at once, the sides
taking turns each iteration, as ``run_now.py`` does: the machine's drift weighs on all alike), a 3-cell
notebook run, create rate and
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
from contextlib import ExitStack
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
    verdict,
)
from idle import thread_cpu_ns  # noqa: E402
from list_jobs import COMPACT  # noqa: E402
from peers import (  # noqa: E402
    AMPHI_097,
    BARE,
    JUPYTER_SCHEDULER,
    STACK_FLOOR,
    ensure,
    run_jupyter_scheduler_job,
    version,
)

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
    """CPU-s a minute of the server process, summed over its threads in nanoseconds (``schedstat``:
    the process's clock ticks move in 10-ms steps, coarser than the 0.005 s/min target over a minute)."""
    server.settle()
    before = thread_cpu_ns(server.process.pid)
    time.sleep(seconds)
    after = thread_cpu_ns(server.process.pid)
    return sum(ns - before.get(tid, 0) for tid, ns in after.items()) / 1e9 * 60 / seconds


def timed_runs(count: int, once: Callable[[], None]) -> float:
    """Median seconds of ``count`` calls after one warm-up."""
    once()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        once()
        samples.append(time.perf_counter() - start)
    return median(samples)


def alternating_medians(contenders: dict[str, Callable[[], None]], count: int) -> dict[str, float | str]:
    """Median seconds of ``count`` calls of each contender, the contenders taking turns (the first one
    moves round every iteration); one warm-up call each. A contender that fails is reported as
    failing (its message) and leaves the turns."""
    samples: dict[str, list[float]] = {key: [] for key in contenders}
    failed: dict[str, str] = {}

    def call(key: str) -> float | None:
        start = time.perf_counter()
        try:
            contenders[key]()
        except Exception as error:  # a side that cannot do it: reported as measured, not hidden
            failed[key] = f"fails: {str(error)[:60]}"
            return None
        return time.perf_counter() - start

    for key in list(contenders):
        call(key)
    for iteration in range(count):
        keys = [key for key in contenders if key not in failed]
        for key in keys[iteration % len(keys):] + keys[:iteration % len(keys)] if keys else []:
            seconds = call(key)
            if seconds is not None:
                samples[key].append(seconds)
    return {**{key: median(values) for key, values in samples.items() if key not in failed}, **failed}


def bare_python(script: Path) -> None:
    completed = subprocess.run([PYTHON, str(script)], cwd=script.parent, capture_output=True, check=False)
    if completed.stdout != b"ok\n":
        raise RuntimeError(f"bare run failed: {completed!r}")


def run_now_of(server: Server) -> Callable[[], None]:
    """``POST run/{id}`` of a new job of the trivial script on ``server``."""
    server.write("trivial.py", SCRIPT)
    job = server.client.post("jobs", idle_job("trivial.py", 0))["id"]
    return lambda: amphi_run_now(server, job)


def amphi_run_now(server: Server, job_id: str) -> None:
    """``POST run/{id}`` answers when the run ends, on 0.9.7 and on ours alike."""
    answer = server.client.post(f"run/{job_id}")
    if not answer.get("success"):
        raise RuntimeError(f"run failed: {json.dumps(answer)[:400]}")


def jupyter_execute(notebook: Path) -> None:
    subprocess.run([PYTHON, "-m", "jupyter", "execute", "--inplace", str(notebook)], cwd=notebook.parent,
                   capture_output=True, check=True)


def timed_list(server: Server, path: str) -> tuple[float, float]:
    """``GET path``: median seconds of 5 requests, and the body in MB."""
    samples, size = [], 0
    for _ in range(5):
        elapsed, body = server.client.timed("GET", path)
        samples.append(elapsed)
        size = len(body)
    return median(samples), size / 2**20


def list_at(server: Server, count: int, compact: bool) -> dict[str, float]:
    """Create ``count`` idle jobs through the API, then time ``GET jobs`` (``compact``: and the panel's
    ``GET jobs?fields=``, after the whole list, so that RSS counts both)."""
    seconds, _ = create_jobs(server.client, [idle_job("trivial.py", i) for i in range(count)])
    server.settle()
    figures = {"create_rate": count / seconds}
    figures["list_s"], figures["body_mb"] = timed_list(server, "jobs")
    if compact:
        figures["compact_s"], figures["compact_mb"] = timed_list(server, COMPACT)
    return {**figures, "rss_mb": rss_mb(server)[0]}


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


class Side:
    """One column set of the table: the figures measured (numbers, for the ratios) and how they read."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.row: Row = {"side": label}
        self.figures: dict[str, float] = {}

    def put(self, column: str, key: str, value: float, text: str) -> None:
        self.figures[key] = value
        self.row[column] = text

    def idle(self, server: Server, args: Any) -> None:
        own, tree = rss_mb(server)
        self.figures["rss_tree"] = tree
        self.put("idle RSS", "rss", own, f"{own:.0f} MB ({tree:.0f} with children)")
        cpu = idle_cpu_per_minute(server, args.idle)
        self.put("idle CPU", "cpu", cpu, fmt(cpu, " s/min", 3))

    def timed(self, column: str, key: str, count: int, once: Callable[[], None], unit: str = "ms") -> None:
        try:
            seconds = timed_runs(count, once)
        except Exception as error:  # a side that cannot do it: reported as measured, not hidden
            self.row[column] = f"fails: {str(error)[:60]}"
            return
        self.put(column, key, seconds, fmt(seconds * 1000, " ms", 0) if unit == "ms" else fmt(seconds, " s", 2))


def measure_amphi_like(side: Side, server: Server, args: Any, count: int, burst_size: int, ours: bool) -> Side:
    server.write("trivial.py", SCRIPT)
    server.write("nb.ipynb", json.dumps(NOTEBOOK))
    side.idle(server, args)
    notebook_job = server.client.post("jobs", {**idle_job("nb.ipynb", 1), "name": "notebook"})["id"]
    side.timed("notebook run", "notebook", max(2, args.runs // 3), lambda: amphi_run_now(server, notebook_job), "s")
    at = list_at(server, count, compact=ours)
    side.put("create", "create_rate", at["create_rate"], f"{at['create_rate']:.0f} jobs/s")
    side.put(f"GET jobs @{count}", "list_s", at["list_s"], f"{at['list_s'] * 1000:.0f} ms, {at['body_mb']:.1f} MB")
    side.figures["body_mb"] = at["body_mb"]
    if ours:
        side.put("GET jobs?fields= (the panel's)", "compact_s", at["compact_s"],
                 f"{at['compact_s'] * 1000:.0f} ms, {at['compact_mb']:.1f} MB")
        side.figures["compact_mb"] = at["compact_mb"]
    side.put(f"RSS @{count}", "rss_many", at["rss_mb"], f"{at['rss_mb']:.0f} MB")
    started = burst(server, burst_size, lead=max(10.0, burst_size / 40))
    side.figures["burst_p50"] = started["p50"]
    side.put(f"burst {burst_size} start p50/p99", "burst_p99", started["p99"],
             f"{started['p50']:.2f} / {started['p99']:.2f} s ({started['finished']:.0f} ran)")
    return side


def measure_jupyter_scheduler(server: Server, args: Any) -> Side:
    side = Side(f"jupyter-scheduler {version(JUPYTER_SCHEDULER)}")
    server.write("nb.ipynb", json.dumps(NOTEBOOK))
    side.idle(server, args)
    side.row["run-now"] = "n/a (notebooks only)"
    side.timed("notebook run", "notebook", max(2, args.runs // 3),
               lambda: run_jupyter_scheduler_job(server.client, "nb.ipynb"), "s")
    return side


def measure_floor(args: Any, workdir: Path) -> Side:
    script = workdir / "trivial.py"
    script.write_text(SCRIPT)
    notebook = workdir / "nb.ipynb"
    notebook.write_text(json.dumps(NOTEBOOK))
    side = Side("floor (bare python / jupyter execute / same server without ours)")
    with Server(peer=BARE, label="bare server") as server:
        side.idle(server, args)
    side.timed("notebook run", "notebook", max(2, args.runs // 3), lambda: jupyter_execute(notebook), "s")
    return side


def measure_stack_floor(args: Any) -> Side:
    """What the stack costs before our code (``bench/stack_floor.py``): idle RSS with our libraries
    started (its no-op ``POST`` is timed with the run-nows, see :func:`measure_run_now`)."""
    side = Side("stack floor (APScheduler + SQLAlchemy store + pydantic, none of ours)")
    with Server(peer=STACK_FLOOR, label="stack floor") as server:
        side.idle(server, args)
    return side


def measure_run_now(args: Any, sides: dict[str, Side], workdir: Path) -> None:
    """Run-now on every side that has one, with every side's server up at once and the sides taking
    turns each iteration: ours warm and cold, 0.9.7 (when measured), a bare ``python file.py`` and the
    stack floor's authenticated no-op ``POST``."""
    script = workdir / "trivial.py"
    script.write_text(SCRIPT)
    sides["cold"] = Side("ours, cold (prestarted_interpreters=0)")
    contenders: dict[str, Callable[[], None]] = {"floor": lambda: bare_python(script)}
    with ExitStack() as servers:
        contenders["warm"] = run_now_of(servers.enter_context(Server(label="ours (warm)")))
        contenders["cold"] = run_now_of(servers.enter_context(Server(label="ours (cold)", prestarted_interpreters=0)))
        if "0.9.7" in sides:
            contenders["0.9.7"] = run_now_of(servers.enter_context(Server(peer=AMPHI_097.server(),
                                                                          label="amphi-scheduler 0.9.7")))
        stack = servers.enter_context(Server(peer=STACK_FLOOR, label="stack floor"))
        contenders["stack"] = lambda: stack.client.post("noop")
        medians = alternating_medians(contenders, args.run_nows)
    for key, value in medians.items():
        side, figure = sides[key], "noop_post" if key == "stack" else "run_now"
        if isinstance(value, str):
            side.row["run-now"] = value
        elif key == "stack":
            side.put("run-now", figure, value, f"bare + {value * 1000:.2f} ms (no-op POST)")
        else:
            side.put("run-now", figure, value, fmt(value * 1000, " ms", 1))


def print_ratios(sides: dict[str, Side]) -> None:
    """The headline: same-run ratios against like-for-like baselines, with #14's targets."""
    print("\nRATIOS (same run; < 1 is better for ours)")

    def line(what: str, ours: str, key: str, base: str, base_key: str, target: float | None) -> None:
        a, b = sides.get(ours), sides.get(base)
        if a is None or b is None or key not in a.figures or base_key not in b.figures or not b.figures[base_key]:
            print(f"  {what}: n/a (a side was not measured)")
            return
        value = a.figures[key] / b.figures[base_key]
        goal = f"   target <= {target:.2f}x: {verdict(value <= target)}" if target else ""
        print(f"  {what}: {value:.2f}x{goal}")

    line("run-now, ours warm / bare python", "warm", "run_now", "floor", "run_now", 0.5)
    line("run-now, ours cold / bare python", "cold", "run_now", "floor", "run_now", 1.10)
    line("run-now, 0.9.7 / bare python", "0.9.7", "run_now", "floor", "run_now", None)
    line("notebook run, ours / jupyter execute", "warm", "notebook", "floor", "notebook", None)
    line("notebook run, jupyter-scheduler / jupyter execute", "jupyter-scheduler", "notebook", "floor", "notebook", None)
    line("idle RSS, ours / same server without ours", "warm", "rss", "floor", "rss", 1.2)
    line("idle RSS, the stack alone (no code of ours) / same server without ours", "stack", "rss", "floor", "rss", 1.2)
    line("idle RSS, ours / the stack alone", "warm", "rss", "stack", "rss", None)
    floor, stack = sides.get("floor"), sides.get("stack")
    if floor and stack and "run_now" in floor.figures and "noop_post" in stack.figures:
        through_jupyter = floor.figures["run_now"] + stack.figures["noop_post"]
        print(f"  run-now floor through Jupyter, (bare python + authenticated no-op POST) / bare python: "
              f"{through_jupyter / floor.figures['run_now']:.2f}x   (the least any cold run-now can reach; target 1.10x)")
        if "cold" in sides and "run_now" in sides["cold"].figures:
            print(f"  run-now, ours cold / that floor: {sides['cold'].figures['run_now'] / through_jupyter:.2f}x")
    line("RSS at N jobs, ours / same server without ours", "warm", "rss_many", "floor", "rss", 1.5)
    line("GET jobs at N, ours / 0.9.7 (time)", "warm", "list_s", "0.9.7", "list_s", None)
    line("GET jobs at N, ours / 0.9.7 (body size, the whole list)", "warm", "body_mb", "0.9.7", "body_mb", None)
    line("GET jobs at N, the panel's list / 0.9.7's (body size)", "warm", "compact_mb", "0.9.7", "body_mb", 1.0)
    line("time per created job, ours / 0.9.7", "0.9.7", "create_rate", "warm", "create_rate", None)
    line("burst start delay p99, ours / 0.9.7", "warm", "burst_p99", "0.9.7", "burst_p99", 0.5)
    if "warm" in sides:
        cpu = sides["warm"].figures.get("cpu")
        print(f"  idle CPU, ours: {fmt(cpu, ' s/min', 3)}   target < 0.005 s/min: {verdict(cpu is not None and cpu < 0.005)}")


def main() -> None:
    def options(parser: Any) -> None:
        parser.add_argument("--no-peers", action="store_true", help="measure ours and the floor only (no peer venvs)")
        parser.add_argument("--jobs", type=int, help="jobs for the list/create rows (default 10,000; --quick 300)")
        parser.add_argument("--burst", type=int, help="jobs due at once (default 1,000; --quick 60)")

    args = parse_args(__doc__, options)
    args.runs = 5 if args.quick else 20
    args.run_nows = 5 if args.quick else 30  # each side's, taking turns
    args.idle = 5.0 if args.quick else 60.0
    count = args.jobs or (300 if args.quick else 10_000)
    burst_size = args.burst or (60 if args.quick else 1_000)
    started = time.perf_counter()
    print(machine_line())
    print(f"settings: ours = defaults (prestarted_interpreters=1, max_concurrent_runs default) and "
          f"prestarted_interpreters=0 for cold; 0.9.7 = its defaults (ThreadPoolExecutor 10, coalesce, "
          f"misfire_grace_time 60 from POST jobs); jupyter-scheduler = its defaults; same Python {sys.version.split()[0]}")
    sides: dict[str, Side] = {}
    with Server(label="ours (warm)", keep=args.keep, verbose=args.verbose) as server:
        sides["warm"] = measure_amphi_like(Side("ours, warm (prestarted)"), server, args, count, burst_size, True)
    with tempfile.TemporaryDirectory(prefix="amphi-bench-floor-") as floor_dir:
        sides["floor"] = measure_floor(args, Path(floor_dir))
    sides["stack"] = measure_stack_floor(args)
    if not args.no_peers:
        ensure(AMPHI_097)
        with Server(peer=AMPHI_097.server(), label="amphi-scheduler 0.9.7") as server:
            sides["0.9.7"] = measure_amphi_like(Side(f"amphi-scheduler {version(AMPHI_097)}"), server, args, count,
                                                burst_size, False)
        ensure(JUPYTER_SCHEDULER)
        with Server(peer=JUPYTER_SCHEDULER.server(), label="jupyter-scheduler") as server:
            sides["jupyter-scheduler"] = measure_jupyter_scheduler(server, args)
    with tempfile.TemporaryDirectory(prefix="amphi-bench-run-now-") as run_now_dir:
        measure_run_now(args, sides, Path(run_now_dir))
    columns = ["side", "idle RSS", "idle CPU", "run-now", "notebook run", "create", f"GET jobs @{count}",
               "GET jobs?fields= (the panel's)",
               f"RSS @{count}", f"burst {burst_size} start p50/p99"]
    print_table("same run, same machine (medians; run-now and notebook run end to end over HTTP)", columns,
                [[side.row.get(column, "-") for column in columns] for side in sides.values()])
    print_ratios(sides)
    footer(started)


if __name__ == "__main__":
    main()
