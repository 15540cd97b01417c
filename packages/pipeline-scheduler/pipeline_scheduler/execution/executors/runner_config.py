"""Runner configs (plugin sections in TOML, YAML or JSON) run by ``python -m pipeline_scheduler.runner``.

The target is a config file under the root (``pipeline_path``) or a config object sent in the
payload (``runner_config``), which is written under the state directory and run from there.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...api.payloads import JobSpec
from ...errors import Invalid
from ...paths import resolve_in_root
from ...runner import runner_command
from ...runner.errors import ConfigError
from ...runner.outcome import EXIT_CONFIG_ERROR, EXIT_SKIPPED, EXIT_TERMINATED, EXIT_TIMED_OUT
from .base import Command, ExecutionContext, Executor
from .working_dir import working_dir

if TYPE_CHECKING:
    from ...runner.registry import PluginRegistry

SHUTDOWN_GRACE = 15.0  # on_shutdown hooks run after SIGTERM; give them time before SIGKILL


class PluginsOnDemand:
    """The server's plugin registry, loaded when first needed: a server that checks no runner config and
    lists no plugins never imports the runner's plugin machinery (~2 MB) nor the plugins directory's files."""

    def __init__(self, plugins_dir: Path | None) -> None:
        self._plugins_dir = plugins_dir
        self._lock = threading.Lock()
        self._registry: PluginRegistry | None = None

    def get(self) -> PluginRegistry:
        with self._lock:
            if self._registry is None:
                from ...runner.registry import PluginRegistry

                self._registry = PluginRegistry.load(_existing(self._plugins_dir))
            return self._registry


class RunnerConfigExecutor(Executor):
    kind = "runner_config"
    suffixes = (".toml", ".yaml", ".yml", ".json")

    def __init__(self, plugins: PluginsOnDemand) -> None:
        self.plugins = plugins

    def accepts(self, spec: JobSpec) -> bool:
        if spec.runner_config is not None:
            return True
        return spec.python_code is None and (spec.pipeline_path or "").lower().endswith(self.suffixes)

    def validate(self, spec: JobSpec, context: ExecutionContext) -> Any:
        """Check the whole config (templates, global config, plugins, parameters, paths); return it."""
        if spec.runner_config is not None:
            source: Any = spec.runner_config
            field = "runner_config"
        else:
            source, field = resolve_in_root(context.root, spec.pipeline_path or "", "pipeline_path"), "pipeline_path"
        return check_config(source, field, context, self.plugins.get(), spec.id)

    def command(self, job_id: str, execution_id: str, spec: dict[str, Any], context: ExecutionContext) -> Command:
        if spec.get("runner_config") is not None:
            config = context.state_dir / "runner" / f"{job_id}.json"
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(json.dumps(spec["runner_config"]), encoding="utf-8")
        else:
            config = resolve_in_root(context.root, spec["pipeline_path"], "pipeline_path")
        argv = runner_command(config, python=context.python_executable, jobs_dir=context.jobs_dir,
                              plugins_dir=_existing(context.plugins_dir), root=context.root, job_id=job_id)
        return Command(argv, working_dir(spec, context, target_folder=False), kill_grace=SHUTDOWN_GRACE)

    def outcome(self, exit_code: int) -> tuple[str, str] | None:
        return {
            EXIT_SKIPPED: ("skipped", "skipped: a plugin's can_run hook said no (the log says why)"),
            EXIT_TIMED_OUT: ("timed_out", "the lifetime plugin stopped the run"),
            EXIT_CONFIG_ERROR: ("failure", "invalid runner config (the log says where)"),
            EXIT_TERMINATED: ("cancelled", "terminated"),
        }.get(exit_code)


def check_config(source: Any, field: str, context: ExecutionContext, plugins: PluginRegistry,
                 job_id: str | None) -> Any:
    """``validate_config`` with its :class:`ConfigError` turned into a 400 naming file, section and field."""
    from ...runner.config import validate_config

    try:
        return validate_config(source, context.jobs_dir, _existing(context.plugins_dir), root=context.root,
                               registry=plugins, job_id=job_id)
    except ConfigError as error:
        raise Invalid(f"{field}: {error}", _field_path(field, error), details=error.to_dict()) from None


def _field_path(field: str, error: ConfigError) -> str:
    return ".".join(part for part in (field, error.section, error.field) if part)


def _existing(path: Path | None) -> Path | None:
    return path if path is not None and path.is_dir() else None
