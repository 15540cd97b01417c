"""A Jupyter Server in its own process, for what an in-process server cannot show: restarts and crashes."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "packages" / "pipeline-scheduler"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(self, root: Path, **options: Any) -> None:
        self.root, self.options = root, options
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> ServerProcess:
        argv = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                f"--ServerApp.root_dir={self.root}", "--ServerApp.allow_root=True",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.jpserver_extensions=pipeline_scheduler=True"]
        argv += [f"--PipelineSchedulerApp.{key}={value}" for key, value in self.options.items()]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_DIR),
                                                                         os.environ.get("PYTHONPATH")]))}
        log = open(self.root / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.request("GET", "health")
                return self
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}")
                time.sleep(0.2)
        self.crash()  # not left running behind a failed test
        raise TimeoutError("server did not answer")

    def request(self, method: str, path: str, body: Any = None) -> Any:
        return json.loads(self.raw(method, path, body) or b"null")

    def text(self, path: str) -> str:
        """A ``GET`` answered with text (a run's log)."""
        return self.raw("GET", path).decode()

    def raw(self, method: str, path: str, body: Any = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        return self.raw_bytes(method, path, data)

    def raw_bytes(self, method: str, path: str, data: bytes | None) -> bytes:
        """A request with exactly ``data`` as its body; the answer's body (HTTPError on 4xx/5xx)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/pipeline-scheduler/{path}", data=data,
                                         method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def wait_for(self, predicate, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.2)
        raise AssertionError("condition not met in time")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM: Jupyter stops its extensions)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.crash()

    def crash(self) -> None:
        """SIGKILL: no clean-up at all, as after a power cut."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
