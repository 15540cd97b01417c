"""Fixtures of the runner tests: a root with jobs and plugins directories, a local HTTP server.

Plain pytest: no Jupyter fixture is used. Helpers are in runner_helpers.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from .runner_helpers import LocalServer


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A server-like root with a jobs directory and a plugins directory."""
    (tmp_path / ".amphi" / "jobs").mkdir(parents=True)
    (tmp_path / ".amphi" / "plugins").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def jobs(root: Path) -> Path:
    return root / ".amphi" / "jobs"


@pytest.fixture
def plugins(root: Path) -> Path:
    return root / ".amphi" / "plugins"


@pytest.fixture
def web() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.close()


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINE_SCHEDULER_TEST_VAR", raising=False)
