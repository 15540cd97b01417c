"""Retries: a run that ended as its job's ``retry_on`` says is run again, up to ``retries`` times.

Every attempt is its own run, linked to the first (``attempt``, ``retry_of``). The delay before
attempt n+1 is ``retry_delay × retry_backoff^(n-1)``, spread by ±20% (jitter, so that jobs that
failed together do not retry together). The failed run records when its next attempt is due
(``retry_at``): the wait is kept in memory, and a server that becomes the dispatcher schedules
again every retry that is due and not yet recorded (after a restart or a takeover). An attempt's
fire key ``retry:<first run id>:<attempt>`` keeps it from being recorded twice.
"""

from __future__ import annotations

import heapq
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_RETRY_ON = ("failure", "timed_out")
JITTER = 0.2


@dataclass(frozen=True, order=True)
class Attempt:
    """An attempt to start at ``due`` (seconds since the epoch)."""

    due: float
    job_id: str = field(compare=False)
    number: int = field(compare=False)  # 2 for the first retry
    first: int = field(compare=False)  # the first attempt's run id
    triggered_by: str = field(compare=False)
    scheduled_for: float | None = field(compare=False)

    @property
    def fire_key(self) -> str:
        return f"retry:{self.first}:{self.number}"


def next_attempt_delay(spec: dict[str, Any], status: str, attempt: int, rng: random.Random) -> float | None:
    """Seconds until the next attempt of a run that ended ``status`` as attempt ``attempt``; ``None``: no retry."""
    retries = spec.get("retries") or 0
    if attempt > retries or status not in (spec.get("retry_on") or DEFAULT_RETRY_ON):
        return None
    base = float(spec.get("retry_delay", 60.0)) * float(spec.get("retry_backoff", 2.0)) ** (attempt - 1)
    return base * rng.uniform(1 - JITTER, 1 + JITTER)


class RetryQueue:
    """Attempts waiting for their time, handed to ``start(attempt)`` when it comes."""

    def __init__(self, start: Callable[[Attempt], None]) -> None:
        self._start = start
        self._waiting: list[Attempt] = []
        self._condition = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def begin(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="pipeline-scheduler-retries", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._thread is not None:
            self._thread.join(10)

    def add(self, attempt: Attempt) -> None:
        with self._condition:
            heapq.heappush(self._waiting, attempt)
            self._condition.notify()

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and (not self._waiting or self._waiting[0].due > time.time()):
                    self._condition.wait(max(0.0, self._waiting[0].due - time.time()) if self._waiting else None)
                if self._stopping:
                    return
                attempt = heapq.heappop(self._waiting)
            try:
                self._start(attempt)
            except Exception:
                log.exception("could not start attempt %d of run %d", attempt.number, attempt.first)
