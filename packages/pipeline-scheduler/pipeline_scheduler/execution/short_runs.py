"""Extra run slots while runs are short: a burst of quick jobs starts sooner, long runs keep the limit.

``max_concurrent_runs`` bounds the runs that execute at once. When the runs of late were short
(most of the last :data:`WINDOW` ended within :data:`SHORT_SECONDS`), a few more slots take queued
runs as well: with runs forked in a millisecond, a queue of a thousand trivial jobs is bound by
how many wait on a process at a time, not by the machine. As soon as runs stop being short, the
extra slots take no new run (a run they hold finishes as usual).
"""

from __future__ import annotations

import threading
from collections import deque

SHORT_SECONDS = 1.0
WINDOW = 16


class ShortRuns:
    """The durations of the last runs, and whether extra slots may take runs now (``gate``)."""

    def __init__(self) -> None:
        self._durations: deque[float] = deque(maxlen=WINDOW)
        self._lock = threading.Lock()
        self.gate = threading.Event()

    def ended(self, seconds: float) -> None:
        with self._lock:
            self._durations.append(seconds)
            short = sum(duration < SHORT_SECONDS for duration in self._durations)
            full = len(self._durations) == WINDOW
        if full and short * 4 >= WINDOW * 3:
            self.gate.set()
        else:
            self.gate.clear()

    def open_for_stop(self) -> None:
        """Let extra slots that wait for the gate see the end of the queue."""
        self.gate.set()
