"""Giving memory back to the system after a large transient allocation.

Python frees the rows and strings of a 10,000-job listing, but glibc keeps the freed pages in the
process (RSS stays tens of MB higher than what is live); ``malloc_trim`` returns them. Elsewhere
(macOS, musl) there is nothing to call and nothing is done.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import cache

LARGE = 1 << 20  # bytes: below this, what a trim could return is not worth the call


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on: glibc has it
    except (OSError, AttributeError):
        return None


def release_freed_memory(transient_bytes: int) -> None:
    """After work that allocated about ``transient_bytes`` and freed them: return free pages to the system."""
    trim = _malloc_trim()
    if trim is not None and transient_bytes >= LARGE:
        trim(0)
