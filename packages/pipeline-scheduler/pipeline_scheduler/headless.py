"""The scheduler as a service of its own: a Jupyter Server with only this extension, no JupyterLab.

Run it as ``pipeline-scheduler serve`` (a systemd unit, a JupyterHub service, a container), so that
schedules keep firing when the users' JupyterLab servers stop or are culled; servers sharing its
database (``--db-url``) elect one dispatcher with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from .extension import PipelineSchedulerApp


class HeadlessScheduler(PipelineSchedulerApp):
    load_other_extensions = False  # no JupyterLab, no other server extension


def serve(root: Path, port: int, ip: str, token: str | None, db_url: str | None, extra: list[str]) -> None:
    """Start the server and block until it stops (Ctrl-C, SIGTERM)."""
    argv = [f"--ServerApp.root_dir={root.resolve()}", f"--ServerApp.port={port}", f"--ServerApp.ip={ip}",
            "--ServerApp.port_retries=0", "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        argv.append("--ServerApp.allow_root=True")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if db_url:
        argv.append(f"--PipelineSchedulerApp.db_url={db_url}")
    HeadlessScheduler.launch_instance(argv + extra)
