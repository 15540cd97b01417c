"""Warm starts: a run forked from a fork server must behave exactly like ``python script.py`` started cold.

Each case runs the same script twice with real processes: once through the fork server of
:class:`Prestarter` and once with a plain ``Popen`` (the reference), and compares what the script
saw and printed. The process's environment block tells which path a process took: a forked run
keeps the fork server's block (its ``os.environ`` is the run's), a cold start or a fallback
(``exec`` of a fresh interpreter) has the run's environment in both.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from pipeline_scheduler.execution.executors import Command
from pipeline_scheduler.execution.prestart import Prestarter
from pipeline_scheduler.execution.processes import kill_tree, start_process

pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")

PROBE = '''"""A probe."""
import os, sys
main = sys.modules["__main__"]
print("argv", sys.argv)
print("orig_argv", getattr(sys, "orig_argv", None))
print("path0", sys.path[0])
print("file", __file__, __name__, __doc__)
print("main", sorted(name for name in vars(main) if name.startswith("__")))
print("loader", type(main.__loader__).__name__, main.__loader__.name, main.__loader__.path, main.__spec__)
print("cwd", os.getcwd())
print("stdin", repr(sys.stdin.read()))
print("env", os.environ.get("PROBE_VALUE"), os.environ.get("PYTHONUNBUFFERED"), "PROBE_UNSET" in os.environ)
print("modules", sorted(name for name in sys.modules if name.startswith(("json", "socket", "pipeline"))))
sys.stderr.write("to stderr\\n")
with open("/proc/self/environ", "rb") as handle:
    block = set(handle.read().split(b"\\0")) - {b""}
sys.stderr.write("COLD\\n" if block == {k + b"=" + v for k, v in os.environb.items()} else "WARM\\n")
'''


@pytest.fixture
def prestarter(tmp_path: Path) -> Iterator[Prestarter]:
    pool = Prestarter(sys.executable, tmp_path, 1)
    pool.start()
    yield pool
    pool.stop()


def wait_spare(pool: Prestarter, timeout: float = 10.0) -> None:
    assert pool.wait_ready(dict(os.environ), timeout), "no fork server was started"


def run(pool: Prestarter | None, script: Path, tmp_path: Path, name: str, *args: str,
        env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[int, str]:
    if pool is not None:
        wait_spare(pool)
    log_path = tmp_path / f"{name}.log"
    command = Command([sys.executable, str(script), *args], cwd or tmp_path)
    base_env = {key: value for key, value in os.environ.items() if key != "PROBE_UNSET"}
    process = start_process(command, log_path, {**base_env, **(env or {})}, pool)
    return process.wait(30), log_path.read_text()


def without_mode(output: str) -> str:
    return output.replace("WARM\n", "").replace("COLD\n", "")


def test_a_warm_run_sees_what_a_cold_run_sees(prestarter: Prestarter, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBE_UNSET", "server only")  # the spare starts with it; the run must not see it
    work = tmp_path / "work"
    work.mkdir()
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    env = {"PROBE_VALUE": "from the job"}
    warm_code, warm = run(prestarter, script, tmp_path, "warm", "one", "two words", env=env, cwd=work)
    cold_code, cold = run(None, script, tmp_path, "cold", "one", "two words", env=env, cwd=work)
    assert "WARM" in warm and "COLD" in cold
    assert (warm_code, without_mode(warm)) == (cold_code, without_mode(cold))
    assert "env from the job 1 False" in warm and f"cwd {work}" in warm and "modules []" in warm


@pytest.mark.parametrize(("source", "expected_code"), [
    ("def fail():\n    raise ValueError('broken')\nprint('before')\nfail()\n", 1),
    ("import sys\nprint('bye')\nsys.exit(3)\n", 3),
    ("raise SystemExit('a message')\n", 1),
    ("class Boom(Exception):\n    pass\ntry:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
     "    raise Boom('x') from e\n", 1),
])
def test_errors_and_exit_codes_match_a_cold_run(prestarter: Prestarter, tmp_path: Path, source: str,
                                                expected_code: int) -> None:
    script = tmp_path / "script.py"
    script.write_text(source)
    warm_code, warm = run(prestarter, script, tmp_path, "warm")
    cold_code, cold = run(None, script, tmp_path, "cold")
    assert warm_code == cold_code == expected_code
    assert warm == cold
    assert "<string>" not in warm and "prestart" not in warm


MULTIPROCESSING = """import inspect, multiprocessing, pickle, warnings
def square(x):
    return x * x
