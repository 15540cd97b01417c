"""Interpreters started ahead of runs, so that running a Python script does not wait for start-up.

Starting CPython takes 15-25 ms, most of a trivial run. We keep a few interpreters of the
configured Python waiting (each runs :mod:`pipeline_scheduler.execution.prestart_child` and blocks on its
stdin); a run of ``python script.py [args]`` is handed to one of them and a replacement is started
in the background. The spare is an ordinary child process of the server in its own session, so
the run manager waits on, times out and kills it exactly like a process it started cold. A spare
that is no longer needed has its stdin closed and exits; so does every spare when the server dies.

The message a spare reads (then stdin is closed): NUL-separated ``cwd``, ``log path``, ``argc``,
the ``argc`` arguments, then ``KEY=VALUE`` environment entries.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path

from .executors import Command
from .orphans import RUN_MARKER
from .processes import UNBUFFERED

log = logging.getLogger(__name__)

CHILD = str(Path(__file__).with_name("prestart_child.py"))
MARKER_PLACEHOLDER = " " * 100  # room for the run's execution id (see prestart_child._stamp_marker)
CHILD_LOADER = f"exec(compile(open({CHILD!r}, 'rb').read(), {CHILD!r}, 'exec'))"  # short in `ps`, no imports
GIVE_UP_AFTER = 3  # consecutive spares that died unused: this Python cannot run the child, stop trying


def encode_message(command: Command, log_path: Path, env: Mapping[str, str]) -> bytes:
    fields = [os.fspath(command.cwd), os.fspath(log_path), str(len(command.argv)), *command.argv,
              *(f"{key}={value}" for key, value in env.items())]
    return b"\0".join(os.fsencode(field) for field in fields)


class Prestarter:
    """Keeps ``spares`` interpreters of ``python`` waiting for the next runs of Python scripts."""

    def __init__(self, python: str, cwd: Path, spares: int) -> None:
        self._python = python
        self._cwd = cwd
        self._wanted = max(0, spares)
        self._spares: deque[subprocess.Popen] = deque()
        self._lock = threading.Lock()
        self._needed = threading.Event()
        self._stopping = False
        self._failures = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._wanted:
            self._thread = threading.Thread(target=self._keep_spares, name="pipeline-scheduler-prestart", daemon=True)
            self._thread.start()
            self._needed.set()

    def stop(self) -> None:
        self._stopping = True
        self._needed.set()
        if self._thread is not None:
            self._thread.join(5.0)
        with self._lock:
            spares, self._spares = list(self._spares), deque()
        for spare in spares:
            self._release(spare)

    def launch(self, command: Command, log_path: Path, env: Mapping[str, str]) -> subprocess.Popen | None:
        """The run started in a waiting interpreter, or ``None`` when none can take it (start it cold)."""
        if len(command.argv) < 2 or command.argv[0] != self._python or not command.argv[1].endswith(".py"):
            return None
        if not Path(command.cwd).is_dir():
            return None  # a cold start reports it the usual way
        spare = self._take()
        if spare is None:
            return None
        try:
            assert spare.stdin is not None
            spare.stdin.write(encode_message(command, log_path, env))
            spare.stdin.close()
        except OSError:  # it died while waiting
            self._died_unused(spare)
            return None
        return spare

    def _take(self) -> subprocess.Popen | None:
        while True:
            with self._lock:
                if not self._spares:
                    return None
                spare = self._spares.popleft()
            self._needed.set()
            if spare.poll() is None:
                self._failures = 0
                return spare
            self._died_unused(spare)

    def _died_unused(self, spare: subprocess.Popen) -> None:
        spare.kill()  # in case it is only half gone: never wait on a live spare
        spare.wait()
        self._failures += 1
        if self._failures == GIVE_UP_AFTER:
            log.warning("%s exited before being used %d times (exit code %s): runs start a new interpreter each "
                        "time instead", self._python, GIVE_UP_AFTER, spare.returncode)

    def _keep_spares(self) -> None:
        while True:
            self._needed.wait()
            self._needed.clear()
            while not self._stopping and self._failures < GIVE_UP_AFTER:
                with self._lock:
                    if len(self._spares) >= self._wanted:
                        break
                spare = self._spawn()
                if spare is None:
                    return
                with self._lock:
                    keep = not self._stopping
                    if keep:
                        self._spares.append(spare)
                if not keep:
                    self._release(spare)
            if self._stopping:
                return

    def _spawn(self) -> subprocess.Popen | None:
        try:
            return subprocess.Popen([self._python, "-c", CHILD_LOADER], cwd=self._cwd,
                                    env={**os.environ, **UNBUFFERED, RUN_MARKER: MARKER_PLACEHOLDER},
                                    stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                    close_fds=True)
        except OSError as error:
            log.warning("cannot prestart %s (%s): runs start a new interpreter each time instead", self._python, error)
            return None

    @staticmethod
    def _release(spare: subprocess.Popen) -> None:
        """Closing its stdin without a message makes a spare exit."""
        try:
            assert spare.stdin is not None
            spare.stdin.close()
            spare.wait(2.0)
        except (OSError, subprocess.TimeoutExpired):
            spare.kill()
            spare.wait()
