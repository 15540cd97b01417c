"""``pipeline-scheduler serve``: the scheduler without JupyterLab, as a service of its own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from server_process import PACKAGE_DIR, free_port


def get(port: int, path: str, token: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}/{path}", data=data, method="POST" if data else "GET",
                                     headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text and "json" in response.headers["Content-Type"] else text
    except urllib.error.HTTPError as error:
        return error.code, None


def test_serve_runs_the_scheduler_alone_and_stops_cleanly(tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text("print('served')\n")
    port, token = free_port(), "serve-test-token"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_DIR), os.environ.get("PYTHONPATH")])),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    process = subprocess.Popen([sys.executable, "-m", "pipeline_scheduler.cli", "serve", "--root", str(tmp_path),
                                "--port", str(port), "--token", token, "--", "--PipelineSchedulerApp.timezone=UTC",
                                "--ServerApp.ip=127.0.0.1"],  # named by serve too: replaced, not refused
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, health = get(port, "pipeline-scheduler/health", token)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()
            time.sleep(0.3)
        assert health["dispatching"] is True
        assert get(port, "lab", token)[0] == 404  # no JupyterLab: the scheduler alone
        status, job = get(port, "pipeline-scheduler/jobs", token, {"pipeline_path": "hello.py",
                                                                   "schedule_type": "manual"})
        assert status == 200
        status, result = get(port, f"pipeline-scheduler/run/{job['id']}", token, {})
        assert result["output"] == "served\n" and (tmp_path / ".amphi" / "scheduler.sqlite").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "running without loading other extensions" in output


def test_options_after_the_separator_replace_the_ones_serve_derives(tmp_path: Path) -> None:
    """``serve --port 8890 -- --ServerApp.ip=0.0.0.0``: the server gets one ip, the one asked for."""
    from pipeline_scheduler.headless import server_argv

    argv = server_argv(tmp_path, 8890, "127.0.0.1", "t", None,
                       ["--ServerApp.ip=0.0.0.0", "--ServerApp.allow_origin", "https://lab.example.org"])
    ips = [option for option in argv if option.startswith("--ServerApp.ip")]
    assert ips == ["--ServerApp.ip=0.0.0.0"]
    assert "--ServerApp.port=8890" in argv and "--IdentityProvider.token=t" in argv
    assert argv[-2:] == ["--ServerApp.allow_origin", "https://lab.example.org"]
