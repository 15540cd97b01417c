"""The scheduler's client side, without Jupyter Server, Typer or Rich: the HTTP client shared by the
CLI, the Python API (:class:`Scheduler`) and the IPython magic, and the schedule words they all read."""

from __future__ import annotations

from .http import SchedulerClient, SchedulerError
from .scheduler import Scheduler

__all__ = ["Scheduler", "SchedulerClient", "SchedulerError"]
