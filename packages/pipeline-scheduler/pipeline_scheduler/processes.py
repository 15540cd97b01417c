"""Starting a run's process in its own session and ending its whole tree."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import psutil

from .executors import Command


def start_process(command: Command, log: IO[bytes], base_env: Mapping[str, str]) -> subprocess.Popen:
    """Start ``command`` with stdout and stderr interleaved into ``log``, in ``base_env`` plus the command's env.

    The process leads a new session, so it and everything it spawns share one process group
    that a timeout or a cancel can end together. Output is unbuffered so logs stream live.
    """
    env = {**base_env, "PYTHONUNBUFFERED": "1", **command.env}
    return subprocess.Popen(command.argv, cwd=Path(command.cwd), env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)


def kill_tree(process: subprocess.Popen, grace: float = 3.0) -> None:
    """Terminate ``process``, its process group and any descendant that left the group.

    SIGTERM first so programs can clean up, SIGKILL for whatever is still alive after ``grace``.
    """
    try:
        members = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    except psutil.Error:
        members = []
    _signal_group(process.pid, signal.SIGTERM)
    for member in members:
        _signal(member, signal.SIGTERM)
    _, alive = psutil.wait_procs(members, timeout=grace)
    _signal_group(process.pid, signal.SIGKILL)
    for member in alive:
        _signal(member, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=grace)


def end_leftovers(process: subprocess.Popen) -> None:
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
