"""Ending the processes of runs whose server died (kill -9, power cut) and left them running.

A run's process leads its own session, so it survives its server. Its identity is its pid *and*
its start time (recorded when it started): a pid the system has since given to another process
is never touched. What the run started is found by its process group, by descent, and by the
``PIPELINE_SCHEDULER_RUN`` variable every run's processes inherit, which also finds a daemon that
left the group and lost its parent.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterable

import psutil

log = logging.getLogger(__name__)

RUN_MARKER = "PIPELINE_SCHEDULER_RUN"
START_TIME_TOLERANCE = 0.05  # seconds: psutil's start times come from clock ticks
GRACE_SECONDS = 3.0


def run_processes(execution_id: str, pid: int | None, started_at: float | None) -> list[psutil.Process]:
    """The live processes of one run: its own process (when pid and start time match), its group and
    descendants, and every process carrying its marker."""
    found: dict[int, psutil.Process] = {}
    main = _same_process(pid, started_at)
    if main is not None:
        found[main.pid] = main
        for child in _children(main):
            found[child.pid] = child
    for process in psutil.process_iter():
        try:
            if process.pid in found or process.pid == os.getpid():
                continue
            in_group = main is not None and os.getpgid(process.pid) == main.pid
            if in_group or process.environ().get(RUN_MARKER) == execution_id:
                found[process.pid] = process
        except (psutil.Error, OSError):
            continue
    return list(found.values())


def end_processes(processes: Iterable[psutil.Process], grace: float = GRACE_SECONDS) -> int:
    """SIGTERM, then SIGKILL after ``grace`` for what is still alive; how many there were."""
    processes = list(processes)
    for process in processes:
        _send(process, signal.SIGTERM)
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        _send(process, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=grace)
    return len(processes)


def end_run(execution_id: str, pid: int | None, started_at: float | None) -> int:
    """End whatever a run left running; how many processes that was."""
    ended = end_processes(run_processes(execution_id, pid, started_at))
    if ended:
        log.warning("ended %d process(es) left running by run %s", ended, execution_id)
    return ended


def process_alive(pid: int, started_before: float) -> bool:
    """Whether ``pid`` is a live process that started before ``started_before`` (not a recycled pid)."""
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and process.create_time() <= started_before + 1
    except psutil.Error:
        return False


def _same_process(pid: int | None, started_at: float | None) -> psutil.Process | None:
    if not pid or started_at is None:
        return None
    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - started_at) <= START_TIME_TOLERANCE:
            return process
    except psutil.Error:
        pass
    return None


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def _send(process: psutil.Process, signum: int) -> None:
    try:
        process.send_signal(signum)
    except psutil.Error:
        pass
