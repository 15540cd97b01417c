"""The benchmarks keep working: each runs its ``--quick`` variant end to end against a real server.

Their figures are not asserted (speed is read from their output, see bench/README.md); what must
hold is that each completes (the scripts stop on a failed run or a wrong count) and prints its
ratios against the baseline measured in the same run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.timeout(360)  # scale.py --quick: about 2 minutes (Dask workers, PostgreSQL, four servers)
@pytest.mark.parametrize("script", ["run_now.py", "list_jobs.py", "fire_burst.py", "triggers.py", "load.py",
                                    "notebook_run.py", "scale.py", "compare.py --no-peers"])
def test_benchmark_runs_in_quick_mode(script: str) -> None:
    name, *options = script.split()  # compare.py without its peers: their venvs are built by bench/peers.py
    completed = subprocess.run([sys.executable, str(BENCH / name), "--quick", *options], capture_output=True,
                               text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "RATIOS" in completed.stdout and "target" in completed.stdout, completed.stdout[-3000:]
    if name == "compare.py":  # the stack's floor was measured too: the least any run-now or idle server can reach
        assert "run-now floor through Jupyter" in completed.stdout, completed.stdout[-3000:]
        assert "idle RSS, the stack alone" in completed.stdout and "n/a" not in completed.stdout.split(
            "idle RSS, the stack alone")[1].split("\n")[0], completed.stdout[-3000:]
