"""amphi-scheduler: schedule Python scripts, notebooks and Amphi pipelines from JupyterLab."""

from ._version import __version__
from .extension import PipelineSchedulerApp

__all__ = ["__version__", "PipelineSchedulerApp"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "../../../amphi/pipeline-scheduler", "dest": "@amphi/pipeline-scheduler"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    return [{"module": "pipeline_scheduler", "app": PipelineSchedulerApp}]
