"""Run logs kept within bounds: per run (``max_log_bytes``) and in all (``max_log_space``).

A run's processes write their output straight into its log file (no pipe through the server, so
a run that prints fast costs the server nothing). A watcher looks at the logs of running runs
every second; one past ``max_log_bytes`` is **compacted** in place: its first half is kept, then a
line saying how much was dropped, then its newest bytes, moved down in chunks (memory stays
flat). The processes keep appending after it. At the end of the run the log is compacted once
more, exactly. Output written during a compaction of a running log may be lost with the dropped
middle; the head and the end of the output are always kept.

All logs together stay under ``max_log_space``: after a run, the logs of the oldest finished runs
are removed (their records stay, saying so) until the total fits.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

CHUNK = 1 << 20
CHECK_SECONDS = 1.0


def marker(dropped: int) -> bytes:
    return f"\n[… {dropped:,} bytes of output dropped here (max_log_bytes) …]\n".encode()


def compact(path: Path, limit: int) -> int:
    """Shrink the log at ``path`` to its head, a marker and its newest bytes, at most about ``limit``
    bytes; returns how many bytes were dropped (0 when it fits)."""
    try:
        size = path.stat().st_size
    except OSError:
        return 0
    if size <= limit:
        return 0
    head = limit // 2
    tail = max(0, limit - head - len(marker(size)))
    dropped = size - head - tail
    with open(path, "r+b") as handle:
        handle.seek(head)
        handle.write(marker(dropped))
        position, source = handle.tell(), size - tail
        while source < size:
            handle.seek(source)
            chunk = handle.read(min(CHUNK, size - source))
            if not chunk:  # shorter than it was: truncated by something else meanwhile
                break
            handle.seek(position)
            handle.write(chunk)
            position, source = position + len(chunk), source + len(chunk)
        end = os.fstat(handle.fileno()).st_size  # the run may have written more while this ran: gone too
        handle.truncate(position)
    return dropped + max(0, end - size)


class LogLimiter:
    """Watches the logs of running runs; ``on_dropped(run_id, bytes)`` hears of each compaction."""

    def __init__(self, limit: int, on_dropped: Callable[[int, int], None]) -> None:
        self.limit = limit
        self._on_dropped = on_dropped
        self._watched: dict[int, Path] = {}
        self._lock = threading.Lock()
        self._watching = threading.Condition(self._lock)  # sleeps without waking while no run is watched
        self._compacting = threading.Lock()  # one compaction at a time: a run's last one waits for one in flight
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.limit > 0:
            self._thread = threading.Thread(target=self._loop, name="pipeline-scheduler-logs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._watching:
            self._watching.notify()
        if self._thread is not None:
            self._thread.join(10)

    def watch(self, run_id: int, path: Path) -> None:
        if self.limit > 0:
            with self._watching:
                self._watched[run_id] = path
                self._watching.notify()

    def finish(self, run_id: int, path: Path | None) -> int:
        """The run ended: compact its log one last time; how many bytes were dropped then."""
        with self._compacting:
            with self._lock:
                self._watched.pop(run_id, None)
            return compact(path, self.limit) if self.limit > 0 and path is not None else 0

    def _loop(self) -> None:
        while True:
            with self._watching:
                self._watching.wait_for(lambda: self._watched or self._stop.is_set())
            if self._stop.wait(CHECK_SECONDS):
                return
            with self._lock:
                watched = list(self._watched.items())
            for run_id, path in watched:
                with self._compacting:
                    with self._lock:
                        if run_id not in self._watched:  # it ended meanwhile: its last compaction was done
                            continue
                    try:
                        if path.stat().st_size > 2 * self.limit:  # let it grow a little: fewer compactions
                            self._on_dropped(run_id, compact(path, self.limit))
                    except OSError:
                        continue
                    except Exception:
                        log.exception("could not compact the log %s", path)


class LogSpace:
    """The total size of all logs, kept under ``limit`` by removing the oldest finished runs' logs.

    The total is counted as runs end and read again from the disk whenever it seems over the limit
    (logs also go with deleted and pruned runs), so that nothing is removed on a stale count."""

    def __init__(self, directory: Path, limit: int, oldest_logs: Callable[[int], list[tuple[int, str]]],
                 forget_log: Callable[[int, int], None]) -> None:
        self._directory = directory
        self.limit = limit
        self._oldest_logs = oldest_logs
        self._forget_log = forget_log
        self._total: int | None = None
        self._lock = threading.Lock()

    def add(self, path: Path | None) -> None:
        """A run ended with the log at ``path``: count it, then make room if needed."""
        if self.limit <= 0:
            return
        with self._lock:
            self._total = (self._total or 0) + (_size(path) if path is not None else 0)
            if self._total <= self.limit:
                return
            self._total = sum(entry.stat().st_size for entry in self._directory.rglob("*.log") if entry.is_file())
            while self._total > self.limit:
                batch = self._oldest_logs(100)
                if not batch:
                    break
                for run_id, log_path in batch:
                    size = _size(Path(log_path))
                    self._total -= size
                    try:
                        os.unlink(log_path)
                    except OSError:
                        pass
                    self._forget_log(run_id, size)
                    if self._total <= self.limit:
                        break


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
