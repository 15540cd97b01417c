"""The MXX client's verbs (seed 002's ``mxx-client`` section) in ``pipeline-scheduler``, run as real
subprocesses against a real server: list --type active, status, cancel JOB, remove, plugins
--builtin/--custom, --server, and the verbs it shares with us (register, registry, info, trigger)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import wait_for
from test_cli import cli  # noqa: F401  (the fixture: the CLI as a subprocess against this test's server)

SLOW = "import time\nprint('working', flush=True)\ntime.sleep(60)\n"
CUSTOM_PLUGIN = '''
from pipeline_scheduler.runner import Plugin, hook


class Stamp(Plugin):
    """Writes a stamp file first thing (an MXX-style action hook)."""
    name = "stamp"

    @hook("action", priority=100)
    def stamp(self, ctx):
        (ctx.root / "stamp.txt").write_text(ctx.job_id)
'''
EXAMPLE_CONFIG = '''
[lifetime]
lifetime = 60

[os]
cmd = "echo registered from the client"

[schedule]
trigger = "cron"
hour = 10
minute = 30
day_of_week = 1
'''


@pytest.fixture
def scheduler_config(jp_root_dir: Path) -> dict[str, Any]:
    plugins = jp_root_dir / ".amphi" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "stamp.py").write_text(CUSTOM_PLUGIN)
    (plugins / "broken.py").write_text("import does_not_exist\n")
    jobs = jp_root_dir / ".amphi" / "jobs"
    jobs.mkdir(parents=True)
    (jobs / "manual_task.toml").write_text('[stamp]\n\n[os]\ncmd = "echo Manual task executed"\n')
    return {"timezone": "UTC", "jobs_dir_poll": 0}


async def json_of(cli, *args: str) -> Any:  # noqa: F811
    code, out, err = await cli("--json", *args)
    assert code == 0, err
    return json.loads(out)


async def running(api, job_id: str) -> dict:
    async def check():
        _, found = await api("GET", "runs", job_id=job_id, status="running")
        return found["runs"][0] if found["runs"] else None
    return await wait_for(check, 30)


async def test_active_status_cancel_and_remove_a_running_job(cli, api, write_script) -> None:  # noqa: F811
    write_script("slow.py", SLOW)
    status, job = await api("POST", "jobs", {"name": "slow", "pipeline_path": "slow.py", "schedule_type": "cron",
                                             "cron_expression": "0 6 * * *"})
    assert status == 200
    code, out, _ = await cli("list", "--type", "active")
    assert code == 0 and "No job is running or queued" in out
    assert (await json_of(cli, "status", "slow"))["status"] == "scheduled"

    assert (await cli("run", "slow"))[0] == 0
    run = await running(api, job["id"])
    code, out, _ = await cli("list", "--type", "active")
    assert code == 0 and "slow" in out and str(run["id"]) in out and "running" in out and run["execution_id"] in out
    assert [(item["job_id"], item["id"]) for item in await json_of(cli, "list", "--type", "active")] == [
        (job["id"], run["id"])]
    found = await json_of(cli, "status", "slow")
    assert found["status"] == "running" and [item["id"] for item in found["active_runs"]] == [run["id"]]
    code, out, _ = await cli("status", "slow")
    assert code == 0 and "running" in out and f"run {run['id']}" in out and "At 06:00" in out

    code, _, err = await cli("remove", "slow")  # MXX removes finished jobs only
    assert code == 2 and "is running" in err and "cancel slow" in err
    assert (await api("GET", f"jobs/{job['id']}"))[0] == 200

    code, out, _ = await cli("cancel", "slow")  # a job: its schedule stops, its run is cancelled
    assert code == 0 and "Cancelled job slow" in out and f"Cancelled run {run['id']}" in out
    _, after = await api("GET", f"jobs/{job['id']}")
    assert after["paused"] is True
    assert (await api("GET", f"runs/{run['id']}"))[1]["status"] == "cancelled"
    found = await json_of(cli, "status", "slow")
    assert found["status"] == "paused" and found["active_runs"] == [] and found["last_run"]["status"] == "cancelled"
    by_execution = await json_of(cli, "status", run["execution_id"])
    assert by_execution["id"] == run["id"] and by_execution["status"] == "cancelled"
    code, out, _ = await cli("status", run["execution_id"])
    assert code == 0 and "cancelled" in out and run["execution_id"] in out
    code, _, err = await cli("cancel", "slow")
    assert code == 2 and "nothing to cancel" in err

    code, out, _ = await cli("remove", "slow")
    assert code == 0 and "Removed job slow" in out
    assert (await api("GET", f"jobs/{job['id']}"))[0] == 404
    assert [item["id"] for item in (await api("GET", "runs", job_id=job["id"]))[1]["runs"]] == [run["id"]]


async def test_cancel_a_run_by_number_and_unknown_targets(cli, api, write_script) -> None:  # noqa: F811
    write_script("slow.py", SLOW)
    _, job = await api("POST", "jobs", {"name": "adhoc", "pipeline_path": "slow.py", "schedule_type": "manual"})
    _, started = await api("POST", f"jobs/{job['id']}/runs")
    await running(api, job["id"])
    code, out, _ = await cli("cancel", str(started["id"]))  # a number is a run
    assert code == 0 and f"Cancelled run {started['id']}" in out
    assert (await api("GET", f"jobs/{job['id']}"))[1]["paused"] is False  # the job itself is left alone
    code, _, err = await cli("cancel", "adhoc")
    assert code == 2 and "on demand" in err and "nothing to cancel" in err
    code, _, err = await cli("cancel", "999999")
    assert code == 2 and "no run 999999, and no job with the name or id '999999'" in err
    code, _, err = await cli("status", "nosuch_20260101_000000_0123abcd")
    assert code == 2 and "no run with the execution id" in err
    code, _, err = await cli("list", "--type", "sometimes")
    assert code == 2 and "type" in err and "on_demand" in err


async def test_the_mxx_client_session_of_the_seed(cli, api, jp_root_dir, tmp_path,  # noqa: F811
                                                  http_server, jp_http_port, jp_base_url) -> None:
    """``mxx-client health / list / register --job-id / status / trigger / registry --type / info /
    cancel / remove / unregister``, with MXX's ``--server`` option."""
    url = f"http://localhost:{jp_http_port}{jp_base_url}"
    code, out, _ = await cli("--server", url, "health")
    assert code == 0 and "running" in out
    config = tmp_path / "example_config.toml"
    config.write_text(EXAMPLE_CONFIG)
    job = await json_of(cli, "register", "--job-id", "my_job", str(config))
    assert job["id"] == "my_job" and "Tuesday" in job["trigger"]  # day_of_week = 1 as MXX counts it
    assert await json_of(cli, "list") and any(item["id"] == "my_job" for item in await json_of(cli, "list"))
    found = await json_of(cli, "status", "my_job")
    assert found["status"] == "scheduled" and found["next_run_time"]

    started = await json_of(cli, "trigger", "manual_task")
    assert started["execution_id"].startswith("manual_task_")

    async def done():
        _, run = await api("GET", f"runs/{started['id']}")
        return run if run["status"] not in ("queued", "running") else None
    finished = await wait_for(done, 30)
    assert finished["status"] == "success" and (jp_root_dir / "stamp.txt").read_text() == "manual_task"
    code, out, _ = await cli("status", started["execution_id"])
    assert code == 0 and "success" in out
    on_demand = await json_of(cli, "registry", "--type", "on_demand")
    assert [entry["job_id"] for entry in on_demand["jobs"]] == ["manual_task"]
    assert (await json_of(cli, "info", "my_job"))["kind"] == "runner_config"

    code, out, _ = await cli("cancel", "my_job")
    assert code == 0 and "Cancelled job my_job" in out
    code, _, err = await cli("remove", "manual_task")  # defined by a file of the jobs directory
    assert code == 2 and "manual_task.toml" in err and "delete that file" in err
    code, out, _ = await cli("remove", "my_job")
    assert code == 0 and "Removed job my_job" in out
    assert (await api("GET", "registry/my_job"))[0] == 404
    code, _, err = await cli("unregister", "my_job")
    assert code == 2 and "no job with the name or id 'my_job'" in err


async def test_plugins_builtin_and_custom(cli) -> None:  # noqa: F811
    every = await json_of(cli, "plugins")
    builtin = await json_of(cli, "plugins", "--builtin")
    custom = await json_of(cli, "plugins", "--custom")
    names = {plugin["name"] for plugin in builtin["plugins"]}
    assert {"os", "python", "lifetime", "env", "http", "notify"} <= names and "stamp" not in names
    assert builtin["errors"] == []
    assert [plugin["name"] for plugin in custom["plugins"]] == ["stamp"]
    assert any("broken.py" in error["origin"] for error in custom["errors"])
    assert len(every["plugins"]) == len(builtin["plugins"]) + len(custom["plugins"])
    code, out, err = await cli("plugins", "--custom")
    assert code == 0 and "stamp" in out and "Writes a stamp file" in out and " os " not in out
    assert "broken.py" in err and "does_not_exist" in err
    code, out, err = await cli("plugins", "--builtin")
    assert code == 0 and "lifetime" in out and "stamp" not in out and err == ""
