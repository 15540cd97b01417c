"""Where runs start: the job's cwd, else its target's folder (pipeline, notebook, script), else the root."""

from __future__ import annotations

import json
from pathlib import Path

from test_notebook import write_notebook

# What the pipeline editor generates for "CSV input → sort → CSV output", with the stdlib for pandas.
SORT_PIPELINE = """
import csv
with open("sales.csv", newline="") as source:
    rows = sorted(csv.DictReader(source), key=lambda row: int(row["amount"]))
with open("sorted.csv", "w", newline="") as target:
    writer = csv.DictWriter(target, fieldnames=["region", "amount"])
    writer.writeheader()
    writer.writerows(rows)
print("sorted", len(rows), "rows")
"""
SHOW_CWD = "import os\nprint('cwd', os.getcwd())\n"


async def run_now(api, **payload) -> dict:
    payload.setdefault("schedule_type", "manual")
    status, job = await api("POST", "jobs", payload)
    assert status == 200, job
    status, result = await api("POST", f"run/{job['id']}")
    assert status == 200 and result["success"], result
    return result


async def test_a_pipeline_reads_and_writes_beside_itself(api, jp_root_dir: Path) -> None:
    etl = jp_root_dir / "etl"
    etl.mkdir()
    (etl / "sales.ampln").write_text(json.dumps({"doc_type": "Amphi Pipeline", "pipeline": {"nodes": []}}))
    (etl / "sales.csv").write_text("region,amount\nnorth,30\nsouth,10\neast,20\n")
    (jp_root_dir / "sales.csv").write_text("region,amount\nroot,1\n")
    (jp_root_dir / "sorted.csv").write_text("the root's own file\n")
    result = await run_now(api, python_code=SORT_PIPELINE, pipeline_path="etl/sales.ampln")
    assert "sorted 3 rows" in result["output"]
    assert result["cwd"] == str(etl.resolve())
    assert (etl / "sorted.csv").read_text().split() == ["region,amount", "south,10", "east,20", "north,30"]
    assert (jp_root_dir / "sorted.csv").read_text() == "the root's own file\n"
    assert (jp_root_dir / "sales.csv").read_text() == "region,amount\nroot,1\n"


async def test_a_notebook_and_a_script_run_in_their_folders(api, jp_root_dir: Path, write_script) -> None:
    notebook = write_notebook(jp_root_dir, "reports/daily.ipynb", "import os\nprint('cwd', os.getcwd())")
    result = await run_now(api, pipeline_path=notebook)
    assert f"cwd {(jp_root_dir / 'reports').resolve()}\n" in result["output"]
    result = await run_now(api, pipeline_path=write_script("tools/show.py", SHOW_CWD))
    assert result["output"] == f"cwd {(jp_root_dir / 'tools').resolve()}\n"


async def test_the_jobs_cwd_wins_and_code_without_a_pipeline_starts_at_the_root(api, jp_root_dir: Path,
                                                                               write_script) -> None:
    (jp_root_dir / "data").mkdir()
    result = await run_now(api, pipeline_path=write_script("tools/show.py", SHOW_CWD), cwd="data")
    assert result["output"] == f"cwd {(jp_root_dir / 'data').resolve()}\n"
    result = await run_now(api, python_code=SHOW_CWD, pipeline_path="etl/sales.ampln", cwd=".")
    assert result["output"] == f"cwd {jp_root_dir.resolve()}\n"
    result = await run_now(api, python_code=SHOW_CWD)
    assert result["output"] == f"cwd {jp_root_dir.resolve()}\n"
    result = await run_now(api, python_code=SHOW_CWD, pipeline_path="gone/old.ampln")  # its folder is gone
    assert result["output"] == f"cwd {jp_root_dir.resolve()}\n"
