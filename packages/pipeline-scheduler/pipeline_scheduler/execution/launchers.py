"""Where a run's process runs: here (a subprocess of the server) or on a Dask worker.

The run manager starts every run through a launcher and then only waits for, stops and cleans up
after the :class:`RunProcess` it gets back, so that timeouts, cancel, leftovers and exit codes work
the same wherever the process is.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .executors import Command
from .prestart import Prestarter
from .processes import end_leftovers, kill_tree, process_start_time, start_process, wait_for_exit

if TYPE_CHECKING:
    from .processes import Started


log = logging.getLogger(__name__)


class WorkerLost(Exception):
    """The machine running the process went away (a Dask worker died): the run was interrupted."""


class RunProcess(Protocol):
    pid: int | None
    started_at: float | None  # the process's start time: with the pid, it names the process

    def wait(self, timeout: float | None = None) -> int:
        """The exit code; ``subprocess.TimeoutExpired`` after ``timeout``; :class:`WorkerLost`."""

    def stop(self, grace: float) -> None:
        """End the process and everything it started (SIGTERM, SIGKILL after ``grace``)."""

    def end_leftovers(self) -> None:
        """After it exited: end what it left running in its process group."""


class Launcher(Protocol):
    name: str

    def start(self, command: Command, log_path: Path, env: Mapping[str, str], execution_id: str,
              resources: Mapping[str, float] | None) -> RunProcess:
        """Start ``command`` with its output appended to ``log_path``; ``OSError`` when it cannot start."""

    def close(self) -> None:
        """Release what the launcher holds (connections, a cluster it started)."""


class LocalProcess:
    """A subprocess of this server (or of its fork server), in its own session. A run whose forked
    child was killed before it took the run is started again, cold (``start_cold``)."""

    def __init__(self, popen: Started, start_cold: Callable[[], Started] | None = None) -> None:
        self._become(popen)
        self._start_cold = start_cold
        self._stopping = False

    def _become(self, popen: Started) -> None:
        self.popen = popen
        self.pid: int | None = popen.pid
        self.started_at = process_start_time(popen.pid)

    def wait(self, timeout: float | None = None) -> int:
        if isinstance(self.popen, subprocess.Popen):
            return wait_for_exit(self.popen, timeout)
        code = self.popen.wait(timeout=timeout)
        if not self.popen.never_started or self._stopping or self._start_cold is None:
            return code
        log.warning("the child forked for a run (pid %s) was killed before it took the run: starting it cold", self.pid)
        self._become(self._start_cold())
        if self._stopping:  # stopped meanwhile
            kill_tree(self.popen, 0.0)
        return wait_for_exit(self.popen, timeout)

    def stop(self, grace: float) -> None:
        self._stopping = True
        kill_tree(self.popen, grace)

    def end_leftovers(self) -> None:
        end_leftovers(self.popen)


class LocalLauncher:
    name = "local"

    def __init__(self, prestarter: Prestarter | None = None) -> None:
        self._prestarter = prestarter

    def start(self, command: Command, log_path: Path, env: Mapping[str, str], execution_id: str,
              resources: Mapping[str, float] | None) -> LocalProcess:
        return LocalProcess(start_process(command, log_path, env, self._prestarter),
                            lambda: start_process(command, log_path, env))

    def close(self) -> None:
        pass

