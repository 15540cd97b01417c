"""Byte strings kept in an unnamed file instead of the heap: the kept job lists.

At 10,000 jobs the JSON kept for ``GET jobs`` is 10 MB. Held as bytes objects it stays in the
server's resident memory for good; written to a file it sits in the page cache, which the system
reclaims under pressure, and a request copies it once from the file's pages (mapped for that copy
only). The file is created unlinked (it disappears with the process) and is append-only: a changed
fragment is written again at the end. Fragments asked for in the order they lie in the file are one
span to copy, so the file is rewritten in the order asked once they lie in many spans or among more
stale bytes than live ones.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from pathlib import Path
from typing import IO

LENGTH_BITS = 32  # a location is offset << LENGTH_BITS | length: one int per fragment
LENGTH_MASK = (1 << LENGTH_BITS) - 1
REWRITE_AFTER = 1 << 20  # bytes of stale fragments before a rewrite is considered
MAX_PIECES = 64  # runs of fragments out of the file's order before a rewrite


class FragmentFile:
    """Append fragments, get a location back; join many at once, copied straight from the file's pages."""

    def __init__(self, directory: Path | None) -> None:
        self._file = _unnamed_file(directory)
        self._end = 0
        self._live = 0

    def append(self, data: bytes) -> int:
        """Store ``data``; its location (for :meth:`spans` and :meth:`forget`)."""
        os.pwrite(self._file.fileno(), data, self._end)
        location = self._end << LENGTH_BITS | len(data)
        self._end += len(data)
        self._live += len(data)
        return location

    def forget(self, location: int) -> None:
        """The fragment at ``location`` is no longer needed (replaced or removed)."""
        self._live -= location & LENGTH_MASK

    @staticmethod
    def spans(locations: list[int]) -> list[tuple[int, int]]:
        """Where the fragments at ``locations`` lie, in that order, as ``(start, end)`` spans of the file,
        each covering a run of fragments that follow each other in the file (keep it while they do)."""
        spans: list[tuple[int, int]] = []
        start = end = -1
        for location in locations:
            offset = location >> LENGTH_BITS
            if offset != end:
                if end >= 0:
                    spans.append((start, end))
                start = offset
            end = offset + (location & LENGTH_MASK)
        if end >= 0:
            spans.append((start, end))
        return spans

    def joined(self, spans: list[tuple[int, int]], head: bytes, tail: bytes) -> bytes:
        """``head``, the bytes of ``spans`` in that order, then ``tail``, copied once from the file's pages."""
        if not spans:
            return head + tail
        with mmap.mmap(self._file.fileno(), self._end, access=mmap.ACCESS_READ) as pages:
            view = memoryview(pages)
            try:
                return b"".join([head, *(view[start:end] for start, end in spans), tail])
            finally:
                view.release()

    def untidy(self, pieces: int) -> bool:
        """Whether fragments that lie in ``pieces`` spans say it is time to :meth:`rewrite`."""
        stale = self._end - self._live
        return pieces > MAX_PIECES or (stale > REWRITE_AFTER and stale > self._live)

    def rewrite(self, locations: list[int]) -> list[int]:
        """Keep only the fragments at ``locations``, in that order; their new locations."""
        data = self.joined(self.spans(locations), b"", b"")
        self._file.truncate(0)
        os.pwrite(self._file.fileno(), data, 0)
        self._end = self._live = len(data)
        moved, offset = [], 0
        for location in locations:
            moved.append(offset << LENGTH_BITS | (location & LENGTH_MASK))
            offset += location & LENGTH_MASK
        return moved

    def close(self) -> None:
        self._file.close()


def _unnamed_file(directory: Path | None) -> IO[bytes]:
    """A file without a name, in ``directory`` when it can be created there (beside the database, on
    disk), in the system's temporary directory otherwise."""
    if directory is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            return tempfile.TemporaryFile(dir=directory)
        except OSError:
            pass
    return tempfile.TemporaryFile()
