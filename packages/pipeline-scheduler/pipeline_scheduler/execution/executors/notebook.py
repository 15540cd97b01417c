"""A notebook under the root, executed top to bottom in its own kernel by :mod:`pipeline_scheduler.execution.notebook_runner`.

Cell outputs stream into the run's log as cells finish; the executed notebook is kept as
``<state dir>/outputs/<job id>/<execution id>.ipynb``.
"""

from __future__ import annotations

import json
from typing import Any

from ...api.payloads import JobSpec
from ...errors import Invalid
from ...paths import resolve_in_root
from .base import Command, ExecutionContext, Executor
from .working_dir import working_dir


class NotebookExecutor(Executor):
    kind = "notebook"
    suffixes = (".ipynb",)

    def accepts(self, spec: JobSpec) -> bool:
        return spec.python_code is None and (spec.pipeline_path or "").lower().endswith(self.suffixes)

    def validate(self, spec: JobSpec, context: ExecutionContext) -> None:
        path = resolve_in_root(context.root, spec.pipeline_path or "", "pipeline_path")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise Invalid(f"pipeline_path: {spec.pipeline_path} is not a readable notebook: {error}",
                          "pipeline_path") from None
        if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
            raise Invalid(f"pipeline_path: {spec.pipeline_path} is not a notebook (no cells)", "pipeline_path")

    def command(self, job_id: str, execution_id: str, spec: dict[str, Any], context: ExecutionContext) -> Command:
        notebook = resolve_in_root(context.root, spec["pipeline_path"], "pipeline_path")
        output = context.state_dir / "outputs" / job_id / f"{execution_id}.ipynb"
        timeout = spec.get("timeout")
        argv = [context.python_executable, "-m", "pipeline_scheduler.execution.notebook_runner", str(notebook), str(output)]
        if timeout:
            argv += ["--cell-timeout", str(timeout)]
        return Command(argv, working_dir(spec, context))
