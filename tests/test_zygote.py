"""The fork server: start-up hooks never leak into a run, late site directories are seen, ``ps`` names
the script, exit codes come back for many runs at once, and a dead fork server loses no run.

Real interpreters, real venvs (``python -m venv --without-pip``, about 0.1 s each), real forks. Each
run is compared output for output with ``python script.py`` started by a plain ``Popen``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from pipeline_scheduler.execution import zygote
from pipeline_scheduler.execution.executors import Command
from pipeline_scheduler.execution.launchers import LocalLauncher
from pipeline_scheduler.execution.prestart import Prestarter
from pipeline_scheduler.execution.processes import start_process
from pipeline_scheduler.execution.zygote import LOST_EXIT_CODE, ForkedRun

pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")

PROBE = '''import os, sys
print("hooked", getattr(sys, "hooked_by", None), os.environ.get("HOOKED"))
print("argv", sys.argv, sorted(m for m in sys.modules if m.endswith("customize")))
with open("/proc/self/environ", "rb") as handle:
    block = {entry for entry in handle.read().split(b"\\0") if entry and not entry.startswith(b"HOOKED=")}
cold = block == {k + b"=" + v for k, v in os.environb.items() if k != b"HOOKED"}  # hooks may set HOOKED
print("COLD" if cold else "WARM", file=sys.stderr)
'''
HOOK = 'import os, sys\nprint("hook ran in", os.getpid() > 0)\nsys.hooked_by = "hook"\nos.environ["HOOKED"] = "yes"\n'


def make_venv(path: Path, *, system_site: bool = False) -> str:
    options = ["--system-site-packages"] if system_site else []
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *options, str(path)], check=True)
    return str(path / "bin" / "python")


def site_packages(venv: Path) -> Path:
    return Path(sysconfig.get_path("purelib", "posix_prefix", vars={"base": str(venv), "platbase": str(venv)}))


def run(python: str, pool: Prestarter | None, script: Path, name: str, env: dict[str, str] | None = None
        ) -> tuple[int, str]:
    log_path = script.parent / f"{name}.log"
    process = start_process(Command([python, str(script), "an arg"], script.parent), log_path,
                            {**os.environ, **(env or {})}, pool)
    return process.wait(30), log_path.read_text()


def mode(output: str) -> str:
    return "WARM" if "WARM" in output else "COLD"


@pytest.fixture
def pools() -> Iterator[list[Prestarter]]:
    started: list[Prestarter] = []
    yield started
    for pool in started:
        pool.stop()


def pool_of(pools: list[Prestarter], python: str, cwd: Path, env: dict[str, str] | None = None) -> Prestarter:
    pool = Prestarter(python, cwd, 1)
    pools.append(pool)
    pool.start()
    pool.wait_ready({**os.environ, **(env or {})})
    return pool


def test_a_sitecustomize_runs_in_every_run_as_in_python_script_py(tmp_path: Path, pools: list[Prestarter]) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(HOOK)
    env = {"PYTHONPATH": str(hooks)}
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    pool = pool_of(pools, sys.executable, tmp_path, env)
    outputs = [run(sys.executable, pool, script, f"warm{n}", env) for n in range(2)]
    cold = run(sys.executable, None, script, "cold", env)
    assert outputs == [cold, cold]
    assert "hook ran in True\nhooked hook yes\n" in cold[1] and mode(cold[1]) == "COLD"


def test_a_pth_file_that_runs_code_is_run_in_every_run(tmp_path: Path, pools: list[Prestarter]) -> None:
    venv = tmp_path / "venv"
    python = make_venv(venv)
    (site_packages(venv) / "zz_agent.pth").write_text("import os; print('pth ran'); os.environ['HOOKED'] = 'pth'\n")
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    pool = pool_of(pools, python, tmp_path)
    warm = run(python, pool, script, "warm")
    cold = run(python, None, script, "cold")
    assert warm == cold and "pth ran\nhooked None pth\n" in cold[1]


def test_a_venv_with_only_packaging_finders_runs_warm_and_coverage_starts_cold(tmp_path: Path,
                                                                                pools: list[Prestarter]) -> None:
    venv = tmp_path / "venv"
    python = make_venv(venv)
    (site_packages(venv) / "distutils-precedence.pth").write_text("import os; os.environ.get('X')\n")
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    pool = pool_of(pools, python, tmp_path)
    warm_code, warm = run(python, pool, script, "warm")
    assert (warm_code, mode(warm)) == (0, "WARM")
    cold = run(python, None, script, "cold")
    assert (warm_code, warm.replace("WARM", "COLD")) == cold
    coverage = {"COVERAGE_PROCESS_START": str(tmp_path / ".coveragerc")}
    pool.wait_ready({**os.environ, **coverage})
    code, output = run(python, pool, script, "coverage", coverage)
    assert (code, mode(output)) == (0, "COLD")


def test_site_directories_created_after_start_up_are_seen(tmp_path: Path, pools: list[Prestarter]) -> None:
    late = tmp_path / "not-yet"  # on sys.path, missing when the fork server starts (as a user site would be)
    env = {"PYTHONPATH": str(late)}
    script = tmp_path / "probe.py"
    script.write_text(PROBE + "import late_module\nprint(late_module.VALUE)\n")
    pool = pool_of(pools, sys.executable, tmp_path, env)
    late.mkdir()
    (late / "late_module.py").write_text("VALUE = 'found'\n")
    code, output = run(sys.executable, pool, script, "late", env)
    assert (code, output) == run(sys.executable, None, script, "cold", env)
    assert "found" in output
    assert pool.wait_ready({**os.environ, **env})
    code, output = run(sys.executable, pool, script, "next", env)  # a new fork server, started with it there
    assert (code, mode(output)) == (0, "WARM") and "found" in output


def test_ps_shows_the_script_and_many_runs_get_their_own_exit_codes(tmp_path: Path, pools: list[Prestarter]) -> None:
    script = tmp_path / "exit.py"
    script.write_text("import sys, time\ntime.sleep(float(sys.argv[2]))\nsys.exit(int(sys.argv[1]))\n")
    pool = pool_of(pools, sys.executable, tmp_path)
    runs = []
    for n in range(40):
        command = Command([sys.executable, str(script), str(n), "0.5" if n == 0 else "0"], tmp_path)
        runs.append(start_process(command, tmp_path / f"{n}.log", dict(os.environ), pool))
    assert all(isinstance(process, ForkedRun) for process in runs)
    expected, deadline = f"{sys.executable} {script} 0 0.5", time.monotonic() + 5
    while " ".join(psutil.Process(runs[0].pid).cmdline()) != expected:  # once the child has set it up
        assert time.monotonic() < deadline, psutil.Process(runs[0].pid).cmdline()
        time.sleep(0.01)
    assert [process.wait(30) for process in runs] == list(range(40))


def test_runs_outlive_a_fork_server_that_dies_and_keep_their_exit_codes(tmp_path: Path,
                                                                         pools: list[Prestarter]) -> None:
    """A fork server killed under its runs takes their exit codes with it; each run noted its own as it
    exited, on the spare's socket or the one sent with its start, and that is what is reported. A
    process the run forked ends through the same exit and notes its own code too: not taken for the run's."""
    script = tmp_path / "sleep.py"
    script.write_text("import os, sys, time\n"
                      "if sys.argv[1] == '3' and os.fork() == 0:\n"
                      "    time.sleep(2.5)\n"  # outlives the run, holding its end of the socket
                      "    sys.exit(9)\n"
                      "time.sleep(1)\nprint('done', sys.argv[1])\nsys.exit(int(sys.argv[1]))\n")
    pool = pool_of(pools, sys.executable, tmp_path)
    spare = spare_of(pool)
    runs = [start_process(Command([sys.executable, str(script), str(code)], tmp_path), tmp_path / f"{code}.log",
                          dict(os.environ), pool) for code in (0, 3, 4, 5)]
    assert all(isinstance(process, ForkedRun) for process in runs)
    assert runs[0].pid == spare.pid and any(process.pid != spare.pid for process in runs)  # both ways of forking
    server = next(iter(pool._servers.values()))
    os.kill(server._process.pid, signal.SIGKILL)
    os.kill(runs[3].pid, signal.SIGTERM)  # ended by a signal once its fork server is gone: nothing noted
    assert [process.wait(30) for process in runs] == [0, 3, 4, LOST_EXIT_CODE]
    assert [(tmp_path / f"{code}.log").read_text() for code in (0, 3, 4)] == [f"done {code}\n" for code in (0, 3, 4)]
    deadline = time.monotonic() + 10
    while not pool.wait_ready(dict(os.environ), 1.0):
        assert time.monotonic() < deadline, "no new fork server"
    after = start_process(Command([sys.executable, str(script), "6"], tmp_path), tmp_path / "6.log",
                          dict(os.environ), pool)
    assert after.wait(30) == 6


