"""Notebooks as jobs, with real kernels (ipykernel): parameters, kernels, artifacts, readable runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import wait_for
from pipeline_scheduler.api import artifacts
from test_auth import wrapper_chain
from tornado.httpclient import AsyncHTTPClient, HTTPClientError


def write_notebook(root: Path, relative: str, *sources: str, parameters: str | None = None,
                   kernel: str = "python3") -> str:
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    if parameters is not None:
        cells.insert(0, nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return relative


@pytest.fixture
def declared(jp_fetch) -> Any:
    """``await declared(path)`` → ``(status, body)`` of ``GET notebooks/parameters?path=``."""

    async def get(path: str) -> tuple[int, Any]:
        try:
            response = await jp_fetch("pipeline-scheduler", "notebooks", "parameters", params={"path": path})
        except HTTPClientError as error:
            response = error.response
        return response.code, json.loads(response.body)

    return get


def executed(root: Path, job_id: str, execution_id: str, name: str) -> Any:
    return nbformat.read(root / ".amphi" / "outputs" / job_id / execution_id / name, as_version=4)


@pytest.fixture
def scheduler_config() -> dict[str, Any]:
    return {"timezone": "UTC", "max_concurrent_runs": 2, "runs_retention": 2}


async def test_notebook_runs_in_its_folder_with_progress_and_keeps_its_executed_copy(api, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir, "reports/daily.ipynb", "import os\nprint('rows:', 6 * 7)",
                          "os.environ['REGION']", "os.getcwd()")
    status, job = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "manual",
                                             "env": {"REGION": "eu-west"}})
    assert status == 200 and job["kind"] == "notebook"
    _, result = await api("POST", f"run/{job['id']}")
    assert result["success"], result
    output = result["output"]
    assert "[cell 1/3] import os" in output and "[cell 3/3] os.getcwd()" in output
    assert "rows: 42" in output and "'eu-west'" in output and output.count("/reports'") == 1
    assert "without encryption" not in output and "IPKernelApp" not in output  # kernel start-up noise
    cells = executed(jp_root_dir, job["id"], result["execution_id"], "daily.ipynb").cells
    assert cells[0].outputs[0]["text"] == "rows: 42\n"


async def test_parameters_are_injected_and_a_one_off_run_takes_others(api, declared, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir, "report.ipynb", "print(f'{region}:{rows * 2}:{ratio}')",
                          parameters="region = 'eu'\nrows: int = 10\nratio = 0.5\nstamp = str(1)")
    _, cell = await declared(path)
    assert cell == {"path": path, "kernel_name": "python3", "parameters": [
        {"name": "region", "default": "eu", "type": "str"}, {"name": "rows", "default": 10, "type": "int"},
        {"name": "ratio", "default": 0.5, "type": "float"}, {"name": "stamp", "default": None, "type": "any"}]}
    status, job = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "manual",
                                             "parameters": {"rows": 21, "ratio": 1}, "html_export": True})
    assert status == 200 and job["parameters"] == {"rows": 21, "ratio": 1}, job
    _, result = await api("POST", f"run/{job['id']}")
    assert result["success"] and "eu:42:1" in result["output"], result
    notebook = executed(jp_root_dir, job["id"], result["execution_id"], "report.ipynb")
    assert notebook.cells[1].metadata.tags == ["injected-parameters"]
    assert notebook.cells[1].source == "# Parameters\nrows = 21\nratio = 1\n"

    status, body = await api("POST", f"run/{job['id']}", {"parameters": {"region": "us"}})
    assert status == 200 and "us:42:1" in body["output"], body  # the job's parameters, one replaced
    status, body = await api("POST", f"jobs/{job['id']}/runs", {"parameters": {"rows": "many"}})
    assert status == 400 and body["field"] == "parameters.rows" and "an integer" in body["error"], body
    _, again = await api("GET", f"jobs/{job['id']}")
    assert again["parameters"] == {"rows": 21, "ratio": 1}  # the job did not change

    # artifacts: listed, served with their type, nothing else reachable; pruned with their runs
    status, listing = await api("GET", f"runs/{result['run_id']}/artifacts")
    assert status == 200 and [a["name"] for a in listing["artifacts"]] == ["report.html", "report.ipynb"]
    assert {a["media_type"] for a in listing["artifacts"]} == {"text/html", "application/x-ipynb+json"}
    assert all(a["size"] > 0 for a in listing["artifacts"])
    status, document = await api("GET", f"runs/{result['run_id']}/artifacts/report.ipynb")
    assert status == 200 and "".join(document["cells"][1]["source"]) == "# Parameters\nrows = 21\nratio = 1\n"
    status, html = await api("GET", f"runs/{result['run_id']}/artifacts/report.html")
    assert status == 200 and "<html" in html and "eu:42:1" in html
    for name in (".outcome.json", ".kernel.log", "..%2F..%2Fscheduler.sqlite", "nothing.ipynb"):
        status, body = await api("GET", f"runs/{result['run_id']}/artifacts/{name}")
        assert status == 404, (name, body)
    folder = jp_root_dir / ".amphi" / "outputs" / job["id"] / result["execution_id"]
    assert folder.is_dir()
    await api("POST", f"run/{job['id']}")  # a third run: runs_retention 2 prunes the first, artifacts too

    async def pruned() -> bool:
        return not folder.exists()

    await wait_for(pruned, timeout=10)
    status, _ = await api("GET", f"runs/{result['run_id']}/artifacts")
    assert status == 404


async def test_a_failing_cell_fails_the_run_saying_which_cell_and_what(api, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir, "broken.ipynb", "print('before')", "1 / 0", "print('never')")
    _, job = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "manual"})
    _, result = await api("POST", f"run/{job['id']}")
    assert result["status"] == "failure" and result["exit_code"] == 1
    assert result["error"] == "cell 2/3 raised ZeroDivisionError: division by zero"
    assert "before" in result["output"] and "ZeroDivisionError" in result["output"]
    assert "[cell 3/3]" not in result["output"]
    status, run = await api("GET", f"runs/{result['run_id']}")
    assert run["error"] == result["error"]
    status, _ = await api("DELETE", f"runs/{result['run_id']}")
    assert status == 200 and not (jp_root_dir / ".amphi" / "outputs" / job["id"] / result["execution_id"]).exists()


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"parameters": {"rows": "ten"}}, "parameters.rows", "an integer"),
    ({"parameters": {"ratio": "x"}}, "parameters.ratio", "a number"),
    ({"parameters": {"not valid": 1}}, "parameters.not valid", "identifier"),
    ({"parameters": {"class": 1}}, "parameters.class", "identifier"),
    ({"parameters": [1, 2]}, "parameters", "valid dictionary"),
    ({"kernel_name": "no-such-kernel"}, "kernel_name", "no kernel named 'no-such-kernel'"),
])
async def test_bad_notebook_options_are_refused_and_nothing_is_stored(api, jp_root_dir: Path, fields: dict,
                                                                      field: str, words: str) -> None:
    path = write_notebook(jp_root_dir, "p.ipynb", "print(rows)", parameters="rows = 1\nratio = 0.5")
    status, body = await api("POST", "jobs", {"pipeline_path": path, "schedule_type": "manual", **fields})
    assert status == 400 and body["field"] == field and words in body["error"], body
    _, jobs = await api("GET", "jobs")
    assert jobs["jobs"] == []


async def test_notebook_targets_that_cannot_run_are_refused(api, declared, jp_root_dir: Path, write_script) -> None:
    (jp_root_dir / "fake.ipynb").write_text(json.dumps({"hello": "world"}))
    status, body = await api("POST", "jobs", {"pipeline_path": "fake.ipynb", "schedule_type": "manual"})
    assert status == 400 and body["field"] == "pipeline_path" and "not a notebook" in body["error"], body
    invalid = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": 3}]}
    (jp_root_dir / "invalid.ipynb").write_text(json.dumps(invalid))
    status, body = await api("POST", "jobs", {"pipeline_path": "invalid.ipynb", "schedule_type": "manual"})
    assert status == 400 and body["field"] == "pipeline_path" and "not valid nbformat" in body["error"], body
    write_notebook(jp_root_dir, "r.ipynb", "1", kernel="ir-not-installed")
    status, body = await api("POST", "jobs", {"pipeline_path": "r.ipynb", "schedule_type": "manual"})
    assert status == 400 and body["field"] == "kernel_name" and "ir-not-installed" in body["error"], body
    script = write_script("job.py", "print(1)")
    status, body = await api("POST", "jobs", {"pipeline_path": script, "schedule_type": "manual",
                                              "parameters": {"a": 1}})
    assert status == 400 and body["field"] == "parameters" and "only notebook jobs" in body["error"], body
    status, body = await declared("../outside.ipynb")
    assert status == 400 and body["field"] == "path", body
    _, jobs = await api("GET", "jobs")
    assert jobs["jobs"] == []
    _, job = await api("POST", "jobs", {"pipeline_path": script, "schedule_type": "manual"})
    status, body = await api("POST", f"run/{job['id']}", {"parameters": {"a": 1}})
    assert status == 400 and body["field"] == "parameters" and "only notebook jobs" in body["error"], body
    _, runs = await api("GET", "runs")
    assert runs["runs"] == []  # no run was recorded


@pytest.mark.parametrize(("route", "handler"), artifacts.ROUTES, ids=[route for route, _ in artifacts.ROUTES])
def test_notebook_routes_are_authenticated_then_authorized(route: str, handler: type) -> None:
    chain = wrapper_chain(handler.get)
    assert chain[0].endswith("tornado/web.py:wrapper") and chain[1].endswith("jupyter_server/auth/decorator.py:inner")
    assert chain[-1].endswith("pipeline_scheduler/api/artifacts.py:get") and handler.auth_resource == "pipeline-scheduler"


async def test_notebook_routes_refuse_requests_without_credentials(http_server: Any, jp_http_port: int,
                                                                   jp_base_url: str) -> None:
    client = AsyncHTTPClient()
    for path in ("runs/1/artifacts", "runs/1/artifacts/report.ipynb", "notebooks/parameters?path=a.ipynb"):
        response = await client.fetch(f"http://localhost:{jp_http_port}{jp_base_url}pipeline-scheduler/{path}",
                                      raise_error=False, follow_redirects=False)
        assert response.code in (401, 403), (path, response.code)
