"""``from pipeline_scheduler import Scheduler``: the Python API, from outside a server (URL and token) and
from inside a real kernel of a real server (found through Jupyter's runtime files)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from pipeline_scheduler import Scheduler, SchedulerError
from server_kernel import ServerKernel


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runtime directory of this test's own: its servers' files, and no one else's."""
    directory = tmp_path / "runtime"
    directory.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(directory))
    for name in ("PIPELINE_SCHEDULER_URL", "PIPELINE_SCHEDULER_TOKEN", "JUPYTER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return directory


def greet() -> None:
    import sys

    print("hello from a scheduled function", len(sys.argv))


def test_schedule_update_run_and_refusals_with_url_and_token(servers, runtime: Path) -> None:
    server = servers()
    (server.root / "report.py").write_text("print('report ran')\n")
    scheduler = Scheduler(url=f"http://127.0.0.1:{server.port}/lab?token={server.token}")

    job = scheduler.schedule("report.py", cron="0 7 * * 1-5", tz="Europe/Paris", name="report")
    assert (job["pipeline_path"], job["cron_expression"], job["timezone"]) == ("report.py", "0 7 * * 1-5",
                                                                               "Europe/Paris")
    assert job["trigger"].startswith("At 07:00")
    assert [moment[11:16] for moment in scheduler.next_fire_times(job)] == ["07:00"] * 3

    # the same name: the same job, its schedule replaced whole (no cron left behind an interval)
    again = scheduler.schedule("report.py", every="90m", name="report")
    assert again["id"] == job["id"] and again["schedule_type"] == "interval"
    assert (again["interval_hours"], again["interval_minutes"], again.get("cron_expression")) == (1, 30, None)
    assert [found["id"] for found in scheduler.jobs()] == [job["id"]]

    run = scheduler.run_now("report", wait=True)
    assert run["status"] == "success" and scheduler.logs(run) == "report ran\n"
    assert [found["id"] for found in scheduler.runs("report")] == [run["id"]]

    # a function: its source and a call of it, run as a job of its own
    function_job = scheduler.schedule(greet, every="10m", name="greeter")
    assert function_job["python_code"].endswith("\n\ngreet()\n")
    finished = scheduler.run_now(function_job, wait=True)
    assert finished["status"] == "success", scheduler.logs(finished)
    assert scheduler.logs(finished) == "hello from a scheduled function 1\n"

    # a notebook with papermill-style parameters
    cells = [nbformat.v4.new_code_cell("region = 'eu'", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("print(region)")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    nbformat.write(notebook, server.root / "regional.ipynb")
    regional = scheduler.schedule("regional.ipynb", cron="0 7 * * 1-5", tz="Europe/Paris", parameters={"region": "us"},
                                  name="regional")
    assert (regional["pipeline_path"], regional["parameters"]) == ("regional.ipynb", {"region": "us"})

    # refusals: said with their field; nothing stored, nothing changed
    with pytest.raises(SchedulerError) as refused:
        scheduler.schedule("print(1)", cron="61 * * * *", name="bad")
    assert refused.value.status == 400 and refused.value.field == "cron_expression"
    with pytest.raises(SchedulerError) as refused:
        scheduler.schedule("report.py", cron="not a cron", name="report")
    assert refused.value.field == "cron_expression"
    with pytest.raises(SchedulerError) as refused:
        scheduler.schedule("print(1)", every="ten minutes")
    assert refused.value.field == "every" and str(refused.value).startswith("every: 'ten minutes' is not a duration")
    with pytest.raises(SchedulerError) as refused:
        scheduler.schedule("print(1)", parameters={"when": object()})
    assert refused.value.field == "parameters" and "JSON" in str(refused.value)
    with pytest.raises(SchedulerError, match="lambda"):
        scheduler.schedule(lambda: print(1))
    offset = 3

    def shifted() -> None:
        print(offset)

    with pytest.raises(SchedulerError, match=r"variables of the function around it \(offset\)"):
        scheduler.schedule(shifted)
    with pytest.raises(SchedulerError, match="needs arguments"):
        scheduler.schedule(textwrap.dedent)
    with pytest.raises(SchedulerError) as refused:
        scheduler.run_now("nope")
    assert refused.value.status == 404 and "no job with the name or id 'nope'" in str(refused.value)
    assert sorted(found["name"] for found in scheduler.jobs()) == ["greeter", "regional", "report"]
    assert scheduler.job("report")["schedule_type"] == "interval"
    scheduler.delete("greeter")
    assert sorted(found["name"] for found in scheduler.jobs()) == ["regional", "report"]

    with pytest.raises(SchedulerError) as refused:
        Scheduler(url=f"http://127.0.0.1:{server.port}/", token="wrong").jobs()
    assert refused.value.status == 403 and "refused the token" in str(refused.value)


def test_a_kernel_finds_its_own_server_and_schedules_and_runs_from_there(servers, runtime: Path) -> None:
    """Two servers on this machine, same root: the kernel's own server (its parent process) is the one
    found, through the runtime files alone; paths are read from the notebook's folder."""
    own = servers()
    other = servers()  # the newer: asked first, and the first to answer were there no rule
    (own.root / "reports").mkdir()
    (own.root / "reports" / "daily.py").write_text("import os\nprint('daily in', os.path.basename(os.getcwd()))\n")
    kernel = ServerKernel(own, "reports/analysis.ipynb", runtime)
    try:
        out, error = kernel.run(textwrap.dedent("""
            from pipeline_scheduler import Scheduler
            s = Scheduler()
            print(s.client.url)
            job = s.schedule("daily.py", cron="0 7 * * 1-5", tz="Europe/Paris", name="daily")
            print(job["pipeline_path"], job["trigger"])
            run = s.run_now(job, wait=True)
            print(run["status"], s.logs(run).strip())
        """))
        assert not error, error
        url, saved, finished = out.splitlines()
        assert url == f"http://127.0.0.1:{own.port}/" and str(other.port) not in url
        assert saved.startswith("reports/daily.py At 07:00")
        assert finished == "success daily in reports"
        assert [job["name"] for job in own.request("GET", "jobs")["jobs"]] == ["daily"]
        out, error = kernel.run("s.schedule('print(1)', cron='0 25 * * *', name='daily')")
        assert error.startswith("SchedulerError: cron_expression:"), error
        assert own.request("GET", "jobs")["jobs"][0]["cron_expression"] == "0 7 * * 1-5"
    finally:
        kernel.close()
