"""Giving memory back to the system after a large transient allocation.

Python frees the rows and strings of a 10,000-job listing, but glibc keeps the freed pages in the
process (RSS stays tens of MB higher than what is live): ``malloc_trim`` returns them. glibc also
raises its mmap threshold each time a large block is freed (up to 32 MB), after which blocks of a
few MB (a listing's body, Tornado's copy of it) come from the heap and stay there once freed;
fixing the threshold keeps every block of 1 MB and more in its own mapping, returned when freed.
Elsewhere (macOS, musl) there is nothing to call and nothing is done.
"""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any

LARGE = 1 << 20  # bytes: blocks this large get mappings of their own; a smaller transient is not worth a trim
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)


@cache
def _libc() -> Any | None:
    """The C library the interpreter runs on, when it is glibc (it has ``malloc_trim``)."""
    try:
        libc = ctypes.CDLL(None)
    except (OSError, TypeError):  # Windows has no "the process's own C library"
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def return_large_blocks_when_freed() -> None:
    """Keep blocks of ``LARGE`` bytes and more in mappings of their own (process-wide, once at start)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, LARGE)


def release_freed_memory() -> None:
    """After a large transient allocation (``LARGE`` or more) was freed: return free pages to the system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
