"""Running a validated config: the plugin lifecycle.

``env_load → can_run → startup → [should_stop loop] → shutdown``

- Hooks of all plugins are merged per stage and sorted by priority (higher first; ties keep the
  config's section order, then the method order in the class).
- ``env_load``: plugins prepare ``ctx.env`` and other state; nothing may be started yet.
- ``can_run``: **all or nothing** — every hook is asked; if any returns ``False`` (or raises
  :class:`SkipRun`), nothing starts, the run is ``skipped`` (exit 75) with every reason.
- ``startup`` (``action`` in MXX plugins): plugins start their work (processes, checks). A hook
  that fails stops the stage (later startup hooks do not run) and the run fails.
- the loop, every ``poll_interval`` seconds: it ends when a ``should_stop`` hook returns ``True``,
  when every waited-for (foreground) process has exited or one exited non-zero, or when the run is
  cancelled (``RunOptions.stop_event``) or terminated (SIGTERM/SIGINT). A run with neither
  ``should_stop`` hooks nor foreground processes ends right after startup. Foreground processes
  still running then are killed and fail the run (``timed_out`` when the lifetime expired).
- ``shutdown``: **always runs** — after success, a skip, a failure in any stage, a lifetime expiry,
  a cancel or SIGTERM/SIGINT — and every shutdown hook runs even if an earlier one fails. Then every
  process tree the run started is ended, whatever the plugins did.

A failure of a hook is recorded (``PluginError``: its message; any other exception: its type,
message and a traceback in the output) and makes the run ``failed``; it never escapes ``run``.
"""

from __future__ import annotations

import copy
import os
import signal
import sys
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .config import RunnerConfig, validate_config
from .context import RunContext
from .errors import ConfigError, PluginError, SkipRun, Terminated
from .outcome import RunOutcome
from .plugins import STAGES, Plugin
from .registry import PluginRegistry


@dataclass
class RunOptions:
    """How to run: what the caller (the CLI, the server, a test) provides.

    - ``root``: paths in configs must stay inside it; relative paths start there (else ``base_dir``,
      else the current directory).
    - ``jobs_dir`` (``global.toml``, templates), ``templates_dir`` (searched first), ``plugins_dir``
      (custom plugins; ignored when ``registry`` is given).
    - ``job_id``: defaults to the config file's stem (``"config"`` for a dict).
    - ``python_executable``: the interpreter of the ``python`` plugin.
    - ``env``: the base environment of processes (default: this process's environment).
    - ``output``: a binary file with a ``fileno`` receiving the processes' stdout/stderr and the
      runner's messages (``None``: inherit stdout/stderr; messages go to stderr).
    - ``stop_event``: set it from another thread to cancel the run: it is checked before startup,
      after startup and in the loop; the run ends ``cancelled`` and shutdown hooks still run. The
      run only reads it, so one event may serve several runs.
    - ``handle_signals``: install SIGTERM/SIGINT handlers (main thread only; the CLI does).
    """

    root: Path | str | None = None
    jobs_dir: Path | str | None = None
    templates_dir: Path | str | None = None
    plugins_dir: Path | str | None = None
    registry: PluginRegistry | None = None
    job_id: str | None = None
    base_dir: Path | str | None = None
    python_executable: str = field(default_factory=lambda: sys.executable)
    env: Mapping[str, str] | None = None
    output: IO[bytes] | None = None
    stop_event: threading.Event | None = None
    poll_interval: float = 0.05
    kill_grace: float = 3.0
    handle_signals: bool = False
    use_global: bool = True


def run_config(config: RunnerConfig | str | Path | Mapping[str, Any], options: RunOptions | None = None) -> RunOutcome:
    """Validate (unless already a :class:`RunnerConfig`) and run ``config`` in this process.

    Raises :class:`ConfigError` for an invalid config (nothing runs); every other problem is in the
    returned :class:`RunOutcome`. Safe to call from several threads at once.
    """
    options = options or RunOptions()
    if not isinstance(config, RunnerConfig):
        config = validate_config(config, options.jobs_dir, options.plugins_dir, root=options.root,
                                 templates_dir=options.templates_dir, registry=options.registry,
                                 job_id=options.job_id, base_dir=options.base_dir, use_global=options.use_global)
    return Runner(config, options).run()


