"""Processes started by a run: each leads its own session (process group), and ending one ends its tree.

POSIX only (process groups). Descendants that moved to another group are found through ``/proc``
(Linux) or ``psutil`` when installed, at the moment the tree is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

try:  # optional: only used where /proc is missing (macOS)
    import psutil
except ImportError:  # pragma: no cover
    psutil = None


class ManagedProcess:
    """A process started for a plugin. ``killed`` is true when the runner ended it while it was running."""

    def __init__(self, popen: subprocess.Popen, *, plugin: str | None, description: str, foreground: bool,
                 grace: float = 3.0) -> None:
        self.popen = popen
        self.grace = grace
        self.accounted = False  # the run has judged its exit (see Runner)
        self.plugin = plugin
        self.description = description
        self.foreground = foreground
        self.killed = False
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    def running(self) -> bool:
        return self.popen.poll() is None

    @property
    def exit_code(self) -> int | None:
        """The exit code as a shell reports it: a death by signal N is 128+N."""
        code = self.popen.poll()
        if code is None:
            return None
        return 128 - code if code < 0 else code

    def kill_tree(self, grace: float | None = None) -> None:
        """SIGTERM the process group and known descendants; SIGKILL what is left after ``grace`` seconds
        (default: the process's own grace).

        Also ends what an already finished process left behind in its group. Idempotent.
        """
        grace = self.grace if grace is None else grace
        with self._lock:
            if self.running():
                self.killed = True
            pgid = self.popen.pid
            members = _tree(pgid)
            _signal_all(pgid, members, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                self.popen.poll()
                if not self.running() and not _alive(pgid, members):
                    return
                time.sleep(0.02)
            members |= _tree(pgid)
            _signal_all(pgid, members, signal.SIGKILL)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (D state)
                pass


def start(command: str | Sequence[str], *, cwd: Path | None, env: Mapping[str, str], shell: bool,
          output: IO[bytes] | None) -> subprocess.Popen:
    """Start ``command`` in a new session; stdout and stderr go to ``output`` (``None``: inherited)."""
    return subprocess.Popen(command if shell else list(command), shell=shell, cwd=cwd, env=dict(env),
                            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT if output else None,
                            start_new_session=True, close_fds=True)


def _proc_table() -> dict[int, tuple[int, int, str, int]] | None:
    """``pid → (ppid, pgid, state, start time)`` from /proc, or ``None`` where there is no /proc."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    table: dict[int, tuple[int, int, str, int]] = {}
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2:].split()
        if len(rest) >= 20:
            table[int(entry)] = (int(rest[1]), int(rest[2]), rest[0].decode(), int(rest[19]))
    return table if table else None


Member = tuple[int, int]  # (pid, start time): a pid reused by another process is not the same member


def _tree(pgid: int) -> set[Member]:
    """Live members of the group ``pgid`` plus the descendants of its leader, wherever their group."""
    me = os.getpid()
    table = _proc_table()
    if table is not None:
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        found = {pid for pid, (_, group, _, _) in table.items() if group == pgid}
        frontier = [pgid, *found]
        while frontier:
            for pid in children.get(frontier.pop(), ()):
                if pid not in found:
                    found.add(pid)
                    frontier.append(pid)
        return {(pid, table[pid][3]) for pid in found if pid in table and pid != me and table[pid][2] != "Z"}
    if psutil is not None:  # pragma: no cover - non-Linux
        try:
            return {(child.pid, 0) for child in psutil.Process(pgid).children(recursive=True) if child.pid != me}
        except psutil.Error:
            return set()
    return set()  # pragma: no cover


def _live(members: set[Member]) -> set[Member]:
    """The members still running (same pid and start time, not a zombie)."""
    table = _proc_table()
    if table is None:  # pragma: no cover - non-Linux
        return set(members)
    return {(pid, start) for pid, start in members
            if pid in table and table[pid][2] != "Z" and (start == 0 or table[pid][3] == start)}


def _alive(pgid: int, members: set[Member]) -> bool:
    table = _proc_table()
    if table is not None:
        return bool(_live(members)) or any(group == pgid and state != "Z" for _, group, state, _ in table.values())
    try:  # pragma: no cover - non-Linux
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _signal_all(pgid: int, members: set[Member], signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass
    for pid, _ in _live(members):
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass
