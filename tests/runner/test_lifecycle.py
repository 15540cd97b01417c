"""Hook order, all-or-nothing can_run, shutdown after failures, timeouts and SIGTERM."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from .runner_helpers import pid_alive, read_pid, run_cli, start_cli, wait_for, write
from .runner_plugin_helpers import LogParams, read_log, recorder, registry_with

from pipeline_scheduler.runner import (EXIT_SKIPPED, EXIT_TERMINATED, Plugin, PluginError, RunOptions, hook,
                                       run_config)

ALL = dict(env_load=0, can_run=0, startup=0, shutdown=0)


def test_hooks_run_by_priority_then_config_order(tmp_path: Path) -> None:
    log = tmp_path / "log"
    a = recorder("a", startup=10, shutdown=0)
    b = recorder("b", startup=100, shutdown=-5)
    c = recorder("c", startup=10, shutdown=50)
    registry = registry_with(a, b, c)
    config = {"a": {"log": str(log)}, "b": {"log": str(log)}, "c": {"log": str(log)}}
    outcome = run_config(config, RunOptions(registry=registry))
    assert outcome.status == "success", outcome
    assert read_log(log) == ["startup:b", "startup:a", "startup:c", "shutdown:c", "shutdown:a", "shutdown:b"]
    assert outcome.trace == ["startup:b.hook_startup", "startup:a.hook_startup", "startup:c.hook_startup",
                             "shutdown:c.hook_shutdown", "shutdown:a.hook_shutdown", "shutdown:b.hook_shutdown"]

    log.unlink()  # ties follow the config's section order: reversed config, reversed ties
    run_config({"c": {"log": str(log)}, "b": {"log": str(log)}, "a": {"log": str(log)}}, RunOptions(registry=registry))
    assert read_log(log)[:3] == ["startup:b", "startup:c", "startup:a"]


def test_stages_run_in_lifecycle_order_and_one_plugin_may_hook_twice(tmp_path: Path) -> None:
    log = tmp_path / "log"

    class Two(Plugin):
        name = "two"
        Params = LogParams

        @hook("startup", priority=5)
        def late(self, ctx):
            open(self.params.log, "a").write("startup:two.late\n")

        @hook("on_startup", priority=500)
        @hook("env_load")
        def early(self, ctx):
            open(self.params.log, "a").write(f"{ctx.phase}:two.early\n")

    registry = registry_with(Two, recorder("one", **ALL))
    run_config({"one": {"log": str(log)}, "two": {"log": str(log)}}, RunOptions(registry=registry))
    assert read_log(log) == ["env_load:one", "env_load:two.early", "can_run:one", "startup:two.early",
                             "startup:two.late", "startup:one", "shutdown:one"]


def test_can_run_is_all_or_nothing_in_process(tmp_path: Path) -> None:
    log, marker = tmp_path / "log", tmp_path / "started"
    registry = registry_with(recorder("yes", **ALL), recorder("no", **ALL), recorder("nope", **ALL))
    config = {"yes": {"log": str(log)}, "no": {"log": str(log), "refuse": "maintenance window"},
              "nope": {"log": str(log), "refuse": "disk full"},
              "os": {"cmd": ["touch", str(marker)]}}
    outcome = run_config(config, RunOptions(registry=registry))
    assert outcome.status == "skipped" and outcome.exit_code == EXIT_SKIPPED
    assert outcome.skip_reasons == ["no: maintenance window", "nope: disk full"]  # every plugin was asked
    assert "maintenance window" in outcome.reason
    assert not marker.exists()
    assert not any(line.startswith("startup:") for line in read_log(log))
    assert [line for line in read_log(log) if line.startswith("shutdown:")] == [
        "shutdown:yes", "shutdown:no", "shutdown:nope"]  # shutdown always runs, with status skipped


def test_can_run_false_return_skips(tmp_path: Path) -> None:
    class Closed(Plugin):
        name = "closed"

        @hook("can_run")
        def check(self, ctx):
            return False

    outcome = run_config({"closed": {}, "os": {"cmd": ["touch", str(tmp_path / "x")]}},
                         RunOptions(registry=registry_with(Closed)))
    assert outcome.status == "skipped" and outcome.skip_reasons == ["closed: check said no"]
    assert not (tmp_path / "x").exists()


def test_can_run_refusal_from_the_command_line(root: Path, jobs: Path, plugins: Path) -> None:
    write(plugins / "gate.py", """
        from pipeline_scheduler.runner import Plugin, PluginParams, SkipRun, hook

        class Gate(Plugin):
            '''Refuses to run when a file exists.'''
            name = "gate"

            class Params(PluginParams):
                closed_if: str

            @hook("can_run", priority=10)
            def check(self, ctx):
                if ctx.path(self.params.closed_if).exists():
                    raise SkipRun(f"{self.params.closed_if} exists")
                return True
    """)
    write(root / "closed.flag", "")
    config = write(jobs / "gated.toml", """
        [gate]
        closed_if = "closed.flag"

        [os]
        cmd = ["touch", "ran.txt"]
    """)
    result = run_cli(config, "--root", root, "--result-file", root / "result.json", cwd=root)
    assert result.returncode == EXIT_SKIPPED, result.stderr
    assert "skipped" in result.stderr and "gate: closed.flag exists" in result.stderr
    assert not (root / "ran.txt").exists()
    import json

    assert json.loads((root / "result.json").read_text())["status"] == "skipped"

    (root / "closed.flag").unlink()
    result = run_cli(config, "--root", root, cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "ran.txt").exists()


def test_shutdown_runs_after_a_startup_failure(tmp_path: Path) -> None:
    log = tmp_path / "log"
    registry = registry_with(recorder("first", startup=100, shutdown=0), recorder("broken", startup=50, shutdown=0),
                             recorder("later", startup=10, shutdown=0))
    config = {"first": {"log": str(log)}, "broken": {"log": str(log), "fail_at": "startup"},
              "later": {"log": str(log)}}
    outcome = run_config(config, RunOptions(registry=registry))
    assert outcome.status == "failed" and outcome.exit_code == 1
    assert "broken" in outcome.reason and "RuntimeError: broken broke at startup" in outcome.reason
    assert read_log(log) == ["startup:first", "startup:broken", "shutdown:first", "shutdown:broken", "shutdown:later"]


def test_shutdown_runs_after_env_load_and_can_run_errors(tmp_path: Path) -> None:
    log = tmp_path / "log"
    registry = registry_with(recorder("p", **ALL))
    outcome = run_config({"p": {"log": str(log), "fail_at": "env_load"}}, RunOptions(registry=registry))
    assert outcome.status == "failed"
    assert read_log(log) == ["env_load:p", "shutdown:p"]
    log.unlink()
    outcome = run_config({"p": {"log": str(log), "fail_at": "can_run"}}, RunOptions(registry=registry))
    assert outcome.status == "failed"  # an error is not a refusal
    assert read_log(log) == ["env_load:p", "can_run:p", "shutdown:p"]


def test_every_shutdown_hook_runs_even_if_one_fails(tmp_path: Path) -> None:
    log = tmp_path / "log"
    registry = registry_with(recorder("a", shutdown=10), recorder("b", shutdown=5), recorder("c", shutdown=0))
    config = {"a": {"log": str(log)}, "b": {"log": str(log), "fail_at": "shutdown"}, "c": {"log": str(log)}}
    outcome = run_config(config, RunOptions(registry=registry))
    assert read_log(log) == ["shutdown:a", "shutdown:b", "shutdown:c"]
    assert outcome.status == "failed" and "b broke at shutdown" in outcome.reason


def test_shutdown_runs_after_a_failing_command_and_exit_code_is_kept(tmp_path: Path) -> None:
    log = tmp_path / "log"
    registry = registry_with(recorder("watch", shutdown=0))
    outcome = run_config({"watch": {"log": str(log)}, "os": {"cmd": ["sh", "-c", "exit 3"]}},
                         RunOptions(registry=registry))
    assert outcome.status == "failed" and outcome.exit_code == 3
    assert "exited with 3" in outcome.reason
    assert read_log(log) == ["shutdown:watch"]


def test_shutdown_runs_after_a_lifetime_timeout(tmp_path: Path) -> None:
    log = tmp_path / "log"
    registry = registry_with(recorder("watch", startup=0, shutdown=0))
    config = {"watch": {"log": str(log)}, "lifetime": {"lifetime": 0.3}, "os": {"cmd": ["sleep", "30"]}}
    started = time.monotonic()
    outcome = run_config(config, RunOptions(registry=registry))
    assert outcome.status == "timed_out" and time.monotonic() - started < 5
    assert read_log(log) == ["startup:watch", "shutdown:watch"]
    assert outcome.trace[-3:] == ["shutdown:watch.hook_shutdown", "shutdown:os.stop", "shutdown:lifetime.kill"]


def test_plugin_error_sets_exit_code(tmp_path: Path) -> None:
    class Picky(Plugin):
        name = "picky"

        @hook("startup")
        def go(self, ctx):
            raise PluginError("not today", exit_code=9)

    outcome = run_config({"picky": {}}, RunOptions(registry=registry_with(Picky)))
    assert (outcome.status, outcome.exit_code, outcome.reason) == ("failed", 9, "picky: not today")


def test_should_stop_ends_the_loop_and_no_hooks_means_no_loop(tmp_path: Path) -> None:
    class Counter(Plugin):
        name = "counter"

        def __init__(self, ctx, params):
            super().__init__(ctx, params)
            self.calls = 0

        @hook("should_stop")
        def enough(self, ctx):
            self.calls += 1
            return self.calls >= 3

    started = time.monotonic()
    outcome = run_config({"counter": {}}, RunOptions(registry=registry_with(Counter), poll_interval=0.01))
    assert outcome.status == "success" and outcome.stop_reason == "counter: enough returned True"
    assert outcome.trace == ["should_stop:counter.enough"]
    log = tmp_path / "log"
    outcome = run_config({"p": {"log": str(log)}}, RunOptions(registry=registry_with(recorder("p", startup=0))))
    assert outcome.status == "success" and time.monotonic() - started < 5


def test_cancel_from_another_thread_runs_shutdown(tmp_path: Path) -> None:
    log = tmp_path / "log"
    stop = threading.Event()
    pid_file = tmp_path / "pid"
    registry = registry_with(recorder("watch", shutdown=0))
    config = {"watch": {"log": str(log)}, "os": {"cmd": ["sh", "-c", f"echo $$ > {pid_file}; exec sleep 30"]}}
    result = {}
    thread = threading.Thread(target=lambda: result.update(outcome=run_config(
        config, RunOptions(registry=registry, stop_event=stop))))
    thread.start()
    pid = read_pid(pid_file)
    stop.set()
    thread.join(10)
    outcome = result["outcome"]
    assert (outcome.status, outcome.exit_code) == ("cancelled", 143)
    assert any("still running when the run stopped; killed" in error for error in outcome.errors)
    assert read_log(log) == ["shutdown:watch"]
    assert not pid_alive(pid)
    # the event is only read: a set event cancels the next run before startup; a clear one does not
    assert run_config(config, RunOptions(registry=registry, stop_event=stop)).status == "cancelled"
    assert read_log(log) == ["shutdown:watch", "shutdown:watch"]
    stop.clear()
    assert run_config({"watch": {"log": str(log)}}, RunOptions(registry=registry, stop_event=stop)).ok


def test_sigterm_runs_shutdown_hooks_then_exits_143(root: Path, jobs: Path, plugins: Path) -> None:
    write(plugins / "marker.py", """
        from pathlib import Path
        from pipeline_scheduler.runner import Plugin, PluginParams, hook

        class Marker(Plugin):
            '''Writes started/stopped markers.'''
            name = "marker"

            class Params(PluginParams):
                dir: str

            @hook("startup", priority=-10)
            def started(self, ctx):
                Path(self.params.dir, "started").write_text("yes")

            @hook("shutdown")
            def stopped(self, ctx):
                Path(self.params.dir, "stopped").write_text(ctx.outcome().status)
    """)
    config = write(jobs / "long.toml", f"""
        [marker]
        dir = "{root}"

        [os]
        cmd = ["sh", "-c", "echo $$ > {root}/cmd.pid; exec sleep 60"]
    """)
    runner = start_cli(config, "--root", root, cwd=root)
    try:
        wait_for(lambda: (root / "started").exists())
        command_pid = read_pid(root / "cmd.pid")
        runner.send_signal(signal.SIGTERM)
        _, stderr = runner.communicate(timeout=15)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == EXIT_TERMINATED, stderr
    assert (root / "stopped").read_text() == "terminated"
    assert "terminated" in stderr
    assert not pid_alive(command_pid)


def test_sigterm_during_a_blocking_startup_hook_still_runs_shutdown(root: Path, jobs: Path, plugins: Path) -> None:
    write(plugins / "slow.py", """
        import time
        from pathlib import Path
        from pipeline_scheduler.runner import Plugin, PluginParams, hook

        class Slow(Plugin):
            name = "slow"

            class Params(PluginParams):
                dir: str

            @hook("startup")
            def block(self, ctx):
                Path(self.params.dir, "blocking").write_text("yes")
                time.sleep(60)

            @hook("shutdown")
            def stopped(self, ctx):
                Path(self.params.dir, "stopped").write_text("yes")
    """)
    config = write(jobs / "slow.toml", f'[slow]\ndir = "{root}"\n')
    runner = start_cli(config, cwd=root)
    try:
        wait_for(lambda: (root / "blocking").exists())
        runner.send_signal(signal.SIGTERM)
        runner.communicate(timeout=15)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == EXIT_TERMINATED
    assert (root / "stopped").exists()
