"""Runner configs as jobs on a real server: the jobs directory, the registry routes, plugins, statuses."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from conftest import wait_for

# The three examples of the MXX server seed (002), as files of the jobs directory.
SEED_JOBS = {
    "daily_backup.toml": '[lifetime]\nlifetime = 60\n\n[os]\ncmd = "echo Daily backup started"\n\n'
                         '[schedule]\ntrigger = "cron"\nhour = 10\nminute = 30\n',
    "health_check.toml": '[os]\ncmd = "echo healthy"\n\n[schedule]\ntrigger = "interval"\nseconds = 60\n',
    "manual_task.toml": '[lifetime]\nlifetime = 30\n\n[os]\ncmd = "echo Manual task executed"\n',
}

GATE_PLUGIN = '''
from pipeline_scheduler.runner import Plugin, PluginParams, SkipRun, hook


class Gate(Plugin):
    """Lets the run start only when the flag file exists."""
    name = "gate"

    class Params(PluginParams):
        flag: str

    @hook("can_run", priority=10)
    def check(self, ctx):
        if not (ctx.root / self.params.flag).exists():
            raise SkipRun(f"{self.params.flag} is missing")
'''


@pytest.fixture
def jobs_dir(jp_root_dir: Path) -> Path:
    directory = jp_root_dir / ".amphi" / "jobs"
    directory.mkdir(parents=True)
    for name, text in SEED_JOBS.items():
        (directory / name).write_text(text)
    plugins = jp_root_dir / ".amphi" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "gate.py").write_text(GATE_PLUGIN)
    (plugins / "broken.py").write_text("import does_not_exist\n")
    return directory


@pytest.fixture
def scheduler_config(jobs_dir: Path) -> dict[str, Any]:
    return {"timezone": "UTC", "jobs_dir_poll": 0.3}


async def finished(api, run_id: int, timeout: float = 30) -> dict:
    async def check():
        _, run = await api("GET", f"runs/{run_id}")
        return run if run["status"] not in ("queued", "running") else None
    return await wait_for(check, timeout)


async def test_seed_examples_load_from_the_jobs_directory(api) -> None:
    status, registry = await api("GET", "registry")
    assert status == 200 and registry["errors"] == []
    types = {entry["job_id"]: entry["type"] for entry in registry["jobs"]}
    assert types == {"daily_backup": "scheduled", "health_check": "scheduled", "manual_task": "on_demand"}
    _, backup = await api("GET", "jobs/daily_backup")
    assert backup["kind"] == "runner_config" and backup["trigger"] == "At 10:30 (UTC)"
    assert backup["next_run_time"].endswith("10:30:00+00:00")
    _, health = await api("GET", "jobs/health_check")
    assert health["trigger"] == "Every minute (UTC)"
    _, on_demand = await api("GET", "jobs", type="on_demand")
    assert [job["id"] for job in on_demand["jobs"]] == ["manual_task"]
    _, scheduled = await api("GET", "registry", type="scheduled")
    assert sorted(entry["job_id"] for entry in scheduled["jobs"]) == ["daily_backup", "health_check"]

    expected = {"daily_backup": "Daily backup started", "health_check": "healthy", "manual_task": "Manual task executed"}
    for job_id, output in expected.items():
        status, run = await api("POST", f"registry/{job_id}/trigger")
        assert status == 202 and run["execution_id"].startswith(f"{job_id}_")
        done = await finished(api, run["id"])
        assert done["status"] == "success" and output in done["output"], done


async def test_jobs_directory_changes_are_picked_up(api, jobs_dir: Path) -> None:
    (jobs_dir / "report.yaml").write_text("os:\n  cmd: echo report\nschedule:\n  cron: '0 7 * * 1'\n")
    entry = await wait_for(lambda: _entry(api, "report"), 10)
    assert entry["type"] == "scheduled"

    (jobs_dir / "report.yaml").write_text("os:\n  cmd: echo report\n")  # edited: now on demand
    await wait_for(lambda: _entry_is(api, "report", "on_demand"), 10)

    (jobs_dir / "report.yaml").write_text("os:\n  cmd: [echo, report\n")  # broken: reported, job kept
    errors = await wait_for(lambda: _errors(api), 10)
    assert errors[0]["file"].endswith("report.yaml") and isinstance(errors[0]["line"], int)
    assert (await api("GET", "jobs/report"))[0] == 200

    (jobs_dir / "report.yaml").unlink()
    await wait_for(lambda: _gone(api, "report"), 10)
    assert await _errors(api) == []


async def test_register_trigger_cancel_unregister(api, jp_root_dir: Path) -> None:
    payload = {"job_id": "my_job_1", "config": {"lifetime": {"lifetime": 3600}, "os": {"cmd": "echo test"}},
               "schedule": {"trigger": "cron", "hour": 10, "minute": 30}, "replace_existing": False}
    status, job = await api("POST", "registry", payload)
    assert status == 200 and job["next_run_time"] is not None and job["origin"] == "registry"
    assert (await api("POST", "registry", payload))[0] == 409
    _, entry = await api("GET", "registry/my_job_1")
    assert entry["type"] == "scheduled" and entry["config"]["os"] == {"cmd": "echo test"}

    _, run = await api("POST", "registry/my_job_1/trigger")
    assert "test" in (await finished(api, run["id"]))["output"]
    status, cancelled = await api("POST", "registry/my_job_1/cancel")
    assert status == 200 and cancelled["paused"] is True and cancelled["next_run_time"] is None
    assert (await api("GET", "registry/my_job_1"))[0] == 200  # cancelled, still registered
    assert (await api("DELETE", "registry/my_job_1"))[1] == {"success": True}
    assert (await api("GET", "jobs/my_job_1"))[0] == 404
    assert (await api("DELETE", "registry/daily_backup"))[0] == 409  # defined by a file


async def test_can_run_refusal_is_a_skipped_run(api, jp_root_dir: Path) -> None:
    config = {"gate": {"flag": "ready.flag"}, "os": {"cmd": "echo should not run"}}
    await api("POST", "registry", {"job_id": "gated", "config": config})
    _, run = await api("POST", "registry/gated/trigger")
    done = await finished(api, run["id"])
    assert done["status"] == "skipped" and "ready.flag is missing" in done["output"]
    assert "should not run" not in done["output"].replace("echo should not run", "")
    (jp_root_dir / "ready.flag").write_text("")
    _, run = await api("POST", "registry/gated/trigger")
    assert (await finished(api, run["id"]))["status"] == "success"


async def test_lifetime_stops_a_long_command(api) -> None:
    config = {"lifetime": {"lifetime": 1}, "os": {"cmd": "sleep 60"}}
    await api("POST", "registry", {"job_id": "long", "config": config})
    _, run = await api("POST", "registry/long/trigger")
    done = await finished(api, run["id"], 20)
    assert done["status"] == "timed_out" and done["duration"] < 15


async def test_plugins_lists_builtins_custom_and_broken(api) -> None:
    status, plugins = await api("GET", "plugins")
    sources = {plugin["name"]: plugin["source"] for plugin in plugins["plugins"]}
    assert {"os", "lifetime", "env", "python", "http", "notify"} <= {n for n, s in sources.items() if s == "builtin"}
    assert sources["gate"] == "custom"
    assert any("broken.py" in error["origin"] and "does_not_exist" in error["error"] for error in plugins["errors"])


@pytest.mark.parametrize("config, field", [
    ({"nope": {"x": 1}}, "config.nope"),
    ({"lifetime": {"lifetime": "soon"}}, "config.lifetime.lifetime"),
    ({"os": {"cmd": "echo", "cwd": "../../outside"}}, "config.os.cwd"),
    ({"os": {"cmd": "echo"}, "template": "template::missing"}, "config"),
    ({"os": {"cmd": "echo"}, "schedule": {"trigger": "cron", "hour": 25}}, "config.schedule.hour"),
])
async def test_bad_configs_are_refused_and_change_nothing(api, config: dict, field: str) -> None:
    before = await api("GET", "jobs")
    status, body = await api("POST", "registry", {"job_id": "bad", "config": config})
    assert status == 400, body
    assert body["field"].startswith(field), body
    assert await api("GET", "jobs") == before


async def _entry(api, job_id: str) -> dict | None:
    status, entry = await api("GET", f"registry/{job_id}")
    return entry if status == 200 else None


async def _entry_is(api, job_id: str, kind: str) -> bool:
    entry = await _entry(api, job_id)
    return entry is not None and entry["type"] == kind


async def _errors(api) -> list:
    _, registry = await api("GET", "registry")
    return registry["errors"]


async def _gone(api, job_id: str) -> bool:
    await asyncio.sleep(0)
    return (await api("GET", f"jobs/{job_id}"))[0] == 404
