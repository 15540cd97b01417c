"""A ``.py`` file under the server root, run with the configured interpreter."""

from __future__ import annotations

from typing import Any

from ...api.payloads import JobSpec
from ...errors import Invalid
from ...paths import resolve_in_root
from .base import Command, ExecutionContext, Executor
from .working_dir import working_dir


class PythonFileExecutor(Executor):
    kind = "python_file"
    suffixes = (".py",)

    def accepts(self, spec: JobSpec) -> bool:
        return spec.python_code is None and (spec.pipeline_path or "").lower().endswith(self.suffixes)

    def validate(self, spec: JobSpec, context: ExecutionContext) -> None:
        path = resolve_in_root(context.root, spec.pipeline_path or "", "pipeline_path")
        if not path.is_file():
            raise Invalid(f"pipeline_path: {spec.pipeline_path} is not a file", "pipeline_path")

    def command(self, job_id: str, execution_id: str, spec: dict[str, Any], context: ExecutionContext) -> Command:
        script = resolve_in_root(context.root, spec["pipeline_path"], "pipeline_path")
        return Command([context.python_executable, str(script), *spec["arguments"]], working_dir(spec, context))
