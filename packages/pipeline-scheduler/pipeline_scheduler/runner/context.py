"""The run context: everything one run owns, handed to every hook as ``ctx``.

Nothing here is global: a context is created per run, so runs in different threads of one process
never see each other's plugins, environment, processes or status.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING

from . import processes
from .errors import ConfigError
from .outcome import EXIT_FAILURE, EXIT_SKIPPED, EXIT_SUCCESS, EXIT_TERMINATED, EXIT_TIMED_OUT, RunOutcome
from .paths import resolve_path

if TYPE_CHECKING:
    from .config import RunnerConfig
    from .plugins import Plugin


@dataclass
class Failure:
    """Why the run failed, as recorded by :meth:`RunContext.fail`.

    ``kind`` is ``error`` (a hook raised or reported a problem), ``exit`` (a waited-for command exited
    non-zero) or ``interrupted`` (a waited-for command was still running when the run stopped).
    """

    plugin: str | None
    reason: str
    exit_code: int = EXIT_FAILURE
    kind: str = "error"

    def __str__(self) -> str:
        return f"{self.plugin}: {self.reason}" if self.plugin else self.reason


class RunContext:
    """One run's state. Attributes plugins use:

    - ``job_id``, ``config`` (the :class:`~pipeline_scheduler.runner.config.RunnerConfig`)
    - ``plugins``: read-only mapping section name → plugin instance of this run, in config order
    - ``env``: the environment for processes this run starts (a copy; ``env`` plugin edits it)
    - ``root`` (``None`` when not confined), ``base_dir`` (relative paths start here)
    - ``python_executable``: the interpreter for Python plugins
    - ``stop_event``: set when the run is asked to stop (wait on it instead of sleeping)
    - ``processes``: what :meth:`spawn` started
    - ``phase``: the stage being run
    """

    def __init__(self, *, job_id: str, config: RunnerConfig, env: Mapping[str, str], root: Path | None,
                 base_dir: Path, python_executable: str, output: IO[bytes] | None = None,
                 kill_grace: float = 3.0) -> None:
        self.job_id = job_id
        self.config = config
        self.env: dict[str, str] = dict(env)
        self.root = root
        self.base_dir = base_dir
        self.python_executable = python_executable
        self.output = output
        self.stop_event = threading.Event()
        self.kill_grace = kill_grace
        self.processes: list[processes.ManagedProcess] = []
        self.phase = "init"
        self.started_at = datetime.now(timezone.utc)
        self._started = time.monotonic()
        self._plugins: dict[str, Plugin] = {}
        self.plugins: Mapping[str, Plugin] = MappingProxyType(self._plugins)
        self.failures: list[Failure] = []
        self.skip_reasons: list[str] = []
        self.stop_reason: str | None = None
        self.timed_out = False
        self.terminated_by: int | None = None
        self.cancelled = False
        self.trace: list[str] = []
        self._lock = threading.RLock()

    # -- time ---------------------------------------------------------------------------------
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self._started

    # -- output -------------------------------------------------------------------------------
    def log(self, message: str, plugin: str | None = None) -> None:
        """Write ``[runner] message`` (or ``[runner:<plugin>]``) to the run's output."""
        line = f"[runner{':' + plugin if plugin else ''}] {message}\n"
        with self._lock:
            if self.output is not None:
                self.output.write(line.encode("utf-8", "replace"))
                self.output.flush()
            else:
                sys.stderr.write(line)
                sys.stderr.flush()

    # -- paths --------------------------------------------------------------------------------
    def path(self, value: str, *, field: str | None = None, plugin: str | None = None) -> Path:
        """``value`` resolved against ``base_dir`` and confined to ``root``; a :class:`ConfigError`
        naming the plugin (section) and field otherwise."""
        try:
            return resolve_path(value, base_dir=self.base_dir, root=self.root)
        except ValueError as error:
            raise ConfigError(str(error), file=self.config.source, section=plugin, field=field) from None

    # -- processes ----------------------------------------------------------------------------
    def spawn(self, command: str | Sequence[str], *, plugin: str | None, cwd: Path | None = None,
              env: Mapping[str, str] | None = None, shell: bool = False, foreground: bool = True,
              description: str | None = None, grace: float | None = None) -> processes.ManagedProcess:
        """Start ``command`` (an argument list; a string only with ``shell=True``) in its own session,
        with ``ctx.env`` plus ``env``, and track it: the run kills its tree at the end at the latest.

        ``foreground`` processes are waited for: the run is not a success unless they exit 0.
        """
        environment = {**self.env, **(env or {})}
        popen = processes.start(command, cwd=cwd or self.base_dir, env=environment, shell=shell, output=self.output)
        text = description or (command if isinstance(command, str) else " ".join(command))
        process = processes.ManagedProcess(popen, plugin=plugin, description=text, foreground=foreground,
                                           grace=self.kill_grace if grace is None else grace)
        with self._lock:
            self.processes.append(process)
        return process

    def kill_processes(self, grace: float | None = None) -> None:
        """End every tree this run started (and whatever finished ones left in their groups)."""
        with self._lock:
            tracked = list(self.processes)
        for process in tracked:
            process.kill_tree(grace)

    def foreground_running(self) -> list[processes.ManagedProcess]:
        with self._lock:
            return [process for process in self.processes if process.foreground and process.running()]

    # -- status -------------------------------------------------------------------------------
    def fail(self, reason: str, *, plugin: str | None = None, exit_code: int = EXIT_FAILURE,
             kind: str = "error") -> None:
        """Record a failure: the run will not be a success. The first failure gives the exit code."""
        with self._lock:
            self.failures.append(Failure(plugin, reason, exit_code if exit_code else EXIT_FAILURE, kind))

    def request_stop(self, reason: str, *, plugin: str | None = None, timed_out: bool = False) -> None:
        """End the ``should_stop`` loop (from any thread). ``timed_out`` marks a lifetime expiry."""
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = f"{plugin}: {reason}" if plugin else reason
            self.timed_out = self.timed_out or timed_out
        self.stop_event.set()

    def _add_plugin(self, name: str, plugin: Plugin) -> None:
        self._plugins[name] = plugin

    def outcome(self, *, final: bool = False) -> RunOutcome:
        """The run's outcome as it stands (``final`` once every hook has run)."""
        with self._lock:
            failures = list(self.failures)
            if self.terminated_by is not None:
                name = {2: "SIGINT", 15: "SIGTERM"}.get(self.terminated_by, f"signal {self.terminated_by}")
                status, code, reason = "terminated", 128 + self.terminated_by, f"terminated by {name}"
            elif self.cancelled:
                status, code, reason = "cancelled", EXIT_TERMINATED, "cancelled"
            elif self.skip_reasons and not failures:
                status, code, reason = "skipped", EXIT_SKIPPED, "; ".join(self.skip_reasons)
            elif failures:
                real = [failure for failure in failures if failure.kind != "interrupted"]
                if not real and self.timed_out:
                    status, code = "timed_out", EXIT_TIMED_OUT
                    reason = f"{self.stop_reason}; {failures[0]}"
                else:
                    first = (real or failures)[0]
                    status, code, reason = "failed", first.exit_code, str(first)
            else:
                status, code, reason = "success", EXIT_SUCCESS, None
            finished = datetime.now(timezone.utc)
            return RunOutcome(
                job_id=self.job_id, status=status, exit_code=code, reason=reason,
                errors=[str(failure) for failure in failures], skip_reasons=list(self.skip_reasons),
                stop_reason=self.stop_reason, started_at=self.started_at.isoformat(),
                finished_at=finished.isoformat() if final else None, duration=round(self.elapsed(), 3),
                plugins=list(self._plugins), trace=list(self.trace))