def spare_of(pool: Prestarter, timeout: float = 10.0) -> psutil.Process:
    """The child the fork server forked ahead of the next run (it shows the fork server's command)."""
    server = psutil.Process(next(iter(pool._servers.values()))._process.pid)
    deadline = time.monotonic() + timeout
    while True:
        waiting = [child for child in server.children() if child.cmdline() == server.cmdline()]
        if waiting:
            return waiting[0]
        assert time.monotonic() < deadline, "no spare child was forked"
        time.sleep(0.01)


def test_a_run_takes_the_child_forked_ahead_and_runs_without_one_too(tmp_path: Path, pools: list[Prestarter]) -> None:
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    pool = pool_of(pools, sys.executable, tmp_path)
    spare = spare_of(pool)
    log_path = tmp_path / "spare.log"
    process = start_process(Command([sys.executable, str(script), "an arg"], tmp_path), log_path, dict(os.environ),
                            pool)
    assert process.pid == spare.pid and process.wait(30) == 0
    assert mode(log_path.read_text()) == "WARM" and "argv ['" in log_path.read_text()
    dead = spare_of(pool)
    dead.kill()  # a spare that died before its run: the next run is forked on demand
    dead.wait(10)
    for name in ("after-kill", "next"):
        code, output = run(sys.executable, pool, script, name)
        assert code == 0 and mode(output) == "WARM", output
    last = spare_of(pool)
    pool.stop()
    last.wait(10)  # the fork server's end ends the spare waiting for a run


