"""Starting a run's process in its own session and ending its whole tree."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from .executors import Command

if TYPE_CHECKING:
    from .prestart import Prestarter
    from .zygote import ForkedRun

    Started = subprocess.Popen | ForkedRun  # a process this server started, or one a fork server forked for it


UNBUFFERED = {"PYTHONUNBUFFERED": "1"}  # so that logs stream live


def start_process(command: Command, log_path: Path, base_env: Mapping[str, str],
                  prestarter: Prestarter | None = None) -> Started:
    """Start ``command`` with stdout and stderr interleaved into ``log_path``, in ``base_env`` plus the command's env.

    The process leads a new session, so it and everything it spawns share one process group
    that a timeout or a cancel can end together. A Python script is forked from a fork server
    when one can take it.
    """
    env = {**base_env, **UNBUFFERED, **command.env}
    with open(log_path, "ab") as log:
        process = prestarter.launch(command, log_path, env) if prestarter else None
        if process is None:
            process = subprocess.Popen(command.argv, cwd=Path(command.cwd), env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    return process


def kill_tree(process: Started, grace: float = 3.0) -> None:
    """Terminate ``process``, its process group and any descendant that left the group.

    SIGTERM first so programs can clean up, SIGKILL for whatever is still alive after ``grace``.
    ``process`` itself is only ever waited on through ``Popen``, which keeps its exit status.
    """
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    _signal_group(process.pid, signal.SIGTERM)
    for member in descendants:
        _signal(member, signal.SIGTERM)
    deadline = time.monotonic() + grace
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    _, alive = psutil.wait_procs(descendants, timeout=max(0.0, deadline - time.monotonic()))
    _signal_group(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
    for member in alive:
        _signal(member, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=grace)


def wait_for_exit(process: subprocess.Popen, timeout: float | None) -> int:
    """``process.wait(timeout)`` without its polling: with a timeout, ``Popen.wait`` sleeps in steps
    that double up to 50 ms, so a job with a timeout was seen ending up to twice its run time
    late (a 12-ms script: at 15.5 ms). Linux tells the moment a process exits through a pidfd."""
    if timeout is None or process.returncode is not None:
        return process.wait(timeout)
    with pidfd(process.pid) as fd:
        if fd is not None and not select.select([fd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(process.args, timeout)
    return process.wait(timeout)  # reaps it (or, without a pidfd, waits as Popen does)


@contextmanager
def pidfd(pid: int) -> Iterator[int | None]:
    """A pidfd of process ``pid``, readable from the moment it exits (whoever its parent, however long
    that parent takes to reap it); ``None`` without pidfds (not Linux 5.3+) or once it is gone."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch): with the pid, it names one process, so
    that a pid the system gave to another process later is never mistaken for it."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def end_leftovers(process: Started) -> None:
    """After the main process exits, end what it left behind in its group (a run owns its group)."""
    _signal_group(process.pid, signal.SIGTERM)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _signal(member: psutil.Process, signum: int) -> None:
    try:
        member.send_signal(signum)
    except psutil.Error:
        pass
