"""Byte strings kept in an unnamed file instead of the heap: the kept job lists.

At 10,000 jobs the JSON kept for ``GET jobs`` is 10 MB. Held as bytes objects it stays in the
server's resident memory for good; written to a file it sits in the page cache, which the system
reclaims under pressure, and a request reads it back with one ``pread`` (a few ms for 10 MB). The
file is created unlinked (it disappears with the process) and is append-only: a changed fragment is
written again at the end, and the file is rewritten in order once more of it is stale than live.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

LENGTH_BITS = 32  # a location is offset << LENGTH_BITS | length: one int per fragment
LENGTH_MASK = (1 << LENGTH_BITS) - 1
REWRITE_AFTER = 1 << 20  # bytes of stale fragments before a rewrite is considered


class FragmentFile:
    """Append fragments, get a location back; read all of them at once as views of one buffer."""

    def __init__(self, directory: Path | None) -> None:
        self._file = _unnamed_file(directory)
        self._end = 0
        self._live = 0

    def append(self, data: bytes) -> int:
        """Store ``data``; its location (for :meth:`views` and :meth:`forget`)."""
        os.pwrite(self._file.fileno(), data, self._end)
        location = self._end << LENGTH_BITS | len(data)
        self._end += len(data)
        self._live += len(data)
        return location

    def forget(self, location: int) -> None:
        """The fragment at ``location`` is no longer needed (replaced or removed)."""
        self._live -= location & LENGTH_MASK

    def views(self, locations: list[int]) -> list[memoryview]:
        """The fragments at ``locations``, in that order, as views of one buffer read from the file."""
        buffer = memoryview(os.pread(self._file.fileno(), self._end, 0))
        return [buffer[location >> LENGTH_BITS:(location >> LENGTH_BITS) + (location & LENGTH_MASK)]
                for location in locations]

    def wasteful(self) -> bool:
        """Whether stale fragments take more of the file than live ones (time to :meth:`rewrite`)."""
        stale = self._end - self._live
        return stale > REWRITE_AFTER and stale > self._live

    def rewrite(self, fragments: list[memoryview]) -> list[int]:
        """Replace the contents with ``fragments`` only, in order; their new locations."""
        self._file.truncate(0)
        self._end = self._live = 0
        return [self.append(fragment) for fragment in fragments]

    def close(self) -> None:
        self._file.close()


def _unnamed_file(directory: Path | None):  # noqa: ANN202 (a file object of the platform's temporary-file kind)
    """A file without a name, in ``directory`` when it can be created there (beside the database, on
    disk), in the system's temporary directory otherwise."""
    if directory is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            return tempfile.TemporaryFile(dir=directory)
        except OSError:
            pass
    return tempfile.TemporaryFile()
