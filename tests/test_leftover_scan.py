"""The leftover sweeper's scan of the process table finds exactly the processes of the runs asked for.

Real processes with real environments: one per marker as a run's process gets it (a cold start) or as
a fork server's child has it stamped (padded with spaces), one of another run, one without a marker,
and an old process that carries the marker but started before the runs (not read at all).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from pipeline_scheduler.execution.orphans import RUN_MARKER, START_TIME_TOLERANCE, LeftoverSweeper, _marked_since

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


def sleeper(marker: str | None) -> subprocess.Popen:
    env = {name: value for name, value in os.environ.items() if name != RUN_MARKER}
    if marker is not None:
        env[RUN_MARKER] = marker
    return subprocess.Popen(SLEEP, env=env)


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_scan_finds_the_marked_processes_started_since(processes) -> None:
    old = sleeper("run-a")
    processes.append(old)
    time.sleep(START_TIME_TOLERANCE + 2)  # the scan allows for the boot time's whole seconds
    since = time.time()
    cold, stamped, other, unmarked = sleeper("run-a"), sleeper("run-b" + " " * 40), sleeper("run-c"), sleeper(None)
    processes += [cold, stamped, other, unmarked]
    found = {process.pid for process in _marked_since({"run-a", "run-b"}, since)}
    assert found == {cold.pid, stamped.pid}
    assert {process.pid for process in _marked_since({"run-a"}, since - 10)} == {old.pid, cold.pid}


def test_the_sweeper_ends_them_after_the_runs_end(processes) -> None:
    since = time.time()
    mine, other = sleeper("run-d"), sleeper("run-e")
    processes += [mine, other]
    sweeper = LeftoverSweeper(grace=1.0)
    sweeper.start()
    try:
        sweeper.sweep("run-d", since)
        mine.wait(10)
        assert other.poll() is None
    finally:
        sweeper.stop()
