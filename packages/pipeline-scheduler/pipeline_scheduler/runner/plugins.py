"""What a plugin is: a class with a ``name``, typed parameters and lifecycle hooks.

A plugin is one top-level section of a runner config; the section's keys are its parameters::

    from pipeline_scheduler.runner import Plugin, PluginParams, RootPath, hook

    class Greeter(Plugin):
        \"\"\"Writes a greeting into a file when the run starts.\"\"\"

        name = "greeter"

        class Params(PluginParams):
            path: RootPath            # a path that must stay inside the root
            text: str = "hello"

        @hook("startup", priority=10)
        def greet(self, ctx):
            ctx.path(self.params.path, field="path").write_text(self.params.text)

**Parameters** are a pydantic model (subclass :class:`PluginParams`: unknown keys are errors and
types are strict, so ``lifetime = "60"`` is refused for an ``int``) or a standard
``dataclasses.dataclass`` (validated the same way). Wrong or unknown parameters raise a
:class:`~pipeline_scheduler.runner.errors.ConfigError` naming the section and the field.

**Hooks** are methods decorated with :func:`hook` and called with the run context. The stages run
in this order: ``env_load`` → ``can_run`` → ``startup`` (alias ``action``) → ``should_stop`` (polled
in a loop) → ``shutdown``. Within a stage the hooks of all plugins are merged and sorted by priority, higher
first; equal priorities keep the config's section order, then the order of definition in the class.
A method may carry several ``@hook`` decorators. A subclass overriding a hook method without the
decorator keeps the base class's hook.

Plugins never share global or class-level state: everything about one run lives on the
:class:`~pipeline_scheduler.runner.context.RunContext` (``ctx.plugins["lifetime"]`` reaches another
plugin of the same run), so several runs can go on at once in one process.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .errors import ConfigError

if TYPE_CHECKING:
    from .context import RunContext

STAGES = ("env_load", "can_run", "startup", "should_stop", "shutdown")
STAGE_ALIASES = {"envload": "env_load", "canrun": "can_run", "shouldstop": "should_stop",
                 "action": "startup"}  # MXX's main work step is our startup: one list, one priority order
RESERVED_SECTIONS = ("schedule", "template")
PLUGIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class HookSpec:
    """One hook of a plugin class: the stage, its priority, the method name and its definition order."""

    stage: str
    priority: int
    method: str
    order: int


def _stage(stage: str) -> str:
    if not isinstance(stage, str):
        raise TypeError(f"hook stage must be a string, got {stage!r}")
    name = stage.strip().lower()
    name = name[3:] if name.startswith("on_") else name
    name = STAGE_ALIASES.get(name, name)
    if name not in STAGES:
        raise ValueError(f"unknown hook stage {stage!r}; stages: {', '.join(STAGES)} (action = startup)")
    return name


def hook(stage: str, priority: int = 0) -> Any:
    """Declare a method as the hook of ``stage`` (``env_load``, ``can_run``, ``startup``,
    ``should_stop``, ``shutdown``; an ``on_`` prefix is accepted) with ``priority`` (higher first).
    ``action``, the MXX runner's name of its main work step, is the ``startup`` stage: MXX plugins'
    ``@hook("action", priority=100)`` run, by priority, among the startup hooks (built-in plugins
    start their commands there at priority 0).

    Return values: ``can_run`` hooks return ``True``/``None`` to allow the run and ``False`` to refuse
    it (or raise :class:`~pipeline_scheduler.runner.errors.SkipRun` with a reason); ``should_stop``
    hooks return ``True`` to end the run's loop. Other stages' return values are ignored.
    """
    normalized = _stage(stage)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise TypeError(f"hook priority must be an integer, got {priority!r}")

    def decorate(function: Any) -> Any:
        if not callable(function):
            raise TypeError("@hook decorates a method")
        function.__runner_hooks__ = (*getattr(function, "__runner_hooks__", ()), (normalized, priority))
        return function

    return decorate


@dataclass(frozen=True)
class InRoot:
    """Marks a ``str`` parameter as a path: relative paths resolve against the run's base directory
    (the root, or the current directory without one) and, when a root is given, must stay inside it."""


RootPath = Annotated[str, InRoot()]


class PluginParams(BaseModel):
    """Base of plugin parameter models: unknown keys are errors and types are strict."""

    model_config = ConfigDict(extra="forbid", strict=True)


class NoParams(PluginParams):
    """A plugin without parameters (its section must be empty)."""


class Plugin:
    """Base class of runner plugins; see the module docstring.

    Subclasses set ``name`` (the config section; letters, digits, ``_`` and ``-``) and optionally
    ``Params``. An instance belongs to one run: ``self.ctx`` is the run's context and
    ``self.params`` the validated parameters.
    """

    name: ClassVar[str]
    Params: ClassVar[type] = NoParams
    hooks: ClassVar[tuple[HookSpec, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            name = cls.__dict__["name"]
            if not isinstance(name, str) or not PLUGIN_NAME.match(name):
                raise TypeError(f"plugin {cls.__qualname__}: name must be letters, digits, '_' or '-', got {name!r}")
            if name in RESERVED_SECTIONS:
                raise TypeError(f"plugin {cls.__qualname__}: name {name!r} is reserved for the config itself")
        params = cls.__dict__.get("Params")
        if params is not None and not (_is_model(params) or dataclasses.is_dataclass(params)):
            raise TypeError(f"plugin {cls.__qualname__}: Params must be a pydantic model or a dataclass")
        specs: dict[str, tuple[tuple[str, int], ...]] = {}
        order: dict[str, int] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                function = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
                declared = getattr(function, "__runner_hooks__", None)
                if declared:
                    specs[attribute] = declared
                    order.setdefault(attribute, len(order))
        cls.hooks = tuple(HookSpec(stage, priority, attribute, order[attribute])
                          for attribute, declared in sorted(specs.items(), key=lambda item: order[item[0]])
                          for stage, priority in declared)

    def __init__(self, ctx: RunContext, params: Any) -> None:
        self.ctx = ctx
        self.params = params

    def log(self, message: str) -> None:
        """Write a line to the run's output, prefixed with the plugin's name."""
        self.ctx.log(message, plugin=self.name)

    @classmethod
    def doc(cls) -> str:
        return inspect.getdoc(cls) or ""

    @classmethod
    def params_schema(cls) -> dict[str, Any]:
        """The JSON schema of the plugin's parameters."""
        return params_model(cls).model_json_schema()


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


