"""``%load_ext pipeline_scheduler`` and ``%%schedule`` in a real kernel of a real server: a cell stored
as a job (its notebook as its source), updated by running it again, refused whole when its schedule is bad."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from server_kernel import ServerKernel


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "runtime"
    directory.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(directory))
    for name in ("PIPELINE_SCHEDULER_URL", "PIPELINE_SCHEDULER_TOKEN", "JUPYTER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return directory


def test_a_cell_becomes_a_job_updated_by_name_and_refused_whole(servers, runtime: Path) -> None:
    server = servers()
    kernel = ServerKernel(server, "reports/analysis.ipynb", runtime)

    def jobs() -> list[dict]:
        return server.request("GET", "jobs")["jobs"]

    try:
        assert kernel.run("%load_ext pipeline_scheduler") == ("", "")
        out, err = kernel.run('%%schedule --cron "0 2 * * *" --name nightly --tz Europe/Paris\n'
                              "import os\nprint('nightly from', os.path.basename(os.getcwd()))\n")
        assert not err, err
        [job] = jobs()
        assert out.splitlines()[0] == f"✓ Created job nightly (id {job['id']}): {job['trigger']}"
        assert job["trigger"].startswith("At 02:00")
        assert re.fullmatch(r"  next: (\w{3} \d{4}-\d\d-\d\d 02:00, ){2}\w{3} \d{4}-\d\d-\d\d 02:00 \(Europe/Paris\)",
                            out.splitlines()[1]), out
        assert job["python_code"] == ("# from reports/analysis.ipynb (%%schedule)\n"
                                      "import os\nprint('nightly from', os.path.basename(os.getcwd()))\n")
        assert job["cwd"] == "reports"

        # the same name again: the same job, with the new code and schedule
        out, err = kernel.run("%%schedule --every 10m --name nightly\nprint('every ten minutes')\n")
        assert not err, err
        [updated] = jobs()
        assert out.startswith(f"✓ Updated job nightly (id {job['id']}): Every 10 minutes")
        assert updated["id"] == job["id"] and updated["python_code"].endswith("print('every ten minutes')\n")
        assert updated["schedule_type"] == "interval" and updated.get("cron_expression") is None
        assert updated["timezone"] == "Europe/Paris"  # kept: not given again

        # a bad cron: said in one line, nothing stored or changed
        out, err = kernel.run('%%schedule --cron "0 99 * * *" --name broken\nprint(1)\n')
        assert out == "" and err.startswith("UsageError: cron_expression:") and "nothing was stored" in err, err
        out, err = kernel.run('%%schedule --cron "0 99 * * *" --name nightly\nprint(2)\n')
        assert "cron_expression" in err and "Traceback" not in err
        out, err = kernel.run("%%schedule --every soon --name nightly\nprint(3)\n")
        assert err.startswith("UsageError: every: 'soon' is not a duration")
        out, err = kernel.run("%%schedule --every 5m\nprint(4)\n")
        assert err.startswith("UsageError: --name")
        assert jobs() == [updated]

        out, err = kernel.run("%schedule list")
        row = rf"^nightly +{job['id']} +Every 10 minutes \(Europe/Paris\) +\w{{3}} \d{{4}}-\d\d-\d\d \d\d:\d\d$"
        assert not err and re.search(row, out, re.MULTILINE), out

        out, err = kernel.run("from pipeline_scheduler import Scheduler\n"
                              "run = Scheduler().run_now('nightly', wait=True)\nprint(run['status'])")
        assert (out, err) == ("success\n", "")
        [run] = server.request("GET", f"jobs/{job['id']}/runs")["runs"]
        assert server.text(f"runs/{run['id']}/log") == "every ten minutes\n"
    finally:
        kernel.close()
