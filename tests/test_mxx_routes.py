"""The MXX scheduler server's routes (seed 002, "API Reference") and ``MXX_JOBS_DIR`` on our API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_server.auth import Authorizer
from tornado.httpclient import HTTPClientError

from conftest import wait_for
from pipeline_scheduler.api.components import ROUTES as COMPONENT_ROUTES
from pipeline_scheduler.api.handlers import AUTH_RESOURCE, JOB
from pipeline_scheduler.api.mxx_routes import ROUTES as MXX_ROUTES

# The seed's "Programmatic Job Registration" example, as its client posts it to /api/scheduler/jobs.
CUSTOM_JOB = {"job_id": "custom_job", "config": {"lifetime": {"lifetime": 60}, "os": {"cmd": "echo Custom job"}},
              "schedule": {"trigger": "interval", "minutes": 10}}
WAIT_FOR_FLAG = "import pathlib, time\nflag = pathlib.Path({flag!r})\nwhile not flag.exists():\n    time.sleep(0.05)\n"


@pytest.fixture
def jobs_env() -> dict[str, str]:
    """Environment variables set before the server starts (tests parametrize it)."""
    return {}


@pytest.fixture
def scheduler_config(jobs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, scheduler_config: dict) -> dict:
    monkeypatch.delenv("PIPELINE_SCHEDULER_JOBS_DIR", raising=False)
    monkeypatch.delenv("MXX_JOBS_DIR", raising=False)
    for name, value in jobs_env.items():
        monkeypatch.setenv(name, value)
    return scheduler_config


async def finished(api, run_id: int, timeout: float = 30) -> dict:
    async def check() -> dict | None:
        _, run = await api("GET", f"runs/{run_id}")
        return run if run["status"] not in ("queued", "running") else None
    return await wait_for(check, timeout)


async def running_job(api, write_script, jp_root_dir: Path, job_id: str = "waits") -> tuple[int, Path]:
    """A job whose run is going on until the returned flag file is created."""
    flag = jp_root_dir / f"{job_id}.go"
    write_script(f"{job_id}.py", WAIT_FOR_FLAG.format(flag=str(flag)))
    assert (await api("POST", "jobs", {"id": job_id, "pipeline_path": f"{job_id}.py", "schedule_type": "manual"}))[0] == 200
    code, run = await api("POST", f"jobs/{job_id}/runs")
    assert code == 202, run

    async def started() -> bool:
        return (await api("GET", f"runs/{run['id']}"))[1]["status"] == "running"
    await wait_for(started, 20)
    return run["id"], flag


async def test_post_jobs_in_mxx_shape_registers_a_runner_config(api) -> None:
    code, job = await api("POST", "jobs", CUSTOM_JOB)
    assert code == 200, job
    assert job["id"] == "custom_job" and job["origin"] == "registry" and job["next_run_time"] is not None
    _, entry = await api("GET", "registry/custom_job")
    assert entry["type"] == "scheduled" and entry["config"]["os"] == {"cmd": "echo Custom job"}
    code, again = await api("POST", "jobs", CUSTOM_JOB)
    assert code == 409 and again["field"] == "job_id"
    assert (await api("POST", "jobs", {**CUSTOM_JOB, "replace_existing": True}))[0] == 200


async def test_the_seeds_curl_session(api) -> None:
    """The seed's "API Testing with curl": health, list, register, trigger, status, unregister."""
    assert (await api("GET", "health"))[1]["scheduler_running"] is True
    assert (await api("GET", "jobs"))[1] == {"jobs": []}
    code, job = await api("POST", "jobs", {"job_id": "test_job", "config": {"lifetime": {"lifetime": 60},
                                                                              "os": {"cmd": "echo test"}},
                                           "schedule": {"trigger": "interval", "minutes": 5}})
    assert code == 200 and job["id"] == "test_job" and job["trigger"].startswith("Every 5 minutes"), job
    code, triggered = await api("POST", "jobs/test_job/trigger")
    assert code == 200
    assert "test" in (await finished(api, triggered["run_id"]))["output"].splitlines()  # the command's own line
    code, status = await api("GET", "jobs/test_job")
    assert code == 200 and status["last_run"]["status"] == "success"
    assert await api("DELETE", "registry/test_job") == (200, {"success": True})
    assert (await api("GET", "jobs/test_job"))[0] == 404


async def test_bad_mxx_registration_is_refused_and_changes_nothing(api) -> None:
    before = await api("GET", "jobs")
    for config, field in [({"nope": {}}, "config.nope"), ("echo", "config"),
                          ({"os": {"cmd": "x"}, "schedule": {"trigger": "cron", "hour": 25}}, "config.schedule.hour")]:
        code, answer = await api("POST", "jobs", {"job_id": "bad", "config": config})
        assert code == 400 and answer["field"].startswith(field), (config, answer)
    assert await api("GET", "jobs") == before


