"""A notebook under the root, executed top to bottom in a kernel by :mod:`pipeline_scheduler.execution.notebook_runner`.

Progress and cell outputs stream into the run's log; the executed notebook (and, with
``html_export``, its HTML) are the run's artifacts, in ``<state dir>/outputs/<job id>/<execution id>/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...api.payloads import JobSpec, is_notebook_target
from ...errors import Invalid
from ...paths import resolve_in_root
from ..notebooks.artifacts import artifacts_in
from ..notebooks.documents import notebook_kernel_name, read_notebook
from ..notebooks.kernels import DEFAULT_KERNEL, kernel_language
from ..notebooks.parameters import ParameterError, check_parameters, declared_parameters
from .base import Command, ExecutionContext, Executor
from .working_dir import working_dir

RUNNER_MODULE = "pipeline_scheduler.execution.notebook_runner"


class NotebookExecutor(Executor):
    kind = "notebook"
    suffixes = (".ipynb",)

    def accepts(self, spec: JobSpec) -> bool:
        return is_notebook_target(spec.pipeline_path, spec.python_code)

    def validate(self, spec: JobSpec, context: ExecutionContext) -> None:
        path = resolve_in_root(context.root, spec.pipeline_path or "", "pipeline_path")
        notebook = read_notebook(path, spec.pipeline_path or "")
        if spec.kernel_name:
            language = kernel_language(spec.kernel_name)
        else:
            name = notebook_kernel_name(notebook) or DEFAULT_KERNEL
            language = kernel_language(name, "kernel_name")
        if spec.parameters:
            if language.lower() != "python":
                raise Invalid(f"parameters: only Python notebooks take parameters; this one runs a {language} "
                              "kernel", "parameters")
            check_notebook_parameters(notebook, spec.parameters)

    def command(self, job_id: str, execution_id: str, spec: dict[str, Any], context: ExecutionContext) -> Command:
        notebook = resolve_in_root(context.root, spec["pipeline_path"], "pipeline_path")
        argv = [context.python_executable, "-m", RUNNER_MODULE, str(notebook),
                str(artifacts_in(context.state_dir).directory(job_id, execution_id)),
                "--kernel", spec.get("kernel_name") or saved_kernel_name(notebook)]
        if spec.get("parameters"):
            argv += ["--parameters", json.dumps(spec["parameters"])]
        if spec.get("html_export"):
            argv.append("--html")
        return Command(argv, working_dir(spec, context))

    def failure_reason(self, job_id: str, execution_id: str, context: ExecutionContext) -> str | None:
        return artifacts_in(context.state_dir).failure_reason(job_id, execution_id)


def saved_kernel_name(path: Path) -> str:
    """The kernelspec the notebook was saved with (nbclient's default when it names none or cannot be
    read: the runner then says why)."""
    try:
        return notebook_kernel_name(json.loads(path.read_text(encoding="utf-8"))) or DEFAULT_KERNEL
    except (OSError, ValueError, AttributeError):
        return DEFAULT_KERNEL


def check_notebook_parameters(notebook: dict[str, Any], parameters: Any) -> None:
    """Parameters checked against the notebook's ``parameters`` cell: a 400 naming the parameter."""
    try:
        check_parameters(parameters, declared_parameters(notebook))
    except ParameterError as error:
        field = f"parameters.{error.name}" if error.name else "parameters"
        raise Invalid(f"parameters: {error}", field) from None
