"""The ``pipeline-scheduler`` command against a real server, run as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline_scheduler.cli.commands import exit_text


@pytest.fixture
def cli(http_server, jp_http_port, jp_base_url):
    """``await cli(*args)`` → (exit status, stdout, stderr); ``http_server`` makes the test server listen."""
    async def run(*args: str) -> tuple[int, str, str]:
        """The command in a thread, so that this test's server keeps answering meanwhile."""
        argv = [sys.executable, "-m", "pipeline_scheduler.cli", "--url", f"http://localhost:{jp_http_port}{jp_base_url}",
                "--token", "secret-test-token", *args]
        done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=60,
                                       env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
        return done.returncode, done.stdout, done.stderr
    return run


async def test_add_run_wait_list_and_logs(cli, api, write_script) -> None:
    write_script("hello.py", "print('hello from the cli')\n")
    code, out, _ = await cli("--json", "add", "hello.py", "--name", "greeter", "--cron", "0 6 * * *")
    assert code == 0
    job = json.loads(out)
    assert job["trigger"].startswith("Cron 0 6 * * *")
    code, out, _ = await cli("run", job["id"], "--wait")
    assert code == 0 and "hello from the cli" in out and "success" in out
    code, out, _ = await cli("list")
    assert code == 0 and "greeter" in out and "success" in out
    code, out, _ = await cli("--json", "runs", "--job", job["id"])
    run = json.loads(out)[0]
    code, out, _ = await cli("logs", str(run["id"]))
    assert out == "hello from the cli\n"
    assert (await cli("pause", job["id"]))[0] == 0
    assert (await api("GET", f"jobs/{job['id']}"))[1]["paused"] is True


async def test_failing_run_and_errors_set_the_exit_status(cli, write_script) -> None:
    write_script("fail.py", "raise SystemExit(4)\n")
    code, out, _ = await cli("--json", "add", "fail.py")
    job = json.loads(out)
    assert job["schedule_type"] == "manual"
    code, out, _ = await cli("run", job["id"], "--wait")
    assert code == 1 and "failure" in out
    code, _, err = await cli("add", "../outside.py")
    assert code == 2 and "pipeline_path" in err and "outside the server root" in err
    code, _, err = await cli("info", "nope")
    assert code == 2 and "Job not found" in err


async def test_register_trigger_and_registry(cli, jp_root_dir: Path) -> None:
    config = jp_root_dir / "report.toml"
    config.write_text('[os]\ncmd = "echo on-demand report"\n')
    code, out, err = await cli("--json", "register", str(config), "--job-id", "report")
    assert code == 0, err
    code, out, _ = await cli("--json", "trigger", "report")
    assert json.loads(out)["execution_id"].startswith("report_")
    code, out, _ = await cli("registry", "--type", "on_demand")
    assert "report" in out
    code, out, _ = await cli("plugins")
    assert "lifetime" in out and "notify" in out


def test_exit_codes_name_the_signal_that_ended_a_run() -> None:
    assert [exit_text(code) for code in (None, 0, 4, -15, -9, -200)] == [
        "-", "0", "4", "-15 (SIGTERM)", "-9 (SIGKILL)", "-200 (signal 200)"]
