"""The working directory of a run: the job's ``cwd`` inside the root, or the root itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import Invalid
from ...paths import resolve_in_root
from .base import ExecutionContext


def working_dir(spec: dict[str, Any], context: ExecutionContext) -> Path:
    if not spec.get("cwd"):
        return context.root.resolve()
    path = resolve_in_root(context.root, spec["cwd"], "cwd")
    if not path.is_dir():
        raise Invalid(f"cwd: {spec['cwd']} is not a directory", "cwd")
    return path
