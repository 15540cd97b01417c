"""``pipeline-scheduler``: the scheduler from a terminal or a script (every command speaks the REST API).

In the manner of ``gh``: jobs are named by name or id, every command prints words and tables for
people and takes ``--json`` (before or after the command) for scripts, times are relative ("in 5
min", "2 h ago"), durations read like ``10m``, ``2h``, ``1d``, and an error is said once, with
what to do about it. Exit status: 0 done, 1 a run that did not succeed (``run --wait``,
``logs --follow``), 2 an error.
"""

from __future__ import annotations

import sys

from rich.markup import escape

# each module registers its commands on the app, in the order --help lists their groups
from . import job_commands, run_commands, runner_commands, server_commands  # noqa: F401
from .app import app
from .client import ClientError
from .output import errors
from .parse import PROG


def error_text(error: ClientError) -> str:
    """The message once: the server's already starts with its field (``pipeline_path: no such file``)."""
    message = str(error)
    if error.field and error.status not in (404, None) and not message.startswith(error.field) \
            and error.field not in ("job", "job_id"):
        message = f"{error.field}: {message}"
    return message


def main() -> None:
    try:
        app(prog_name=PROG)
    except ClientError as error:
        errors.print(f"[red]error:[/] {escape(error_text(error))}")
        if error.hint:
            errors.print(escape(error.hint[:1].upper() + error.hint[1:]) + ".")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
