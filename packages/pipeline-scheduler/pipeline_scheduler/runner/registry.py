"""The plugin registry: built-in plugins, ``.py`` files of a plugins directory, and entry points.

A registry is an ordinary object (no global registry): the server keeps one, a test makes its own.
A plugin that fails to load is never skipped silently: it is listed in :attr:`PluginRegistry.errors`
with its error, and a config using a section of that name says so.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .plugins import Plugin

ENTRY_POINT_GROUP = "pipeline_scheduler.plugins"
SOURCES = ("builtin", "custom", "entry-point")


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin class and where it came from (``origin``: a file path or an entry point)."""

    name: str
    plugin: type[Plugin]
    source: str
    origin: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "module": self.plugin.__module__,
            "class": self.plugin.__qualname__,
            "origin": self.origin,
            "doc": self.plugin.doc(),
            "params": self.plugin.params_schema(),
            "hooks": [{"stage": spec.stage, "priority": spec.priority, "method": spec.method}
                      for spec in self.plugin.hooks],
        }


class PluginRegistry:
    """Plugins by section name. ``errors`` lists what failed to load, as dicts with ``source``,
    ``origin``, ``error`` (one line), ``line`` (for a syntax error) and ``traceback``."""

    def __init__(self, *, builtins: bool = True) -> None:
        self._plugins: dict[str, PluginInfo] = {}
        self.errors: list[dict[str, Any]] = []
        if builtins:
            from .builtin import BUILTIN_PLUGINS

            for plugin in BUILTIN_PLUGINS:
                self.add(plugin, source="builtin")

    @classmethod
    def load(cls, plugins_dir: str | Path | None = None, *, entry_points: bool = True,
             builtins: bool = True) -> PluginRegistry:
        """Built-ins, then the plugins directory (when it exists), then the entry points."""
        registry = cls(builtins=builtins)
        if plugins_dir is not None:
            registry.load_directory(plugins_dir)
        if entry_points:
            registry.load_entry_points()
        return registry

    # -- registering ------------------------------------------------------------------------
    def add(self, plugin: Any, *, source: str = "custom", origin: str | None = None) -> bool:
        """Register a plugin class; a bad class or a name already taken is recorded in ``errors``."""
        label = origin or getattr(plugin, "__qualname__", repr(plugin))
        if not (isinstance(plugin, type) and issubclass(plugin, Plugin)):
            self._error(source, label, f"{plugin!r} is not a Plugin subclass")
            return False
        name = plugin.__dict__.get("name")
        if not isinstance(name, str):
            self._error(source, label, f"plugin class {plugin.__qualname__} does not set a name")
            return False
        taken = self._plugins.get(name)
        if taken is not None:
            if taken.plugin is plugin:
                return True
            self._error(source, label, f"plugin name {name!r} is already taken by the {taken.source} plugin "
                                       f"{taken.plugin.__module__}.{taken.plugin.__qualname__}", name=name)
            return False
        try:
            plugin.params_schema()
        except Exception as error:  # a Params model pydantic cannot build
            self._error(source, label, f"plugin {name!r}: invalid Params: {error}", name=name)
            return False
        self._plugins[name] = PluginInfo(name, plugin, source, origin)
        return True

    def load_directory(self, directory: str | Path) -> None:
        """Import every ``*.py`` of ``directory`` (not ``_*.py``) and register its Plugin classes."""
        directory = Path(directory)
        if not directory.is_dir():
            return
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith(("_", ".")):
                continue
            try:
                module = _import_file(path)
            except (Exception, SystemExit) as error:
                line = error.lineno if isinstance(error, SyntaxError) else _error_line(error, path)
                self._error("custom", str(path), f"{type(error).__name__}: {error}", line=line,
                            trace="".join(traceback.format_exception(type(error), error, error.__traceback__)),
                            name=path.stem)
                continue
            self._register_module(module, "custom", str(path), name_hint=path.stem)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Load the ``group`` entry points: each names a Plugin class, a module, or a list of classes."""
        try:
            points: Iterable[Any] = importlib.metadata.entry_points(group=group)
        except Exception as error:  # pragma: no cover - broken metadata
            self._error("entry-point", group, f"cannot read entry points: {error}")
            return
        for point in sorted(points, key=lambda item: item.name):
            origin = f"{point.name} = {point.value}"
            try:
                target = point.load()
            except (Exception, SystemExit) as error:
                self._error("entry-point", origin, f"{type(error).__name__}: {error}", name=point.name,
                            trace="".join(traceback.format_exception(type(error), error, error.__traceback__)))
                continue
            if isinstance(target, ModuleType):
                self._register_module(target, "entry-point", origin, name_hint=point.name)
            elif isinstance(target, (list, tuple)):
                for item in target:
                    self.add(item, source="entry-point", origin=origin)
            else:
                self.add(target, source="entry-point", origin=origin)

    def _register_module(self, module: ModuleType, source: str, origin: str, name_hint: str) -> None:
        classes = [value for value in vars(module).values()
                   if isinstance(value, type) and issubclass(value, Plugin) and value.__module__ == module.__name__
                   and "name" in value.__dict__]
        if not classes:
            self._error(source, origin, "defines no plugin (a Plugin subclass with a name)", name=name_hint)
        for plugin in classes:
            self.add(plugin, source=source, origin=origin)

    def _error(self, source: str, origin: str, message: str, *, line: int | None = None, trace: str | None = None,
               name: str | None = None) -> None:
        self.errors.append({"source": source, "origin": origin, "name": name, "error": message, "line": line,
                            "traceback": trace})

    # -- looking up ---------------------------------------------------------------------------
    def find(self, name: str) -> type[Plugin] | None:
        info = self._plugins.get(name)
        return info.plugin if info else None

    def get(self, name: str) -> type[Plugin]:
        return self._plugins[name].plugin

    def info(self, name: str) -> PluginInfo:
        return self._plugins[name]

    def names(self) -> list[str]:
        return list(self._plugins)

    def __contains__(self, name: object) -> bool:
        return name in self._plugins

    def __len__(self) -> int:
        return len(self._plugins)

    def list(self, source: str | None = None) -> list[dict[str, Any]]:
        """Every plugin as ``{name, source, module, class, origin, doc, params (JSON schema), hooks}``."""
        return [info.describe() for info in self._plugins.values() if source is None or info.source == source]

    def to_dict(self) -> dict[str, Any]:
        """``{"plugins": [...], "errors": [...]}`` — the shape for ``GET plugins``."""
        return {"plugins": self.list(), "errors": [dict(error) for error in self.errors]}

    def unknown_message(self, name: str) -> str:
        message = f"unknown plugin {name!r}; available: {', '.join(sorted(self._plugins)) or 'none'}"
        for error in self.errors:
            if error.get("name") == name:
                message += f"; {error['origin']} failed to load: {error['error']}"
        return message


def _import_file(path: Path) -> ModuleType:
    """Import a plugin file under a module name unique to its absolute path."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    safe = "".join(char if char.isalnum() else "_" for char in path.stem)
    module_name = f"_pipeline_scheduler_plugin_{safe}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _error_line(error: BaseException, path: Path) -> int | None:
    """The line of ``path`` where the import failed, from the traceback."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    return line

