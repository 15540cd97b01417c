"""``lifetime``: stop the run after N seconds and kill what it started."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any

from pydantic import Field

from ..plugins import Plugin, PluginParams, hook


class LifetimePlugin(Plugin):
    """Stop the run ``lifetime`` seconds after it started, killing what it started.

    Checked in the ``should_stop`` loop (priority 1000): once the time is up the run stops; a
    waited-for command still running then is killed and the run ends ``timed_out`` (exit 124),
    while background commands (``wait = false``) are simply ended and the run succeeds. At
    ``shutdown`` (priority -500, after other plugins' shutdown hooks, before ``notify``) every
    process tree the run started is ended, plus anything registered with :meth:`track` by other
    plugins of the run (``ctx.plugins["lifetime"].track(popen)``).
    """

    name = "lifetime"

    class Params(PluginParams):
        lifetime: float = Field(gt=0, description="Seconds after the start of the run at which it is stopped.")

    def __init__(self, ctx: Any, params: Any) -> None:
        super().__init__(ctx, params)
        self._tracked: list[Any] = []

    def remaining(self) -> float:
        """Seconds left before the run is stopped (never negative)."""
        return max(0.0, self.params.lifetime - self.ctx.elapsed())

    def track(self, process: subprocess.Popen | int) -> None:
        """Kill ``process`` (a Popen or a pid; its process group too when it leads one) at shutdown."""
        self._tracked.append(process)

    @hook("should_stop", priority=1000)
    def expired(self, ctx: Any) -> bool:
        if ctx.elapsed() >= self.params.lifetime:
            ctx.request_stop(f"lifetime of {self.params.lifetime:g}s expired", plugin=self.name, timed_out=True)
            return True
        return False

    @hook("shutdown", priority=-500)
    def kill(self, ctx: Any) -> None:
        ctx.kill_processes()
        for item in self._tracked:
            pid = item.pid if isinstance(item, subprocess.Popen) else int(item)
            try:
                if os.getpgid(pid) == pid:
                    os.killpg(pid, signal.SIGTERM)
                else:
                    os.kill(pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                continue
            if isinstance(item, subprocess.Popen):
                try:
                    item.wait(timeout=ctx.kill_grace)
                except subprocess.TimeoutExpired:
                    item.kill()
                    item.wait()
