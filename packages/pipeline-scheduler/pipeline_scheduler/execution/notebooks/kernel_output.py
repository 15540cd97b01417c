"""The kernel process's own stdout and stderr: start-up noise out of the run's log, the rest in it.

A kernel writes to its file descriptors things no notebook output carries: while it starts, warnings
("Kernel is running over TCP without encryption", debugger notes); later, what C code and child
processes (``os.system``) print. A pipe collects both: until the first cell runs, lines are only
kept (shown if the kernel dies before it is ready, and saved beside the run's artifacts); from then
on they go to the log, as they would under ``jupyter execute``.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path


class KernelOutput:
    def __init__(self) -> None:
        self._read, self.write_fd = os.pipe()
        self._start_up: list[bytes] = []
        self._live = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, name="kernel-output", daemon=True)
        self._thread.start()

    def kernel_started(self) -> None:
        """The kernel process holds its copy of the pipe's write end: ours can go (once)."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def go_live(self) -> None:
        """From now on, what the kernel prints belongs to the run's log."""
        with self._lock:
            self._live.set()

    def start_up_text(self) -> str:
        with self._lock:
            return b"".join(self._start_up).decode("utf-8", errors="replace")

    def save_start_up(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.start_up_text(), encoding="utf-8")

    def finish(self, timeout: float = 2.0) -> None:
        """Wait (a little) for the kernel's last words after it exited."""
        self._thread.join(timeout)

    def _pump(self) -> None:
        with os.fdopen(self._read, "rb") as pipe:
            for line in iter(pipe.readline, b""):
                with self._lock:
                    live = self._live.is_set()
                    if not live:
                        self._start_up.append(line)
                if live:
                    sys.stdout.buffer.write(line)
                    sys.stdout.flush()
