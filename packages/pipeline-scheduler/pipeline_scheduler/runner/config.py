"""Runner configs: loading (TOML, YAML, JSON or a dict), templates, the global config, validation.

A runner config's top-level sections name plugins and hold their parameters::

    template = "template::nightly"      # optional: whole-config templates (a string or a list)

    [lifetime]
    lifetime = 60

    [os]
    cmd = "python backup.py"

    [schedule]                          # optional metadata, not a plugin (see schedule.py)
    trigger = "cron"
    hour = 2

Merging (lowest to highest precedence; the more specific always wins):

1. **global** — ``<jobs_dir>/global.toml`` (or ``.yaml``/``.yml``/``.json``) applies to every job;
   it may not contain ``[schedule]``.
2. **templates** the job references, in the order listed (a later template overrides an earlier
   one). A template is ``<name>.template.toml`` (or ``.yaml``/``.yml``/``.json``), looked up in the
   templates directory, then the jobs directory. Templates may reference templates; a cycle or a
   missing template is an error.
3. **the job's own values**.

References: a top-level ``template = "template::name"`` (or a list of them) inherits the whole
template; a section written as ``os = "template::name"`` takes that template's ``[os]`` section
(with the job's precedence). Values merge per key: a key set in a higher layer replaces the lower
one, nested tables (``env = {...}``) merge key by key, lists and other values are replaced whole.
``[schedule]`` is replaced whole, never merged field by field. A section set to ``false``
(``notify = false``) drops a section inherited from the global config or a template. Section order
(which breaks hook-priority ties) is the job's own sections first, in file order, then sections
only from templates, then sections only from the global config.

Errors are :class:`~pipeline_scheduler.runner.errors.ConfigError` naming the file the offending
value came from, its section, field and line where known.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .errors import ConfigError
from .files import GLOBAL_NAME, SUFFIXES, job_id_for, template_stem
from .paths import resolve_path
from .plugins import Plugin, path_fields, validate_params
from .schedule import Schedule, parse_schedule

TEMPLATE_PREFIX = "template::"
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")


# --------------------------------------------------------------------------------------------
# Reading one file
# --------------------------------------------------------------------------------------------

@dataclass
class Source:
    """One parsed config document: a file (``path`` and ``text``) or a dict given directly."""

    data: dict[str, Any]
    path: Path | None = None
    text: str | None = None
    format: str = "dict"

    @property
    def label(self) -> str | None:
        return str(self.path) if self.path else None

    def line_of(self, section: str | None, field: str | None = None) -> int | None:
        """Best-effort 1-based line of ``[section] field`` (or the section) in the file."""
        if self.text is None or not section:
            return None
        key = field.split(".")[0] if field else None
        try:
            if self.format == "toml":
                return _toml_line(self.text, section, key)
            if self.format == "yaml":
                return _yaml_line(self.text, section, key)
            if self.format == "json":
                return _json_line(self.text, section, key)
        except Exception:  # locating is a courtesy; never mask the real error
            return None
        return None

    def error(self, message: str, section: str | None = None, field: str | None = None) -> ConfigError:
        return ConfigError(message, file=self.path, section=section, field=field, line=self.line_of(section, field))


def read_source(path: str | Path) -> Source:
    """Parse a TOML, YAML or JSON file into a :class:`Source`; parse errors carry the line."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"unsupported config file type {suffix or '(none)'!r}; use .toml, .yaml, .yml or .json",
                          file=path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file", file=path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read: {error}", file=path) from None
    if suffix == ".toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            match = re.search(r"\(at line (\d+), column (\d+)\)", message)
            line = int(match.group(1)) if match else (text.count("\n") + 1 if "end of document" in message else None)
            raise ConfigError(f"invalid TOML: {message}", file=path, line=line) from None
        fmt = "toml"
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or str(error)
            context = getattr(error, "context", None)
            message = f"{context}: {problem}" if context else problem
            raise ConfigError(f"invalid YAML: {message}", file=path, line=mark.line + 1 if mark else None) from None
        data = {} if data is None else data
        fmt = "yaml"
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"invalid JSON: {error.msg} (column {error.colno})", file=path, line=error.lineno) from None
        fmt = "json"
    if not isinstance(data, dict):
        raise ConfigError(f"a runner config must be a mapping of sections, got {type(data).__name__}", file=path)
    return Source(data=data, path=path, text=text, format=fmt)


