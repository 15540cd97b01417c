"""Every route amphi-scheduler 0.9.7 serves, with its shapes (docs/amphi-contract.md), including the
files of Amphi's Components panel: good input does what 0.9.7 did, bad input is a 4xx naming the
field and changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pipeline_scheduler.api.components import DEFAULT_CONFIG, MAX_COMPONENT_BYTES

EXISTING_CONFIG = '[components]\nsources = [\n  "./components/mine.tsx",\n]\n'


@pytest.fixture
def config_toml() -> str | None:
    """The ``.amphi/config.toml`` found at start-up (none; tests parametrize it)."""
    return None


@pytest.fixture
def scheduler_config(config_toml: str | None, jp_root_dir: Path, scheduler_config: dict) -> dict:
    if config_toml is not None:
        (jp_root_dir / ".amphi").mkdir(exist_ok=True)
        (jp_root_dir / ".amphi" / "config.toml").write_text(config_toml)
    return scheduler_config


def tree(root: Path) -> dict[str, bytes]:
    """Every file under the root (the scheduler's database and logs aside) with its bytes."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and not path.name.startswith("scheduler.sqlite") and "logs" not in path.parts}


# -- components-config / components-file ------------------------------------------------------

async def test_start_up_creates_the_components_folder_and_0_9_7_default_config(api, jp_root_dir: Path) -> None:
    assert (await api("GET", "health"))[0] == 200  # the server has started
    assert (jp_root_dir / ".amphi" / "components").is_dir()
    assert (jp_root_dir / ".amphi" / "config.toml").read_text() == DEFAULT_CONFIG
    assert await api("GET", "components-config") == (200, {"content": DEFAULT_CONFIG})


@pytest.mark.parametrize("config_toml", [EXISTING_CONFIG])
async def test_start_up_keeps_an_existing_config(api, jp_root_dir: Path, config_toml: str) -> None:
    assert await api("GET", "components-config") == (200, {"content": EXISTING_CONFIG})
    assert (jp_root_dir / ".amphi" / "config.toml").read_text() == EXISTING_CONFIG


async def test_config_is_written_read_back_and_cleared(api, jp_root_dir: Path) -> None:
    text = '[components]\nsources = [\n  "./components/amphi_component_1.tsx",\n]\n\nmanaged_sources = [\n]\n'
    assert await api("POST", "components-config", {"content": text}) == (200, {"success": True})
    assert (jp_root_dir / ".amphi" / "config.toml").read_text() == text
    assert await api("GET", "components-config") == (200, {"content": text})
    assert await api("POST", "components-config", {"content": ""}) == (200, {"success": True})
    assert await api("GET", "components-config") == (200, {"content": ""})


async def test_config_missing_on_disk_reads_as_empty(api, jp_root_dir: Path) -> None:
    (jp_root_dir / ".amphi" / "config.toml").unlink()
    assert await api("GET", "components-config") == (200, {"content": ""})


BAD_CONFIGS = [({}, 400, "content"), ({"content": 5}, 400, "content"), ({"content": None}, 400, "content"),
               ({"content": ["a"]}, 400, "content"), ({"content": "a\x00b"}, 400, "content"),
               ({"content": "x" * (MAX_COMPONENT_BYTES + 1)}, 413, "content"), (["content"], 400, None)]


async def test_bad_config_is_refused_and_changes_nothing(api, jp_root_dir: Path) -> None:
    before = tree(jp_root_dir)
    for body, status, field in BAD_CONFIGS:
        code, answer = await api("POST", "components-config", body)
        assert code == status and answer["field"] == field and answer["error"], (body, answer)
        assert field is None or answer["error"].startswith(field)
        assert "Traceback" not in answer["error"]
    for raw in (b"", b"{not json", b"\xff\xfe"):
        code, answer = await api("POST", "components-config", raw=raw)
        assert code == 400 and "JSON" in answer["error"], (raw, answer)
    assert tree(jp_root_dir) == before


async def test_component_file_saved_overwritten_and_deleted(api, jp_root_dir: Path) -> None:
    name = "amphi_component_1733412345678.tsx"  # what Amphi's "Add Component" sends
    code, answer = await api("POST", "components-file", {"filename": name, "content": "export const a = 1;\n"})
    assert (code, answer) == (200, {"success": True, "path": f".amphi/components/{name}"})
    saved = jp_root_dir / ".amphi" / "components" / name
    assert saved.read_text() == "export const a = 1;\n"
    assert (await api("POST", "components-file", {"filename": name, "content": "export const a = 2;\n"}))[0] == 200
    assert saved.read_text() == "export const a = 2;\n"
    assert sorted(os.listdir(saved.parent)) == [name]  # no temporary file left behind

    assert await api("DELETE", "components-file", filename=name) == (200, {"success": True})
    assert not saved.exists()
    code, answer = await api("DELETE", "components-file", filename=name)
    assert (code, answer) == (404, {"error": "File not found", "field": "filename"})


BAD_NAMES = ["../escape.tsx", "sub/x.tsx", "..\\x.tsx", "/etc/passwd", "..", ".", " ", "a\x00b.tsx",
             "a\nb.tsx", "x" * 300 + ".tsx"]


async def test_bad_component_name_is_refused_and_writes_nothing(api, jp_root_dir: Path) -> None:
    before = tree(jp_root_dir)
    for name in [*BAD_NAMES, 5, None, ""]:
        code, answer = await api("POST", "components-file", {"filename": name, "content": "export {};\n"})
        assert code == 400 and answer["field"] == "filename" and answer["error"].startswith("filename"), (name, answer)
    assert tree(jp_root_dir) == before
    assert not (jp_root_dir.parent / "escape.tsx").exists()


async def test_component_body_must_be_an_object(api, jp_root_dir: Path) -> None:
    before = tree(jp_root_dir)
    code, answer = await api("POST", "components-file", [{"filename": "c.tsx", "content": "x"}])
    assert code == 400 and answer == {"error": "the request body must be a JSON object", "field": None}
    assert tree(jp_root_dir) == before


async def test_bad_component_content_is_refused(api, jp_root_dir: Path) -> None:
    before = tree(jp_root_dir)
    for content, status in [(None, 400), ("", 400), (7, 400), ("a\x00", 400), ("y" * (MAX_COMPONENT_BYTES + 1), 413)]:
        body = {"filename": "c.tsx"} if content is None else {"filename": "c.tsx", "content": content}
        code, answer = await api("POST", "components-file", body)
        assert code == status and answer["field"] == "content", (content, answer)
    assert tree(jp_root_dir) == before


async def test_delete_outside_the_components_folder_is_refused(api, jp_root_dir: Path) -> None:
    before = tree(jp_root_dir)
    for params in [{"filename": "../config.toml"}, {"filename": ".."}, {"filename": "sub/x.tsx"}, {"filename": ""}, {}]:
        code, answer = await api("DELETE", "components-file", **params)
        assert code == 400 and answer["field"] == "filename", (params, answer)
    assert tree(jp_root_dir) == before


async def test_components_folder_linked_outside_the_root_is_refused(api, jp_root_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    components = jp_root_dir / ".amphi" / "components"
    components.rmdir()
    components.symlink_to(outside, target_is_directory=True)
    code, answer = await api("POST", "components-file", {"filename": "x.tsx", "content": "export {};\n"})
    assert code == 400 and answer["field"] == "filename" and "outside the server root" in answer["error"], answer
    assert list(outside.iterdir()) == []


async def test_readers_never_see_half_a_config(api) -> None:
    """Writes replace the file in one step: a read during a rewrite gets the old or the new text."""
    texts = [f"# version {n}\n" + chr(ord("a") + n) * (MAX_COMPONENT_BYTES // 2) for n in range(6)]
    seen: list[str] = []

    async def read_while_writing() -> None:
        for _ in range(30):
            seen.append((await api("GET", "components-config"))[1]["content"])

    async def write_all() -> None:
        for text in texts * 2:
            assert (await api("POST", "components-config", {"content": text}))[0] == 200

    await asyncio.gather(read_while_writing(), write_all())
    assert seen and set(seen) <= {DEFAULT_CONFIG, *texts}


async def test_add_and_remove_a_component_as_amphi_s_panel_calls_it(jp_fetch, jp_root_dir: Path) -> None:
    """The calls of @amphi/components-panel (amphi-etl 0.9.8): a token header, JSON bodies, ?filename=."""
    async def call(method: str, path: str, body: Any = None, **params: str) -> Any:
        response = await jp_fetch("pipeline-scheduler", path, method=method, params=params,
                                  body=None if body is None else json.dumps(body),
                                  headers={"Authorization": "token secret-test-token",
                                           **({"Content-Type": "application/json"} if body is not None else {})})
        return json.loads(response.body)

    current = (await call("GET", "components-config"))["content"]
    name = "amphi_component_1733412345678.tsx"
    saved = await call("POST", "components-file", {"filename": name, "content": "export default {};\n"})
    added = current.replace("sources = [\n]", f'sources = [\n  "./components/{name}",\n]', 1)
    assert await call("POST", "components-config", {"content": added}) == {"success": True}
    assert (jp_root_dir / saved["path"]).read_text() == "export default {};\n"
    assert f"./components/{name}" in (await call("GET", "components-config"))["content"]

    assert await call("POST", "components-config", {"content": current}) == {"success": True}
    assert await call("DELETE", "components-file", filename=name) == {"success": True}
    assert not (jp_root_dir / saved["path"]).exists()
    assert (jp_root_dir / ".amphi" / "config.toml").read_text() == DEFAULT_CONFIG


# -- the rest of 0.9.7's surface: every route answers, with 0.9.7's shapes -------------------------

async def test_every_0_9_7_route_is_served_with_its_shape(api, write_script, jp_root_dir: Path) -> None:
    write_script("etl/pipe.py", "print('hello')\n")
    code, job = await api("POST", "jobs", {"name": "j", "pipeline_path": "etl/pipe.py", "schedule_type": "interval",
                                           "interval_seconds": "3600"})
    assert code == 200 and {"id", "name", "next_run_time", "pipeline_path", "trigger", "schedule_type",
                            "interval_seconds"} <= set(job)
    assert (await api("GET", "jobs"))[1]["jobs"][0]["id"] == job["id"]
    assert (await api("GET", f"jobs/{job['id']}"))[1]["id"] == job["id"]
    assert (await api("PUT", f"jobs/{job['id']}", {"name": "k"}))[1]["name"] == "k"

    code, result = await api("POST", f"run/{job['id']}")
    assert code == 200 and {"success", "output", "error", "exit_code", "cwd"} <= set(result)
    assert (result["success"], result["output"], result["error"], result["exit_code"]) == (True, "hello\n", None, 0)

    code, runs = await api("GET", "runs", limit=200)
    run = runs["runs"][0]
    assert set(run) >= {"id", "job_id", "job_name", "status", "triggered_by", "started_at", "finished_at",
                        "exit_code", "output", "error"}
    assert (await api("GET", f"runs/{run['id']}"))[1]["id"] == run["id"]
    assert await api("DELETE", f"runs/{run['id']}") == (200, {"success": True})
    assert (await api("DELETE", "runs"))[1] == {"success": True, "deleted": 0}
    assert (await api("GET", "config"))[1]["amphi_dir"] == str(jp_root_dir.resolve())
    assert await api("DELETE", f"jobs/{job['id']}") == (200, {"success": True})


async def test_a_failed_run_now_says_why(api, write_script) -> None:
    write_script("bad.py", "raise SystemExit('broken input')\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "bad.py", "schedule_type": "manual"})
    code, result = await api("POST", f"run/{job['id']}")
    assert code == 200 and result["success"] is False and result["exit_code"] == 1
    assert isinstance(result["error"], str) and result["error"]


async def test_runs_limit_bounds(api, write_script) -> None:
    write_script("pipe.py", "print('ok')\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "pipe.py", "schedule_type": "manual"})
    for _ in range(2):
        await api("POST", f"run/{job['id']}")
    for limit in ("0", "-3", "ten", "1.5"):
        code, answer = await api("GET", "runs", limit=limit)
        assert code == 400 and answer["field"] == "limit" and answer["error"].startswith("limit"), (limit, answer)
    assert len((await api("GET", "runs", limit=1))[1]["runs"]) == 1
    assert len((await api("GET", "runs", limit=5000))[1]["runs"]) == 2  # above 1000 is capped, as 0.9.7 did


async def test_unknown_runs_are_404_with_0_9_7_error(api) -> None:
    for method in ("GET", "DELETE"):
        for run_id in ("424242", "not-a-number"):
            assert await api(method, f"runs/{run_id}") == (404, {"error": "Run not found", "field": "run_id"})


async def test_unknown_routes_answer_json_404_and_others_json_405(api) -> None:
    for method, path in [("GET", "nothing-here"), ("POST", "jobs/a/b/c"), ("DELETE", "components"),
                         ("PUT", "runs/1/2/3")]:
        code, answer = await api(method, path, {} if method in ("POST", "PUT") else None)
        assert code == 404 and isinstance(answer, dict), answer
        assert answer["error"].startswith(f"no such route: {method} /") and answer["error"].endswith(
            f"/pipeline-scheduler/{path}")
    for method, path in [("PUT", "components-config"), ("GET", "components-file"), ("DELETE", "config")]:
        assert await api(method, path) == (405, {"error": "Method Not Allowed", "field": None}), (method, path)


async def test_unknown_routes_still_need_credentials(api, jp_fetch) -> None:
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("pipeline-scheduler", "nothing-here", headers={"Authorization": "token wrong"})
    assert refused.value.code in (401, 403)

