"""``env``: environment variables for the processes of the run."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from ..plugins import Plugin, PluginParams, hook
from .command import check_env_names

KEPT_WITHOUT_INHERIT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "USER", "LOGNAME", "SYSTEMROOT")
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class EnvPlugin(Plugin):
    """Set environment variables for every process the run starts (``os``, ``python``, custom plugins
    using ``ctx.spawn``), at ``env_load`` (priority 100). The runner's own environment is never changed.

    ``vars`` (a table; numbers become strings) may refer to variables already set as ``${NAME}``
    (e.g. ``PATH = "/opt/tools/bin:${PATH}"``; unknown names expand to nothing; ``expand = false``
    turns this off). ``unset`` removes variables. ``inherit = false`` starts from a minimal
    environment (PATH, HOME, LANG, LC_ALL, TMPDIR, TZ, USER, LOGNAME) instead of the runner's.
    """

    name = "env"

    class Params(PluginParams):
        vars: dict[str, str | int | float] = Field(default_factory=dict, description="Variables to set.")
        unset: list[str] = Field(default_factory=list, description="Variables to remove.")
        inherit: bool = Field(default=True, description="Start from the runner's environment.")
        expand: bool = Field(default=True, description="Expand ${NAME} in values.")

        @field_validator("vars")
        @classmethod
        def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
            check_env_names(value)
            return value

    @hook("env_load", priority=100)
    def apply(self, ctx: Any) -> None:
        if not self.params.inherit:
            kept = {name: ctx.env[name] for name in KEPT_WITHOUT_INHERIT if name in ctx.env}
            ctx.env.clear()
            ctx.env.update(kept)
        for name in self.params.unset:
            ctx.env.pop(name, None)
        for name, value in self.params.vars.items():
            text = str(value)
            if self.params.expand:
                text = REFERENCE.sub(lambda match: ctx.env.get(match.group(1), ""), text)
            ctx.env[name] = text
