"""Taking what waits in a queue as one batch: a burst costs one database write, not one per item."""

from __future__ import annotations

import queue
from typing import TypeVar

Item = TypeVar("Item")


def batch_after(first: Item, source: queue.SimpleQueue, limit: int) -> list[Item]:
    """``first`` and what else is already waiting in ``source``, at most ``limit`` in all. The stop
    signal (``None``) is put back, for the loop to see on its next turn."""
    batch = [first]
    while len(batch) < limit:
        try:
            item = source.get_nowait()
        except queue.Empty:
            break
        if item is None:
            source.put(None)
            break
        batch.append(item)
    return batch
