"""The real ``python -m pipeline_scheduler.runner`` gives the same result as the in-process API."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .runner_helpers import run_cli, write

from pipeline_scheduler.runner import RunOptions, run_config, runner_command


def test_module_entry_point_matches_run_config(root: Path, jobs: Path) -> None:
    write(jobs / "global.toml", "[env]\nvars = { FROM_GLOBAL = \"g\" }\n")
    job = write(jobs / "report.toml", """
        [os]
        cmd = ["sh", "-c", "echo $FROM_GLOBAL >> out.txt; exit 3"]
    """)
    argv = runner_command(job, root=root, result_file=root / "result.json")
    assert argv[1:4] == ["-m", "pipeline_scheduler.runner", str(job)]
    result = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "report: failed (exit 3)" in result.stderr
    by_hand = json.loads((root / "result.json").read_text())
    in_process = run_config(job, RunOptions(root=root, jobs_dir=jobs))
    assert (by_hand["status"], by_hand["exit_code"]) == (in_process.status, in_process.exit_code) == ("failed", 3)
    assert (root / "out.txt").read_text() == "g\ng\n"

    check = run_cli(job, "--check", cwd=root)
    assert check.returncode == 0 and json.loads(check.stdout)["config"]["env"] == {"vars": {"FROM_GLOBAL": "g"}}
