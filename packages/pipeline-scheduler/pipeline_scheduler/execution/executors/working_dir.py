"""The working directory of a run: the job's ``cwd``, else its target's folder, else the root.

A pipeline, notebook or script runs in its own folder, where Amphi's "Run Pipeline", ``jupyter
execute`` and amphi-scheduler 0.9.7 run it, so that relative paths in it (``sales.csv``) mean the
files beside it. Runner configs name their own working directories and start from the root.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from ...errors import Invalid
from ...paths import resolve_in_root
from .base import ExecutionContext


def working_dir(spec: dict[str, Any], context: ExecutionContext, *, target_folder: bool = True) -> Path:
    """Where a run of ``spec`` starts; ``target_folder=False`` for targets that do not run in their folder."""
    if spec.get("cwd"):
        path = resolve_in_root(context.root, spec["cwd"], "cwd")
        if not path.is_dir():
            raise Invalid(f"cwd: {spec['cwd']} is not a directory", "cwd")
        return path
    folder = str(PurePosixPath(spec.get("pipeline_path") or ".").parent)
    if target_folder and folder != ".":
        path = resolve_in_root(context.root, folder, "pipeline_path", must_exist=False)
        if path.is_dir():
            return path
    return context.root.resolve()