class Thing:
    pass
if __name__ == "__main__":
    with multiprocessing.get_context("spawn").Pool(2) as pool:  # children re-import __main__ from its file
        print(pool.map(square, [1, 2, 3]))
    print(len(pickle.dumps(Thing())) > 0, inspect.getsource(square).splitlines()[0])
    warnings.warn("careful")
"""


def test_multiprocessing_pickle_inspect_and_warnings_see_the_script(prestarter: Prestarter, tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(MULTIPROCESSING)
    warm = run(prestarter, script, tmp_path, "warm")
    cold = run(None, script, tmp_path, "cold")
    assert warm == cold
    assert warm[0] == 0 and "[1, 4, 9]\nTrue def square(x):" in warm[1] and "UserWarning: careful" in warm[1]


AT_EXIT = """import atexit, logging, sys, threading, time, weakref
import exit_helper
class Loud:
    def __init__(self, name):
        self.name = name
    def __del__(self):
        print("del", self.name, flush=True)
unclosed = open("unclosed.txt", "w")
unclosed.write("buffered, never closed")
logging.basicConfig(filename="run.log", level=logging.INFO)
logging.info("logged, never flushed by hand")
atexit.register(print, "atexit first registered")
atexit.register(lambda: 1 / 0)
atexit.register(print, "atexit last registered")
weakref.finalize(Loud("finalized"), print, "finalizer")
def late():
    time.sleep(0.2)
    print("non-daemon thread done", flush=True)
threading.Thread(target=late).start()
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
zed, _hidden, apple = Loud("zed"), Loud("_hidden"), Loud("apple")
helper = exit_helper.Helper("in __main__")
print("main done")
"""
HELPER = """class Helper:
    def __init__(self, name):
        self.name = name
    def __del__(self):
        print("del helper", self.name)
