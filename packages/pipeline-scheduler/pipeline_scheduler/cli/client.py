"""The CLI's names for the one HTTP client, which lives in :mod:`pipeline_scheduler.client` (shared
with the Python API and the IPython magic, which must not import Typer or Rich)."""

from __future__ import annotations

from ..client.http import SchedulerClient
from ..client.http import SchedulerError as ClientError

__all__ = ["ClientError", "SchedulerClient"]