_DATACLASS_MODELS: dict[type, type[BaseModel]] = {}


def params_model(plugin: type[Plugin]) -> type[BaseModel]:
    """The pydantic model that validates ``plugin``'s parameters (built once for a dataclass)."""
    params = plugin.Params
    if _is_model(params):
        return params
    model = _DATACLASS_MODELS.get(params)
    if model is None:
        hints = typing.get_type_hints(params, include_extras=True)
        fields: dict[str, Any] = {}
        for item in dataclasses.fields(params):
            if item.default is not dataclasses.MISSING:
                default: Any = item.default
            elif item.default_factory is not dataclasses.MISSING:
                default = Field(default_factory=item.default_factory)
            else:
                default = ...
            fields[item.name] = (hints.get(item.name, Any), default)
        model = create_model(f"{params.__name__}Model", __config__=ConfigDict(extra="forbid", strict=True),
                             __doc__=inspect.getdoc(params), **fields)
        _DATACLASS_MODELS[params] = model
    return model


def validate_params(plugin: type[Plugin], data: Any, section: str) -> Any:
    """Validate a section's parameters for ``plugin``; a :class:`ConfigError` names the field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"must be a table of parameters for plugin {plugin.name!r}, got {type(data).__name__}",
                          section=section)
    model = params_model(plugin)
    known = _known_keys(model)
    for key in data:
        if key not in known:
            listing = ", ".join(sorted(model.model_fields)) or "none"
            raise ConfigError(f"unknown parameter of plugin {plugin.name!r} (known: {listing})",
                              section=section, field=str(key))
    try:
        validated = model.model_validate(data)
    except ValidationError as error:
        raise _config_error(model, error, section) from None
    if _is_model(plugin.Params):
        return validated
    return plugin.Params(**{name: getattr(validated, name) for name in model.model_fields})


def _known_keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, info in model.model_fields.items():
        keys.add(name)
        if info.alias:
            keys.add(info.alias)
        if isinstance(info.validation_alias, str):
            keys.add(info.validation_alias)
    return keys


def _config_error(model: type[BaseModel], error: ValidationError, section: str) -> ConfigError:
    problems = error.errors(include_url=False)
    first = problems[0]
    loc = first["loc"]
    name = str(loc[0]) if loc else None
    raw_message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    prefixed = re.match(r"^([A-Za-z_][A-Za-z0-9_]*): (.*)$", raw_message, re.S)
    if not loc and prefixed and prefixed.group(1) in model.model_fields:  # a model validator naming its field
        return ConfigError(prefixed.group(2), section=section, field=prefixed.group(1),
                           details=[problem["msg"] for problem in problems])
    info = model.model_fields.get(name) if name else None
    annotation = info.annotation if info is not None else None
    origin = typing.get_origin(annotation)
    is_union = origin in (typing.Union, types.UnionType)
    field_path = name
    if name and len(loc) > 1 and origin in (dict, list, tuple, set):
        field_path = ".".join(str(part) for part in loc)
    if first["type"] == "missing":
        message = "required parameter missing"
    elif is_union and len([p for p in problems if p["loc"][:1] == loc[:1]]) > 1:
        message = f"expected {_type_name(annotation)}, got {first['input']!r}"
    else:
        message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if first["type"].endswith("_type") or first["type"] in ("literal_error", "enum"):
            message = f"{message}, got {first['input']!r}"
    details = [f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}" for problem in problems]
    return ConfigError(message, section=section, field=field_path, details=details)


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "")
    return re.sub(r"Annotated\[(\w+), [^\]]*\]", r"\1", text)


def path_fields(plugin: type[Plugin]) -> list[str]:
    """Names of the parameters marked :class:`InRoot` (directly, optional, or in a list)."""
    model = params_model(plugin)
    names = []
    for name, info in model.model_fields.items():
        if any(isinstance(item, InRoot) for item in info.metadata) or _mentions_in_root(info.annotation):
            names.append(name)
    return names


def _mentions_in_root(annotation: Any) -> bool:
    if typing.get_origin(annotation) is Annotated:
        if any(isinstance(item, InRoot) for item in typing.get_args(annotation)[1:]):
            return True
    return any(_mentions_in_root(argument) for argument in typing.get_args(annotation))
