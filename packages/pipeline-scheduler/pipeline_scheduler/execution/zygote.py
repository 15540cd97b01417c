"""A fork server: one interpreter started ahead of runs that forks a fresh child for each run.

Starting CPython takes 15-25 ms, most of a trivial run; a ``fork`` of a waiting interpreter takes
about 1 ms. The fork server runs :mod:`pipeline_scheduler.execution.zygote_child` (see there for
what a child does and the protocol). Its children are not the server's, so a run is a
:class:`ForkedRun`: a ``Popen`` look-alike whose exit code the fork server reports when it reaps
the child, so that the run manager waits on, times out and kills it like a process it started.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

from .orphans import RUN_MARKER

log = logging.getLogger(__name__)

CHILD = str(Path(__file__).with_name("zygote_child.py"))
CHILD_LOADER = f"exec(compile(open({CHILD!r}, 'rb').read(), {CHILD!r}, 'exec'))"  # no imports of ours
MARKER_PLACEHOLDER = " " * 100  # room for the run's execution id (see zygote_child._stamp_marker)
TITLE_ROOM = " " * 1024  # room in the command line for the run's command (see zygote_child._show_command)
REPLY_SECONDS = 10.0
LOST_EXIT_CODE = -int(signal.SIGKILL)  # a child whose fork server died: its exit code is lost


class ForkedRun:
    """A run forked by a fork server, with the part of ``subprocess.Popen`` the run manager uses."""

    def __init__(self, pid: int, argv: Sequence[str]) -> None:
        self.pid = pid
        self.args = list(argv)
        self.returncode: int | None = None
        self._ended = threading.Event()

    def ended(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:  # once reaped, the pid may belong to another process
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """One fork server process for runs of ``python`` whose start-up environment is ``env``'s."""

    def __init__(self, python: str, cwd: Path, env: Mapping[str, str]) -> None:
        self.python = python
        self.unusable: str | None = None  # why runs must start cold, once it said so
        self.was_ready = False
        self._process = subprocess.Popen([python, "-c", CHILD_LOADER, TITLE_ROOM], cwd=cwd,
                                         env={**env, RUN_MARKER: MARKER_PLACEHOLDER}, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                                         close_fds=True)
        self._lock = threading.Lock()  # one request at a time: the reply names its token, but keep it simple
        self._ready = threading.Event()
        self._replied = threading.Event()
        self._reply: tuple[str, ForkedRun | None] = ("", None)  # the token answered, the run if forked
        self._runs: dict[int, ForkedRun] = {}
        self._argv: Sequence[str] = ()
        self._token = 0
        self._reader = threading.Thread(target=self._read, name="pipeline-scheduler-fork-server", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None and self.unusable is None

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout) and self.alive

    def launch(self, argv: Sequence[str], cwd: str, log_path: str, env: Mapping[str, str]) -> ForkedRun | None:
        """The run forked from this server, or ``None`` when it must start cold."""
        if not self._ready.is_set() or not self.alive:
            return None
        with self._lock:
            self._token += 1
            token = str(self._token)
            fields = [token, cwd, log_path, str(len(argv)), *argv, *(f"{key}={value}" for key, value in env.items())]
            payload = b"\0".join(os.fsencode(field) for field in fields)
            self._replied.clear()
            self._argv = argv
            try:
                assert self._process.stdin is not None
                self._process.stdin.write(b"%08x" % len(payload) + payload)
                self._process.stdin.flush()
            except OSError:
                return None
            if not self._replied.wait(REPLY_SECONDS):
                log.warning("the fork server of %s did not answer: runs start cold until it is replaced", self.python)
                self.unusable = "no answer"
                return None
            answered, run = self._reply
        return run if answered == token else None

    def close(self) -> None:
        """Stop forking; the runs it started go on (their exit codes are then lost)."""
        try:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(2.0)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            words = raw.decode(errors="replace").split(" ", 2)
            kind = words[0].strip()
            if kind == "R":
                self.was_ready = True
                self._ready.set()
            elif kind == "U":
                self.unusable = words[1].strip() if len(words) > 1 else "unusable"
                log.info("runs of %s start cold: its start-up runs hooks of its own (%s)", self.python,
                         " ".join(words[1:]).strip())
                self._ready.set()
            elif kind == "S":
                run = ForkedRun(int(words[2]), self._argv)
                self._runs[run.pid] = run
                self._answer(words[1], run)
            elif kind == "X":
                if words[2].strip() == "stale":
                    self.unusable = "stale"
                self._answer(words[1], None)
            elif kind == "E":
                ended = self._runs.pop(int(words[1]), None)
                if ended is not None:
                    ended.ended(int(words[2]))
        self._ready.set()
        self._replied.set()
        self._lose_runs()

    def _answer(self, token: str, run: ForkedRun | None) -> None:
        self._reply = (token, run)
        self._replied.set()

    def _lose_runs(self) -> None:
        """The fork server is gone: its children's exit codes with it. Wait for each to end, report it killed."""
        self._process.wait()
        runs, self._runs = list(self._runs.values()), {}
        for run in runs:
            threading.Thread(target=_await_lost, args=(run,), daemon=True).start()


def _await_lost(run: ForkedRun) -> None:
    try:
        psutil.Process(run.pid).wait()
    except psutil.Error:
        pass
    run.ended(LOST_EXIT_CODE)
