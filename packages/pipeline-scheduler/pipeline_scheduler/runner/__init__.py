"""The runner: plugin-based jobs described by runner configs (TOML, YAML or JSON).

Self-contained: no Jupyter, no server. Public API:

- :func:`validate_config` → :class:`RunnerConfig` (raises :class:`ConfigError`): check a config
  (templates, global config, plugins, parameters, schedule, paths) without running it.
- :func:`run_config` → :class:`RunOutcome`: run a config in this process (thread-safe).
- ``python -m pipeline_scheduler.runner CONFIG``: the same in a subprocess; exit codes in
  :mod:`pipeline_scheduler.runner.outcome`; :func:`runner_command` builds that command line.
- :class:`PluginRegistry`: built-in, custom (plugins directory) and entry-point plugins, with
  ``list()`` and ``errors``.
- :class:`Plugin`, :class:`PluginParams`, :func:`hook`, :data:`RootPath`, :class:`PluginError`,
  :class:`SkipRun`, :class:`RunContext`: for writing plugins.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import PluginConfig, RunnerConfig, load_config, validate_config
    from .context import RunContext
    from .errors import ConfigError, PluginError, SkipRun
    from .files import is_job_file, job_files, job_id_for
    from .outcome import (EXIT_CONFIG_ERROR, EXIT_FAILURE, EXIT_SKIPPED, EXIT_SUCCESS, EXIT_TERMINATED,
                          EXIT_TIMED_OUT, RunOutcome)
    from .plugins import InRoot, Plugin, PluginParams, RootPath, hook
    from .registry import ENTRY_POINT_GROUP, PluginRegistry
    from .runner import RunOptions, Runner, run_config
    from .schedule import Schedule, parse_schedule

# Where each public name lives. They are imported on first use: the server imports this package for
# a constant or a file name pattern, and the whole runner (plugins, configs, schedules) costs it ~2 MB.
_HOMES = {
    **dict.fromkeys(("PluginConfig", "RunnerConfig", "load_config", "validate_config"), "config"),
    **dict.fromkeys(("is_job_file", "job_files", "job_id_for"), "files"),
    "RunContext": "context",
    **dict.fromkeys(("ConfigError", "PluginError", "SkipRun"), "errors"),
    **dict.fromkeys(("EXIT_CONFIG_ERROR", "EXIT_FAILURE", "EXIT_SKIPPED", "EXIT_SUCCESS", "EXIT_TERMINATED",
                     "EXIT_TIMED_OUT", "RunOutcome"), "outcome"),
    **dict.fromkeys(("InRoot", "Plugin", "PluginParams", "RootPath", "hook"), "plugins"),
    **dict.fromkeys(("ENTRY_POINT_GROUP", "PluginRegistry"), "registry"),
    **dict.fromkeys(("RunOptions", "Runner", "run_config"), "runner"),
    **dict.fromkeys(("Schedule", "parse_schedule"), "schedule"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def runner_command(config: str | Path, *, python: str | None = None, jobs_dir: str | Path | None = None,
                   templates_dir: str | Path | None = None, plugins_dir: str | Path | None = None,
                   root: str | Path | None = None, job_id: str | None = None,
                   result_file: str | Path | None = None) -> list[str]:
    """The argument list that runs ``config`` in a subprocess (``python -m pipeline_scheduler.runner``)."""
    argv = [python or sys.executable, "-m", "pipeline_scheduler.runner", str(config)]
    for flag, value in (("--jobs-dir", jobs_dir), ("--templates-dir", templates_dir), ("--plugins-dir", plugins_dir),
                        ("--root", root), ("--job-id", job_id), ("--result-file", result_file),
                        ("--python", python)):
        if value is not None:
            argv += [flag, str(value)]
    return argv


__all__ = [
    "ConfigError", "ENTRY_POINT_GROUP", "EXIT_CONFIG_ERROR", "EXIT_FAILURE", "EXIT_SKIPPED", "EXIT_SUCCESS",
    "EXIT_TERMINATED", "EXIT_TIMED_OUT", "InRoot", "Plugin", "PluginConfig", "PluginError", "PluginParams",
    "PluginRegistry", "RootPath", "RunContext", "RunOptions", "RunOutcome", "Runner", "RunnerConfig", "Schedule",
    "SkipRun", "hook", "is_job_file", "job_files", "job_id_for", "load_config", "parse_schedule", "run_config",
    "runner_command", "validate_config",
]
