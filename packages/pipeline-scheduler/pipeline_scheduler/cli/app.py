"""The one Typer app of ``pipeline-scheduler``, and what every command shares: the global options
(``--url``, ``--token``, ``--json``), the HTTP client they make, and the look of help and examples.
"""

from __future__ import annotations

from typing import Any, Optional

import typer
from rich.markup import escape

from .client import SchedulerClient
from .parse import PROG

app = typer.Typer(help="Schedule and run jobs of an amphi-scheduler server (JupyterLab's Pipeline Scheduler).",
                  no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
                  epilog=f"Jobs are named by name or id. Add --json to any command for JSON.\n"
                         f"Run [bold]{PROG} COMMAND --help[/] for a command's options and examples.")


def _tidy_help() -> None:
    """Newer Typer writes a type placeholder after every parameter (``<str>``, ``<bool>``): show the
    option's metavar instead (``DURATION``, ``JOB``), nothing after flags and arguments, and arguments
    in the usage line as ``PATH`` / ``[ARGS]...``."""
    from typer import core

    for kind in (core.TyperOption, core.TyperArgument):
        original = getattr(kind, "display_type_rich", None)
        if original is None:
            continue

        def display(self: Any, ctx: Any, _original: Any = original) -> Optional[str]:
            if isinstance(self, core.TyperArgument) or getattr(self, "is_flag", False):
                return None
            return self.metavar if self.metavar else _original(self, ctx)

        kind.display_type_rich = display  # type: ignore[method-assign]
    if hasattr(core.TyperArgument, "_usage_display_name"):
        def usage(self: Any) -> str:
            name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
            return name + ("..." if self.nargs != 1 else "")

        core.TyperArgument._usage_display_name = usage  # type: ignore[method-assign]


_tidy_help()


def examples(*lines: str) -> str:
    """A command's examples, for the end of its --help."""
    return "[bold]Examples[/]\n\n" + "\n".join(f"  $ {escape(line)}" for line in lines)


def json_option() -> Any:
    return typer.Option(False, "--json", help="Print JSON (the API's documents) instead of text and tables.")


class State:
    url: Optional[str] = None
    token: Optional[str] = None
    as_json: bool = False
    _client: Optional[SchedulerClient] = None

    @classmethod
    def client(cls) -> SchedulerClient:
        if cls._client is None:
            cls._client = SchedulerClient(cls.url, cls.token)
        return cls._client


def use_json(flag: bool) -> None:
    State.as_json = State.as_json or flag


@app.callback()
def options(url: Optional[str] = typer.Option(None, "--url", "--server", metavar="URL",
                                              help="Jupyter server URL, e.g. http://localhost:8888/ (a URL with "
                                                   "?token= works). Default: $PIPELINE_SCHEDULER_URL, else the "
                                                   "Jupyter server running on this machine."),
            token: Optional[str] = typer.Option(None, metavar="TOKEN",
                                                help="Jupyter token. Default: $PIPELINE_SCHEDULER_TOKEN, else the "
                                                     "running server's own, else $JUPYTER_TOKEN."),
            as_json: bool = json_option()) -> None:
    State.url, State.token, State.as_json, State._client = url, token, as_json, None
