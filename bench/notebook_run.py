"""Notebook run-now: ``POST run/{id}`` of a small notebook, warm and cold, against ``jupyter execute``
and ``papermill`` of the same notebook, in the same run.

Each round runs, one after the other: ``jupyter execute``, ``papermill`` (when the interpreter can
import it), our run-now in a kernel of its own (cold: the job has an environment variable, which
a warm kernel would not have) and our run-now in a prestarted kernel (warm: a job without one; the
server's ``kernel_pool_size`` is 1, and its spare is restarted while the other sides run). The
rounds interleave so that machine noise hits every side alike. Also timed: ``import nbformat`` in a
fresh interpreter as Python does it and as our runner does it (jsonschema's IRI checker hidden).

    .venv/bin/python bench/notebook_run.py            # N=10 rounds
    .venv/bin/python bench/notebook_run.py --quick    # CI smoke: N=3
    .venv/bin/python bench/notebook_run.py --peers    # also jupyter-scheduler (its own venv, bench/peers.py)

With ``--peers``, jupyter-scheduler runs the same notebook as one-off jobs on a server of its own
after the other sides (a job is created, and timed until it reads COMPLETED).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    PYTHON,
    Server,
    footer,
    machine_line,
    median,
    ms,
    parse_args,
    print_table,
    ratio,
    verdict,
)

from peers import JUPYTER_SCHEDULER, ensure, run_jupyter_scheduler_job, version  # noqa: E402

WARM_TARGET, COLD_TARGET = 0.15, 1.0
CELLS = ["import os\nrows = 6 * 7", "print('rows:', rows)", "sum(range(1000))"]
IMPORT_PLAIN = "import nbformat"
IMPORT_RUNNER = "import sys; sys.modules.setdefault('rfc3987_syntax', None); import nbformat"


def notebook_json() -> str:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{index}", "metadata": {}, "outputs": [],
              "source": source} for index, source in enumerate(CELLS)]
    return json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}})


def timed_process(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    completed = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed: {completed.returncode} {completed.stderr[-2000:]!r}")
    return elapsed


def jupyter_execute() -> list[str]:
    script = Path(PYTHON).with_name("jupyter-execute")
    return [str(script)] if script.exists() else [PYTHON, "-m", "jupyter", "execute"]


def has_papermill() -> bool:
    return subprocess.run([PYTHON, "-c", "import papermill"], capture_output=True, check=False).returncode == 0


def run_now(server: Server, job_id: str, warm: bool) -> tuple[float, bool]:
    elapsed, body = server.client.timed("POST", f"run/{job_id}", {})
    answer = json.loads(body)
    if not answer["success"]:
        raise RuntimeError(f"run failed: {body[:1000]!r}")
    return elapsed, "prestarted]" in answer["output"]


def wait_for_spare(server: Server, job_id: str, limit: float = 60.0) -> None:
    """Give the pool time to start its replacement (as between a user's clicks)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if any("--serve" in line for line in _processes()):
            time.sleep(1.0)  # its kernel starting
            return
        time.sleep(0.1)


def _processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], lambda parser: parser.add_argument(
        "--peers", action="store_true", help="also jupyter-scheduler, in its own venv (bench/peers.py)"))
    rounds = 3 if args.quick else 10
    papermill = has_papermill()
    print(f"notebook_run: {machine_line()}")
    print(f"  N={rounds} rounds, a {len(CELLS)}-cell notebook; papermill {'installed' if papermill else 'not installed'}")
    started = time.perf_counter()
    times: dict[str, list[float]] = {"jupyter execute": [], "papermill": [], "ours, cold": [], "ours, warm": []}
    imports: dict[str, list[float]] = {"import nbformat": [], "as our runner does": []}
    warm_hits = 0
    with Server(keep=args.keep, verbose=args.verbose, kernel_pool_size=1, prestarted_interpreters=0) as server:
        relative = server.write("reports/small.ipynb", notebook_json())
        notebook = server.root / relative
        out_dir = server.base / "papermill"
        out_dir.mkdir()
        cold = server.client.post("jobs", {"pipeline_path": relative, "schedule_type": "manual", "name": "cold",
                                           "env": {"BENCH_COLD": "1"}})
        warm = server.client.post("jobs", {"pipeline_path": relative, "schedule_type": "manual", "name": "warm"})
        run_now(server, warm["id"], False)  # the first notebook run asks for spares
        for index in range(rounds):
            times["jupyter execute"].append(timed_process([*jupyter_execute(), str(notebook)], notebook.parent))
            if papermill:
                times["papermill"].append(timed_process([PYTHON, "-m", "papermill", str(notebook),
                                                         str(out_dir / f"{index}.ipynb")], notebook.parent))
            times["ours, cold"].append(run_now(server, cold["id"], False)[0])
            imports["import nbformat"].append(timed_process([PYTHON, "-c", IMPORT_PLAIN], server.base))
            imports["as our runner does"].append(timed_process([PYTHON, "-c", IMPORT_RUNNER], server.base))
            wait_for_spare(server, warm["id"])
            elapsed, hit = run_now(server, warm["id"], True)
            times["ours, warm"].append(elapsed)
            warm_hits += hit
    shutil.rmtree(out_dir, ignore_errors=True)
    if args.peers:
        ensure(JUPYTER_SCHEDULER)
        side = f"jupyter-scheduler {version(JUPYTER_SCHEDULER)}"
        with Server(peer=JUPYTER_SCHEDULER.server(), label="jupyter-scheduler") as peer:
            peer.write("small.ipynb", notebook_json())
            run_jupyter_scheduler_job(peer.client, "small.ipynb")  # warm-up, as ours had
            for _ in range(rounds):
                start = time.perf_counter()
                run_jupyter_scheduler_job(peer.client, "small.ipynb")
                times.setdefault(side, []).append(time.perf_counter() - start)

    baseline = median(times["jupyter execute"])
    rows = [[name, ms(median(values)), ms(max(values)), ratio(median(values), baseline)]
            for name, values in times.items() if values]
    print_table("Run of a small notebook, end to end (medians of the rounds)",
                ["side", "p50", "max", "vs jupyter execute"], rows)
    print_table("Fresh interpreter importing nbformat (medians)", ["how", "p50", "vs import nbformat"],
                [[name, ms(median(values)), ratio(median(values), median(imports["import nbformat"]))]
                 for name, values in imports.items()])
    print(f"  warm runs that found a prestarted kernel: {warm_hits}/{rounds}")
    warm_ratio = median(times["ours, warm"]) / baseline
    cold_ratio = median(times["ours, cold"]) / baseline
    print("\nRATIOS (ours / jupyter execute of the same notebook, medians, same run)")
    print(f"  warm run-now: {warm_ratio:.2f}x   target <= {WARM_TARGET}x  {verdict(warm_ratio <= WARM_TARGET)}")
    print(f"  cold run-now: {cold_ratio:.2f}x   target <= {COLD_TARGET}x  {verdict(cold_ratio <= COLD_TARGET)}")
    if papermill:
        print(f"  papermill: {median(times['papermill']) / baseline:.2f}x (for reference)")
    for side in (name for name in times if name.startswith("jupyter-scheduler")):
        print(f"  {side}: {median(times[side]) / baseline:.2f}x; ours warm / it: "
              f"{median(times['ours, warm']) / median(times[side]):.2f}x")
    footer(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
