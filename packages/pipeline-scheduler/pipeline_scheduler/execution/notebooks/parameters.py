"""Notebook parameters in papermill's convention, which users know.

A notebook declares its parameters in the code cell tagged ``parameters`` (plain assignments of
literals, the defaults). A run's parameters are injected as a new cell tagged
``injected-parameters`` right after it (at the top when no cell is tagged), so that they override
the defaults and the executed notebook shows what the run used. Only Python notebooks take them.

Imported by the runner too: standard library only.
"""

from __future__ import annotations

import ast
import keyword
from typing import Any

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
MAX_PARAMETERS = 200


class ParameterError(ValueError):
    """A parameter that cannot be used: ``name`` is the parameter (``None``: the whole object)."""

    def __init__(self, name: str | None, reason: str) -> None:
        super().__init__(f"{name}: {reason}" if name else reason)
        self.name = name


def cell_source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a list of lines on disk)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def parameters_cell_index(cells: list[dict[str, Any]]) -> int | None:
    """Position of the first code cell tagged ``parameters``, if any."""
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in (cell.get("metadata", {}).get("tags") or []):
            return index
    return None


def declared_parameters(notebook: dict[str, Any]) -> dict[str, Any]:
    """The defaults of the ``parameters`` cell, in order: ``{name: literal value}`` (``None`` for a
    value that is not a literal, e.g. ``today = date.today()``: its type is then unconstrained)."""
    cells = notebook.get("cells") or []
    index = parameters_cell_index(cells)
    if index is None:
        return {}
    try:
        tree = ast.parse(cell_source(cells[index]))
    except SyntaxError:
        return {}
    found: dict[str, Any] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = _literal(value)
    return found


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def check_parameters(parameters: Any, declared: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` unchanged when usable: an object of identifiers to JSON values whose types
    agree with the defaults they replace (an ``int`` default takes an integer, a ``float`` one a
    number...). Names the notebook does not declare are injected too, as papermill does."""
    if not isinstance(parameters, dict):
        raise ParameterError(None, "must be a JSON object of names to values")
    if len(parameters) > MAX_PARAMETERS:
        raise ParameterError(None, f"at most {MAX_PARAMETERS} parameters")
    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ParameterError(str(name), "not a Python identifier")
        if name in declared and not _agrees(declared[name], value):
            raise ParameterError(name, f"the notebook's parameters cell sets it to {declared[name]!r} "
                                       f"({_kind(declared[name])}), got {_kind(value)} {value!r}")
    return parameters


def _agrees(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, list)
    return isinstance(value, type(default))


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            tuple: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def injected_cell_source(parameters: dict[str, Any]) -> str:
    """The code of the injected cell: one assignment per parameter (JSON values are Python literals
    through ``repr``: ``true`` → ``True``, ``null`` → ``None``)."""
    return "# Parameters\n" + "".join(f"{name} = {value!r}\n" for name, value in parameters.items())


def inject(notebook: dict[str, Any], parameters: dict[str, Any], new_cell: Any) -> None:
    """Insert the parameters cell (made by ``new_cell(source, tags)``) after the ``parameters``
    cell, or first; an ``injected-parameters`` cell left by an earlier run is replaced."""
    cells = notebook["cells"]
    cells[:] = [cell for cell in cells if INJECTED_TAG not in (cell.get("metadata", {}).get("tags") or [])]
    index = parameters_cell_index(cells)
    cells.insert(0 if index is None else index + 1, new_cell(injected_cell_source(parameters), [INJECTED_TAG]))
