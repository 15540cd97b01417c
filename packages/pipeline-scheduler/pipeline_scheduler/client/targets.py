"""What a job runs, from what a Python caller hands over: a file path, a string of code, or a function
(its source and a call of it, because the job runs in a process of its own, not in this one)."""

from __future__ import annotations

import inspect
import os
import textwrap
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from .http import SchedulerError

FILE_SUFFIXES = (".py", ".ipynb", ".toml", ".yaml", ".yml", ".json")  # what pipeline_path runs


def target_fields(target: Any, root_dir: str | None) -> dict[str, str]:
    """``{"pipeline_path": …}`` for a path (one line ending in a file suffix the server runs),
    ``{"python_code": …}`` for other text and for a function."""
    if isinstance(target, os.PathLike) or (isinstance(target, str) and "\n" not in target.strip()
                                           and PurePosixPath(target.strip()).suffix.lower() in FILE_SUFFIXES):
        return {"pipeline_path": root_relative(os.fspath(target).strip(), root_dir)}
    if isinstance(target, str):
        if not target.strip():
            raise SchedulerError("target: no code to run (an empty string)", field="target")
        return {"python_code": target}
    if callable(target):
        return {"python_code": function_code(target)}
    raise SchedulerError(f"target: give a file path, Python code or a function, not {type(target).__name__}",
                         field="target")


def root_relative(path: str, root_dir: str | None) -> str:
    """A relative path is read from the current directory, as in a shell, when the server's root is
    known and holds it (a kernel runs in its notebook's folder); otherwise it is the server's (relative
    to its root)."""
    if os.path.isabs(path) or not root_dir:
        return path
    try:
        here = Path.cwd().resolve()
        root = Path(root_dir).resolve()
        here.relative_to(root)
    except (ValueError, OSError):
        return path
    return os.path.relpath(here / path, root).replace(os.sep, "/")


def function_code(function: Callable[..., Any]) -> str:
    """A function's source followed by a call of it. Only what the source says travels: a lambda (no
    source of its own), a closure (its variables live in this process), a method or a function that
    needs arguments cannot be scheduled, and say so."""
    name = getattr(function, "__name__", type(function).__name__)
    if name == "<lambda>":
        raise SchedulerError("target: a lambda cannot be scheduled (its source is part of another line): "
                             "define the function with def", field="target")
    if not inspect.isfunction(function):
        raise SchedulerError(f"target: {name} is not a plain function (a {type(function).__name__}): schedule a "
                             "function defined with def, or its code as a string", field="target")
    if function.__closure__:
        names = ", ".join(function.__code__.co_freevars)
        raise SchedulerError(f"target: {name} uses variables of the function around it ({names}), which do not "
                             "exist where the job runs: define it at the top level", field="target")
    required = [parameter.name for parameter in inspect.signature(function).parameters.values()
                if parameter.default is parameter.empty
                and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)]
    if required:
        raise SchedulerError(f"target: {name} needs arguments ({', '.join(required)}); a scheduled function is "
                             "called with none", field="target")
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        raise SchedulerError(f"target: the source of {name} cannot be found (defined by exec or in a console?): "
                             "give its code as a string", field="target") from None
    call = f"asyncio.run({name}())" if inspect.iscoroutinefunction(function) else f"{name}()"
    setup = "import asyncio\n\n" if call.startswith("asyncio") else ""
    return f"{setup}{source.rstrip()}\n\n\n{call}\n"