def _toml_line(text: str, section: str, key: str | None) -> int | None:
    header = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
    name = re.escape(section)
    quoted = rf"(?:{name}|\"{name}\"|'{name}')"
    current: str | None = None
    section_line = None
    for number, line in enumerate(text.splitlines(), 1):
        match = header.match(line)
        if match:
            current = re.sub(r"\s*\.\s*", ".", match.group(1)).replace('"', "").replace("'", "")
            if current == section:
                if key is None:
                    return number
                section_line = number
            elif key is not None and current == f"{section}.{key}":
                return number
            continue
        if current is None:
            if re.match(rf"^\s*{quoted}\s*=", line):
                return number
            if re.match(rf"^\s*{quoted}\s*\.", line):
                if key is None or re.match(rf"^\s*{quoted}\s*\.\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=", line):
                    return number
        elif current == section and key is not None:
            if re.match(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*[=.]", line):
                return number
    return section_line


def _yaml_line(text: str, section: str, key: str | None) -> int | None:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if key_node.value == section:
            if key is not None and isinstance(value_node, yaml.MappingNode):
                for inner_key, _ in value_node.value:
                    if inner_key.value == key:
                        return inner_key.start_mark.line + 1
            return key_node.start_mark.line + 1
    return None


def _json_line(text: str, section: str, key: str | None) -> int | None:
    match = re.search(rf"\"{re.escape(section)}\"\s*:", text)
    if not match:
        return None
    position = match.start()
    if key is not None:
        inner = re.compile(rf"\"{re.escape(key)}\"\s*:").search(text, match.end())
        if inner:
            position = inner.start()
    return text.count("\n", 0, position) + 1


# --------------------------------------------------------------------------------------------
# Templates and merging
# --------------------------------------------------------------------------------------------

@dataclass
class MergedConfig:
    """A config after the global config and templates were merged in (not yet validated).

    ``origins`` maps ``(section, key)`` (key ``None`` for the section itself) to the source the
    winning value came from, so that errors found later point at the right file and line.
    """

    sections: dict[str, Any]
    origins: dict[tuple[str, str | None], Source]
    source: Source
    templates: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def error(self, message: str, section: str | None = None, field_name: str | None = None) -> ConfigError:
        key = field_name.split(".")[0] if field_name else None
        origin = self.origins.get((section, key)) if section else None
        origin = origin or (self.origins.get((section, None)) if section else None) or self.source
        return origin.error(message, section, field_name)


@dataclass
class _Layer:
    sections: dict[str, Any]
    origins: dict[tuple[str, str | None], Source]


class _TemplateFinder:
    def __init__(self, directories: list[Path]) -> None:
        self.directories = directories
        self.used: list[str] = []
        self.files: list[Path] = []

    def find(self, name: str) -> Path | None:
        for directory in self.directories:
            for suffix in SUFFIXES:
                candidate = directory / f"{name}.template{suffix}"
                if candidate.is_file():
                    return candidate
        return None


def _template_name(reference: Any, source: Source, section: str, field_name: str | None) -> str:
    if not isinstance(reference, str) or not reference.startswith(TEMPLATE_PREFIX):
        raise source.error(f"a template reference must be a string \"template::<name>\", got {reference!r}",
                           section, field_name)
    name = reference[len(TEMPLATE_PREFIX):].strip()
    if not TEMPLATE_NAME.match(name):
        raise source.error(f"invalid template name {name!r} (letters, digits, '_', '-', '.'; no paths)",
                           section, field_name)
    return name


def _load_template(name: str, finder: _TemplateFinder, chain: list[str], source: Source, section: str,
                   field_name: str | None) -> _Layer:
    if name in chain:
        cycle = " → ".join([*chain[chain.index(name):], name])
        raise source.error(f"template cycle: {cycle}", section, field_name)
    if not finder.directories:
        raise source.error(f"template {name!r}: no jobs or templates directory to look it up in", section, field_name)
    path = finder.find(name)
    if path is None:
        places = ", ".join(str(directory) for directory in finder.directories)
        raise source.error(f"template {name!r} not found (looked for {name}.template.toml/.yaml/.yml/.json "
                           f"in {places})", section, field_name)
    if name not in finder.used:
        finder.used.append(name)
    if path not in finder.files:
        finder.files.append(path)
    return _resolve(read_source(path), finder, [*chain, name])


def _resolve(source: Source, finder: _TemplateFinder, chain: list[str]) -> _Layer:
    """One document with its templates resolved (global not included)."""
    data = dict(source.data)
    references = data.pop("template", None)
    if references is None:
        references = []
    elif isinstance(references, str):
        references = [references]
    elif not isinstance(references, list):
        raise source.error("must be \"template::<name>\" or a list of them", "template")
    merged = _Layer({}, {})
    for index, reference in enumerate(references):
        field_name = f"[{index}]" if len(references) > 1 else None
        name = _template_name(reference, source, "template", field_name)
        merged = _overlay(merged, _load_template(name, finder, chain, source, "template", field_name))
    own = _Layer({}, {})
    for section, value in data.items():
        section = str(section)
        if isinstance(value, str) and value.startswith(TEMPLATE_PREFIX):
            name = _template_name(value, source, section, None)
            layer = _load_template(name, finder, chain, source, section, None)
            if not isinstance(layer.sections.get(section), dict):
                raise source.error(f"template {name!r} has no [{section}] section", section)
            own.sections[section] = layer.sections[section]
            own.origins.update({key: origin for key, origin in layer.origins.items() if key[0] == section})
            own.origins[(section, None)] = source
        elif value is False or isinstance(value, dict):
            own.sections[section] = value
            own.origins[(section, None)] = source
            if isinstance(value, dict):
                own.origins.update({(section, str(key)): source for key in value})
        else:
            raise source.error("must be a table of plugin parameters, false (to drop an inherited section) "
                               f"or \"template::<name>\", got {value!r}", section)
    return _overlay(merged, own)


def _overlay(lower: _Layer, upper: _Layer) -> _Layer:
    """``upper`` over ``lower``: upper's sections first (in its order), then lower-only sections."""
    sections: dict[str, Any] = {}
    origins = dict(lower.origins)
    for section, value in upper.sections.items():
        below = lower.sections.get(section)
        if section == "schedule" or value is False or not isinstance(below, dict) or not isinstance(value, dict):
            sections[section] = value
            for key in [key for key in origins if key[0] == section]:
                del origins[key]
        else:
            sections[section] = _deep_merge(below, value)
    origins.update(upper.origins)
    for section, value in lower.sections.items():
        sections.setdefault(section, value)
    return _Layer(sections, origins)


def _deep_merge(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(lower)
    for key, value in upper.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def find_global(jobs_dir: str | Path | None) -> Path | None:
    """``<jobs_dir>/global.toml`` (or ``.yaml``/``.yml``/``.json``), if there is one."""
    if jobs_dir is None:
        return None
    for suffix in SUFFIXES:
        candidate = Path(jobs_dir) / f"{GLOBAL_NAME}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def load_config(config: str | Path | Mapping[str, Any], *, jobs_dir: str | Path | None = None,
                templates_dir: str | Path | None = None, use_global: bool = True) -> MergedConfig:
    """Read ``config`` (a path or a dict) and merge the global config and templates into it."""
    if isinstance(config, Mapping):
        source = Source(data=dict(config))
    else:
        source = read_source(config)
    directories = []
    for directory in (templates_dir, jobs_dir):
        if directory is not None and Path(directory) not in directories:
            directories.append(Path(directory))
    finder = _TemplateFinder(directories)
    chain = [template_stem(source.path)] if source.path and template_stem(source.path) else []
    layer = _resolve(source, finder, chain)
    files = []
    global_path = find_global(jobs_dir) if use_global else None
    if global_path is not None and (source.path is None or global_path.resolve() != source.path.resolve()):
        global_source = read_source(global_path)
        if "schedule" in global_source.data:
            raise global_source.error("the global config cannot set a schedule (it would apply to every job)",
                                      "schedule")
        global_layer = _resolve(global_source, finder, [])
        if "schedule" in global_layer.sections:
            raise global_source.error("the global config cannot set a schedule, not even through a template",
                                      "template")
        layer = _overlay(global_layer, layer)
        files.append(global_path)
    sections = {name: value for name, value in layer.sections.items() if value is not False}
    origins = {key: origin for key, origin in layer.origins.items() if key[0] in sections}
    files.extend(finder.files)
    if source.path is not None:
        files.append(source.path)
    return MergedConfig(sections, origins, source, list(finder.used), files)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

@dataclass
class PluginConfig:
    """One plugin section of a validated config: its name, class and validated parameters."""

    name: str
    plugin: type[Plugin]
    params: Any
    raw: dict[str, Any]


@dataclass
class RunnerConfig:
    """A validated runner config, ready to run.

    ``plugins`` are in config order; ``schedule`` is ``None`` for an on-demand job; ``data`` is the
    merged config (what would be written in one file); ``files`` every file it was built from
    (global config, templates, the config itself): when one changes, validate again.
    """

    job_id: str
    source: Path | None
    plugins: list[PluginConfig]
    schedule: Schedule | None
    data: dict[str, Any]
    templates: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def scheduled(self) -> bool:
        return self.schedule is not None

    @property
    def job_type(self) -> str:
        """``"scheduled"`` or ``"on_demand"``."""
        return "scheduled" if self.schedule is not None else "on_demand"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description for the API."""
        return {
            "job_id": self.job_id,
            "source": str(self.source) if self.source else None,
            "type": self.job_type,
            "schedule": self.schedule.to_dict() if self.schedule else None,
            "trigger": self.schedule.to_trigger_payload() if self.schedule else None,
            "plugins": [plugin.name for plugin in self.plugins],
            "config": _jsonable(self.data),
            "templates": list(self.templates),
            "files": [str(path) for path in self.files],
        }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def validate_config(config: str | Path | Mapping[str, Any] | RunnerConfig, jobs_dir: str | Path | None = None,
                    plugins_dir: str | Path | None = None, *, root: str | Path | None = None,
                    templates_dir: str | Path | None = None, registry: Any = None, job_id: str | None = None,
                    base_dir: str | Path | None = None, use_global: bool = True) -> RunnerConfig:
    """Load, merge and validate a runner config without running anything.

    ``config`` is a path (``.toml``/``.yaml``/``.yml``/``.json``) or a dict (the API payload).
    Plugins come from ``registry`` (a :class:`~pipeline_scheduler.runner.registry.PluginRegistry`;
    pass one to avoid re-importing ``plugins_dir`` on every call), else from a registry loaded from
    ``plugins_dir`` and the entry points. With ``root``, path parameters (``cwd``, ``script``, ...)
    must resolve inside it; relative paths start at ``root`` (else ``base_dir``, else the current
    directory). Raises :class:`ConfigError` (with file, section, field, line) on any problem.
    """
    if isinstance(config, RunnerConfig):
        return config
    from .registry import PluginRegistry

    registry = registry if registry is not None else PluginRegistry.load(plugins_dir)
    merged = load_config(config, jobs_dir=jobs_dir, templates_dir=templates_dir, use_global=use_global)
    root_path = Path(root) if root is not None else None
    start = root_path or (Path(base_dir) if base_dir is not None else Path.cwd())
    schedule = None
    if "schedule" in merged.sections:
        try:
            schedule = parse_schedule(merged.sections["schedule"])
        except ConfigError as error:
            raise merged.error(error.message, "schedule", error.field) from None
    plugins: list[PluginConfig] = []
    for section, value in merged.sections.items():
        if section == "schedule":
            continue
        plugin = registry.find(section)
        if plugin is None:
            raise merged.error(registry.unknown_message(section), section)
        try:
            params = validate_params(plugin, value, section)
        except ConfigError as error:
            located = merged.error(error.message, section, error.field)
            located.details = error.details
            raise located from None
        for name in path_fields(plugin):
            for item in _path_values(getattr(params, name, None)):
                try:
                    resolve_path(item, base_dir=start, root=root_path)
                except ValueError as error:
                    raise merged.error(str(error), section, name) from None
        plugins.append(PluginConfig(section, plugin, params, value if isinstance(value, dict) else {}))
    if not plugins:
        raise merged.error("nothing to run: the config has no plugin sections (e.g. [os] cmd = \"...\")")
    source_path = merged.source.path
    if job_id is None:
        job_id = job_id_for(source_path) if source_path else "config"
    return RunnerConfig(job_id=job_id, source=source_path, plugins=plugins, schedule=schedule,
                        data=merged.sections, templates=merged.templates, files=merged.files)


def _path_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, str)]
    return []

