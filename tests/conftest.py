"""A real Jupyter Server with the extension, a real SQLite file and real subprocesses per test."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from postgres import PostgresCluster
from server_process import ServerProcess

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture
def scheduler_config() -> dict[str, Any]:
    """Per-test overrides of the PipelineSchedulerApp traits."""
    return {"timezone": "Europe/Paris", "max_concurrent_runs": 4}


@pytest.fixture
def jp_server_config(scheduler_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"pipeline_scheduler": True}, "allow_root": True},
        "IdentityProvider": {"token": "secret-test-token"},
        "PipelineSchedulerApp": scheduler_config,
    }


@pytest.fixture
def api(jp_fetch: Callable, jp_serverapp: Any) -> Callable:
    """``await api("POST", "jobs", {...})`` → ``(status, json)``; errors return their status and body."""

    async def call(method: str, path: str, body: Any = None, *, raw: bytes | None = None, **params: Any) -> tuple[int, Any]:
        # pytest-jupyter gives up after 20 s; a synchronous notebook run on a loaded CI machine may take longer
        kwargs: dict[str, Any] = {"method": method, "request_timeout": 120}
        if params:
            kwargs["params"] = {key: str(value) for key, value in params.items()}
        if raw is not None:
            kwargs["body"] = raw
        elif body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PUT"):
            kwargs["body"] = ""
            kwargs["allow_nonstandard_methods"] = True
        try:
            response = await jp_fetch("pipeline-scheduler", *path.split("/"), **kwargs)
        except HTTPClientError as error:
            response = error.response
            assert response is not None, error
        text = response.body.decode() if response.body else ""
        content_type = response.headers.get("Content-Type", "")
        return response.code, json.loads(text) if text and "json" in content_type else text

    return call


@pytest.fixture
def write_script(jp_root_dir: Any) -> Callable[[str, str], str]:
    """Write a file under the server root and return its path relative to the root."""

    def write(relative: str, source: str) -> str:
        path = jp_root_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        return relative

    return write


async def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll an async predicate until it returns something truthy."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value: {result!r})")
        await asyncio.sleep(interval)


@pytest.fixture
def servers(tmp_path: Any) -> Callable[..., ServerProcess]:
    """``servers(**traits)`` starts a Jupyter Server in its own process on ``tmp_path`` (several share
    it, and its database); each is killed at the end."""
    started: list[ServerProcess] = []

    def start(**options: Any) -> ServerProcess:
        server = ServerProcess(tmp_path, **{"timezone": "UTC", **options}).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.crash()


@pytest.fixture(scope="session")
def postgres() -> PostgresCluster:
    """A real PostgreSQL server for the session (``postgres.create_database()`` gives a fresh database)."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()
