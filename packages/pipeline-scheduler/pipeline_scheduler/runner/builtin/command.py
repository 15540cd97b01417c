"""``os`` and ``python``: run a command as a subprocess of the run.

Each command starts at ``startup`` in its own session (process group), with the run's environment
(after ``[env]``) plus the section's ``env``. With ``wait = true`` (the default) the run waits for
it: the run ends when every waited-for command has exited (or one failed), a non-zero exit fails
the run with that exit code, and a command still running when the run stops (``lifetime``
expired, SIGTERM) is killed and fails the run. With ``wait = false`` the command runs in the
background until the run ends. At ``shutdown`` the command's whole tree is ended: SIGTERM to its
process group and descendants, SIGKILL after ``kill_grace`` seconds — also for whatever a finished
command left running in its group.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from ..errors import PluginError
from ..plugins import Plugin, PluginParams, RootPath, hook
from ..processes import ManagedProcess

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_env_names(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        if not ENV_NAME.match(name):
            raise ValueError(f"invalid environment variable name {name!r}")
    return value


class ProcessParams(PluginParams):
    cwd: RootPath | None = Field(default=None, description="Working directory, relative to the root "
                                 "(default: the root, or the current directory without one).")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables for this command.")
    wait: bool = Field(default=True, description="Wait for the command: its exit code decides the run. "
                       "false: run it in the background until the run ends.")
    kill_grace: float | None = Field(default=None, ge=0, description="Seconds between SIGTERM and SIGKILL "
                                     "when ending the command's tree (default 3).")

    @field_validator("env")
    @classmethod
    def _check_env(cls, value: dict[str, str]) -> dict[str, str]:
        return check_env_names(value)


class ProcessPlugin(Plugin):
    """Shared by ``os`` and ``python``: start at ``startup``, end the tree at ``shutdown``."""

    process: ManagedProcess | None

    def __init__(self, ctx: Any, params: Any) -> None:
        super().__init__(ctx, params)
        self.process = None

    def command(self) -> tuple[str | list[str], bool]:  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_env(self) -> dict[str, str]:
        return {}

    @hook("startup")
    def start(self, ctx: Any) -> None:
        cwd = ctx.path(self.params.cwd, field="cwd", plugin=self.name) if self.params.cwd else ctx.base_dir
        if not cwd.is_dir():
            raise PluginError(f"cwd {str(cwd)!r} is not a directory")
        command, shell = self.command()
        description = command if isinstance(command, str) else shlex.join(command)
        try:
            self.process = ctx.spawn(command, plugin=self.name, cwd=cwd, env={**self.extra_env(), **self.params.env},
                                     shell=shell, foreground=self.params.wait, description=description,
                                     grace=self.params.kill_grace)
        except FileNotFoundError as error:
            raise PluginError(f"cannot start {description!r}: {error.strerror}: {error.filename}", exit_code=127) from None
        except PermissionError as error:
            raise PluginError(f"cannot start {description!r}: {error.strerror}", exit_code=126) from None
        except OSError as error:
            raise PluginError(f"cannot start {description!r}: {error}") from None
        self.log(f"started pid {self.process.pid}{'' if self.params.wait else ' (background)'}: {description}")

    @hook("shutdown")
    def stop(self, ctx: Any) -> None:
        if self.process is None:
            return
        if not self.params.wait and not self.process.running() and not self.process.killed:
            self.log(f"background command exited by itself with {self.process.exit_code}")
        self.process.kill_tree()


class OsPlugin(ProcessPlugin):
    """Run a command as a subprocess in its own process group.

    ``cmd`` is an argument list (``["rsync", "-a", "src/", "dst/"]``) or a string split like a shell
    would (``"rsync -a src/ dst/"``) but never run by one, unless ``shell = true`` is set explicitly
    (then ``cmd`` must be a string and ``/bin/sh -c`` runs it). ``cwd``: working directory relative
    to the root (default the root). ``env``: extra variables on top of the run's environment.
    ``wait`` (default true): the run waits for the command and its exit code decides the run
    (non-zero: failed with that code; still running when the run stops, e.g. ``lifetime`` expired:
    killed, timed out); ``wait = false`` runs it in the background until the run ends. At shutdown
    the command's whole process tree is ended (SIGTERM, SIGKILL after ``kill_grace`` seconds,
    default 3).
    """

    name = "os"

    class Params(ProcessParams):
        cmd: str | list[str] = Field(description="The command: an argument list, or a string split with shlex.")
        shell: bool = Field(default=False, description="Run cmd (a string) through /bin/sh. Off by default.")

        @model_validator(mode="after")
        def _check_cmd(self) -> OsPlugin.Params:
            if isinstance(self.cmd, list):
                if self.shell:
                    raise ValueError("cmd: with shell = true, cmd must be a string")
                if not self.cmd or not self.cmd[0]:
                    raise ValueError("cmd: must not be empty")
            else:
                if not self.cmd.strip():
                    raise ValueError("cmd: must not be empty")
                if not self.shell:
                    try:
                        if not shlex.split(self.cmd):
                            raise ValueError("cmd: must not be empty")
                    except ValueError as error:
                        raise ValueError(f"cmd: cannot split the command string: {error}") from None
            return self

    def command(self) -> tuple[str | list[str], bool]:
        if self.params.shell:
            return self.params.cmd, True
        cmd = self.params.cmd
        return (shlex.split(cmd) if isinstance(cmd, str) else list(cmd)), False


class PythonPlugin(ProcessPlugin):
    """Run a Python script or module with the configured interpreter.

    Exactly one of ``script`` (a ``.py`` path, relative to the root and inside it) or ``module``
    (``python -m``). ``args`` is a list or a string split with shlex. The interpreter is the
    runner's (``sys.executable``, or ``--python``) unless ``interpreter`` names another one.
    ``PYTHONUNBUFFERED=1`` is set so output streams live. Also ``cwd``, ``env``, ``wait``,
    ``kill_grace`` as for ``os``.
    """

    name = "python"

    class Params(ProcessParams):
        script: RootPath | None = Field(default=None, description="Script path, relative to the root.")
        module: str | None = Field(default=None, description="Module to run with -m.")
        args: str | list[str] = Field(default_factory=list, description="Arguments: a list or a shlex-split string.")
        interpreter: str | None = Field(default=None, description="Python executable (default: the runner's).")

        @model_validator(mode="after")
        def _check(self) -> PythonPlugin.Params:
            if (self.script is None) == (self.module is None):
                raise ValueError("script: give exactly one of script or module")
            if self.module is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
                                                        self.module):
                raise ValueError(f"module: {self.module!r} is not a module name")
            if isinstance(self.args, str):
                try:
                    self.args = shlex.split(self.args)
                except ValueError as error:
                    raise ValueError(f"args: cannot split the argument string: {error}") from None
            return self

    def command(self) -> tuple[str | list[str], bool]:
        interpreter = self.params.interpreter or self.ctx.python_executable
        if self.params.script is not None:
            script: Path = self.ctx.path(self.params.script, field="script", plugin=self.name)
            if not script.is_file():
                raise PluginError(f"script {self.params.script!r} not found ({script})")
            target = [str(script)]
        else:
            target = ["-m", self.params.module]
        return [interpreter, *target, *self.params.args], False

    def extra_env(self) -> dict[str, str]:
        return {"PYTHONUNBUFFERED": "1"}
