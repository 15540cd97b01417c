"""``%%schedule``: a notebook cell stored as a scheduled job; ``%schedule list``: the jobs.

Loaded with ``%load_ext pipeline_scheduler``. The cell's code becomes the job's ``python_code``, run
in the notebook's folder, with the notebook's path in a first comment line; the same ``--name``
updates the same job. Errors are said in one line (IPython's ``UsageError``), nothing stored.
"""

from __future__ import annotations

import os
import shlex
from datetime import datetime
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from .client.http import SchedulerError
from .client.scheduler import Scheduler

USAGE = ('%%schedule --name NAME [--cron "0 2 * * *" | --every 10m | --at WHEN] [--tz ZONE] on top of a cell '
         "stores it as a job; %schedule list shows the jobs")


@magics_class
class ScheduleMagics(Magics):
    """The ``schedule`` magic; the server is found once, on first use."""

    _scheduler: Scheduler | None = None

    @magic_arguments()
    @argument("command", nargs="?", help="list: the jobs (as a line magic)")
    @argument("--name", help="The job's name: running the cell again updates the job of that name.")
    @argument("--cron", help='Crontab line, e.g. "0 2 * * *".')
    @argument("--every", help="Interval: 90s, 10m, 2h, 1d (from --at when given).")
    @argument("--at", help="Once at WHEN (2026-12-01T07:00, 07:00, 'tomorrow 07:00', +10m).")
    @argument("--tz", "--timezone", dest="tz", help="IANA zone of the schedule (default: this machine's).")
    @line_cell_magic
    def schedule(self, line: str, cell: str | None = None) -> None:
        """%%schedule --name NAME [--cron EXPR | --every DURATION | --at WHEN] [--tz ZONE]: store the
        cell as a job and print it with its next fire times; %schedule list: the jobs."""
        try:
            words = shlex.split(line)  # as a shell reads it: --cron "0 2 * * *" is one value, unquoted
        except ValueError as error:
            raise UsageError(f"cannot read the options ({error}): {USAGE}") from None
        args = self.schedule.parser.parse_args(words)
        try:
            if cell is None:
                if args.command != "list":
                    raise UsageError(USAGE)
                print(jobs_table(self.scheduler().jobs()))
                return
            if args.command:
                raise UsageError(f"%%schedule takes options only, not {args.command!r}: {USAGE}")
            if not args.name:
                raise UsageError("--name: give the job a name (%%schedule --name NAME ...); running the cell again "
                                 "updates the job of that name")
            self.store_cell(cell, args)
        except SchedulerError as error:
            hint = f" ({error.hint})" if error.hint else ""
            raise UsageError(f"{error}{hint}; nothing was stored" if cell is not None else f"{error}{hint}") from None

    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            self._scheduler = Scheduler()
        return self._scheduler

    def store_cell(self, cell: str, args: Any) -> None:
        scheduler = self.scheduler()
        notebook = notebook_path(self.shell.user_ns, scheduler.client.root_dir)
        options: dict[str, Any] = {}
        if notebook:
            folder = os.path.dirname(notebook)
            if folder:
                options["cwd"] = folder
            cell = f"# from {notebook} (%%schedule)\n{cell}"
        job = scheduler.schedule(cell, name=args.name, cron=args.cron, every=args.every, at=args.at, tz=args.tz,
                                 **options)
        done = "Updated" if job.get("updated_at") != job.get("created_at") else "Created"
        print(f"✓ {done} job {job['name']} (id {job['id']}): {job.get('trigger') or 'on demand'}")
        upcoming = scheduler.next_fire_times(job)
        if upcoming:
            print(f"  next: {', '.join(wall_clock(moment) for moment in upcoming)} ({job.get('timezone')})")


def notebook_path(user_ns: dict[str, Any], root_dir: str | None) -> str | None:
    """The notebook of this kernel, relative to the server's root, when it can be known: Jupyter Server
    gives a kernel started for a notebook ``$JPY_SESSION_NAME`` (ipykernel puts it in ``__session__``),
    an absolute path or one relative to the root."""
    session = user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")
    if not isinstance(session, str) or not session:
        return None
    if not os.path.isabs(session):
        return session.replace(os.sep, "/")
    if not root_dir:
        return None
    relative = os.path.relpath(os.path.realpath(session), os.path.realpath(root_dir))
    return None if relative.startswith("..") else relative.replace(os.sep, "/")


def wall_clock(moment: str) -> str:
    """``2026-12-07T02:00:00+01:00`` as ``Mon 2026-12-07 02:00``."""
    return datetime.fromisoformat(moment).strftime("%a %Y-%m-%d %H:%M")


def jobs_table(jobs: list[dict[str, Any]]) -> str:
    """The jobs as aligned columns: name, id, schedule, next run."""
    if not jobs:
        return "No jobs yet: put %%schedule --name NAME --every 10m on top of a cell."
    rows = [("NAME", "ID", "SCHEDULE", "NEXT RUN")]
    for job in jobs:
        upcoming = job.get("next_run_time")
        rows.append((str(job["name"]), str(job["id"]), str(job.get("trigger") or "-"),
                     "paused" if job.get("paused") else wall_clock(upcoming) if isinstance(upcoming, str) else "-"))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3]
                     for row in rows)
