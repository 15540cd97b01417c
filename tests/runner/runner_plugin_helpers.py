"""Plugin classes built for the tests: each hook appends ``stage:plugin`` to the file in ``log``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline_scheduler.runner import Plugin, PluginParams, PluginRegistry, hook


class LogParams(PluginParams):
    log: str
    refuse: str | None = None  # can_run: refuse with this reason
    fail_at: str | None = None  # stage at which to raise


def append(path: str, line: str) -> None:
    with open(path, "a") as handle:
        handle.write(line + "\n")


def read_log(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def recorder(name: str, **priorities: int) -> type[Plugin]:
    """A plugin ``name`` with a hook per ``stage=priority`` given."""
    namespace: dict[str, Any] = {"name": name, "Params": LogParams, "__doc__": f"Test plugin {name}."}
    for stage, priority in priorities.items():
        def method(self: Any, ctx: Any, _stage: str = stage) -> Any:
            append(self.params.log, f"{_stage}:{self.name}")
            if self.params.fail_at == _stage:
                raise RuntimeError(f"{self.name} broke at {_stage}")
            if _stage == "can_run" and self.params.refuse:
                from pipeline_scheduler.runner import SkipRun

                raise SkipRun(self.params.refuse)
            return None
        namespace[f"hook_{stage}"] = hook(stage, priority)(method)
    return type(f"Recorder_{name}", (Plugin,), namespace)


def registry_with(*plugins: type[Plugin]) -> PluginRegistry:
    registry = PluginRegistry(builtins=True)
    for plugin in plugins:
        assert registry.add(plugin, source="custom"), registry.errors
    return registry
