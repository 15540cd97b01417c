"""Ending what runs leave running: after a run ends, and after its server died (kill -9, power cut).

Every process of a run inherits ``PIPELINE_SCHEDULER_RUN=<execution id>`` from its environment,
which finds what left the run's process group and lost its parent (``setsid`` children,
double-forked daemons) — unless it cleared its environment on purpose. This works wherever
``/proc/<pid>/environ`` is readable (Linux, the server's own user or root); elsewhere only the
process group and descendants are found.

* :class:`LeftoverSweeper` ends, after each run, the processes carrying its marker (on a thread
  of its own: runs that end within :data:`GATHER_SECONDS` of each other share one scan of the
  process table, and only processes started since the earliest of them are read).
* :func:`end_run` ends the processes of a run whose server died. The run's own process leads its
  own session, so it survives its server; it is identified by its pid *and* its start time
  (recorded when it started): a pid the system has since given to another process is never touched.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from functools import cache

import psutil

from ..batches import batch_after

log = logging.getLogger(__name__)

RUN_MARKER = "PIPELINE_SCHEDULER_RUN"
# seconds: a start time is boot time + clock ticks, and the kernel's boot time (whole seconds, recomputed
# from the wall clock) moves by a second when the clock is adjusted, so two readings may differ by 1 s
START_TIME_TOLERANCE = 1.05
GRACE_SECONDS = 3.0
SWEEP_BATCH = 1000
GATHER_SECONDS = 0.15  # a pass waits this long for other runs to end, so that a stream of runs shares passes
PROC = "/proc"
MARKER_PREFIX = RUN_MARKER.encode() + b"="


def run_processes(execution_id: str, pid: int | None, started_at: float | None) -> list[psutil.Process]:
    """The live processes of one run: its own process (when pid and start time match), its group and
    descendants, and every process carrying its marker."""
    found: dict[int, psutil.Process] = {}
    main = _same_process(pid, started_at)
    if main is not None:
        found[main.pid] = main
        for child in _children(main):
            found[child.pid] = child
    for process in psutil.process_iter():
        try:
            if process.pid in found or process.pid == os.getpid():
                continue
            in_group = main is not None and os.getpgid(process.pid) == main.pid
            if in_group or marker_of(process) == execution_id:
                found[process.pid] = process
        except (psutil.Error, OSError):
            continue
    return list(found.values())


def end_processes(processes: Iterable[psutil.Process], grace: float = GRACE_SECONDS) -> int:
    """SIGTERM, then SIGKILL after ``grace`` for what is still alive; how many there were."""
    processes = list(processes)
    for process in processes:
        _send(process, signal.SIGTERM)
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        _send(process, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=grace)
    return len(processes)


def end_run(execution_id: str, pid: int | None, started_at: float | None) -> int:
    """End whatever a run left running; how many processes that was."""
    ended = end_processes(run_processes(execution_id, pid, started_at))
    if ended:
        log.warning("ended %d process(es) left running by run %s", ended, execution_id)
    return ended


class LeftoverSweeper:
    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self._grace = grace
        self._queue: queue.SimpleQueue[tuple[str, float] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="pipeline-scheduler-leftovers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(10)

    def sweep(self, execution_id: str, started_at: float) -> None:
        """A run that started at ``started_at`` ended: end what it left running."""
        self._queue.put((execution_id, started_at))

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            time.sleep(GATHER_SECONDS)
            batch = batch_after(item, self._queue, SWEEP_BATCH)
            try:
                self._end({execution_id for execution_id, _ in batch}, min(started for _, started in batch))
            except Exception:
                log.exception("ending what %d run(s) left running failed", len(batch))

    def _end(self, execution_ids: set[str], since: float) -> None:
        """One pass over the process table: only processes started since the earliest run are read."""
        found = [process for process in _marked_since(execution_ids, since) if process.pid != os.getpid()]
        if found:
            log.warning("ending %d process(es) that finished runs left running: pids %s", len(found),
                        ", ".join(str(process.pid) for process in found))
            end_processes(found, self._grace)


def _marked_since(execution_ids: set[str], since: float) -> Iterator[psutil.Process]:
    """Processes started since ``since`` (less :data:`START_TIME_TOLERANCE`) that carry
    one of the markers. From ``/proc`` directly where there is one: a pass then costs one small read
    per process and one environment read per recent process, instead of psutil objects for all."""
    if not os.path.isdir(PROC):
        for process in psutil.process_iter(["create_time"]):
            try:
                if process.info["create_time"] + START_TIME_TOLERANCE >= since and marker_of(process) in execution_ids:
                    yield process
            except (psutil.Error, OSError):
                continue
        return
    boot, ticks_per_second = psutil.boot_time(), _clock_ticks()
    for pid, ticks in _proc_start_ticks():
        if boot + ticks / ticks_per_second + START_TIME_TOLERANCE < since:
            continue
        try:
            if _proc_marker(pid) in execution_ids:
                process = psutil.Process(pid)
                if _start_ticks(pid) == ticks:  # the same process, not a pid reused since it was read
                    yield process
        except (psutil.Error, OSError):
            continue


def _proc_start_ticks() -> Iterator[tuple[int, int]]:
    """``(pid, start time in clock ticks since boot)`` of every process: exact, unlike boot-time-based times."""
    with os.scandir(PROC) as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                yield int(entry.name), _start_ticks(int(entry.name))
            except OSError:  # it ended meanwhile
                continue


def _start_ticks(pid: int) -> int:
    data = _read(f"{PROC}/{pid}/stat")
    fields = data[data.rfind(b")") + 2:].split()  # the command name may hold spaces and parentheses
    return int(fields[19])  # field 22 of proc(5): starttime


def _proc_marker(pid: int) -> str | None:
    """The run marker in a process's environment as ``/proc`` shows it (stamped in place by a fork
    server's child, so read from memory rather than from what the process started with)."""
    data = _read(f"{PROC}/{pid}/environ")
    if MARKER_PREFIX not in data:
        return None
    for entry in data.split(b"\0"):
        if entry.startswith(MARKER_PREFIX):
            return entry[len(MARKER_PREFIX):].decode(errors="replace").strip()
    return None


def _read(path: str) -> bytes:
    """A whole ``/proc`` file, without the buffered file object (a third of the cost, a pass reads one per process)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(descriptor, 65536)]
        while chunks[-1]:
            chunks.append(os.read(descriptor, 65536))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


@cache
def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def marker_of(process: psutil.Process) -> str | None:
    """The run a process belongs to, from its environment (a prestarted one pads it with spaces)."""
    value = process.environ().get(RUN_MARKER)
    return value.strip() if value is not None else None


def process_alive(pid: int, started_before: float) -> bool:
    """Whether ``pid`` is a live process that started before ``started_before`` (not a recycled pid)."""
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and process.create_time() <= started_before + 1
    except psutil.Error:
        return False


def _same_process(pid: int | None, started_at: float | None) -> psutil.Process | None:
    if not pid or started_at is None:
        return None
    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - started_at) <= START_TIME_TOLERANCE:
            return process
    except psutil.Error:
        pass
    return None


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def _send(process: psutil.Process, signum: int) -> None:
    try:
        process.send_signal(signum)
    except psutil.Error:
        pass
