"""How a run ended: its status, exit code and why.

Exit codes of ``python -m pipeline_scheduler.runner`` (and :attr:`RunOutcome.exit_code`):

===========  ======================================================================================
code         meaning
===========  ======================================================================================
0            ``success``
1            ``failed``: a plugin raised, a health check failed, ... (or the failing command's code)
N            ``failed``: a waited-for command (``os``/``python``) exited with N; a signal = 128+sig
2            the config is invalid (:class:`ConfigError`); nothing ran (``error``)
75           ``skipped``: a ``can_run`` hook refused; nothing started (``EX_TEMPFAIL``)
124          ``timed_out``: ``lifetime`` expired while a waited-for command was still running
128+sig      ``terminated``: the runner got SIGTERM (143) or SIGINT (130); shutdown hooks ran
143          ``cancelled`` (in-process only): ``RunOptions.stop_event`` was set; shutdown hooks ran
===========  ======================================================================================

A command's own exit code can collide with the reserved ones (a script exiting 75); pass
``--result-file`` to get the outcome as JSON, which is authoritative.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_CONFIG_ERROR = 2
EXIT_SKIPPED = 75
EXIT_TIMED_OUT = 124
EXIT_TERMINATED = 143  # 128 + SIGTERM; SIGINT gives 130

Status = Literal["success", "failed", "skipped", "timed_out", "terminated", "cancelled", "error"]


@dataclass
class RunOutcome:
    """The result of one run. ``reason`` says why it did not succeed (``None`` on success);
    ``errors`` lists every failure; ``skip_reasons`` every refusal of ``can_run``; ``stop_reason``
    who ended the ``should_stop`` loop; ``trace`` the hooks called, as ``stage:plugin.method``."""

    job_id: str
    status: Status
    exit_code: int
    reason: str | None = None
    errors: list[str] = field(default_factory=list)
    skip_reasons: list[str] = field(default_factory=list)
    stop_reason: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration: float | None = None
    plugins: list[str] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
