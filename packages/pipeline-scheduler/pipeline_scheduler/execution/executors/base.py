"""What every target kind provides: validation of a job and the command that runs it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ...api.payloads import JobSpec


@dataclass(frozen=True)
class ExecutionContext:
    """Server facts an executor needs: where the root and our state live, which Python to use."""

    root: Path
    state_dir: Path
    python_executable: str
    jobs_dir: Path | None = None
    plugins_dir: Path | None = None


@dataclass(frozen=True)
class Command:
    """A process to start: an argument list (never a shell string), its working directory and extra env."""

    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    kill_grace: float = 3.0  # seconds between SIGTERM and SIGKILL when the run is stopped


class Executor(ABC):
    """One target kind. The run manager owns processes, logs, timeouts and cancellation for all kinds."""

    kind: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def accepts(self, spec: JobSpec) -> bool:
        """Whether this executor runs jobs shaped like ``spec``."""

    @abstractmethod
    def validate(self, spec: JobSpec, context: ExecutionContext) -> None:
        """Raise :class:`~pipeline_scheduler.errors.Invalid` naming the field when ``spec`` cannot run."""

    def outcome(self, exit_code: int) -> tuple[str, str] | None:
        """A status and reason for exit codes with a meaning of their own; ``None``: 0 success, else failure."""
        return None

    def failure_reason(self, job_id: str, execution_id: str, context: ExecutionContext) -> str | None:
        """What a failed run said about its failure (e.g. the notebook cell that raised); ``None``: its exit code."""
        return None

    @abstractmethod
    def command(self, job_id: str, execution_id: str, spec: dict[str, Any], context: ExecutionContext) -> Command:
        """The command for one run (``execution_id``) of the job (``spec`` as stored)."""