class _Abort(Exception):
    """Internal: a stage failed; go to shutdown."""


@dataclass(frozen=True)
class _Hook:
    stage: str
    priority: int
    position: int
    order: int
    plugin: str
    method: str
    call: Any

    @property
    def label(self) -> str:
        return f"{self.plugin}.{self.method}"


class Runner:
    """Runs one validated config once. Make a new Runner per run."""

    def __init__(self, config: RunnerConfig, options: RunOptions | None = None) -> None:
        self.config = config
        self.options = options or RunOptions()
        root = Path(self.options.root).resolve() if self.options.root is not None else None
        base = root or (Path(self.options.base_dir).resolve() if self.options.base_dir is not None else Path.cwd())
        self.ctx = RunContext(
            job_id=self.options.job_id or config.job_id, config=config,
            env=os.environ if self.options.env is None else self.options.env, root=root, base_dir=base,
            python_executable=self.options.python_executable, output=self.options.output,
            kill_grace=self.options.kill_grace)
        self.hooks: dict[str, list[_Hook]] = {stage: [] for stage in STAGES}

    # -- the lifecycle -----------------------------------------------------------------------
    def run(self) -> RunOutcome:
        ctx = self.ctx
        previous = None
        try:
            try:
                previous = self._install_signal_handlers()
                self._instantiate()
                ctx.phase = "env_load"
                self._call_stage("env_load")
                ctx.phase = "can_run"
                if self._can_run() and not self._cancelled():
                    ctx.phase = "startup"
                    self._call_stage("startup")
                    ctx.phase = "running"
                    if not self._cancelled():
                        self._loop()
                ctx.phase = "stopping"
            except _Abort:
                ctx.phase = "stopping"
            except Terminated:
                ctx.phase = "stopping"
                ctx.log(f"terminated by signal {ctx.terminated_by}; shutting down")
            self._judge_foreground(at_stop=True)
            ctx.phase = "shutdown"
            self._call_stage("shutdown", keep_going=True)
            ctx.kill_processes()
            self._judge_foreground(at_stop=False)
            ctx.phase = "done"
        finally:
            self._restore_signal_handlers(previous)
        outcome = ctx.outcome(final=True)
        ending = f": {outcome.reason}" if outcome.reason else ""
        ctx.log(f"{ctx.job_id}: {outcome.status} (exit {outcome.exit_code}){ending}")
        return outcome

    def _instantiate(self) -> None:
        try:
            self._create_plugins()
        finally:
            for stage in STAGES:
                self.hooks[stage].sort(key=lambda hook: (-hook.priority, hook.position, hook.order))

    def _create_plugins(self) -> None:
        for position, item in enumerate(self.config.plugins):
            params = item.params.model_copy(deep=True) if hasattr(item.params, "model_copy") else copy.deepcopy(item.params)
            try:
                instance: Plugin = item.plugin(self.ctx, params)
            except Exception as error:
                self._record(item.name, "__init__", error)
                raise _Abort from None
            self.ctx._add_plugin(item.name, instance)
            for spec in item.plugin.hooks:
                self.hooks[spec.stage].append(_Hook(spec.stage, spec.priority, position, spec.order, item.name,
                                                    spec.method, getattr(instance, spec.method)))

    def _call_stage(self, stage: str, *, keep_going: bool = False) -> None:
        for hook in self.hooks[stage]:
            self.ctx.trace.append(f"{stage}:{hook.label}")
            try:
                hook.call(self.ctx)
            except Terminated:
                raise
            except Exception as error:
                self._record(hook.plugin, hook.method, error)
                if not keep_going:
                    raise _Abort from None

    def _can_run(self) -> bool:
        reasons = []
        for hook in self.hooks["can_run"]:
            self.ctx.trace.append(f"can_run:{hook.label}")
            try:
                result = hook.call(self.ctx)
            except SkipRun as skip:
                reasons.append(f"{hook.plugin}: {skip.reason}")
                continue
            except Terminated:
                raise
            except Exception as error:
                self._record(hook.plugin, hook.method, error)
                raise _Abort from None
            if result is not None and not result:
                reasons.append(f"{hook.plugin}: {hook.method} said no")
        if reasons:
            self.ctx.skip_reasons.extend(reasons)
            self.ctx.log(f"skipped, nothing started: {'; '.join(reasons)}")
            return False
        return True

    def _cancelled(self) -> bool:
        """Whether the caller's ``stop_event`` asks to cancel (it is only read, never set, by the run)."""
        external = self.options.stop_event
        if external is not None and external.is_set() and not self.ctx.cancelled:
            self.ctx.cancelled = True
            self.ctx.request_stop("cancelled")
        return self.ctx.cancelled

    def _loop(self) -> None:
        ctx = self.ctx
        hooks = self.hooks["should_stop"]
        if not hooks and not any(process.foreground for process in ctx.processes):
            return
        while not ctx.stop_event.is_set() and not self._cancelled():
            for hook in hooks:
                try:
                    stop = hook.call(ctx)
                except Terminated:
                    raise
                except Exception as error:
                    ctx.trace.append(f"should_stop:{hook.label}")
                    self._record(hook.plugin, hook.method, error)
                    return
                if stop:
                    ctx.trace.append(f"should_stop:{hook.label}")
                    ctx.request_stop(f"{hook.method} returned True", plugin=hook.plugin)
                    return
            foreground = [process for process in ctx.processes if process.foreground]
            if foreground:
                failed = [process for process in foreground if process.poll() not in (None, 0)]
                if failed:
                    ctx.request_stop(f"{failed[0].description!r} exited with {failed[0].exit_code}",
                                     plugin=failed[0].plugin)
                    return
                if all(process.poll() is not None for process in foreground):
                    ctx.request_stop("every waited-for command finished")
                    return
            ctx.stop_event.wait(self.options.poll_interval)

    def _judge_foreground(self, *, at_stop: bool) -> None:
        """Waited-for processes: a non-zero exit fails the run; one still running is killed and fails it."""
        ctx = self.ctx
        for process in list(ctx.processes):
            if not process.foreground or process.accounted:
                continue
            if process.running():
                if not at_stop:
                    continue
                process.kill_tree()
            if process.killed:
                ctx.fail(f"{process.description!r} was still running when the run stopped; killed",
                         plugin=process.plugin, kind="interrupted")
            elif process.exit_code:
                ctx.fail(f"{process.description!r} exited with {process.exit_code}", plugin=process.plugin,
                         exit_code=process.exit_code, kind="exit")
            else:
                ctx.log(f"{process.description!r} exited with 0", plugin=process.plugin)
            process.accounted = True

    def _record(self, plugin: str, method: str, error: BaseException) -> None:
        if isinstance(error, PluginError):
            self.ctx.fail(error.message, plugin=plugin, exit_code=error.exit_code)
        elif isinstance(error, ConfigError):
            self.ctx.fail(str(error), plugin=plugin)
        elif isinstance(error, SkipRun):
            self.ctx.fail(f"{method}: SkipRun outside can_run: {error.reason}", plugin=plugin)
        else:
            self.ctx.fail(f"{method} raised {type(error).__name__}: {error}", plugin=plugin)
            self.ctx.log("".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip(),
                         plugin=plugin)

    # -- signals -----------------------------------------------------------------------------
    def _install_signal_handlers(self) -> dict[int, Any] | None:
        if not self.options.handle_signals or threading.current_thread() is not threading.main_thread():
            return None
        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _restore_signal_handlers(self, previous: dict[int, Any] | None) -> None:
        for signum, handler in (previous or {}).items():
            signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        ctx = self.ctx
        if ctx.terminated_by is not None or ctx.phase in ("done",):
            return
        ctx.terminated_by = signum
        ctx.request_stop(f"terminated by signal {signum}")
        if ctx.phase in ("init", "env_load", "can_run", "startup", "running"):
            raise Terminated(signum)  # interrupt a blocking hook; shutdown follows
