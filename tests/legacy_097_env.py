"""The released amphi-scheduler 0.9.7, for real: a venv of its own and its Jupyter server on a workspace.

0.9.7 installs as ``pipeline_scheduler`` too, so it cannot share a venv with us. The venv is made once
per machine in ``~/.cache/amphi-scheduler-tests/venv-0.9.7`` (``AMPHI097_VENV`` elsewhere) from PyPI:
0.9.7 without its dependencies (its ``jupyterlab`` requirement is only for its labextension) plus what
its ``handler.py`` imports — APScheduler 3, SQLAlchemy and Jupyter Server. About 40 s the first time.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

from server_process import ServerProcess

VENV = Path(os.environ.get("AMPHI097_VENV", "~/.cache/amphi-scheduler-tests/venv-0.9.7")).expanduser()
RELEASE = "amphi-scheduler==0.9.7"
HANDLER_NEEDS = ["apscheduler>=3.10,<4", "sqlalchemy>=2,<3", "jupyter_server>=2,<3"]


def venv_097() -> Path:
    """The Python of a venv holding amphi-scheduler 0.9.7, made on first use (a lock keeps parallel
    test sessions from making it twice)."""
    python = VENV / "bin" / "python"
    ready = VENV / ".ready"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f"{VENV.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(VENV, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            subprocess.run([*pip, "--no-deps", RELEASE], check=True)
            subprocess.run([*pip, *HANDLER_NEEDS], check=True)
            ready.write_text(RELEASE + "\n")
    return python


class Server097(ServerProcess):
    """A Jupyter Server with amphi-scheduler 0.9.7 on ``root``; its clock reads ``tz`` (its schedules
    count in the server's zone). ``request`` and ``crash`` are the parent's; its routes are 0.9.7's."""

    def __init__(self, root: Path, tz: str) -> None:
        super().__init__(root)
        self.tz = tz

    def start(self, timeout: float = 120.0) -> Server097:
        argv = [str(venv_097()), "-m", "jupyter_server", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                f"--ServerApp.root_dir={self.root}", "--ServerApp.allow_root=True",
                f"--IdentityProvider.token={self.token}", "--ServerApp.jpserver_extensions=pipeline_scheduler=True"]
        env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        log = open(self.root.parent / f"server-097-{self.port}.log", "ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**env, "TZ": self.tz},
                                        cwd=self.root, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.request("GET", "jobs")
                return self
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None:
                    raise RuntimeError(f"the 0.9.7 server exited with {self.process.returncode}")
                time.sleep(0.2)
        self.crash()
        raise TimeoutError("the 0.9.7 server did not answer")

    def pause(self, job_id: str) -> None:
        """0.9.7 has no pause route: pause with APScheduler on its job store, as its scheduler would."""
        script = ("import sys\n"
                  "from apscheduler.schedulers.background import BackgroundScheduler\n"
                  "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n"
                  "store = SQLAlchemyJobStore(url=f'sqlite:///{sys.argv[1]}')\n"
                  "scheduler = BackgroundScheduler(jobstores={'default': store})\n"
                  "scheduler.start(paused=True)\n"
                  "scheduler.pause_job(sys.argv[2])\n"
                  "scheduler.shutdown()\n")
        subprocess.run([str(venv_097()), "-W", "ignore", "-c", script, str(self.root / ".amphi" / "scheduler.sqlite"),
                        job_id], check=True, env={**os.environ, "TZ": self.tz, "PYTHONPATH": ""}, cwd=self.root)
