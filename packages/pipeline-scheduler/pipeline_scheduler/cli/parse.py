"""What people type on the command line: durations (``10m``), dates and times (``tomorrow 07:00``),
zones, ``KEY=VALUE`` pairs, and jobs by name or id."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from ..client import words
from ..client.http import SchedulerError
from ..client.lookup import PROG, Ambiguous, find_job, named_jobs
from ..client.words import local_zone
from .client import SchedulerClient

__all__ = ["PROG", "Ambiguous", "find_job", "interval_fields", "local_zone", "named_jobs", "parse_after",
           "parse_duration", "parse_env", "parse_when"]
Result = TypeVar("Result")


def _usage_error(function: Callable[..., Result]) -> Callable[..., Result]:
    """A schedule word's error as Typer's usage error on its option (the words live in the client)."""
    @functools.wraps(function)
    def said_as_usage(*args: Any, **kwargs: Any) -> Result:
        try:
            return function(*args, **kwargs)
        except SchedulerError as error:
            raise typer.BadParameter(str(error), param_hint=error.field) from None
    return said_as_usage


parse_duration = _usage_error(words.parse_duration)
interval_fields = _usage_error(words.interval_fields)
parse_when = _usage_error(words.parse_when)


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise typer.BadParameter(f"{pair!r}: expected KEY=VALUE", param_hint="--env")
        env[name] = value
    return env


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """Notebook parameters, NAME=VALUE: the value as JSON when it reads as JSON (10, 2.5, true, [1, 2],
    "quoted"), else as the text itself (region=eu)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise typer.BadParameter(f"{pair!r}: expected NAME=VALUE", param_hint="--param")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


def parse_after(refs: list[str], client: SchedulerClient) -> list[dict[str, str]]:
    conditions = []
    for ref in refs:
        name, _, outcome = ref.rpartition(":") if ref.rsplit(":", 1)[-1] in ("success", "failure") else (ref, "", "")
        conditions.append({"job_id": find_job(client, name)["id"], "on": outcome or "success"})
    return conditions
