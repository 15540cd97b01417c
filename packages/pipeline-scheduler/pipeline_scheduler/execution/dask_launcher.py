"""Runs on a Dask cluster: each run is a Dask task that starts the same subprocess on a worker.

``executor = "dask"`` with ``dask_scheduler_address`` (a running ``dask scheduler``), or without
one a ``LocalCluster`` of this machine (to try it). The task starts the command with its output
appended to the run's log (the log directory and the job's working directory must be on a
filesystem the workers share: see :class:`SharedFilesystem`), and polls a
Dask ``Event`` named after the run, so that a cancel or a timeout of the server ends the process
tree on the worker. A job's ``resources`` (``{"GPU": 1}``) become the task's Dask resources: it
waits for a worker that has them. A worker that dies mid-run is not retried by Dask
(``allowed-failures`` 0 on the cluster this starts; set it on yours): the run ends ``interrupted``
and the job's retry policy decides.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
from collections.abc import Iterable, Mapping
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


class NotShared(OSError):
    """No worker that could take the run sees the server's files."""


def sees_marker(path: str, token: str) -> bool:
    """Run on a worker: does it read the marker the server just wrote (the same file, not a namesake)?"""
    try:
        return Path(path).read_text() == token
    except OSError:
        return False


class SharedFilesystem:
    """Which workers see the server's directories, checked at submit and remembered per worker.

    The server writes a marker file with a random token in the directory and asks each worker not yet
    known to see it (``Client.run``, outside the task slots) to read it back: a directory that merely
    exists on the worker under the same path (another disk mounted there) does not count. A worker
    that saw a directory is not asked again; one that did not is asked again at the next submit (a
    mount may have been fixed). A directory the server cannot write into is left to the task's own
    existence check.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def workers_seeing(self, directories: Iterable[str], workers: list[str]) -> list[str]:
        seeing = set(workers)
        for directory in directories:
            with self._lock:
                unknown = [worker for worker in seeing if (worker, directory) not in self._seen]
            if unknown:
                seeing -= {worker for worker in unknown if not self._check(directory, unknown).get(worker, True)}
        return [worker for worker in workers if worker in seeing]

    def _check(self, directory: str, workers: list[str]) -> dict[str, bool]:
        token = secrets.token_hex(16)
        marker = Path(directory) / f".pipeline-scheduler-shared-{token[:12]}"
        try:
            marker.write_text(token)
        except OSError:
            return {}
        try:
            answers = self._client.run(sees_marker, str(marker), token, workers=workers, on_error="return")
        finally:
            marker.unlink(missing_ok=True)
        seen = {worker: answers.get(worker) is True for worker in workers}
        with self._lock:
            self._seen.update((worker, directory) for worker, yes in seen.items() if yes)
        return seen


def workers_with(resources: Mapping[str, float] | None, workers: Mapping[str, Any]) -> list[str]:
    """The workers that have every resource a run asks for."""
    return [address for address, info in workers.items()
            if all(info.get("resources", {}).get(name, 0) >= amount for name, amount in (resources or {}).items())]


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
        self._shared = SharedFilesystem(self._client)

    @property
    def address(self) -> str:
        return self._client.scheduler.address

    def start(self, command: Command, log_path: Path, env: Mapping[str, str], execution_id: str,
              resources: Mapping[str, float] | None) -> DaskProcess:
        from distributed import Event

        workers = self._workers_for(command, log_path, resources)
        cancel = Event(f"cancel-{execution_id}", client=self._client)
        future = self._client.submit(run_on_worker, list(command.argv), str(command.cwd), dict(env), str(log_path),
                                     execution_id, command.kill_grace, key=f"run-{execution_id}", pure=False,
                                     retries=0, resources=dict(resources) if resources else None,
                                     workers=workers, allow_other_workers=False)
        return DaskProcess(future, cancel)

    def _workers_for(self, command: Command, log_path: Path, resources: Mapping[str, float] | None) -> list[str] | None:
        """The workers the run may go to: those with its resources that see its working and log
        directories; ``None`` (Dask's own choice) when every worker with the resources sees them, or
        while none has the resources yet."""
        eligible = workers_with(resources, self._client.scheduler_info()["workers"])
        if not eligible:
            return None
        directories = [str(command.cwd), str(log_path.parent)]
        seeing = self._shared.workers_seeing(directories, eligible)
        if not seeing:
            raise NotShared(f"the job's working directory {command.cwd} or the log directory {log_path.parent} is not "
                            f"on a filesystem the Dask workers share (no worker read the server's marker file there: "
                            f"{', '.join(eligible)}); mount the server's root at the same path on the workers")
        return None if len(seeing) == len(eligible) else seeing

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
