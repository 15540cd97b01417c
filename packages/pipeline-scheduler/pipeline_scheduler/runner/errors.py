"""Errors of the runner: bad configs, failing plugins, refused runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A runner config (or a template, or the global config) that cannot be used.

    Carries where the problem is, as far as it is known: the ``file`` (``None`` for a config given
    as a dict), the ``section`` (a plugin name, ``schedule`` or ``template``), the ``field`` inside
    it (dotted for nested values, e.g. ``env.PATH``) and the 1-based ``line``. ``str(error)`` reads
    ``file:line: [section] field: message``; :meth:`to_dict` is the JSON shape for the API.
    """

    def __init__(self, message: str, *, file: str | Path | None = None, section: str | None = None,
                 field: str | None = None, line: int | None = None, details: list[str] | None = None) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.section = section
        self.field = field
        self.line = line
        self.details = list(details or [])
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}:{self.line}" if self.line else self.file)
        elif self.line:
            where.append(f"line {self.line}")
        place = f"[{self.section}]" if self.section else ""
        if self.field:
            place = f"{place} {self.field}" if place else self.field
        if place:
            where.append(place)
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"error": str(self), "message": self.message, "file": self.file, "section": self.section,
                "field": self.field, "line": self.line, "details": self.details}

    def located(self, *, file: str | Path | None = None, line: int | None = None) -> ConfigError:
        """A copy with the file and line filled in where they were unknown."""
        return ConfigError(self.message, file=self.file or file, section=self.section, field=self.field,
                           line=self.line or line, details=self.details)


class PluginError(Exception):
    """Raised by a plugin hook for an expected failure: the run fails with this message, no traceback.

    ``exit_code`` becomes the runner's exit code when this is the run's first failure.
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class SkipRun(Exception):
    """Raised by a ``can_run`` hook to refuse the run with a reason (same as returning ``False``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Terminated(BaseException):
    """Raised in the runner's main thread by the SIGTERM/SIGINT handler to interrupt a blocking phase.

    A ``BaseException`` so that a plugin's ``except Exception`` does not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
