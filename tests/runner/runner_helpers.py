"""Helpers for the runner tests: real files, real subprocesses, a local HTTP server. No Jupyter."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


# ``python -m pipeline_scheduler.runner`` imports the package's __init__, which imports the Jupyter
# server extension (seconds of start-up). The runner itself needs none of it, so most subprocess
# tests start the same CLI through this bootstrap, which registers the package without running its
# __init__; test_cli.py runs the real ``-m`` command once to show both behave the same.
BOOTSTRAP = textwrap.dedent("""
    import importlib.util, sys, types
    spec = importlib.util.find_spec("pipeline_scheduler")
    package = types.ModuleType("pipeline_scheduler")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["pipeline_scheduler"] = package
    from pipeline_scheduler.runner.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def runner_argv(*args: str | Path) -> list[str]:
    return [sys.executable, "-c", BOOTSTRAP, *map(str, args)]


def run_cli(*args: str | Path, cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(runner_argv(*args), cwd=cwd, capture_output=True, text=True, timeout=timeout)


def start_cli(*args: str | Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(runner_argv(*args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:].split()[0] != b"Z"


def read_pid(path: Path) -> int:
    wait_for(lambda: path.exists() and path.read_text().strip())
    return int(path.read_text().strip())


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers ``/status/<code>`` with that code, anything else 200 ``ok``; records every request."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append({"method": self.command, "path": self.path, "body": body,  # type: ignore[attr-defined]
                                     "headers": dict(self.headers)})
        code = int(self.path.split("/")[2]) if self.path.startswith("/status/") else 200
        payload = f"ok {self.path}".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = _answer

    def log_message(self, *args: Any) -> None:
        pass


class LocalServer:
    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.httpd.requests  # type: ignore[attr-defined]

    def json_bodies(self) -> list[Any]:
        return [json.loads(request["body"]) for request in self.requests if request["body"]]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
