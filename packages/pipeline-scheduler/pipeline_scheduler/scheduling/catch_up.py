"""Fires that came due while no server was dispatching (all servers down, or a dispatcher that died).

When a server becomes the dispatcher it records, for every job whose next fire is in the past,
each missed instant as its own record, under the job's ``catch_up`` policy: ``run_once`` runs
the latest and records the others ``skipped``, ``skip`` records them all ``skipped``. Then the
job moves to its first fire from now on. Records carry the instants' fire keys, so instants the
previous dispatcher recorded before it died are not recorded twice.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime, timezone

from apscheduler.triggers.base import BaseTrigger

from ..execution.runs import RunManager
from .scheduler import SchedulerService

log = logging.getLogger(__name__)

UTC = timezone.utc
LISTED_PER_JOB = 1000  # missed instants recorded one by one; older ones share one summary record
RECORD_TIMEOUT = 300.0


def catch_up(scheduler: SchedulerService, runs: RunManager, now: datetime | None = None) -> int:
    """Record the missed fires of every job and move each to its next fire; how many instants were missed."""
    now = now or datetime.now(UTC)
    total = 0
    for stored in scheduler.stored_jobs():
        if stored.state is None or stored.next_run_time is None or stored.next_run_time >= now.timestamp():
            continue
        trigger: BaseTrigger = stored.state["trigger"]
        listed: deque[float] = deque(maxlen=LISTED_PER_JOB)
        count, first_unlisted, last_unlisted = 0, None, None
        moment: datetime | None = datetime.fromtimestamp(stored.next_run_time, UTC)
        while moment is not None and moment < now:
            if len(listed) == listed.maxlen:
                last_unlisted = listed[0]
                first_unlisted = first_unlisted if first_unlisted is not None else last_unlisted
            listed.append(moment.timestamp())
            count += 1
            moment = trigger.get_next_fire_time(moment, now)
        unlisted = (count - len(listed), first_unlisted, last_unlisted) if first_unlisted is not None else None
        try:
            runs.fire(stored.id, list(listed), missed=True, uncounted=unlisted).result(RECORD_TIMEOUT)
        except Exception:
            log.exception("could not record the fires job %s missed; they stay due", stored.id)
            continue
        scheduler.move(stored.id, moment)
        total += count
        log.warning("job %s missed %d fire(s) while no server was dispatching", stored.id, count)
    return total
