"""Runs on a Dask cluster: each run is a Dask task that starts the same subprocess on a worker.

``executor = "dask"`` with ``dask_scheduler_address`` (a running ``dask scheduler``), or without
one a ``LocalCluster`` of this machine (to try it). The task starts the command with its output
appended to the run's log (the log directory and the job's working directory must be on a
filesystem the workers share: a worker that does not see them fails the run saying so), and polls a
Dask ``Event`` named after the run, so that a cancel or a timeout of the server ends the process
tree on the worker. A job's ``resources`` (``{"GPU": 1}``) become the task's Dask resources: it
waits for a worker that has them. A worker that dies mid-run is not retried by Dask
(``allowed-failures`` 0 on the cluster this starts; set it on yours): the run ends ``interrupted``
and the job's retry policy decides.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from .executors import Command
from .launchers import WorkerLost

CANCEL_POLL_SECONDS = 0.25


def run_on_worker(argv: list[str], cwd: str, env: dict[str, str], log_path: str, execution_id: str,
                  grace: float) -> dict[str, Any]:
    """The task: run the command on this worker until it ends or the run's cancel event is set."""
    from distributed import Event, get_worker

    from .processes import kill_tree

    for what, path in (("working directory", cwd), ("log directory", os.path.dirname(log_path))):
        if not os.path.isdir(path):
            raise FileNotFoundError(f"the {what} {path} is not on this worker ({get_worker().address}): "
                                    "workers need a filesystem shared with the server")
    cancel = Event(f"cancel-{execution_id}")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    while True:
        try:
            return {"exit_code": process.wait(CANCEL_POLL_SECONDS), "worker": get_worker().address}
        except subprocess.TimeoutExpired:
            pass
        if cancel.is_set():
            kill_tree(process, grace)
            return {"exit_code": process.wait(), "worker": get_worker().address}


class DaskProcess:
    """A run's process on a Dask worker, seen through its task."""

    pid: int | None = None  # on another machine: not a pid of this one
    started_at: float | None = None

    def __init__(self, future: Any, cancel: Any) -> None:
        self._future = future
        self._cancel = cancel

    def wait(self, timeout: float | None = None) -> int:
        from distributed import KilledWorker

        try:
            return self._future.result(timeout=timeout)["exit_code"]
        except (FutureTimeout, TimeoutError):
            raise subprocess.TimeoutExpired("dask task", timeout or 0) from None
        except KilledWorker as error:
            raise WorkerLost(f"the Dask worker running it died ({error})") from None

    def stop(self, grace: float) -> None:
        self._cancel.set()
        try:
            self._future.result(timeout=grace + 10)
        except Exception:  # it ended one way or another; wait() reports how
            pass

    def end_leftovers(self) -> None:
        pass  # the worker ended the process group with the process


class DaskLauncher:
    name = "dask"

    def __init__(self, address: str | None, local_workers: int = 2) -> None:
        import dask
        from distributed import Client, LocalCluster

        if address:
            self._cluster = None
            self._client = Client(address, set_as_default=False)
        else:
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self._cluster = LocalCluster(n_workers=local_workers, threads_per_worker=2, processes=True,
                                             dashboard_address=None)
            self._client = Client(self._cluster, set_as_default=False)

    @property
    def address(self) -> str:
        return self._client.scheduler.address

    def start(self, command: Command, log_path: Path, env: Mapping[str, str], execution_id: str,
              resources: Mapping[str, float] | None) -> DaskProcess:
        from distributed import Event

        cancel = Event(f"cancel-{execution_id}", client=self._client)
        future = self._client.submit(run_on_worker, list(command.argv), str(command.cwd), dict(env), str(log_path),
                                     execution_id, command.kill_grace, key=f"run-{execution_id}", pure=False,
                                     retries=0, resources=dict(resources) if resources else None)
        return DaskProcess(future, cancel)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
