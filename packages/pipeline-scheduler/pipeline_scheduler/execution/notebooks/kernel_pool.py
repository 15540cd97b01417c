"""Warm kernels: notebook runners started ahead of runs, each with a kernel already started.

Starting a kernel and importing nbclient is most of a small notebook's run. For each kernelspec
that notebook jobs used lately, the pool keeps ``size`` runners waiting (``notebook_runner
--serve KERNEL``, see :mod:`.warm`): the first notebook run of a kernelspec starts cold and asks
for spares, later runs take one (its replacement is started at once). A spare waiting longer than
``idle_seconds`` is released, and its kernelspec gets spares again only after its next run. A
spare is an ordinary child process of the server in its own session, so the run manager waits on,
times out and kills it (its kernel included) exactly like a runner it started cold.

Commands that are not notebook runs go to ``fallback`` (the prestarted Python interpreters, which
the server starts and stops itself).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import SchedulerError
from ..orphans import RUN_MARKER
from ..prestart import MARKER_PLACEHOLDER
from ..processes import UNBUFFERED
from .kernels import kernel_language

log = logging.getLogger(__name__)

RUNNER_MODULE = "pipeline_scheduler.execution.notebook_runner"
GIVE_UP_AFTER = 3  # spares of one kernelspec that died unused in a row: that kernel cannot be prestarted


@dataclass
class Spare:
    process: subprocess.Popen
    started: float


class KernelPool:
    def __init__(self, python: str, cwd: Path, size: int, idle_seconds: float, fallback: Any = None) -> None:
        self._python = python
        self._cwd = cwd
        self._size = max(0, size)
        self._idle_seconds = idle_seconds
        self._fallback = fallback
        self._spares: dict[str, list[Spare]] = defaultdict(list)
        self._wanted: set[str] = set()  # kernelspecs that had a notebook run and were not reaped since
        self._failures: dict[str, int] = defaultdict(int)
        self._python_kernels: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._size:
            self._thread = threading.Thread(target=self._keep, name="pipeline-scheduler-kernel-pool", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
        with self._lock:
            spares = [spare for group in self._spares.values() for spare in group]
            self._spares.clear()
        for spare in spares:
            _release(spare.process)

    def waiting(self) -> dict[str, int]:
        """How many spares wait per kernelspec."""
        with self._lock:
            return {name: len(group) for name, group in self._spares.items() if group}

    def launch(self, command: Any, log_path: Path, env: Mapping[str, str]) -> subprocess.Popen | None:
        """The run handed to a waiting runner, or ``None`` (start it cold)."""
        kernel = _kernel_of(command.argv)
        if kernel is None:
            return self._fallback.launch(command, log_path, env) if self._fallback is not None else None
        if not self._size or not self._is_python(kernel):
            return None
        spare = self._take(kernel)
        if spare is None:
            return None
        message = {"argv": list(command.argv), "cwd": os.fspath(command.cwd), "log_path": os.fspath(log_path),
                   "env": dict(env)}
        try:
            assert spare.stdin is not None
            spare.stdin.write(json.dumps(message).encode())
            spare.stdin.close()
        except OSError:  # it died while waiting
            spare.kill()
            spare.wait()
            return None
        return spare

    def _is_python(self, kernel: str) -> bool:
        """Only Python kernels are prestarted: the runner prepares a warm kernel with Python code."""
        if kernel not in self._python_kernels:
            try:
                self._python_kernels[kernel] = kernel_language(kernel).lower() == "python"
            except (SchedulerError, OSError, ValueError):  # unknown, or a kernel.json that cannot be read
                self._python_kernels[kernel] = False
        return self._python_kernels[kernel]

    def _take(self, kernel: str) -> subprocess.Popen | None:
        with self._lock:
            self._wanted.add(kernel)
            group = self._spares[kernel]
            taken = None
            while group and taken is None:
                spare = group.pop(0)
                if spare.process.poll() is None:
                    taken = spare.process
                else:
                    self._died_unused(kernel, spare.process)
        self._wake.set()
        return taken

    def _died_unused(self, kernel: str, process: subprocess.Popen) -> None:
        process.wait()
        self._failures[kernel] += 1
        if self._failures[kernel] == GIVE_UP_AFTER:
            log.warning("prestarted runners of kernel %s exited before being used %d times: its notebooks start "
                        "a kernel each time instead", kernel, GIVE_UP_AFTER)

    def _keep(self) -> None:
        """Top up the wanted kernelspecs, release spares idle too long; wakes every second while it keeps
        spares, and sleeps until a notebook run wakes it while no kernelspec is wanted (no idle wake-up)."""
        while not self._stopping:
            self._wake.wait(1.0 if self._wanted else None)
            self._wake.clear()
            for spare in self._reap():
                _release(spare.process)
            for kernel in self._missing():
                process = self._spawn(kernel)
                if process is None:
                    break
                with self._lock:
                    keep = not self._stopping
                    if keep:
                        self._spares[kernel].append(Spare(process, time.monotonic()))
                if not keep:
                    _release(process)

    def _reap(self) -> list[Spare]:
        now = time.monotonic()
        reaped = []
        with self._lock:
            for kernel, group in self._spares.items():
                idle = [spare for spare in group if now - spare.started > self._idle_seconds]
                if idle:
                    reaped += idle
                    group[:] = [spare for spare in group if spare not in idle]
                    if not group:
                        self._wanted.discard(kernel)
        return reaped

    def _missing(self) -> list[str]:
        with self._lock:
            return [kernel for kernel in sorted(self._wanted)
                    for _ in range(self._size - len(self._spares[kernel]))
                    if self._failures[kernel] < GIVE_UP_AFTER]

    def _spawn(self, kernel: str) -> subprocess.Popen | None:
        try:
            return subprocess.Popen([self._python, "-m", RUNNER_MODULE, "--serve", kernel], cwd=self._cwd,
                                    env={**os.environ, **UNBUFFERED, RUN_MARKER: MARKER_PLACEHOLDER},
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True, close_fds=True)
        except OSError as error:
            log.warning("cannot prestart a notebook runner (%s): notebooks start a kernel each time instead", error)
            return None


def _kernel_of(argv: list[str]) -> str | None:
    """The kernel a notebook run asks for (``--kernel``), or ``None`` for any other command."""
    if argv[1:3] != ["-m", RUNNER_MODULE] or "--kernel" not in argv:
        return None
    return argv[argv.index("--kernel") + 1]


def _release(process: subprocess.Popen) -> None:
    """Closing its stdin without a message makes a spare shut its kernel down and exit."""
    try:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(10.0)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()
