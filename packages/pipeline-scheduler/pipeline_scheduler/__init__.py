"""amphi-scheduler: schedule Python scripts, notebooks and Amphi pipelines from JupyterLab.

The server extension is imported lazily: ``python -m pipeline_scheduler.runner`` and
``pipeline_scheduler.execution.notebook_runner`` run in job processes and must not pay for Jupyter Server.
So is the client (``Scheduler``, ``%load_ext pipeline_scheduler``): a kernel imports only the standard library.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["__version__", "PipelineSchedulerApp", "Scheduler", "SchedulerError"]


def __getattr__(name: str) -> Any:
    if name == "PipelineSchedulerApp":
        from .extension import PipelineSchedulerApp

        return PipelineSchedulerApp
    if name in ("Scheduler", "SchedulerError"):
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext pipeline_scheduler``: the ``%schedule`` / ``%%schedule`` magic."""
    from .magics import ScheduleMagics

    ipython.register_magics(ScheduleMagics)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "../../../amphi/pipeline-scheduler", "dest": "@amphi/pipeline-scheduler"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .extension import PipelineSchedulerApp

    return [{"module": "pipeline_scheduler", "app": PipelineSchedulerApp}]
