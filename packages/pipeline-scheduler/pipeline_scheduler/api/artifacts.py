"""Notebook routes: a run's artifacts (listed, served by name) and a notebook's declared parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..execution.notebooks.artifacts import artifacts_in
from ..execution.notebooks.documents import notebook_kernel_name, read_notebook
from ..execution.notebooks.parameters import declared_parameters
from ..paths import resolve_in_root
from .handlers import SchedulerHandler, endpoint

CHUNK_BYTES = 1 << 20


class RunArtifactsHandler(SchedulerHandler):
    """``GET runs/{id}/artifacts``: ``{"artifacts": [{name, size, media_type}]}``."""

    @endpoint
    async def get(self, run_id: str) -> None:
        run = await self.call(self.scheduler.history.get, run_id)
        artifacts = artifacts_in(self.scheduler.config.state_dir)
        self.reply({"artifacts": await self.call(artifacts.list, run["job_id"], run["execution_id"])})


class RunArtifactHandler(SchedulerHandler):
    """``GET runs/{id}/artifacts/{name}``: the file, with its media type. HTML is sandboxed (its
    scripts run, but not as this server's origin)."""

    @endpoint
    async def get(self, run_id: str, name: str) -> None:
        run = await self.call(self.scheduler.history.get, run_id)
        artifacts = artifacts_in(self.scheduler.config.state_dir)
        path = await self.call(artifacts.file, run["job_id"], run["execution_id"], name)
        media_type = next(entry["media_type"] for entry in await self.call(artifacts.list, run["job_id"],
                                                                          run["execution_id"]) if entry["name"] == name)
        self.set_header("X-Content-Type-Options", "nosniff")
        if media_type == "text/html":
            self.set_header("Content-Security-Policy", "sandbox allow-scripts")
        if self.get_query_argument("download", None):
            self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        await self._send(path, media_type)

    async def _send(self, path: Path, media_type: str) -> None:
        self.set_header("Content-Type", media_type)
        with await self.call(open, path, "rb") as handle:
            while chunk := await self.call(handle.read, CHUNK_BYTES):
                self.write(chunk)
                await self.flush()
        self.finish(set_content_type=media_type)


class NotebookParametersHandler(SchedulerHandler):
    """``GET notebooks/parameters?path=``: what the job form needs of a notebook — the parameters of its
    ``parameters`` cell (name, default, type) and its kernel."""

    @endpoint
    async def get(self) -> None:
        self.reply(await self.call(self._describe, self.get_query_argument("path", "")))

    def _describe(self, relative: str) -> dict[str, Any]:
        notebook = read_notebook(resolve_in_root(self.scheduler.config.root, relative, "path"), relative, "path")
        return {"path": relative, "kernel_name": notebook_kernel_name(notebook),
                "parameters": [{"name": name, "default": _json_value(value), "type": _type_name(value)}
                               for name, value in declared_parameters(notebook).items()]}


def _json_value(value: Any) -> Any:
    """A default as JSON (tuples as lists); what JSON cannot say (sets, bytes, complex) as its repr."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _json_value(item) for key, item in value.items()}
    return repr(value)


def _type_name(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", tuple: "list", dict: "dict",
            type(None): "any"}.get(type(value), "any")


ROUTES = [
    (r"runs/(?P<run_id>[^/]+)/artifacts", RunArtifactsHandler),
    (r"runs/(?P<run_id>[^/]+)/artifacts/(?P<name>[^/]+)", RunArtifactHandler),
    ("notebooks/parameters", NotebookParametersHandler),
]
