"""The registry of target kinds: each job is run by the first executor that accepts it.

Notebooks and runner configs plug in here by registering an :class:`Executor`; handlers and the
run manager never look at target kinds themselves.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ...api.payloads import JobSpec
from ...errors import Invalid
from .base import Command, ExecutionContext, Executor
from .notebook import NotebookExecutor
from .python_code import PythonCodeExecutor
from .python_file import PythonFileExecutor
from .runner_config import PluginsOnDemand, RunnerConfigExecutor

__all__ = ["Command", "ExecutionContext", "Executor", "ExecutorRegistry", "default_registry"]


class ExecutorRegistry:
    def __init__(self, executors: list[Executor] | None = None) -> None:
        self._executors: list[Executor] = list(executors or [])

    def register(self, executor: Executor) -> None:
        self._executors.append(executor)

    def get(self, kind: str) -> Executor:
        for executor in self._executors:
            if executor.kind == kind:
                return executor
        raise KeyError(kind)

    def for_spec(self, spec: JobSpec) -> Executor:
        """The executor for ``spec``, or a 400 that says which kinds exist."""
        for executor in self._executors:
            if executor.accepts(spec):
                return executor
        if not spec.pipeline_path:
            raise Invalid("pipeline_path: required (or python_code)", "pipeline_path")
        suffix = PurePosixPath(spec.pipeline_path).suffix.lower()
        if suffix == ".ampln":
            raise Invalid("pipeline_path: an .ampln pipeline runs from the Python code the pipeline editor generates; "
                          "send it as python_code", "pipeline_path")
        supported = ", ".join(sorted({s for e in self._executors for s in e.suffixes}))
        raise Invalid(f"pipeline_path: unsupported file kind {suffix or '(none)'!r}; supported: {supported} "
                      "or inline python_code", "pipeline_path")


def default_registry(plugins: PluginsOnDemand) -> ExecutorRegistry:
    return ExecutorRegistry([PythonCodeExecutor(), PythonFileExecutor(), NotebookExecutor(),
                             RunnerConfigExecutor(plugins)])