def test_a_launch_on_a_fork_server_that_just_ended_returns_at_once(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork server's stdin can outlive it for an instant (a sibling forking holds it): the write succeeds,
    yet nothing will answer. Such a launch starts cold at once instead of waiting for a reply (seen in CI)."""
    monkeypatch.setattr(zygote, "REPLY_SECONDS", 1.0)
    forking = threading.Event()

    def fork_siblings() -> None:
        while not forking.is_set():
            subprocess.run(["/bin/true"], check=True)

    siblings = [threading.Thread(target=fork_siblings, daemon=True) for _ in range(2)]
    for sibling in siblings:
        sibling.start()
    waits = []
    try:
        for _ in range(150):
            server = zygote.ForkServer("/bin/sh", tmp_path, {})  # cannot run the child code: ends at once
            server.wait_ready(5)  # returns once it ended: it never says ready
            started = time.monotonic()
            assert server.launch(["/bin/sh", "x.py"], os.fspath(tmp_path), os.fspath(tmp_path / "x.log"), {}) is None
            waits.append(time.monotonic() - started)
            assert server.unusable is None  # it died: counted as a failure, not taken for a slow server
            server.close()
    finally:
        forking.set()
    assert max(waits) < 0.5, f"{sum(w >= 0.5 for w in waits)} of {len(waits)} launches waited for a reply"


def test_runs_keep_their_exit_codes_while_their_fork_servers_are_killed_again_and_again(
        tmp_path: Path, pools: list[Prestarter]) -> None:
    """Fault injection: fork servers killed every 50-150 ms under a stream of runs. Every run reports the exit
    code it ended with, whether it was forked from a spare, on request, or started cold meanwhile."""
    script = tmp_path / "quick.py"
    script.write_text("import sys, time\ntime.sleep(0.02)\nsys.exit(int(sys.argv[1]))\n")
    pool = pool_of(pools, sys.executable, tmp_path)
    stop = threading.Event()
    kills = []

    def kill_fork_servers() -> None:
        while not stop.wait(0.05 + len(kills) % 3 * 0.05):
            for server in list(pool._servers.values()):
                if server.was_ready and server._process.poll() is None:  # one killed before it is ready is given up on
                    server._process.kill()
                    kills.append(server._process.pid)

    killer = threading.Thread(target=kill_fork_servers, daemon=True)
    killer.start()
    codes, forked = [], 0
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            batch = [start_process(Command([sys.executable, str(script), str(code)], tmp_path),
                                   tmp_path / f"{len(codes)}-{code}.log", dict(os.environ), pool) for code in (0, 7)]
            forked += sum(isinstance(process, ForkedRun) for process in batch)
            codes.extend(process.wait(30) for process in batch)
    finally:
        stop.set()
        killer.join()
    assert codes == [0, 7] * (len(codes) // 2)
    assert len(kills) >= 10 and forked >= 10, (len(kills), forked)  # the faults did hit forked runs


def test_a_run_whose_spare_died_before_taking_it_starts_cold_and_one_it_took_is_not_run_again(
        tmp_path: Path, pools: list[Prestarter]) -> None:
    """The spare notes that it took its run just before the script starts. Killed before that, nothing of the run
    ran: it is started cold. Killed after, the run was killed: it must not run a second time."""
    script = tmp_path / "once.py"
    script.write_text("import sys, time\nprint('ran', flush=True)\ntime.sleep(float(sys.argv[1]))\n")
    pool = pool_of(pools, sys.executable, tmp_path)
    launcher = LocalLauncher(pool)
    spare = spare_of(pool)
    spare.suspend()  # it cannot read the run handed to it
    untaken = launcher.start(Command([sys.executable, str(script), "0"], tmp_path), tmp_path / "untaken.log",
                             dict(os.environ), "untaken", None)
    assert untaken.pid == spare.pid
    spare.kill()
    assert untaken.wait(30) == 0 and untaken.pid != spare.pid
    assert (tmp_path / "untaken.log").read_text() == "ran\n"
    spare = spare_of(pool)
    taken = launcher.start(Command([sys.executable, str(script), "30"], tmp_path), tmp_path / "taken.log",
                           dict(os.environ), "taken", None)
    assert taken.pid == spare.pid
    deadline = time.monotonic() + 10
    while (tmp_path / "taken.log").read_text() != "ran\n":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    spare.kill()
    assert taken.wait(30) == -signal.SIGKILL and taken.pid == spare.pid
    assert (tmp_path / "taken.log").read_text() == "ran\n"