kept = Helper("kept by its module")
"""


@pytest.mark.parametrize(("tail", "expected_code"), [
    ("", 0),
    ("def fail():\n    doomed = Loud('in the failing frame')\n    raise ValueError('late')\nfail()\n", 1),
    ("raise SystemExit('with a message')\n", 1),
    ("sys.exit(None)\n", 0),
    ("sys.exit(True)\n", 1),
    ("sys.exit(-1)\n", 255),
    ("sys.exit(256 + 7)\n", 7),
    ("sys.stdout = open('elsewhere.txt', 'w')\nprint('to a replaced stdout')\n", 0),
    ("import ctypes\nctypes.CDLL(None).printf(b'from C stdio\\n')\n", 0),
    ("raise KeyboardInterrupt\n", -2),
])
def test_a_warm_run_exits_as_a_cold_run_does(prestarter: Prestarter, tmp_path: Path, tail: str,
                                              expected_code: int) -> None:
    """Threads, atexit, finalizers, objects' __del__, buffered files left open, logging, exit codes and
    C-level output: what an interpreter's exit does, a warm run's (which skips the interpreter's
    teardown of its start-up modules) does too, in the same order."""
    results = []
    for mode, pool in (("warm", prestarter), ("cold", None)):
        work = tmp_path / mode
        work.mkdir()
        (work / "exit_helper.py").write_text(HELPER)
        script = work / "exits.py"
        script.write_text(AT_EXIT + tail)
        code, output = run(pool, script, work, "out", cwd=work)
        files = {name: (work / name).read_text() for name in ("unclosed.txt", "run.log", "elsewhere.txt")
                 if (work / name).exists()}
        output = re.sub(r"0x[0-9a-f]+", "0x…", output.replace(str(work), "<dir>"))
        teardown = sorted(line for line in output.splitlines() if line.startswith("del ") and line != "del finalized")
        before = "".join(line for line in output.splitlines(keepends=True) if line[:-1] not in teardown)
        results.append((code, before, teardown, files))  # no order among the __del__ calls of the teardown
    assert results[0] == results[1]
    code, before, teardown, files = results[0]
    assert code == expected_code, before
    assert files["unclosed.txt"] == "buffered, never closed" and "logged, never flushed" in files["run.log"]
    assert output.index("del finalized") < output.index("main done")
    printed = before + files.get("elsewhere.txt", "")  # where print() wrote once the script replaced sys.stdout
    assert printed.index("non-daemon thread done") < printed.index("atexit last registered") < printed.index(
        "atexit first registered")
    assert output.rindex("atexit") < min(output.index(line) for line in teardown)
    assert "finalizer" in before and "ZeroDivisionError" in before
    assert {"del zed", "del _hidden", "del apple", "del helper in __main__", "del helper kept by its module"} <= set(
        teardown)


def test_a_syntax_error_is_reported_by_a_fresh_interpreter(prestarter: Prestarter, tmp_path: Path) -> None:
    script = tmp_path / "bad.py"
    script.write_text("print('a'\n")
    warm_code, warm = run(prestarter, script, tmp_path, "warm")
    cold_code, cold = run(None, script, tmp_path, "cold")
    assert warm_code == cold_code == 1
    assert warm == cold and "SyntaxError" in warm


def test_start_up_variables_in_the_job_env_start_it_cold(prestarter: Prestarter, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "helper_module_for_probe.py").write_text("VALUE = 42\n")
    script = tmp_path / "uses_path.py"
    script.write_text(PROBE + "import helper_module_for_probe\nprint('helper', helper_module_for_probe.VALUE)\n")
    code, output = run(prestarter, script, tmp_path, "pythonpath", env={"PYTHONPATH": str(extra)})
    assert code == 0, output
    assert "helper 42" in output and "COLD" in output


def test_a_changed_directory_on_sys_path_starts_it_cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "site"
    extra.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(extra))  # the spare starts with this directory on sys.path
    pool = Prestarter(sys.executable, tmp_path, 1)
    pool.start()
    try:
        script = tmp_path / "probe.py"
        script.write_text(PROBE + "import late_module\nprint('late', late_module.VALUE)\n")
        wait_spare(pool)
        time.sleep(0.05)  # a coarse file system clock must see a later mtime
        (extra / "late_module.py").write_text("VALUE = 'installed after start-up'\n")  # like a pip install
        code, output = run(pool, script, tmp_path, "late")
        assert code == 0, output
        assert "late installed after start-up" in output and "COLD" in output
        code, output = run(pool, script, tmp_path, "next")  # the replacement fork server saw it at its start-up
        assert code == 0 and "WARM" in output
    finally:
        pool.stop()


def test_timeout_and_cancel_end_a_warm_run_and_its_children(prestarter: Prestarter, tmp_path: Path) -> None:
    script = tmp_path / "sleeper.py"
    script.write_text("import subprocess, sys, time\n"
                      "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
                      "print(child.pid, flush=True)\ntime.sleep(60)\n")
    wait_spare(prestarter)
    log_path = tmp_path / "sleeper.log"
    process = start_process(Command([sys.executable, str(script)], tmp_path), log_path, dict(os.environ), prestarter)
    deadline = time.monotonic() + 10
    while not log_path.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    child = psutil.Process(int(log_path.read_text().split()[0]))
    kill_tree(process, grace=1.0)
    assert process.wait(5) == -15  # ended by SIGTERM, as a cold process would be
    child.wait(5)
    assert not child.is_running()


def test_fork_servers_exit_when_stopped(tmp_path: Path) -> None:
    pool = Prestarter(sys.executable, tmp_path, 1)
    pool.start()
    wait_spare(pool)
    assert pool.wait_ready({**os.environ, "LANG": "C.UTF-8-other"})  # a second start-up environment
    servers = [psutil.Process(server._process.pid) for server in pool._servers.values()]
    assert len(servers) == 2
    pool.stop()
    assert [server.is_running() and server.status() != psutil.STATUS_ZOMBIE for server in servers] == [False, False]


def test_other_commands_and_unusable_interpreters_start_cold(tmp_path: Path) -> None:
    pool = Prestarter("/bin/sh", tmp_path, 1)  # cannot run the child code: every spare dies at once
    pool.start()
    try:
        deadline = time.monotonic() + 10
        while pool._failures < 3:
            pool.launch(Command(["/bin/sh", str(tmp_path / "x.py")], tmp_path), tmp_path / "x.log", {})
            assert time.monotonic() < deadline, "the pool kept trying an interpreter that cannot run it"
            time.sleep(0.05)
        assert pool.launch(Command(["/bin/sh", str(tmp_path / "x.py")], tmp_path), tmp_path / "x.log", {}) is None
    finally:
        pool.stop()
    python_pool = Prestarter(sys.executable, tmp_path, 1)
    python_pool.start()
    try:
        wait_spare(python_pool)
        module = Command([sys.executable, "-m", "json.tool", "--help"], tmp_path)
        assert python_pool.launch(module, tmp_path / "m.log", {}) is None
        other = Command(["/usr/bin/env", "python3", str(tmp_path / "x.py")], tmp_path)
        assert python_pool.launch(other, tmp_path / "o.log", {}) is None
    finally:
        python_pool.stop()


def test_without_spares_every_run_starts_cold(tmp_path: Path) -> None:
    pool = Prestarter(sys.executable, tmp_path, 0)
    pool.start()
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    log_path = tmp_path / "cold.log"
    process = start_process(Command([sys.executable, str(script)], tmp_path), log_path, dict(os.environ), pool)
    assert process.wait(30) == 0 and "COLD" in log_path.read_text()
    pool.stop()


MODE_PROBE = ('import os, sys\nwith open("/proc/self/environ", "rb") as handle:\n'
              '    block = set(handle.read().split(b"\\0")) - {b""}\n'
              'cold = block == {k + b"=" + v for k, v in os.environb.items()}\n'
              'print("COLD" if cold else "WARM", sys.argv[1:])\n')


@pytest.mark.parametrize(("scheduler_config", "expected"), [
    ({"timezone": "UTC"}, "WARM"),
    ({"timezone": "UTC", "prestarted_interpreters": 0}, "COLD"),
])
async def test_runs_through_the_server_use_a_prestarted_interpreter(api, write_script, jp_serverapp, scheduler_config,
                                                                    expected: str) -> None:
    prestarter = jp_serverapp.web_app.settings["pipeline_scheduler"].prestarter
    _, config = await api("GET", "config")
    assert config["prestarted_interpreters"] == scheduler_config.get("prestarted_interpreters", 1)
    path = write_script("mode.py", MODE_PROBE)
    status, job = await api("POST", "jobs", {"name": "mode", "pipeline_path": path, "arguments": ["x"],
                                             "schedule_type": "interval", "interval_seconds": 86400})
    assert status == 200, job
    outputs = []
    for _ in range(3):  # every run gets its own process
        if expected == "WARM":
            await asyncio.to_thread(wait_spare, prestarter)
        status, answer = await api("POST", f"run/{job['id']}")
        assert status == 200 and answer["success"], answer
        outputs.append(answer["output"].strip())
    assert outputs == [f"{expected} ['x']"] * 3
