"""Inline Python (e.g. generated from an ``.ampln`` pipeline), written to a file and run from there.

Running from a file rather than ``python -c`` gives tracebacks with line numbers and no argv limit.
"""

from __future__ import annotations

import uuid
from typing import Any

from ...api.payloads import JobSpec
from ...errors import Invalid
from ...paths import resolve_in_root
from .base import Command, ExecutionContext, Executor
from .working_dir import working_dir


class PythonCodeExecutor(Executor):
    kind = "python_code"

    def accepts(self, spec: JobSpec) -> bool:
        return spec.python_code is not None

    def validate(self, spec: JobSpec, context: ExecutionContext) -> None:
        try:
            compile(spec.python_code or "", spec.pipeline_path or "<python_code>", "exec")
        except (SyntaxError, ValueError) as error:
            line = getattr(error, "lineno", None)
            where = f" (line {line})" if line else ""
            raise Invalid(f"python_code: does not compile{where}: {getattr(error, 'msg', error)}", "python_code") from None
        if spec.pipeline_path:  # the source it was generated from: must be ours, need not exist any more
            resolve_in_root(context.root, spec.pipeline_path, "pipeline_path", must_exist=False)

    def command(self, job_id: str, execution_id: str, spec: dict[str, Any], context: ExecutionContext) -> Command:
        code_dir = context.state_dir / "code"
        code_dir.mkdir(parents=True, exist_ok=True)
        script = code_dir / f"{job_id}.py"
        if not script.exists() or script.read_text(encoding="utf-8") != spec["python_code"]:
            temporary = script.with_suffix(f".{uuid.uuid4().hex}.tmp")  # runs starting at once: one file each
            temporary.write_text(spec["python_code"], encoding="utf-8")
            temporary.replace(script)
        return Command([context.python_executable, str(script), *spec["arguments"]], working_dir(spec, context))
