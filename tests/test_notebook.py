"""Notebooks as jobs: executed in a kernel, outputs in the log, the executed copy kept."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat


def write_notebook(root: Path, relative: str, *sources: str) -> str:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return relative


async def test_notebook_runs_and_keeps_its_executed_copy(api, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir, "reports/daily.ipynb", "import os\nprint('rows:', 6 * 7)",
                          "os.environ['REGION']", "import os\nos.getcwd()")
    status, job = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "interval",
                                             "interval_seconds": 86400, "env": {"REGION": "eu-west"},
                                             "cwd": "reports"})
    assert status == 200 and job["kind"] == "notebook"
    status, result = await api("POST", f"run/{job['id']}")
    assert result["success"], result
    assert "rows: 42" in result["output"] and "'eu-west'" in result["output"]
    assert result["output"].count("/reports'") == 1
    executed = jp_root_dir / ".amphi" / "outputs" / job["id"] / f"{result['execution_id']}.ipynb"
    cells = nbformat.read(executed, as_version=4).cells
    assert cells[0].outputs[0]["text"] == "rows: 42\n"


async def test_failing_cell_fails_the_run_with_its_traceback(api, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir, "broken.ipynb", "print('before')", "1 / 0", "print('never')")
    _, job = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "interval",
                                        "interval_seconds": 86400})
    _, result = await api("POST", f"run/{job['id']}")
    assert result["status"] == "failure" and result["exit_code"] == 1
    assert "before" in result["output"] and "ZeroDivisionError" in result["output"]
    assert "never" not in result["output"].replace("print('never')", "")


async def test_a_file_that_is_not_a_notebook_is_refused(api, jp_root_dir: Path) -> None:
    (jp_root_dir / "fake.ipynb").write_text(json.dumps({"hello": "world"}))
    status, body = await api("POST", "jobs", {"pipeline_path": "fake.ipynb", "schedule_type": "interval",
                                              "interval_seconds": 60})
    assert status == 400 and body["field"] == "pipeline_path" and "not a notebook" in body["error"]