async def test_trigger_runs_a_registered_job_now(api) -> None:
    await api("POST", "jobs", {**CUSTOM_JOB, "schedule": None})
    code, triggered = await api("POST", "jobs/custom_job/trigger")
    assert code == 200 and triggered["job_id"] == "custom_job", triggered
    assert triggered["run"]["id"] == triggered["run_id"] and triggered["execution_id"]
    done = await finished(api, triggered["run_id"])
    assert done["status"] == "success" and "Custom job" in done["output"] and done["triggered_by"] == "api"


async def test_trigger_runs_any_job_and_refuses_unknown_ones(api, write_script) -> None:
    write_script("hello.py", "print('hello from a file')\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "hello.py", "schedule_type": "manual"})
    code, triggered = await api("POST", f"jobs/{job['id']}/trigger")
    assert code == 200
    assert (await finished(api, triggered["run_id"]))["output"] == "hello from a file\n"
    before = await api("GET", "runs")
    assert await api("POST", "jobs/missing/trigger") == (404, {"error": "Job not found", "field": "job_id"})
    assert await api("GET", "runs") == before


async def test_active_lists_jobs_with_a_run_going_on(api, write_script, jp_root_dir: Path) -> None:
    assert await api("GET", "jobs/active") == (200, {"jobs": [], "count": 0})
    write_script("idle.py", "print('idle')\n")
    await api("POST", "jobs", {"id": "idle", "pipeline_path": "idle.py", "schedule_type": "manual"})
    run_id, flag = await running_job(api, write_script, jp_root_dir)

    code, active = await api("GET", "jobs/active")
    assert code == 200 and active["count"] == 1, active
    entry = active["jobs"][0]
    assert (entry["id"], entry["job_id"], entry["status"]) == ("waits", "waits", "running")
    assert [run["id"] for run in entry["active_runs"]] == [run_id] and entry["pipeline_path"] == "waits.py"

    flag.write_text("")
    await finished(api, run_id)
    assert await api("GET", "jobs/active") == (200, {"jobs": [], "count": 0})


async def test_a_job_called_active_is_still_reachable(api, write_script) -> None:
    write_script("a.py", "print('a')\n")
    assert (await api("POST", "jobs", {"id": "active", "pipeline_path": "a.py", "schedule_type": "manual"}))[0] == 200
    assert (await api("GET", "jobs/active"))[1] == {"jobs": [], "count": 0}  # GET is the MXX list
    assert (await api("PUT", "jobs/active", {"name": "renamed"}))[1]["name"] == "renamed"
    assert (await api("POST", "jobs/active/trigger"))[0] == 200
    assert await api("DELETE", "jobs/active") == (200, {"success": True})


async def test_remove_refuses_a_running_job_then_removes_it(api, write_script, jp_root_dir: Path) -> None:
    run_id, flag = await running_job(api, write_script, jp_root_dir)
    code, refused = await api("POST", "jobs/waits/remove")
    assert code == 409 and refused["field"] == "job_id" and f"runs/{run_id}/cancel" in refused["error"], refused
    assert (await api("GET", "jobs/waits"))[0] == 200

    flag.write_text("")
    await finished(api, run_id)
    assert await api("POST", "jobs/waits/remove") == (200, {"success": True, "message": "Job 'waits' removed"})
    assert (await api("GET", "jobs/waits"))[0] == 404
    assert (await api("GET", f"runs/{run_id}"))[1]["status"] == "success"  # the history stays
    assert await api("POST", "jobs/waits/remove") == (404, {"error": "Job not found", "field": "job_id"})


async def test_remove_refuses_a_job_others_depend_on(api, write_script) -> None:
    write_script("up.py", "print('up')\n")
    await api("POST", "jobs", {"id": "up", "pipeline_path": "up.py", "schedule_type": "manual"})
    await api("POST", "jobs", {"id": "down", "pipeline_path": "up.py", "schedule_type": "trigger",
                               "trigger_conditions": [{"job_id": "up", "on": "success"}]})
    code, refused = await api("POST", "jobs/up/remove")
    assert code == 409 and "down" in refused["error"]
    assert (await api("GET", "jobs/up"))[0] == 200


GATE_PLUGIN = """
from pipeline_scheduler.runner import Plugin, PluginParams, hook


class Gate(Plugin):
    name = "gate"

    class Params(PluginParams):
        flag: str = "ready"

    @hook("can_run")
    def check(self, ctx):
        return None
"""


async def test_plugins_filter_by_type_as_mxx_did(api, jp_root_dir: Path) -> None:
    _, every = await api("GET", "plugins")
    _, builtin = await api("GET", "plugins", type="builtin")
    _, custom = await api("GET", "plugins", type="custom")
    assert builtin["plugins"] and all(plugin["source"] == "builtin" for plugin in builtin["plugins"])
    assert custom["plugins"] == [p for p in every["plugins"] if p["source"] != "builtin"]
    assert len(builtin["plugins"]) + len(custom["plugins"]) == len(every["plugins"])
    assert (await api("GET", "plugins", type="all"))[1] == every
    code, refused = await api("GET", "plugins", type="mine")
    assert code == 400 and refused["field"] == "type"


@pytest.fixture
def plugins_dir(jp_root_dir: Path) -> Path:
    directory = jp_root_dir / ".amphi" / "plugins"
    directory.mkdir(parents=True)
    (directory / "gate.py").write_text(GATE_PLUGIN)
    return directory


async def test_custom_plugins_are_listed_under_custom(plugins_dir: Path, api) -> None:
    _, custom = await api("GET", "plugins", type="custom")
    assert [plugin["name"] for plugin in custom["plugins"]] == ["gate"]
    _, builtin = await api("GET", "plugins", type="builtin")
    assert "gate" not in [plugin["name"] for plugin in builtin["plugins"]]


@pytest.mark.parametrize("jobs_env", [{"MXX_JOBS_DIR": "mxx-jobs"}])
async def test_mxx_jobs_dir_is_read(api, jp_root_dir: Path, jobs_env: dict) -> None:
    _, config = await api("GET", "config")
    assert config["jobs_dir"] == str(jp_root_dir / "mxx-jobs")
    (jp_root_dir / "mxx-jobs" / "manual_task.toml").write_text('[os]\ncmd = "echo Manual task executed"\n')

    async def loaded() -> bool:
        return (await api("GET", "registry/manual_task"))[0] == 200
    await wait_for(loaded, 15)


@pytest.mark.parametrize("jobs_env", [{"MXX_JOBS_DIR": "mxx-jobs", "PIPELINE_SCHEDULER_JOBS_DIR": "ours"}])
async def test_our_jobs_dir_variable_wins_over_mxx(api, jp_root_dir: Path, jobs_env: dict) -> None:
    _, config = await api("GET", "config")
    assert config["jobs_dir"] == str(jp_root_dir / "ours")
    assert (jp_root_dir / "ours").is_dir() and not (jp_root_dir / "mxx-jobs").exists()


NEW_ROUTES = [(route, method) for route, handler in [*MXX_ROUTES, *COMPONENT_ROUTES]
              for method in ("GET", "POST", "PUT", "DELETE") if handler.__dict__.get(method.lower())]


def test_new_route_methods_go_through_endpoint() -> None:
    """Each method of the new routes is ``@web.authenticated`` then ``@authorized`` (``endpoint``)."""
    assert len(NEW_ROUTES) == 7
    for route, method in NEW_ROUTES:
        handler = dict([*MXX_ROUTES, *COMPONENT_ROUTES])[route]
        layers, function = [], getattr(handler, method.lower())
        while function is not None:
            layers.append(Path(function.__code__.co_filename).as_posix())
            function = getattr(function, "__wrapped__", None)
        assert layers[0].endswith("tornado/web.py") and layers[1].endswith("jupyter_server/auth/decorator.py"), layers
        assert layers[-1] == Path(sys.modules[handler.__module__].__file__).as_posix(), layers
        assert handler.auth_resource == AUTH_RESOURCE


class DenySchedulerAuthorizer(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != AUTH_RESOURCE


async def test_new_routes_refuse_wrong_credentials_and_change_nothing(api, jp_fetch, write_script,
                                                                      jp_root_dir: Path) -> None:
    write_script("some.py", "print('some')\n")
    await api("POST", "jobs", {"id": "some-job", "pipeline_path": "some.py", "schedule_type": "manual"})
    (jp_root_dir / ".amphi" / "components" / "x.tsx").write_text("export {};\n")

    def amphi_files() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in (jp_root_dir / ".amphi").rglob("*") if p.is_file()
                and "sqlite" not in p.name and "logs" not in p.parts}

    before = amphi_files(), await api("GET", "jobs"), await api("GET", "runs")
    for route, method in NEW_ROUTES:
        for headers in ({"Authorization": "token wrong"}, {"Authorization": ""}):
            with pytest.raises(HTTPClientError) as refused:
                await jp_fetch("pipeline-scheduler", *_path(route).split("/"), method=method, headers=headers,
                               body=ANY_BODY if method == "POST" else None, params={"filename": "x.tsx"})
            assert refused.value.code in (401, 403), (method, route)
    assert (amphi_files(), await api("GET", "jobs"), await api("GET", "runs")) == before


@pytest.fixture
def authorizer_class() -> type[Authorizer] | None:
    return None


@pytest.fixture
def jp_server_config(jp_server_config: dict, authorizer_class: type[Authorizer] | None) -> dict:
    if authorizer_class is None:
        return jp_server_config
    return {**jp_server_config, "ServerApp": {**jp_server_config["ServerApp"], "authorizer_class": authorizer_class}}


@pytest.mark.parametrize("authorizer_class", [DenySchedulerAuthorizer])
async def test_new_routes_ask_the_authorizer(jp_fetch, authorizer_class: type) -> None:
    assert (await jp_fetch("api", "status")).code == 200  # the token works elsewhere
    for route, method in NEW_ROUTES:
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch("pipeline-scheduler", *_path(route).split("/"), method=method,
                           body=ANY_BODY if method == "POST" else None, params={"filename": "x.tsx"})
        assert refused.value.code == 403, (method, route)


ANY_BODY = '{"filename": "x.tsx", "content": "x", "config": {}}'


def _path(route: str) -> str:
    return route.replace(JOB, "some-job").replace("(?P<job_id>active)", "active")
