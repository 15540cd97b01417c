"""Each built-in plugin, with real subprocesses, real files and a local HTTP server."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from .runner_helpers import pid_alive, read_pid, run_cli, write

from pipeline_scheduler.runner import (EXIT_TIMED_OUT, ConfigError, PluginRegistry, RunOptions, run_config,
                                       validate_config)


def run(config: dict, root: Path, **options) -> object:
    return run_config(config, RunOptions(root=root, **options))


# -- os ----------------------------------------------------------------------------------------

def test_os_runs_an_argument_list_in_cwd_with_env(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    config = {"os": {"cmd": [sys.executable, "-c", "import os; open('out.txt', 'w').write(os.environ['WHO'])"],
                     "cwd": "work", "env": {"WHO": "list"}}}
    assert run(config, tmp_path).status == "success"
    assert (tmp_path / "work" / "out.txt").read_text() == "list"


def test_os_string_is_split_with_shlex_and_never_run_by_a_shell(tmp_path: Path) -> None:
    config = {"os": {"cmd": "sh -c 'echo \"$0 $HOME\" > out.txt' 'quoted arg'", "env": {"HOME": "/h"}}}
    assert run(config, tmp_path).status == "success"
    assert (tmp_path / "out.txt").read_text() == "quoted arg /h\n"
    # without a shell, metacharacters are plain arguments: nothing is redirected, no file appears
    outcome = run({"os": {"cmd": "echo $HOME > shell.txt; touch injected.txt"}}, tmp_path)
    assert outcome.status == "success"
    assert not (tmp_path / "shell.txt").exists() and not (tmp_path / "injected.txt").exists()


def test_os_shell_true_uses_a_shell(tmp_path: Path) -> None:
    outcome = run({"os": {"cmd": "echo $SHELL_TEST > shell.txt", "shell": True, "env": {"SHELL_TEST": "yes"}}},
                  tmp_path)
    assert outcome.status == "success"
    assert (tmp_path / "shell.txt").read_text() == "yes\n"


def test_os_bad_parameters_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        validate_config({"os": {"cmd": ["ls"], "shell": True}})
    assert (error.value.section, error.value.field) == ("os", "cmd")
    with pytest.raises(ConfigError) as error:
        validate_config({"os": {"cmd": "echo 'unclosed"}})
    assert error.value.field == "cmd" and "cannot split" in error.value.message
    with pytest.raises(ConfigError) as error:
        validate_config({"os": {"cmd": "ls", "env": {"BAD NAME": "x"}}})
    assert error.value.field == "env"
    with pytest.raises(ConfigError) as error:
        validate_config({"os": {"cmd": "ls", "cwd": "../outside"}}, root=tmp_path)
    assert (error.value.section, error.value.field) == ("os", "cwd") and "outside the root" in error.value.message


def test_os_missing_program_fails_with_127(tmp_path: Path) -> None:
    outcome = run({"os": {"cmd": ["definitely-not-a-program-xyz"]}}, tmp_path)
    assert (outcome.status, outcome.exit_code) == ("failed", 127)
    assert "definitely-not-a-program-xyz" in outcome.reason


def test_os_waits_for_every_foreground_command(tmp_path: Path) -> None:
    config = {"os": {"cmd": ["sh", "-c", "sleep 0.3; touch os.done"]},
              "python": {"module": "this", "wait": True}}
    outcome = run(config, tmp_path)
    assert outcome.status == "success"
    assert (tmp_path / "os.done").exists()


# -- lifetime ----------------------------------------------------------------------------------

def test_lifetime_kills_a_long_command_and_its_children(tmp_path: Path) -> None:
    script = ("sleep 60 & echo $! > child.pid; "
              f"{sys.executable} -c 'import os, subprocess, time; "
              "p = subprocess.Popen([\"sleep\", \"60\"], start_new_session=True); "
              "open(\"escaped.pid\", \"w\").write(str(p.pid)); time.sleep(60)' & "
              "echo $$ > parent.pid; wait")
    started = time.monotonic()
    outcome = run({"lifetime": {"lifetime": 2}, "os": {"cmd": ["sh", "-c", script]}}, tmp_path)
    elapsed = time.monotonic() - started
    assert (outcome.status, outcome.exit_code) == ("timed_out", EXIT_TIMED_OUT)
    assert "lifetime of 2s expired" in outcome.reason
    assert 2 <= elapsed < 8
    for name in ("parent.pid", "child.pid", "escaped.pid"):  # escaped: left the group with setsid
        pid = read_pid(tmp_path / name)
        assert not pid_alive(pid), name


def test_lifetime_ends_background_commands_and_succeeds(tmp_path: Path) -> None:
    config = {"lifetime": {"lifetime": 1.0},
              "os": {"cmd": ["sh", "-c", "echo $$ > bg.pid; exec sleep 60"], "wait": False}}
    outcome = run(config, tmp_path)
    assert outcome.status == "success", outcome
    assert not pid_alive(read_pid(tmp_path / "bg.pid"))


def test_lifetime_does_not_cut_a_command_that_finishes_in_time(tmp_path: Path) -> None:
    started = time.monotonic()
    outcome = run({"lifetime": {"lifetime": 30}, "os": {"cmd": ["true"]}}, tmp_path)
    assert outcome.status == "success" and time.monotonic() - started < 5


def test_lifetime_parameters_are_validated() -> None:
    for bad in ({"lifetime": "60"}, {"lifetime": 0}, {"lifetime": 5, "extra": 1}, {}):
        with pytest.raises(ConfigError) as error:
            validate_config({"lifetime": bad})
        assert error.value.section == "lifetime"
    assert validate_config({"lifetime": {"lifetime": 60}}).plugins[0].params.lifetime == 60


def test_lifetime_is_reachable_through_the_context(tmp_path: Path) -> None:
    from pipeline_scheduler.runner import Plugin, hook

    class Peek(Plugin):
        name = "peek"

        @hook("startup")
        def look(self, ctx):
            lifetime = ctx.plugins["lifetime"]
            (ctx.base_dir / "remaining").write_text(f"{lifetime.remaining():.0f}")

    registry = PluginRegistry()
    registry.add(Peek)
    config = {"lifetime": {"lifetime": 42}, "peek": {}, "os": {"cmd": ["true"]}}
    outcome = run_config(config, RunOptions(root=tmp_path, registry=registry))
    assert outcome.status == "success"  # the command finished long before the lifetime
    assert (tmp_path / "remaining").read_text() in ("41", "42")


# -- env ---------------------------------------------------------------------------------------

def test_env_sets_expands_and_unsets_variables_for_processes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PIPELINE_SCHEDULER_TEST_VAR", "inherited")
    monkeypatch.setenv("DROP_ME", "x")
    dump = [sys.executable, "-c", "import json, os; json.dump(dict(os.environ), open('env.json', 'w'))"]
    config = {"env": {"vars": {"GREETING": "hello", "COUNT": 3, "PREFIXED": "a:${PIPELINE_SCHEDULER_TEST_VAR}",
                               "AFTER": "${GREETING}!"}, "unset": ["DROP_ME"]},
              "os": {"cmd": dump, "env": {"COUNT": "4"}}}
    assert run(config, tmp_path).status == "success"
    env = json.loads((tmp_path / "env.json").read_text())
    assert env["GREETING"] == "hello" and env["COUNT"] == "4"  # the section's own env wins
    assert env["PREFIXED"] == "a:inherited" and env["AFTER"] == "hello!"
    assert "DROP_ME" not in env and env["PIPELINE_SCHEDULER_TEST_VAR"] == "inherited"
    assert os.environ["DROP_ME"] == "x"  # the runner's own environment is untouched


def test_env_inherit_false_starts_minimal(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PIPELINE_SCHEDULER_TEST_VAR", "inherited")
    dump = [sys.executable, "-c", "import json, os; json.dump(dict(os.environ), open('env.json', 'w'))"]
    config = {"env": {"inherit": False, "vars": {"ONLY": "1"}}, "os": {"cmd": dump}}
    assert run(config, tmp_path).status == "success"
    env = json.loads((tmp_path / "env.json").read_text())
    assert "PIPELINE_SCHEDULER_TEST_VAR" not in env and env["ONLY"] == "1" and "PATH" in env


def test_env_rejects_non_string_values() -> None:
    with pytest.raises(ConfigError) as error:
        validate_config({"env": {"vars": {"A": [1]}}, "os": {"cmd": "true"}})
    assert error.value.section == "env" and error.value.field.startswith("vars")


# -- python ------------------------------------------------------------------------------------

def test_python_runs_a_script_with_arguments(tmp_path: Path) -> None:
    write(tmp_path / "jobs" / "report.py", """
        import sys, os
        open("report.txt", "w").write(" ".join(sys.argv[1:]) + "|" + sys.executable + "|" + os.environ["PYTHONUNBUFFERED"])
    """)
    outcome = run({"python": {"script": "jobs/report.py", "args": "--day 'next monday'"}}, tmp_path,
                  python_executable=sys.executable)
    assert outcome.status == "success", outcome
    assert (tmp_path / "report.txt").read_text() == f"--day next monday|{sys.executable}|1"


def test_python_runs_a_module_and_reports_its_exit_code(tmp_path: Path) -> None:
    write(tmp_path / "mod_fail.py", "import sys; sys.exit(4)\n")
    outcome = run({"python": {"module": "mod_fail", "cwd": "."}}, tmp_path)
    assert (outcome.status, outcome.exit_code) == ("failed", 4)


def test_python_script_must_stay_in_the_root_and_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        validate_config({"python": {"script": "../../etc/evil.py"}}, root=tmp_path)
    assert (error.value.section, error.value.field) == ("python", "script")
    with pytest.raises(ConfigError) as error:
        validate_config({"python": {"script": "a.py", "module": "b"}})
    assert error.value.field == "script" and "exactly one" in error.value.message
    outcome = run({"python": {"script": "missing.py"}}, tmp_path)
    assert outcome.status == "failed" and "not found" in outcome.reason


# -- http --------------------------------------------------------------------------------------

def test_http_checks_status_and_body(tmp_path: Path, web) -> None:
    assert run({"http": {"url": f"{web.url}/health", "contains": "ok"}}, tmp_path).status == "success"
    assert run({"http": {"url": f"{web.url}/status/204", "expected_status": [200, 204]}}, tmp_path).ok
    outcome = run({"http": {"url": f"{web.url}/status/503"}, "os": {"cmd": ["touch", "ran"]}}, tmp_path)
    assert outcome.status == "failed" and "answered 503, expected 200" in outcome.reason
    assert not (tmp_path / "ran").exists()  # the failed check stopped later startup hooks (config order)
    outcome = run({"http": {"url": f"{web.url}/health", "contains": "nope"}}, tmp_path)
    assert outcome.status == "failed" and "does not contain" in outcome.reason
    outcome = run({"http": {"url": f"{web.url}/x", "method": "post", "body": {"a": 1}}}, tmp_path)
    assert outcome.ok and web.requests[-1]["method"] == "POST" and json.loads(web.requests[-1]["body"]) == {"a": 1}


def test_http_unreachable_fails_after_retries(tmp_path: Path, closed_port: int) -> None:
    outcome = run({"http": {"url": f"http://127.0.0.1:{closed_port}/", "retries": 2, "retry_delay": 0.05,
                            "timeout": 1}}, tmp_path)
    assert outcome.status == "failed" and "refused" in outcome.reason.lower()


def test_http_rejects_other_schemes() -> None:
    with pytest.raises(ConfigError) as error:
        validate_config({"http": {"url": "file:///etc/passwd"}})
    assert (error.value.section, error.value.field) == ("http", "url")


# -- notify ------------------------------------------------------------------------------------

def test_notify_posts_the_outcome_on_success_and_failure(tmp_path: Path, web) -> None:
    run({"notify": {"url": f"{web.url}/hook", "extra": {"team": "data"}}, "os": {"cmd": ["true"]}}, tmp_path,
        job_id="nightly")
    run({"notify": {"url": f"{web.url}/hook"}, "os": {"cmd": ["sh", "-c", "exit 5"]}}, tmp_path, job_id="nightly")
    first, second = web.json_bodies()
    assert first["status"] == "success" and first["exit_code"] == 0 and first["team"] == "data"
    assert first["job_id"] == "nightly" and first["finished_at"]
    assert second["status"] == "failed" and second["exit_code"] == 5 and "exited with 5" in second["reason"]


def test_notify_filters_by_outcome(tmp_path: Path, web) -> None:
    run({"notify": {"url": f"{web.url}/hook", "on_success": False}, "os": {"cmd": ["true"]}}, tmp_path)
    assert web.requests == []
    run({"notify": {"url": f"{web.url}/hook", "on_skipped": True},
         "lifetime": {"lifetime": 0.2}, "os": {"cmd": ["sleep", "5"]}}, tmp_path)
    assert web.json_bodies()[0]["status"] == "timed_out"


def test_notify_failure_does_not_fail_the_run(tmp_path: Path, closed_port: int) -> None:
    outcome = run({"notify": {"url": f"http://127.0.0.1:{closed_port}/", "timeout": 1}, "os": {"cmd": ["true"]}},
                  tmp_path)
    assert outcome.status == "success"


def test_builtins_are_documented_with_parameters() -> None:
    listing = {item["name"]: item for item in PluginRegistry().list()}
    assert set(listing) == {"os", "python", "lifetime", "env", "http", "notify"}
    for item in listing.values():
        assert item["source"] == "builtin" and len(item["doc"]) > 80 and item["params"]["type"] == "object"
    assert listing["os"]["params"]["required"] == ["cmd"]
    assert listing["lifetime"]["params"]["properties"]["lifetime"]["exclusiveMinimum"] == 0


def test_cli_runs_builtin_plugins_from_a_jobs_file(root: Path, jobs: Path) -> None:
    config = write(jobs / "hello.toml", """
        [env]
        vars = { WHO = "world" }

        [os]
        cmd = ["sh", "-c", "echo hello $WHO > hello.txt"]
    """)
    result = run_cli(config, "--root", root, cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "hello.txt").read_text() == "hello world\n"
